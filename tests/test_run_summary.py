"""The run summary (icmpd_news/extensions/run_summary.py): the screen every run ends with, its
last line, and the same as ICMPD_OUTPUT_DIR/runs/<run-id>.summary.json."""

from __future__ import annotations

import json
from pathlib import Path

from icmpd_news.extensions.run_summary import (
    count_line,
    record_verdict,
    summary_file_in,
    summary_lines,
    summary_path,
    write_summary_file,
)
from icmpd_news.run.outcome import RunOutcome, run_outcome
from tests.crawling import project_crawler

FEED_RUN = {
    "start_time": "2026-01-01 00:00:00", "finish_reason": "finished", "icmpd/run/id": "20260101T000000Z",
    "icmpd/feed/url": "http://127.0.0.1:8000/feed.xml", "icmpd/feed/entries": 13,
    "icmpd/feed/skipped/offsite": 1, "icmpd/feed/skipped/duplicate": 2,
    "icmpd/articles/requested": 10, "icmpd/run/new": 7, "icmpd/run/updated": 1, "icmpd/run/unchanged": 1,
    "icmpd/run/removed": 0, "icmpd/export/new": 99, "icmpd/articles/gone": 1, "icmpd/articles/failed": 1,
    "icmpd/articles/failed/http_500": 1, "icmpd/articles/skipped": 2, "icmpd/articles/skipped/robots": 2,
    "icmpd/articles/extraction/site": 8, "icmpd/articles/extraction/generic": 1, "icmpd/articles/no_date": 1,
    "icmpd/images/downloaded": 5, "icmpd/images/failed": 1, "icmpd/images/failed/http_404": 1,
    "spider_exceptions/count": 1, "spider_exceptions/KeyError": 1,
    "icmpd/settings/misspelt/OUTPUTDIR": "ICMPD_OUTPUT_DIR", "icmpd/export/records": 9,
    "icmpd/monitors/run": 8, "icmpd/monitors/failed": 1, "icmpd/monitors/failed/failed_articles_monitor": "x",
}
FAILED = RunOutcome(False, "1 unhandled spider exception(s): a bug, see the log", 0.1)


def test_the_summary_says_what_the_run_did_line_by_line() -> None:
    assert summary_lines(FEED_RUN, FAILED) == [
        "feed: http://127.0.0.1:8000/feed.xml, 13 entries; skipped: duplicate 2, offsite 1",
        "articles: requested 10, new 7, updated 1, unchanged 1, gone 1, failed 1",
        "articles skipped (not failures): robots 2",
        "articles failed by kind: http_500 1",
        "extraction: site 8, generic 1; dates missing 1",
        "images: downloaded 5, failed 1; failed by kind: http_404 1",
        "unhandled spider exceptions: KeyError 1",
        "settings ignored: OUTPUTDIR (did you mean ICMPD_OUTPUT_DIR?)",
        "export: 9 records",
        "monitors: 1 of 8 failed: failed_articles_monitor",
        "outcome: FAILED (exit status 1): 1 unhandled spider exception(s): a bug, see the log",
    ]


def test_an_archive_run_without_the_run_counts_reads_the_exports() -> None:
    stats = {"icmpd/listing/pages": 3, "icmpd/listing/failed": 1, "icmpd/listing/entries": 30,
             "icmpd/listing/end": "last_page", "icmpd/export/new": 29, "icmpd/feed/error": 1,
             "icmpd/feed/error_reason": "feed X is unusable: empty body"}
    assert summary_lines(stats, RunOutcome(True, "ok", None)) == [
        "feed: -, 0 entries; skipped: none",
        "feed error: feed X is unusable: empty body",
        "listing: 3 pages read, 1 failed, 30 entries, walk ended: last_page",
        "articles: requested 0, new 29, updated 0, unchanged 0, gone 0, failed 0",
        "articles failed by kind: none",
        "export: not rewritten by this run",
        "outcome: OK (exit status 0): ok",
    ]


def test_the_last_line_names_the_verdict_the_counts_and_the_summary_file(tmp_path: Path) -> None:
    path = summary_path(tmp_path, "20260101T000000Z")
    assert path == tmp_path / "runs" / "20260101T000000Z.summary.json"
    line = count_line(FEED_RUN, FAILED, path)
    assert line == ("run 20260101T000000Z: FAILED (exit status 1): 1 unhandled spider exception(s): a bug, see the log; "
                    "articles requested 10, new 7, updated 1, unchanged 1, removed 0, gone 1, skipped 2, failed 1; "
                    f"export 9 records; details: {path}")
    assert summary_file_in(f"earlier line; details: {tmp_path}/old.summary.json\n{line}\n") == path
    assert summary_file_in("no details here") is None
    # A run that never started: the verdict and why, nothing else.
    assert count_line({}, RunOutcome(False, "ICMPD_OUTPUT_DIR cannot be written", None), None) == \
        "FAILED (exit status 1): ICMPD_OUTPUT_DIR cannot be written"
    ok = count_line({"start_time": "t"}, RunOutcome(True, "ok", None), None)
    assert ok == "OK (exit status 0); articles requested 0, new 0, updated 0, unchanged 0, removed 0, gone 0, skipped 0, failed 0"


def test_the_summary_file_holds_the_verdict_the_counts_and_every_stat(tmp_path: Path) -> None:
    path = summary_path(tmp_path, "20260101T000000Z")
    write_summary_file(path, FEED_RUN | {"icmpd/scrapyd/job": "abc"}, FAILED)
    summary = json.loads(path.read_text(encoding="utf-8"))
    assert {key: summary[key] for key in ("run_id", "scrapyd_job", "outcome", "exit_status", "reason", "finish_reason",
                                          "started", "finished")} == {
        "run_id": "20260101T000000Z", "scrapyd_job": "abc", "outcome": "failed", "exit_status": 1,
        "reason": FAILED.reason, "finish_reason": "finished", "started": "2026-01-01 00:00:00", "finished": None}
    assert summary["counts"] == {"requested": 10, "new": 7, "updated": 1, "unchanged": 1, "removed": 0, "gone": 1,
                                 "skipped": 2, "failed": 1, "export_records": 9}
    assert summary["summary"] == summary_lines(FEED_RUN, FAILED)
    assert summary["stats"] == dict(sorted((FEED_RUN | {"icmpd/scrapyd/job": "abc"}).items()))
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_the_verdict_is_kept_in_the_stats(tmp_path: Path) -> None:
    crawler = project_crawler(tmp_path)
    outcome = run_outcome({"icmpd/articles/failed": 1, "icmpd/export/new": 2}, 0.2, "finished", min_failed=3)
    record_verdict(crawler.stats, outcome)
    assert {key: crawler.stats.get_value(key) for key in ("icmpd/run/outcome", "icmpd/run/exit_code", "icmpd/run/reason",
                                                          "icmpd/run/failed_share")} == {
        "icmpd/run/outcome": "ok", "icmpd/run/exit_code": 0, "icmpd/run/failed_share": 0.333,
        "icmpd/run/reason": "1 of 3 articles failed (33%, more than ICMPD_MAX_FAILED_SHARE 20% but fewer than "
                            "ICMPD_MIN_FAILED_FOR_SHARE 3)"}
