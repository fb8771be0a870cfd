"""The run's verdict from its final stats (icmpd_news/run/outcome.py): ok or failed, why, and the exit status."""

from __future__ import annotations

import pytest

from icmpd_news.run.outcome import run_outcome


@pytest.mark.parametrize(("stats", "ok", "reason"), [
    ({"icmpd/export/new": 10, "finish_reason": "finished"}, True, "ok"),
    ({"icmpd/export/new": 8, "icmpd/articles/failed": 2, "finish_reason": "finished"}, True,
     "2 of 10 articles failed (20%), within ICMPD_MAX_FAILED_SHARE"),
    ({"icmpd/export/new": 7, "icmpd/articles/failed": 3, "finish_reason": "finished"}, False,
     "3 of 10 articles failed (30%, more than ICMPD_MAX_FAILED_SHARE 20%)"),
    ({"icmpd/feed/error": 1, "icmpd/feed/error_reason": "feed X is unusable: empty body"}, False,
     "feed X is unusable: empty body"),
    ({"icmpd/export/new": 10, "spider_exceptions/count": 1, "finish_reason": "finished"}, False,
     "1 unhandled spider exception(s): a bug, see the log"),
    ({"icmpd/export/new": 10, "finish_reason": "memusage_exceeded"}, False,
     "the crawl stopped before finishing (memusage_exceeded)"),
    ({"icmpd/feed/entries": 0, "finish_reason": "finished"}, True, "ok"),
    ({"icmpd/listing/failed": 3, "finish_reason": "finished"}, False, "archive mode: no listing page could be read"),
    ({"icmpd/listing/failed": 1, "icmpd/listing/pages": 4, "icmpd/export/new": 40,
      "finish_reason": "finished"}, True, "ok"),
])
def test_run_outcome(stats: dict, ok: bool, reason: str) -> None:
    outcome = run_outcome(stats, max_failed_share=0.2, min_failed=3)
    assert (outcome.ok, outcome.reason, outcome.exit_code) == (ok, reason, 0 if ok else 1)


def test_gone_and_skipped_articles_are_not_failures() -> None:
    stats = {"icmpd/articles/requested": 6, "icmpd/articles/gone": 4, "icmpd/articles/skipped": 2,
             "icmpd/articles/skipped/robots": 2, "finish_reason": "finished"}
    assert run_outcome(stats, max_failed_share=0.2, min_failed=3).reason == "ok"


@pytest.mark.parametrize(("stats", "ok", "reason"), [
    # A quiet re-run: one article asked (it failed), nine confirmed without a download.
    ({"icmpd/articles/failed": 1, "icmpd/conditional/not_modified/article": 5, "icmpd/articles/fresh": 4}, True,
     "1 of 10 articles failed (10%), within ICMPD_MAX_FAILED_SHARE"),
    # The share over a handful is noise below the minimum count...
    ({"icmpd/articles/failed": 2, "icmpd/export/unchanged": 1, "icmpd/articles/gone": 1}, True,
     "2 of 4 articles failed (50%, more than ICMPD_MAX_FAILED_SHARE 20% but fewer than ICMPD_MIN_FAILED_FOR_SHARE 3)"),
    # ... and counts from it on.
    ({"icmpd/articles/failed": 3, "icmpd/export/updated": 1, "icmpd/export/restored": 1}, False,
     "3 of 5 articles failed (60%, more than ICMPD_MAX_FAILED_SHARE 20%)"),
    # Nothing worked: a failure whatever the count.
    ({"icmpd/articles/failed": 1}, False, "1 of 1 articles failed (100%: every article the run accounted for)"),
])
def test_failed_share_is_taken_over_accounted_articles_from_a_minimum(stats: dict, ok: bool, reason: str) -> None:
    outcome = run_outcome(stats | {"finish_reason": "finished"}, max_failed_share=0.2, min_failed=3)
    assert (outcome.ok, outcome.reason) == (ok, reason)


def test_max_failed_share_one_never_fails_on_share() -> None:
    assert run_outcome({"icmpd/articles/failed": 2, "finish_reason": "finished"}, max_failed_share=1, min_failed=3).ok
