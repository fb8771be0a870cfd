"""How the tests run the crawler: the real `scrapy crawl` as a subprocess, and what it left.

One command line (crawl_command, built by devsite.crawl.scrapy_command) for every crawl the
tests start: waited for (run_crawl, run_archive, run_scrapy), started and left running
(start_crawl), or run many at once with each one's peak memory measured (Crawls). Unit tests
of one component build it in-process on project_crawler, with the project's settings.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

import icmpd_news.settings
from devsite.crawl import PROJECT_ROOT, scrapy_command
from icmpd_news.extensions.run_summary import summary_file_in
from icmpd_news.schema import article_schema

FEED_SPIDER = "icmpd_news"
ARCHIVE_SPIDER = "icmpd_news_archive"
# Without the browser fallback (tests/test_render.py covers it): a page without an article
# ends as a failed extraction, and no crawl pays for starting Playwright's driver.
NO_RENDER = "ICMPD_RENDER_ENABLED=False"
# Loopback is fast: more parallel requests keep a 300-article backfill to seconds.
ARCHIVE_FAST = ("CONCURRENT_REQUESTS_PER_DOMAIN=16", "ICMPD_PROGRESS_LOG_INTERVAL=1")


def crawl_command(url: str, output_dir: Path, *settings: str, spider: str = FEED_SPIDER,
                  arguments: Iterable[str] = ()) -> list[str]:
    """`scrapy crawl <spider> -a feed_url=<url> -s ICMPD_OUTPUT_DIR=<output_dir>
    -s AUTOTHROTTLE_ENABLED=False -s <settings>...` (listing_url=<url> for the archive spider)."""
    source = "listing_url" if spider == ARCHIVE_SPIDER else "feed_url"
    return scrapy_command("crawl", spider, arguments=[f"{source}={url}", *arguments],
                          settings=[f"ICMPD_OUTPUT_DIR={output_dir}", "AUTOTHROTTLE_ENABLED=False", *settings])


def environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's environment) with the project importable; a PYTHONPATH that
    `env` gives stays in front (code a test puts before the project's)."""
    env = os.environ if env is None else env
    given = env.get("PYTHONPATH") if env is not os.environ else None
    return env | {"PYTHONPATH": os.pathsep.join(filter(None, (given, str(PROJECT_ROOT))))}


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


def run_scrapy(command: list[str], output_dir: Path, timeout: float = 120, env: dict[str, str] | None = None,
               cwd: Path = PROJECT_ROOT) -> CrawlResult:
    """Run a `scrapy` command line in `cwd` with the project importable, and wait for it; `env`
    replaces the environment (PYTHONPATH is set either way)."""
    done = subprocess.run(command, cwd=cwd, env=environment(env), capture_output=True, text=True, timeout=timeout,
                          check=False)
    return CrawlResult(done.returncode, done.stderr + done.stdout, output_dir)


def run_crawl(feed_url: str, output_dir: Path, *settings: str, timeout: float = 120,
              env: dict[str, str] | None = None) -> CrawlResult:
    """Run crawl_command (the feed spider) and wait for it."""
    return run_scrapy(crawl_command(feed_url, output_dir, *settings), output_dir, timeout=timeout, env=env)


def run_archive(listing_url: str, output_dir: Path, *arguments: str, settings: Iterable[str] = (),
                timeout: float = 180) -> CrawlResult:
    """Run crawl_command for the archive spider, with extra -a arguments and ARCHIVE_FAST, and wait for it."""
    command = crawl_command(listing_url, output_dir, *ARCHIVE_FAST, *settings, spider=ARCHIVE_SPIDER,
                            arguments=arguments)
    return run_scrapy(command, output_dir, timeout=timeout)


def start_crawl(feed_url: str, output_dir: Path, log: Path, *settings: str) -> subprocess.Popen:
    """Start crawl_command (the feed spider) without waiting; its output goes to `log`."""
    with log.open("wb") as handle:
        return subprocess.Popen(crawl_command(feed_url, output_dir, *settings), cwd=PROJECT_ROOT, env=environment(),
                                stdout=handle, stderr=subprocess.STDOUT)


@dataclass
class MeasuredCrawl(CrawlResult):
    """A finished crawl and its peak resident memory in MiB."""

    max_rss_mib: float = 0.0


class Crawls:
    """Start many commands now, collect their results later (all within `timeout` seconds).

    The hostile-input tests need many small crawls; run together they cost a few seconds. Each
    result carries the process's peak resident memory (from os.wait4, so other processes of
    the test session never count).
    """

    def __init__(self, timeout: float = 120) -> None:
        self.timeout = timeout
        self.started: dict[str, tuple[subprocess.Popen, Path, Path]] = {}

    def start(self, name: str, command: list[str], output_dir: Path, env: dict[str, str] | None = None) -> None:
        """Start `command` in the project folder, its output going to output_dir/../<name>.log;
        `env` is added to this process's environment."""
        output_dir.mkdir(parents=True, exist_ok=True)
        log_path = output_dir.parent / f"{name}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment() | (env or {}), stdout=log,
                                       stderr=subprocess.STDOUT)
        self.started[name] = (process, output_dir, log_path)

    def results(self) -> dict[str, MeasuredCrawl]:
        """Wait for every started crawl; kill (and report as -9) any still running at the deadline."""
        deadline = time.monotonic() + self.timeout
        done: dict[str, MeasuredCrawl] = {}
        for name, (process, output_dir, log_path) in self.started.items():
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    process.kill()
                    pid, status, usage = os.wait4(process.pid, 0)
                    break
                time.sleep(0.05)
            process.returncode = os.waitstatus_to_exitcode(status)
            done[name] = MeasuredCrawl(process.returncode, log_path.read_text(errors="replace"), output_dir,
                                       max_rss_mib=usage.ru_maxrss / 1024)
        return done


def project_settings() -> dict[str, object]:
    """The project's settings, as Scrapy loads them from icmpd_news/settings.py."""
    return {name: getattr(icmpd_news.settings, name) for name in dir(icmpd_news.settings) if name.isupper()}


def project_crawler(output_dir: Path, spidercls: type[Spider] | None = None, spider_arguments: dict | None = None,
                    **settings: object) -> Crawler:
    """A crawler with the project's settings (`settings` over them) holding `output_dir` (its
    extensions are built: the lock, the state store), its stats open and, with `spidercls`,
    its spider made; nothing is crawled."""
    crawler = get_crawler(spidercls, settings_dict=project_settings() | {"ICMPD_OUTPUT_DIR": str(output_dir)} | settings)
    crawler.stats.open_spider()
    if spidercls is not None:
        crawler.spider = spidercls.from_crawler(crawler, **(spider_arguments or {}))
    return crawler


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = article_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def validate(record: dict) -> None:
    """Fail unless the record satisfies the shipped JSON Schema (checked once, then cached)."""
    _validator().validate(record)
