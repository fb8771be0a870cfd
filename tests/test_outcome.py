"""The run's verdict from its final stats (icmpd_news/run/outcome.py): ok or failed, why, and the exit status."""

from __future__ import annotations

import pytest

from icmpd_news.run.outcome import ACCOUNTED, RunOutcome, accounted_articles, count, run_outcome


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


@pytest.mark.parametrize(("stats", "finish_reason", "expected"), [
    # A failed write decides first, whatever else happened.
    ({"icmpd/write/error": "disk full: articles.jsonl", "icmpd/robotstxt/unreachable": 1, "icmpd/feed/error": 1},
     None, RunOutcome(False, "disk full: articles.jsonl", None)),
    ({"icmpd/robotstxt/unreachable": 1, "icmpd/robotstxt/unreachable_reason": "robots.txt of h could not be read",
      "icmpd/feed/error": 1}, None, RunOutcome(False, "robots.txt of h could not be read", None)),
    ({"icmpd/robotstxt/unreachable": 2}, None, RunOutcome(False, "a robots.txt could not be read", None)),
    ({"icmpd/robotstxt/unreachable": True}, None, RunOutcome(True, "ok", None)),  # not a count
    ({"icmpd/feed/error": 1}, None, RunOutcome(False, "the feed could not be fetched or parsed", None)),
    ({"icmpd/listing/failed": 1, "spider_exceptions/count": 2}, None,
     RunOutcome(False, "archive mode: no listing page could be read", None)),
    ({"spider_exceptions/count": 2, "icmpd/export/new": 4}, "shutdown",
     RunOutcome(False, "2 unhandled spider exception(s): a bug, see the log", 0.0)),
    # The finish reason given wins over the one in the stats (the crawl command's judgement).
    ({"finish_reason": "finished"}, "shutdown",
     RunOutcome(False, "incomplete: stopped by Ctrl-C or SIGTERM; the next run completes it", None)),
    ({"finish_reason": "closespider_timeout"}, None,
     RunOutcome(False, "the crawl stopped before finishing (closespider_timeout)", None)),
    ({}, "forced_shutdown", RunOutcome(False, "incomplete: forced shutdown (a second Ctrl-C or SIGTERM) before the crawl "
                                              "could close; the next run takes over what it finished and completes it",
                                       None)),
    ({}, None, RunOutcome(True, "ok", None)),
    # Exactly at the share: within it.
    ({"icmpd/articles/failed": 3, "icmpd/export/new": 12}, "finished",
     RunOutcome(True, "3 of 15 articles failed (20%), within ICMPD_MAX_FAILED_SHARE", 0.2)),
    # Exactly at the minimum count: counts.
    ({"icmpd/articles/failed": 3, "icmpd/export/new": 11}, "finished",
     RunOutcome(False, "3 of 14 articles failed (21%, more than ICMPD_MAX_FAILED_SHARE 20%)", 3 / 14)),
])
def test_what_fails_a_run_in_order(stats: dict, finish_reason: str | None, expected: RunOutcome) -> None:
    assert run_outcome(stats, max_failed_share=0.2, finish_reason=finish_reason, min_failed=3) == expected


@pytest.mark.parametrize("key", [key for key in ACCOUNTED if key != "icmpd/articles/failed"])
def test_every_accounted_kind_counts_towards_the_share(key: str) -> None:
    stats = {"icmpd/articles/failed": 3, key: 9, "icmpd/articles/skipped": 50, "icmpd/export/removed": 50}
    assert accounted_articles(stats) == 12
    assert run_outcome(stats, max_failed_share=0.25, min_failed=3) == \
        RunOutcome(True, "3 of 12 articles failed (25%), within ICMPD_MAX_FAILED_SHARE", 0.25)


def test_count_takes_integers_only() -> None:
    assert [count({"a": value}, "a") for value in (3, True, 2.0, "4", None)] == [3, 0, 0, 0, 0]
    assert count({}, "a") == 0
    assert (RunOutcome(True, "ok", None).exit_code, RunOutcome(False, "x", None).exit_code) == (0, 1)
