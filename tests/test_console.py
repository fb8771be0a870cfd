"""The console: what a run prints and in which order. Real `scrapy crawl` runs on loopback; the
formatter on its own for the records it names."""

from __future__ import annotations

import logging
import re
import socket
import subprocess
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from devsite.crawl import scrapy_command
from devsite.fixture_site import FixtureSite, Route
from icmpd_news.run import console
from icmpd_news.run.console import ConsoleLogFormatter
from icmpd_news.spiders.feed import FeedSpider
from tests.crawling import PROJECT_ROOT, environment, run_crawl

TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def closed_port() -> int:
    """A loopback port nobody listens on: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_run_summary_is_the_last_thing_a_run_prints(site: FixtureSite, tmp_path: Path) -> None:
    result = run_crawl(f"{site.base}/feed.xml", tmp_path)
    assert result.returncode == 0
    lines = result.log.rstrip("\n").splitlines()
    summary = result.summary()
    run_id = summary["run_id"]
    assert re.fullmatch(
        rf"{TIMESTAMP} \[icmpd_news\.extensions\.run_summary\] SUMMARY: run {run_id}: OK \(exit status 0\); "
        r"articles requested 11, new 10, updated 0, unchanged 0, removed 0, gone 1, skipped 0, failed 0; "
        r"export 10 records; "
        rf"details: {re.escape(str(tmp_path))}/runs/{run_id}\.summary\.json", lines[-1])
    block = len(lines) - 2 - len(summary["summary"])
    assert re.fullmatch(rf"{TIMESTAMP} \[icmpd_news\.extensions\.run_summary\] INFO: Run summary \(finished\):",
                        lines[block])
    assert lines[block + 1:-1] == [f"  {line}" for line in summary["summary"]]
    assert lines[-2] == "  outcome: OK (exit status 0): ok"
    # One screen: no stats dump, no component lists, no monitor report (all at DEBUG).
    assert len(lines) < 40, len(lines)
    for noise in ("Dumping Scrapy stats", "Enabled extensions", "Overridden settings", "[Spidermon]", "Traceback"):
        assert noise not in result.log
    # The summary file has the verdict, the counts and every stat.
    assert (summary["outcome"], summary["exit_status"], summary["reason"], summary["finish_reason"]) == \
        ("ok", 0, "ok", "finished")
    assert summary["counts"] == {"requested": 11, "new": 10, "updated": 0, "unchanged": 0, "removed": 0,
                                 "gone": 1, "skipped": 0, "failed": 0, "export_records": 10}
    assert summary["stats"]["item_scraped_count"] == 10
    assert summary["summary"][-1] == "outcome: OK (exit status 0): ok"


def test_a_good_run_at_log_level_warning_still_shows_its_counts(site: FixtureSite, tmp_path: Path) -> None:
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, "LOG_LEVEL=WARNING")
    assert result.returncode == 0
    lines = result.log.rstrip("\n").splitlines()
    assert " INFO: " not in result.log
    assert [line for line in lines if "] SUMMARY: " in line] == lines[-1:]
    assert " OK (exit status 0); articles requested 11, new 10, " in lines[-1]


def test_a_failed_run_prints_its_summary_at_warning(site: FixtureSite, tmp_path: Path) -> None:
    site.routes["/feed.xml"] = Route(status=404, body=b"<html><body>Not found</body></html>")
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, "LOG_LEVEL=WARNING")
    assert result.returncode == 1
    lines = result.log.rstrip("\n").splitlines()
    block = next(i for i, line in enumerate(lines) if "Run summary (finished):" in line)
    assert " WARNING: Run summary (finished):" in lines[block]
    assert lines[-2] == f"  outcome: FAILED (exit status 1): feed {site.base}/feed.xml could not be fetched: answered HTTP 404"
    assert f"SUMMARY: run {result.summary()['run_id']}: FAILED (exit status 1): feed " in lines[-1]


def test_an_expected_failure_gets_one_line_and_the_rest_is_at_debug(tmp_path: Path) -> None:
    feed = f"http://127.0.0.1:{closed_port()}/feed.xml"
    quiet = run_crawl(feed, tmp_path / "info", "RETRY_TIMES=1", "ICMPD_RETRY_BACKOFF_BASE=0")
    assert quiet.returncode == 1
    errors = [line for line in quiet.log.splitlines() if " ERROR: " in line]
    assert errors and all("Connection was refused" in line for line in errors), quiet.log
    assert "Traceback" not in quiet.log and "Gave up retrying" not in quiet.log
    verbose = run_crawl(feed, tmp_path / "debug", "RETRY_TIMES=1", "ICMPD_RETRY_BACKOFF_BASE=0", "LOG_LEVEL=DEBUG")
    assert "DEBUG: Gave up retrying <GET " in verbose.log
    assert "DEBUG: Dumping Scrapy stats:" in verbose.log
    assert "DEBUG: [Spidermon] " in verbose.log


def test_an_expected_failure_keeps_its_line_and_its_traceback_goes_to_debug(caplog: pytest.LogCaptureFixture) -> None:
    console.install()
    scraper = logging.getLogger("scrapy.core.scraper")

    def logged(error: BaseException) -> list[logging.LogRecord]:
        caplog.clear()
        try:
            raise error
        except type(error):
            scraper.error("Error downloading <GET http://127.0.0.1:9/a>: %s", error, exc_info=True)
        return list(caplog.records)

    with caplog.at_level(logging.DEBUG):
        expected = logged(ConnectionRefusedError(111, "Connection refused"))
        bug = logged(KeyError("url"))
    assert [(r.levelname, r.exc_info is not None) for r in expected] == [("DEBUG", True), ("ERROR", False)]
    assert expected[0].getMessage().startswith("the traceback of 'Error downloading <GET http://127.0.0.1:9/a>")
    assert [(r.levelname, r.exc_info is not None) for r in bug] == [("ERROR", True)]


@pytest.mark.parametrize(("levels", "built"), [
    ((logging.INFO,), logging.INFO),
    ((logging.WARNING, logging.INFO), logging.INFO),
    ((logging.INFO, logging.DEBUG), logging.DEBUG),
    ((logging.INFO, logging.NOTSET), logging.DEBUG),
])
def test_records_below_every_handler_are_not_built(levels: tuple[int, ...], built: int) -> None:
    root, scrapy_logger = logging.getLogger(), logging.getLogger("scrapy")
    saved = root.level, root.handlers[:], scrapy_logger.level
    try:
        root.handlers = [logging.NullHandler(level) for level in levels]
        root.setLevel(logging.NOTSET)
        scrapy_logger.setLevel(logging.DEBUG)  # as Scrapy's configure_logging leaves them
        console.build_only_handled_records()
        for name in ("scrapy.core.engine", "PIL.PngImagePlugin"):
            assert [logging.getLogger(name).isEnabledFor(level) for level in (logging.DEBUG, logging.INFO)] == \
                [built <= logging.DEBUG, built <= logging.INFO]
    finally:
        root.handlers = saved[1]
        root.setLevel(saved[0])
        scrapy_logger.setLevel(saved[2])


def test_dropped_and_failed_items_are_named_not_dumped() -> None:
    crawler = get_crawler(FeedSpider)
    spider = FeedSpider(feed_url="http://127.0.0.1:1/feed.xml")
    spider.crawler = crawler
    item = {"url": "http://127.0.0.1:1/news/a", "text": "A long article. " * 500}
    formatter = ConsoleLogFormatter()
    for result in (formatter.dropped(item, DropItem("duplicate"), None, spider),
                   formatter.item_error(item, OSError(28, "No space left on device"), None, spider)):
        message = result["msg"] % result["args"]
        assert "http://127.0.0.1:1/news/a" in message and "A long article" not in message
    error = formatter.item_error(item, OSError(28, "No space left on device"), None, spider)
    assert error["level"] == logging.ERROR
    assert error["msg"] % error["args"] == \
        "Error processing the item of http://127.0.0.1:1/news/a: OSError: [Errno 28] No space left on device"


def test_help_lists_the_spider_arguments_without_crawling(site: FixtureSite, tmp_path: Path) -> None:
    env = environment()
    command = scrapy_command("crawl", "icmpd_news", arguments=["help=1", f"feed_url={site.base}/feed.xml"],
                             settings=[f"ICMPD_OUTPUT_DIR={tmp_path / 'out'}"])
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Spider arguments")
    for argument in ("feed_url", "mode", "help"):
        assert f"\n    {argument}: " in done.stdout
    assert done.stderr == ""
    assert site.requests == [] and not (tmp_path / "out").exists()
    archive = subprocess.run(scrapy_command("crawl", "icmpd_news_archive", arguments=["help=1"]), cwd=PROJECT_ROOT, env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    for argument in ("listing_url", "incremental", "help"):
        assert f"\n    {argument}: " in archive.stdout
    usage = subprocess.run(scrapy_command("crawl", "-h"), cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert usage.returncode == 0 and done.stdout in usage.stdout and archive.stdout in usage.stdout


def test_summary_file_of_a_refused_run_is_absent_and_its_last_line_says_why(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    result = run_crawl("http://127.0.0.1:1/feed.xml", blocked)
    assert result.returncode == 1
    last = result.log.rstrip("\n").splitlines()[-1]
    assert "] SUMMARY: FAILED (exit status 1): ICMPD_OUTPUT_DIR cannot be written: " in last
    assert result.summary() is None
    assert "Traceback" not in result.log
