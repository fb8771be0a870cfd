"""Shared test fixtures: the fixture site on loopback, a catcher for "another host", and a
helper that runs the real `scrapy crawl` command as a subprocess."""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from devsite.fixture_site import FixtureSite
from icmpd_news.extensions.run_summary import summary_file_in
from icmpd_news.schema import article_schema

PROJECT_ROOT = Path(__file__).parent.parent


class Catcher:
    """A TCP listener on another loopback address that records every connection attempt.

    It stands for "another host": the crawler must never connect to it.
    """

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.base = f"http://{host}:{self.sock.getsockname()[1]}"
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    """A listener on 127.0.0.2 that counts connections (should stay at zero)."""
    c = Catcher()
    yield c
    c.close()


@pytest.fixture
def site(catcher: Catcher) -> Iterator[FixtureSite]:
    """The bundled fixture site, serving on 127.0.0.1, its "other host" links at the catcher."""
    with FixtureSite(other=catcher.base) as s:
        yield s


@dataclass
class CrawlResult:
    """What a finished `scrapy crawl` left: exit code, log, and the export's records."""

    returncode: int
    log: str
    output_dir: Path

    @property
    def export(self) -> Path:
        return self.output_dir / "articles.jsonl"

    @property
    def last_line(self) -> str:
        """The last non-empty line the run printed."""
        return next((line for line in reversed(self.log.splitlines()) if line.strip()), "")

    def records(self) -> list[dict]:
        with self.export.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle]

    def summary(self) -> dict | None:
        """The run's summary file (ICMPD_OUTPUT_DIR/runs/<run-id>.summary.json), which the run's last
        line names; None when the run wrote none (it never started)."""
        path = summary_file_in(self.log)
        return json.loads(path.read_text(encoding="utf-8")) if path else None

    def stat(self, name: str) -> object:
        """A value from the run's final stats, as its summary file keeps them (None when absent)."""
        summary = self.summary()
        return None if summary is None else summary["stats"].get(name)


def run_crawl(feed_url: str, output_dir: Path, *settings: str, timeout: float = 120,
              env: dict[str, str] | None = None) -> CrawlResult:
    """Run `scrapy crawl icmpd_news -a feed_url=... -s ICMPD_OUTPUT_DIR=...` and wait for it; `env`
    replaces the environment (PYTHONPATH is set either way)."""
    command = [sys.executable, "-m", "scrapy", "crawl", "icmpd_news", "-a", f"feed_url={feed_url}",
               "-s", f"ICMPD_OUTPUT_DIR={output_dir}", "-s", "AUTOTHROTTLE_ENABLED=False"]
    for setting in settings:
        command += ["-s", setting]
    return run_scrapy(command, output_dir, timeout=timeout, env=env)


def run_scrapy(command: list[str], output_dir: Path, timeout: float = 120, env: dict[str, str] | None = None,
               cwd: Path = PROJECT_ROOT) -> CrawlResult:
    """Run a `scrapy` command line in `cwd` with the project importable, and wait for it."""
    environment = (os.environ if env is None else env) | {"PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout,
                          check=False)
    return CrawlResult(done.returncode, done.stderr + done.stdout, output_dir)


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = article_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def validate(record: dict) -> None:
    """Fail unless the record satisfies the shipped JSON Schema (checked once, then cached)."""
    _validator().validate(record)
