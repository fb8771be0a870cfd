"""A run's outcome from its final stats, a pure function: did it do its job, and its exit status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from icmpd_news.stats import (
    ARTICLES_FAILED,
    ARTICLES_FRESH,
    ARTICLES_GONE,
    CONDITIONAL_NOT_MODIFIED_ARTICLE,
    EXPORT_NEW,
    EXPORT_RESTORED,
    EXPORT_UNCHANGED,
    EXPORT_UPDATED,
    FEED_ERROR,
    FEED_ERROR_REASON,
    LISTING_FAILED,
    LISTING_PAGES,
    ROBOTSTXT_UNREACHABLE,
    ROBOTSTXT_UNREACHABLE_REASON,
    WRITE_ERROR,
)

EXIT_OK = 0
EXIT_FAILED = 1
# The finish reason of a crawl that never closed: stopped by force (a second Ctrl-C or SIGTERM).
FORCED_SHUTDOWN = "forced_shutdown"
# Finish reasons of a crawl stopped early, in words; others read "stopped before finishing (<reason>)".
STOPPED_EARLY = {
    "shutdown": "incomplete: stopped by Ctrl-C or SIGTERM; the next run completes it",
    FORCED_SHUTDOWN: "incomplete: forced shutdown (a second Ctrl-C or SIGTERM) before the crawl could close; "
                     "the next run takes over what it finished and completes it",
}


@dataclass(frozen=True)
class RunOutcome:
    """ok is False when the run failed its job; reason says why in one line."""

    ok: bool
    reason: str
    failed_share: float | None

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FAILED


def count(stats: Mapping[str, Any], key: str) -> int:
    """An integer stat, 0 when absent or not a number."""
    value = stats.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# The articles a run accounted for: exported, confirmed without a download, gone or failed (not skipped).
ACCOUNTED = (
    EXPORT_NEW, EXPORT_UPDATED, EXPORT_UNCHANGED, EXPORT_RESTORED,
    CONDITIONAL_NOT_MODIFIED_ARTICLE, ARTICLES_FRESH, ARTICLES_GONE,
    ARTICLES_FAILED,
)


def accounted_articles(stats: Mapping[str, Any]) -> int:
    """How many articles the run accounted for (see ACCOUNTED)."""
    return sum(count(stats, key) for key in ACCOUNTED)


def run_outcome(
    stats: Mapping[str, Any], max_failed_share: float, finish_reason: str | None = None, *, min_failed: int,
) -> RunOutcome:
    """Judge a finished run from its stats (docs/operations.md, "Run outcome and exit status"): it
    fails on a failed write, an unreadable robots.txt of the site, a feed error or no listing page
    read, an unhandled spider exception, an early stop, or when more than `max_failed_share` of
    the ACCOUNTED articles failed, at least `min_failed` of them or every one.
    """
    accounted = accounted_articles(stats)
    failed = count(stats, ARTICLES_FAILED)  # gone articles (404/410) are counted apart
    share = failed / accounted if accounted else None
    if stats.get(WRITE_ERROR):
        return RunOutcome(False, str(stats[WRITE_ERROR]), share)
    if count(stats, ROBOTSTXT_UNREACHABLE):
        reason = stats.get(ROBOTSTXT_UNREACHABLE_REASON) or "a robots.txt could not be read"
        return RunOutcome(False, str(reason), share)
    if count(stats, FEED_ERROR):
        reason = stats.get(FEED_ERROR_REASON) or "the feed could not be fetched or parsed"
        return RunOutcome(False, str(reason), share)
    if count(stats, LISTING_FAILED) and not count(stats, LISTING_PAGES):
        return RunOutcome(False, "archive mode: no listing page could be read", share)
    exceptions = count(stats, "spider_exceptions/count")
    if exceptions:
        return RunOutcome(False, f"{exceptions} unhandled spider exception(s): a bug, see the log", share)
    finish_reason = finish_reason or stats.get("finish_reason")
    if finish_reason not in (None, "finished"):
        reason = STOPPED_EARLY.get(finish_reason, f"the crawl stopped before finishing ({finish_reason})")
        return RunOutcome(False, reason, share)
    if not share:
        return RunOutcome(True, "ok", share)
    counted = f"{failed} of {accounted} articles failed ({share:.0%}"
    if share <= max_failed_share:
        return RunOutcome(True, f"{counted}), within ICMPD_MAX_FAILED_SHARE", share)
    if failed == accounted:
        return RunOutcome(False, f"{counted}: every article the run accounted for)", share)
    if failed >= min_failed:
        return RunOutcome(False, f"{counted}, more than ICMPD_MAX_FAILED_SHARE {max_failed_share:.0%})", share)
    return RunOutcome(True, f"{counted}, more than ICMPD_MAX_FAILED_SHARE {max_failed_share:.0%} but fewer than "
                            f"ICMPD_MIN_FAILED_FOR_SHARE {min_failed})", share)
