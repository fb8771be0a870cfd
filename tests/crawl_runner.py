"""Run several real `scrapy crawl` processes at once and measure each one's peak memory.

The hostile-input tests need many small crawls (one per broken feed); run one after the other
they would cost a minute, run together they cost a few seconds. Each crawl is the same command
as tests/conftest.py's run_crawl; its result is a conftest.CrawlResult plus the process's peak
resident memory (from os.wait4, so other processes of the test session never count).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import PROJECT_ROOT, CrawlResult


@dataclass
class MeasuredCrawl(CrawlResult):
    """A finished crawl and its peak resident memory in MiB."""

    max_rss_mib: float = 0.0


def crawl_command(feed_url: str, output_dir: Path, *settings: str) -> list[str]:
    """run_crawl's command (`scrapy crawl icmpd_news -a feed_url=... -s ICMPD_OUTPUT_DIR=...`), without rendering."""
    # Without the browser fallback (tests/test_render.py covers it): a page without an article
    # must end as a failed extraction here, and no crawl pays for starting Playwright's driver.
    command = [sys.executable, "-m", "scrapy", "crawl", "icmpd_news", "-a", f"feed_url={feed_url}",
               "-s", f"ICMPD_OUTPUT_DIR={output_dir}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "ICMPD_RENDER_ENABLED=False"]
    for setting in settings:
        command += ["-s", setting]
    return command


class Crawls:
    """Start commands now, collect their results later (all within `timeout` seconds)."""

    def __init__(self, timeout: float = 120) -> None:
        self.timeout = timeout
        self.started: dict[str, tuple[subprocess.Popen, Path, Path]] = {}

    def start(self, name: str, command: list[str], output_dir: Path, env: dict[str, str] | None = None) -> None:
        """Start `command` in the project folder, its output going to output_dir/../<name>.log."""
        output_dir.mkdir(parents=True, exist_ok=True)
        log_path = output_dir.parent / f"{name}.log"
        environment = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)} | (env or {})
        with log_path.open("w") as log:
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
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
