"""The pure parts of the hostile-input handling, without a crawl: the run verdict, Retry-After,
charset repair, extraction bounds and feed refusals."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from scrapy.http import HtmlResponse

from icmpd_news.extract import ExtractionFailed, extract_article
from icmpd_news.extract.feeds import FeedError, parse_feed
from icmpd_news.extract.limits import ExtractionTimeout, time_limit
from icmpd_news.middlewares.charset import corrected_encoding
from icmpd_news.middlewares.retry import retry_after_seconds
from icmpd_news.run.outcome import run_outcome
from tests.conftest import Catcher
from tests.hostile_pages import article_text, page

BASE = "http://127.0.0.1:8000"


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


@pytest.mark.parametrize(("value", "expected"), [
    (b"120", 120.0),
    (b" 0 ", 0.0),
    ("Sat, 28 Nov 2026 06:00:30 GMT", 30.0),
    (b"Sat, 28 Nov 2026 05:00:00 GMT", 0.0),
    (b"soon", None),
    (None, None),
])
def test_retry_after_seconds(value: bytes | str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 28, 6, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(value, now=now) == expected


@pytest.mark.parametrize(("content_type", "body", "expected"), [
    ("text/html; charset=iso-8859-1", '<meta charset="utf-8"><p>Eržen</p>'.encode(), "utf-8"),
    ("text/html; charset=utf-8", '<meta charset="windows-1252"><p>“Eržen”</p>'.encode("cp1252"), "cp1252"),
    ("text/html; charset=utf-8", "<p>“Eržen”</p>".encode("cp1252"), "cp1252"),
    ("text/html; charset=utf-8", "<p>“Eržen”</p>".encode(), None),
    ("text/html; charset=windows-1252", "<p>“Eržen”</p>".encode("cp1252"), None),
    ("text/html; charset=windows-1252", b"\xef\xbb\xbf" + "<p>Eržen</p>".encode(), None),
    ("text/html", "<p>“Eržen”</p>".encode(), None),
    ("text/html; charset=utf-8", b"<p>plain ASCII</p>", None),
])
def test_corrected_encoding(content_type: str, body: bytes, expected: str | None) -> None:
    assert corrected_encoding(content_type, body) == expected


def _response(html: str) -> HtmlResponse:
    return HtmlResponse(url=f"{BASE}/news/x", body=html.encode(), encoding="utf-8")


def test_element_cap_refuses_before_extracting() -> None:
    html = page(0, BASE)
    assert extract_article(_response(html), site="127.0.0.1", max_elements=100).text == article_text(0)
    with pytest.raises(ExtractionFailed, match=r"more than 50 elements \(ICMPD_EXTRACT_MAX_ELEMENTS\)") as failed:
        extract_article(_response(html), site="127.0.0.1", max_elements=50)
    assert failed.value.kind == "too_complex"


def test_time_limit_interrupts_and_disarms() -> None:
    with pytest.raises(ExtractionTimeout), time_limit(0.2):
        while True:
            time.sleep(0.01)
    with time_limit(0.2):
        pass
    time.sleep(0.3)  # an alarm left armed would raise here


def test_json_and_entity_declarations_are_refused() -> None:
    with pytest.raises(FeedError, match="looks like JSON"):
        parse_feed(b'  [{"title": "x"}]', f"{BASE}/feed.xml")
    internal = b'<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]><rss version="2.0"><channel><title>a&nbsp;b</title></channel></rss>'
    with pytest.raises(FeedError, match=r"declares 1 XML entities \(nbsp\)"):
        parse_feed(internal, f"{BASE}/feed.xml")


def test_external_dtd_reference_alone_is_accepted_and_not_loaded(catcher: Catcher) -> None:
    rss091 = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
              + f'"{catcher.base}/rss-0.91.dtd"><rss version="0.91"><channel><title>t</title>'.encode()
              + b"<item><title>A</title><link>/news/a</link></item></channel></rss>")
    feed = parse_feed(rss091, f"{BASE}/feed.xml")
    assert [entry.link for entry in feed.entries] == [f"{BASE}/news/a"]
    assert catcher.connections == 0
