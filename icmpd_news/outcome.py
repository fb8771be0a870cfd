"""A run's outcome from its stats: did it do its job, and what exit status tells cron and Scrapyd.

One pure function over the final stats, so the run summary (log and stats) and the `crawl`
command's exit status can never disagree, and other issues' counters feed in by naming alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


def run_outcome(stats: Mapping[str, Any], max_failed_share: float, finish_reason: str | None = None) -> RunOutcome:
    """Judge a finished run from its stats.

    A run fails when a write to the dataset failed (`icmpd/write/error`: disk full, read-only,
    ...), when the feed could not be fetched or parsed (`icmpd/feed/error`), or in
    archive mode not one listing page could be read (`icmpd/listing/*`), when the
    spider raised an unhandled exception (a bug: some work was silently lost), when the crawl
    stopped before finishing (memory limit, shutdown, timeout), or when more than
    `max_failed_share` of the articles it requested failed. Gone articles (404/410) are the
    site's decision, not a failure.
    """
    requested = count(stats, "icmpd/articles/requested")
    failed = count(stats, "icmpd/articles/failed")  # gone articles (404/410) are counted apart
    share = failed / requested if requested else None
    if stats.get("icmpd/write/error"):
        return RunOutcome(False, str(stats["icmpd/write/error"]), share)
    if count(stats, "icmpd/feed/error"):
        reason = stats.get("icmpd/feed/error_reason") or "the feed could not be fetched or parsed"
        return RunOutcome(False, str(reason), share)
    if count(stats, "icmpd/listing/failed") and not count(stats, "icmpd/listing/pages"):
        return RunOutcome(False, "archive mode: no listing page could be read", share)
    exceptions = count(stats, "spider_exceptions/count")
    if exceptions:
        return RunOutcome(False, f"{exceptions} unhandled spider exception(s): a bug, see the log", share)
    finish_reason = finish_reason or stats.get("finish_reason")
    if finish_reason not in (None, "finished"):
        reason = STOPPED_EARLY.get(finish_reason, f"the crawl stopped before finishing ({finish_reason})")
        return RunOutcome(False, reason, share)
    if share is not None and share > max_failed_share:
        return RunOutcome(
            False,
            f"{failed} of {requested} articles failed ({share:.0%}, more than MAX_FAILED_SHARE {max_failed_share:.0%})",
            share,
        )
    if share:
        return RunOutcome(True, f"{failed} of {requested} articles failed ({share:.0%}), within MAX_FAILED_SHARE", share)
    return RunOutcome(True, "ok", share)
