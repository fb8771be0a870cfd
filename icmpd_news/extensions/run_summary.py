"""The run summary: one screen at the end of every run saying what it did and what went wrong.

It reads only stats, by their documented names (`icmpd/...`), so counters that other parts of
the project add (files, state, monitors) show up here without this module knowing them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.statscollectors import StatsCollector

from icmpd_news.outcome import RunOutcome, count, run_outcome

logger = logging.getLogger(__name__)


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
    if any(key.startswith("icmpd/feed/") for key in stats):
        feed = stats.get("icmpd/feed/url") or stats.get("icmpd/feed/discovered_url") or "-"
        lines.append(f"feed: {feed}, {count(stats, 'icmpd/feed/entries')} entries; skipped: "
                     f"{_pairs(_by_kind(stats, 'icmpd/feed/skipped/'))}")
    if count(stats, "icmpd/feed/error"):
        lines.append(f"feed error: {stats.get('icmpd/feed/error_reason')}")
    if any(key.startswith("icmpd/listing/") for key in stats):
        lines.append(f"listing: {count(stats, 'icmpd/listing/pages')} pages read, "
                     f"{count(stats, 'icmpd/listing/failed')} failed, {count(stats, 'icmpd/listing/entries')} entries, "
                     f"walk ended: {stats.get('icmpd/listing/end', '-')}")
    # The run's own counts when the run extension kept them (its "unchanged" includes the
    # articles the site answered 304 for), else the export's.
    source = "icmpd/run" if "icmpd/run/unchanged" in stats else "icmpd/export"
    lines.append(
        "articles: requested {requested}, new {new}, updated {updated}, unchanged {unchanged}, "
        "gone {gone}, failed {failed}".format(
            requested=count(stats, "icmpd/articles/requested"), new=count(stats, f"{source}/new"),
            updated=count(stats, f"{source}/updated"), unchanged=count(stats, f"{source}/unchanged"),
            gone=count(stats, "icmpd/articles/gone"), failed=count(stats, "icmpd/articles/failed"),
        )
    )
    if count(stats, "icmpd/articles/skipped"):
        lines.append(f"articles skipped (not failures): {_pairs(_by_kind(stats, 'icmpd/articles/skipped/'))}")
    lines.append(f"articles failed by kind: {_pairs(_by_kind(stats, 'icmpd/articles/failed/'))}")
    extraction = _by_kind(stats, "icmpd/articles/extraction/")
    if extraction:
        lines.append(f"extraction: {_pairs(extraction)}; dates missing {count(stats, 'icmpd/articles/no_date')}")
    for media in ("files", "images"):
        counts = _by_kind(stats, f"icmpd/{media}/")
        if counts:
            lines.append(f"{media}: {_pairs(counts)}; failed by kind: {_pairs(_by_kind(stats, f'icmpd/{media}/failed/'))}")
    errors = {key: value for key, value in _by_kind(stats, "spider_exceptions/").items() if key != "count"}
    if errors:
        lines.append(f"unhandled spider exceptions: {_pairs(errors)}")
    misspelt = [f"{key.rsplit('/', 1)[1]} (did you mean {value}?)" for key, value in stats.items()
                if key.startswith("icmpd/settings/misspelt/")]
    if misspelt:
        lines.append(f"settings ignored: {', '.join(sorted(misspelt))}")
    lines.append(f"export: {count(stats, 'icmpd/export/records')} records")
    if "icmpd/monitors/run" in stats:
        failed_monitors = [key.rsplit("/", 1)[1] for key in stats if key.startswith("icmpd/monitors/failed/")]
        lines.append(f"monitors: {count(stats, 'icmpd/monitors/failed')} of {count(stats, 'icmpd/monitors/run')} "
                     f"failed{': ' + ', '.join(sorted(failed_monitors)) if failed_monitors else ''}")
    lines.append(f"outcome: {'OK' if outcome.ok else 'FAILED'} (exit status {outcome.exit_code}): {outcome.reason}")
    return lines


class RunSummary:
    """On spider_closed: judge the run, log the summary, and store the verdict in the stats.

    Stats: icmpd/run/outcome ("ok" or "failed"), icmpd/run/exit_code, icmpd/run/reason,
    icmpd/run/failed_share (failed / accounted articles, absent when none were accounted for).
    """

    def __init__(self, stats: StatsCollector, max_failed_share: float, min_failed: int) -> None:
        self.stats = stats
        self.max_failed_share = max_failed_share
        self.min_failed = min_failed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        settings = crawler.settings
        extension = cls(crawler.stats, settings.getfloat("MAX_FAILED_SHARE"), settings.getint("MIN_FAILED_FOR_SHARE"))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.stats.get_stats()
        outcome = run_outcome(stats, self.max_failed_share, finish_reason=reason, min_failed=self.min_failed)
        self.stats.set_value("icmpd/run/outcome", "ok" if outcome.ok else "failed")
        self.stats.set_value("icmpd/run/exit_code", outcome.exit_code)
        self.stats.set_value("icmpd/run/reason", outcome.reason)
        if outcome.failed_share is not None:
            self.stats.set_value("icmpd/run/failed_share", round(outcome.failed_share, 3))
        text = "\n  ".join(summary_lines(stats, outcome))
        logger.log(logging.INFO if outcome.ok else logging.ERROR, "Run summary (%s):\n  %s", reason, text)
