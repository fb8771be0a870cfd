"""Conditional requests (icmpd_news/middlewares/conditional.py): stored validators go out, a 304
confirms the exported record for every URL of the redirect chain, and an unchanged feed is
answered from its stored copy."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response, XmlResponse

from icmpd_news.dataset.state import Validators
from icmpd_news.extensions.crawl_run import CrawlRun
from icmpd_news.middlewares.conditional import (
    CONDITIONAL,
    NOT_MODIFIED_FLAG,
    REPLAY,
    SKIP,
    ConditionalRequestMiddleware,
)
from tests.crawling import project_crawler

LEGACY = "http://127.0.0.1:8000/news-centre/news-detail/a/"
PAGE = "http://127.0.0.1:8000/news/a"
FEED = "http://127.0.0.1:8000/feed.xml"
ETAG, MODIFIED = '"v1"', "Fri, 01 Jan 2021 00:00:00 GMT"


@pytest.fixture
def middleware(tmp_path: Path) -> ConditionalRequestMiddleware:
    crawler = project_crawler(tmp_path)
    middleware = ConditionalRequestMiddleware.from_crawler(crawler)
    middleware.store.remember_article(PAGE, [LEGACY, PAGE], PAGE, Validators(ETAG, MODIFIED))
    return middleware


def conditions(request: Request) -> tuple[bytes | None, bytes | None]:
    return request.headers.get(b"If-None-Match"), request.headers.get(b"If-Modified-Since")


def test_an_article_request_sends_its_pages_validators_and_nothing_else(middleware: ConditionalRequestMiddleware) -> None:
    page = Request(PAGE, meta={CONDITIONAL: SKIP})
    middleware.process_request(page)
    assert conditions(page) == (ETAG.encode(), MODIFIED.encode())
    # The legacy link carries no validators of its own: after its redirect, validators it
    # inherited from an earlier request are removed.
    legacy = Request(LEGACY, meta={CONDITIONAL: SKIP}, headers={"If-None-Match": '"old"', "If-Modified-Since": "x"})
    middleware.process_request(legacy)
    assert conditions(legacy) == (None, None)
    # A request not marked conditional is left as it is.
    plain = Request(PAGE, headers={"If-None-Match": '"mine"'})
    middleware.process_request(plain)
    assert conditions(plain) == (b'"mine"', None)
    assert middleware.stats.get_value("icmpd/conditional/sent") == 1


def test_an_etag_alone_or_a_date_alone_is_sent_alone(middleware: ConditionalRequestMiddleware) -> None:
    other = "http://127.0.0.1:8000/news/b"
    middleware.store.remember_article(other, [other], other, Validators(None, MODIFIED))
    request = Request(other, meta={CONDITIONAL: SKIP})
    middleware.process_request(request)
    assert conditions(request) == (None, MODIFIED.encode())


def test_a_304_marks_every_url_of_the_redirect_chain_checked(middleware: ConditionalRequestMiddleware) -> None:
    before = time.time()
    time.sleep(0.01)
    assert middleware.store.checked_since(before) == set()
    request = Request(PAGE, meta={CONDITIONAL: SKIP, "redirect_urls": [LEGACY]})
    response = Response(PAGE, status=304, request=request)
    assert middleware.process_response(request, response) is response
    assert middleware.store.checked_since(before) == {LEGACY, PAGE}
    assert middleware.stats.get_value("icmpd/conditional/not_modified/article") == 1
    # Asked at its own URL, no redirect: that URL alone.
    other = "http://127.0.0.1:8000/news/b"
    middleware.store.remember_article(other, [other], other, Validators('"b"', None))
    since = time.time()
    time.sleep(0.01)
    direct = Request(other, meta={CONDITIONAL: SKIP})
    middleware.process_response(direct, Response(other, status=304, request=direct))
    assert middleware.store.checked_since(since) == {other}


def test_a_200_is_no_confirmation(middleware: ConditionalRequestMiddleware) -> None:
    before = time.time()
    time.sleep(0.01)
    request = Request(PAGE, meta={CONDITIONAL: SKIP})
    middleware.process_response(request, HtmlResponse(PAGE, body=b"<p>x</p>", request=request, headers={"ETag": '"v2"'}))
    assert middleware.store.checked_since(before) == set()
    assert middleware.store.feed(PAGE) is None  # an article's answer is not kept as a feed
    assert middleware.stats.get_value("icmpd/conditional/not_modified/article") is None


def test_a_feed_is_stored_with_its_validators_and_replayed_on_304(middleware: ConditionalRequestMiddleware) -> None:
    body = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
    first = Request(FEED, meta={CONDITIONAL: REPLAY})
    middleware.process_request(first)
    assert conditions(first) == (None, None)  # nothing stored yet
    answer = XmlResponse(FEED, body=body, request=first,
                         headers={"ETag": '"f1"', "Content-Type": "application/rss+xml; charset=utf-8"})
    assert middleware.process_response(first, answer) is answer
    stored = middleware.store.feed(FEED)
    assert (stored.body, stored.validators, stored.content_type) == \
        (body, Validators('"f1"', None), "application/rss+xml; charset=utf-8")

    again = Request(FEED, meta={CONDITIONAL: REPLAY})
    middleware.process_request(again)
    assert conditions(again) == (b'"f1"', None)
    replayed = middleware.process_response(again, Response(FEED, status=304, request=again))
    assert (replayed.status, replayed.body, replayed.flags) == (200, body, [NOT_MODIFIED_FLAG])
    assert isinstance(replayed, XmlResponse) and replayed.request is again
    assert replayed.headers[b"Content-Type"] == b"application/rss+xml; charset=utf-8"
    assert middleware.stats.get_value("icmpd/conditional/not_modified/feed") == 1
    assert middleware.stats.get_value("icmpd/conditional/sent") == 1


def test_a_feed_304_without_a_stored_copy_is_passed_on_and_logged(middleware: ConditionalRequestMiddleware,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    request = Request(FEED, meta={CONDITIONAL: REPLAY})
    response = Response(FEED, status=304, request=request)
    assert middleware.process_response(request, response) is response
    assert f"feed {FEED} answered 304 but no copy of it is stored" in caplog.text
    assert middleware.stats.get_value("icmpd/conditional/not_modified/feed") is None


def test_a_feed_stored_without_a_content_type_is_replayed_without_one(middleware: ConditionalRequestMiddleware) -> None:
    middleware.store.remember_feed(FEED, Validators(None, MODIFIED), None, b"<rss/>")
    request = Request(FEED, meta={CONDITIONAL: REPLAY})
    middleware.process_request(request)
    assert conditions(request) == (None, MODIFIED.encode())
    replayed = middleware.process_response(request, Response(FEED, status=304, request=request))
    assert (replayed.status, replayed.body, replayed.headers.get(b"Content-Type")) == (200, b"<rss/>", None)


def test_a_feed_answered_without_a_content_type_is_stored_without_one(middleware: ConditionalRequestMiddleware) -> None:
    request = Request(FEED, meta={CONDITIONAL: REPLAY})
    middleware.process_response(request, Response(FEED, body=b"<rss/>", request=request, headers={"ETag": '"f"'}))
    stored = middleware.store.feed(FEED)
    assert (stored.body, stored.content_type, stored.validators) == (b"<rss/>", None, Validators('"f"', None))


def test_it_needs_the_runs_state_store(tmp_path: Path) -> None:
    crawler = project_crawler(tmp_path)
    assert ConditionalRequestMiddleware.from_crawler(crawler).store is crawler.get_extension(CrawlRun).store
