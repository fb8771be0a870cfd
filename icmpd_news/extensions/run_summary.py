"""The run summary: one screen at the end of every run, from the stats alone, and the same as
ICMPD_OUTPUT_DIR/runs/<run-id>.summary.json (docs/operations.md, "Run outcome and exit status")."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.statscollectors import StatsCollector

from icmpd_news.dataset.jsonl import atomic_file
from icmpd_news.dataset.write_failures import write_failure
from icmpd_news.extensions.crawl_run import RUNS_DIR
from icmpd_news.run.console import SUMMARY
from icmpd_news.run.outcome import FORCED_SHUTDOWN, RunOutcome, count, run_outcome
from icmpd_news.stats import (
    ARTICLES_FAILED,
    ARTICLES_GONE,
    ARTICLES_NO_DATE,
    ARTICLES_REQUESTED,
    ARTICLES_SKIPPED,
    EXPORT_CHANGES,
    EXPORT_RECORDS,
    FEED_DISCOVERED_URL,
    FEED_ENTRIES,
    FEED_ERROR,
    FEED_ERROR_REASON,
    FEED_PREFIX,
    FEED_URL,
    LISTING_END,
    LISTING_ENTRIES,
    LISTING_FAILED,
    LISTING_PAGES,
    LISTING_PREFIX,
    MEDIA_FILES,
    MEDIA_IMAGES,
    MEDIA_PREFIX,
    MONITORS_FAILED,
    MONITORS_RUN,
    REEXTRACT_FROM_ARCHIVE,
    RUN_COUNTS,
    RUN_EXIT_CODE,
    RUN_FAILED_SHARE,
    RUN_ID,
    RUN_OUTCOME,
    RUN_REASON,
    RUN_UNCHANGED,
    SCRAPYD_JOB,
    WARC_BYTES,
    WARC_EXCHANGES,
    WARC_FILES,
    WARC_SIZE,
    WRITE_ERROR,
    articles_extraction,
    articles_failed,
    articles_skipped,
    feed_skipped,
    media_failed,
    media_stat,
    monitors_failed,
    settings_misspelt,
)

logger = logging.getLogger(__name__)

SUMMARY_SUFFIX = ".summary.json"
# How the count line ends: it names the summary file.
DETAILS = "; details: "
_DETAILS = re.compile(rf"{re.escape(DETAILS)}(\S+{re.escape(SUMMARY_SUFFIX)})$", re.MULTILINE)


def _by_kind(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """{kind: n} for every integer stat named prefix + kind (one level deep), largest first."""
    found = {
        key[len(prefix):]: value for key, value in stats.items()
        if key.startswith(prefix) and "/" not in key[len(prefix):] and isinstance(value, int)
    }
    return dict(sorted(found.items(), key=lambda pair: (-pair[1], pair[0])))


def _pairs(values: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {value}" for name, value in values.items()) or "none"


def summary_lines(stats: Mapping[str, Any], outcome: RunOutcome) -> list[str]:
    """The summary as lines of text (logged as one record)."""
    lines = []
    if any(key.startswith(FEED_PREFIX) for key in stats):
        feed = stats.get(FEED_URL) or stats.get(FEED_DISCOVERED_URL) or "-"
        lines.append(f"feed: {feed}, {count(stats, FEED_ENTRIES)} entries; skipped: "
                     f"{_pairs(_by_kind(stats, feed_skipped.prefix))}")
    if count(stats, FEED_ERROR):
        lines.append(f"feed error: {stats.get(FEED_ERROR_REASON)}")
    if any(key.startswith(LISTING_PREFIX) for key in stats):
        lines.append(f"listing: {count(stats, LISTING_PAGES)} pages read, "
                     f"{count(stats, LISTING_FAILED)} failed, {count(stats, LISTING_ENTRIES)} entries, "
                     f"walk ended: {stats.get(LISTING_END, '-')}")
    source = RUN_COUNTS if RUN_UNCHANGED in stats else EXPORT_CHANGES  # as in run_counts
    lines.append(
        "articles: requested {requested}, new {new}, updated {updated}, unchanged {unchanged}, "
        "gone {gone}, failed {failed}".format(
            requested=count(stats, ARTICLES_REQUESTED), new=count(stats, source["new"]),
            updated=count(stats, source["updated"]), unchanged=count(stats, source["unchanged"]),
            gone=count(stats, ARTICLES_GONE), failed=count(stats, ARTICLES_FAILED),
        )
    )
    if count(stats, ARTICLES_SKIPPED):
        lines.append(f"articles skipped (not failures): {_pairs(_by_kind(stats, articles_skipped.prefix))}")
    lines.append(f"articles failed by kind: {_pairs(_by_kind(stats, articles_failed.prefix))}")
    extraction = _by_kind(stats, articles_extraction.prefix)
    if extraction:
        lines.append(f"extraction: {_pairs(extraction)}; dates missing {count(stats, ARTICLES_NO_DATE)}")
    for media in (MEDIA_FILES, MEDIA_IMAGES):
        counts = _by_kind(stats, media_stat(MEDIA_PREFIX, media))
        if counts:
            failed_kinds = _by_kind(stats, media_stat(media_failed.prefix, media))
            lines.append(f"{media}: {_pairs(counts)}; failed by kind: {_pairs(failed_kinds)}")
    errors = {key: value for key, value in _by_kind(stats, "spider_exceptions/").items() if key != "count"}
    if errors:
        lines.append(f"unhandled spider exceptions: {_pairs(errors)}")
    misspelt = [f"{key.rsplit('/', 1)[1]} (did you mean {value}?)" for key, value in stats.items()
                if key.startswith(settings_misspelt.prefix)]
    if WARC_FILES in stats:
        reextracted = count(stats, REEXTRACT_FROM_ARCHIVE)
        lines.append(f"web archive: {count(stats, WARC_FILES)} files, {count(stats, WARC_SIZE) / 2**20:.1f} MiB; this run "
                     f"wrote {count(stats, WARC_EXCHANGES)} responses ({count(stats, WARC_BYTES) / 2**10:.0f} KiB)"
                     + (f", extracted {reextracted} again from it" if reextracted else ""))
    if misspelt:
        lines.append(f"settings ignored: {', '.join(sorted(misspelt))}")
    if EXPORT_RECORDS in stats:
        lines.append(f"export: {count(stats, EXPORT_RECORDS)} records")
    else:
        lines.append("export: not rewritten by this run")
    if MONITORS_RUN in stats:
        failed_monitors = [key.rsplit("/", 1)[1] for key in stats if key.startswith(monitors_failed.prefix)]
        lines.append(f"monitors: {count(stats, MONITORS_FAILED)} of {count(stats, MONITORS_RUN)} "
                     f"failed{': ' + ', '.join(sorted(failed_monitors)) if failed_monitors else ''}")
    lines.append(f"outcome: {'OK' if outcome.ok else 'FAILED'} (exit status {outcome.exit_code}): {outcome.reason}")
    return lines


def run_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """The run's article counts: CrawlRun's when it kept them (with 304s as unchanged), else the export's."""
    source = RUN_COUNTS if RUN_UNCHANGED in stats else EXPORT_CHANGES
    counts = {name: count(stats, source[name]) for name in ("new", "updated", "unchanged", "removed")}
    return {"requested": count(stats, ARTICLES_REQUESTED), **counts, "gone": count(stats, ARTICLES_GONE),
            "skipped": count(stats, ARTICLES_SKIPPED), "failed": count(stats, ARTICLES_FAILED)}


def count_line(stats: Mapping[str, Any], outcome: RunOutcome, summary_file: Path | None) -> str:
    """The summary's last line: verdict, reason, and the counts of a crawl that started."""
    run = f"run {stats[RUN_ID]}: " if stats.get(RUN_ID) else ""
    verdict = f"{'OK' if outcome.ok else 'FAILED'} (exit status {outcome.exit_code})"
    reason = "" if outcome.reason == "ok" else f": {outcome.reason}"
    if "start_time" not in stats:
        return f"{run}{verdict}{reason}"
    counts = ", ".join(f"{name} {value}" for name, value in run_counts(stats).items())
    export = f"; export {count(stats, EXPORT_RECORDS)} records" if EXPORT_RECORDS in stats else ""
    details = f"{DETAILS}{summary_file}" if summary_file else ""
    return f"{run}{verdict}{reason}; articles {counts}{export}{details}"


def summary_file_in(log: str) -> Path | None:
    """The summary file a run's log names on its last count line, if any."""
    named = _DETAILS.findall(log)
    return Path(named[-1]) if named else None


def record_verdict(stats: StatsCollector, outcome: RunOutcome) -> None:
    """The verdict as stats: outcome, exit code, reason, failed share (icmpd_news.stats, Run)."""
    stats.set_value(RUN_OUTCOME, "ok" if outcome.ok else "failed")
    stats.set_value(RUN_EXIT_CODE, outcome.exit_code)
    stats.set_value(RUN_REASON, outcome.reason)
    if outcome.failed_share is not None:
        stats.set_value(RUN_FAILED_SHARE, round(outcome.failed_share, 3))


def summary_path(output_dir: Path, run_id: str) -> Path:
    """Where a run's summary file is: ICMPD_OUTPUT_DIR/runs/<run-id>.summary.json."""
    return output_dir / RUNS_DIR / f"{run_id}{SUMMARY_SUFFIX}"


def write_summary_file(path: Path, stats: Mapping[str, Any], outcome: RunOutcome) -> None:
    """Write the run's summary as JSON, atomically: verdict, counts, the summary's lines, every stat."""
    summary = {
        "run_id": stats.get(RUN_ID),
        "scrapyd_job": stats.get(SCRAPYD_JOB),
        "outcome": "ok" if outcome.ok else "failed",
        "exit_status": outcome.exit_code,
        "reason": outcome.reason,
        "finish_reason": stats.get("finish_reason"),
        "started": stats.get("start_time"),
        "finished": stats.get("finish_time"),
        "counts": {**run_counts(stats), "export_records": stats.get(EXPORT_RECORDS)},
        "summary": summary_lines(stats, outcome),
        "stats": dict(sorted(stats.items())),
    }
    with atomic_file(path) as handle:
        json.dump(summary, handle, indent=1, ensure_ascii=False, default=str)
        handle.write("\n")


def finish_run(crawler: Crawler, refusal: str | None = None) -> int:
    """Once the crawl is over: judge the run, write its summary file, log its summary last; return the
    exit status. A crawl that never started (`refusal`) gets the count line alone."""
    try:
        stats = crawler.stats.get_stats()
    except RuntimeError:  # the crawl stopped before Scrapy set up its stats (a refused argument)
        stats = {}
    if refusal or "start_time" not in stats:
        outcome = RunOutcome(False, refusal or "the crawl could not start (see the lines above)", None)
        logger.log(SUMMARY, "%s", count_line(stats, outcome, None))
        return outcome.exit_code
    reason = stats.get("finish_reason") or FORCED_SHUTDOWN
    outcome = run_outcome(stats, crawler.settings.getfloat("ICMPD_MAX_FAILED_SHARE"), finish_reason=reason,
                          min_failed=crawler.settings.getint("ICMPD_MIN_FAILED_FOR_SHARE"))
    record_verdict(crawler.stats, outcome)
    path: Path | None = None
    if stats.get(RUN_ID):
        path = summary_path(Path(crawler.settings["ICMPD_OUTPUT_DIR"]).absolute(), stats[RUN_ID])
        try:
            write_summary_file(path, stats, outcome)
        except OSError as error:
            outcome = RunOutcome(False, str(stats.get(WRITE_ERROR) or write_failure(error, path)),
                                 outcome.failed_share)
            record_verdict(crawler.stats, outcome)
            path = None
    text = "\n  ".join(summary_lines(stats, outcome))
    logger.log(logging.INFO if outcome.ok else logging.WARNING, "Run summary (%s):\n  %s", reason, text)
    logger.log(SUMMARY, "%s", count_line(stats, outcome, path))
    return outcome.exit_code


class RunSummary:
    """On spider_closed: store the verdict in the stats (finish_run judges again once the crawl is over)."""

    def __init__(self, stats: StatsCollector, max_failed_share: float, min_failed: int) -> None:
        self.stats = stats
        self.max_failed_share = max_failed_share
        self.min_failed = min_failed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        settings = crawler.settings
        extension = cls(crawler.stats, settings.getfloat("ICMPD_MAX_FAILED_SHARE"), settings.getint("ICMPD_MIN_FAILED_FOR_SHARE"))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        outcome = run_outcome(self.stats.get_stats(), self.max_failed_share, finish_reason=reason,
                              min_failed=self.min_failed)
        record_verdict(self.stats, outcome)
