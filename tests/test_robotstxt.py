"""robots.txt that cannot be read (icmpd_news/middlewares/robotstxt.py): unreachable means complete
disallow for its host (RFC 9309), any other 4xx means no rules."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response, TextResponse
from twisted.internet.error import ConnectionRefusedError

from icmpd_news.middlewares.robotstxt import Rfc9309RobotsTxtMiddleware, RobotsTxtUnreachable
from icmpd_news.spiders.feed import FeedSpider
from tests.crawling import project_crawler

SITE = "http://127.0.0.1:8000"
FILES = "http://127.0.0.3:8000"


@pytest.fixture
def middleware(tmp_path: Path) -> Rfc9309RobotsTxtMiddleware:
    crawler = project_crawler(tmp_path, FeedSpider, {"feed_url": f"{SITE}/feed.xml"})
    return Rfc9309RobotsTxtMiddleware(crawler)


def robots_request(url: str, **meta: object) -> Request:
    """The robots.txt request as Scrapy's middleware makes it (marked dont_obey_robotstxt)."""
    return Request(url, meta={"dont_obey_robotstxt": True, **meta})


@pytest.mark.parametrize("status", [429, 500, 503, 599])
def test_an_error_answer_is_complete_disallow_for_the_site(middleware: Rfc9309RobotsTxtMiddleware, status: int,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    request = robots_request(f"{SITE}/robots.txt")
    answer = TextResponse(request.url, status=status, body=b"User-agent: *\nAllow: /", request=request)
    assert middleware.process_response(request, answer).body == b""
    reason = (f"robots.txt of 127.0.0.1:8000 could not be read (answered HTTP {status}): RFC 9309 says to assume "
              "complete disallow, so nothing is fetched from 127.0.0.1:8000 in this run")
    assert middleware.unreachable == {"127.0.0.1:8000": reason}
    stats = middleware.crawler.stats
    assert (stats.get_value("icmpd/robotstxt/unreachable"), stats.get_value("icmpd/robotstxt/unreachable_reason")) == \
        (1, reason)
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name.endswith("robotstxt")] == [("ERROR", reason)]


@pytest.mark.parametrize("status", [200, 301, 399])
def test_an_answer_with_rules_is_left_to_scrapy(middleware: Rfc9309RobotsTxtMiddleware, status: int) -> None:
    request = robots_request(f"{SITE}/robots.txt")
    answer = TextResponse(request.url, status=status, body=b"User-agent: *\nDisallow: /private/", request=request)
    assert middleware.process_response(request, answer) is answer
    assert middleware.unreachable == {}


@pytest.mark.parametrize("status", [400, 404, 410, 428, 499])
def test_any_other_4xx_is_no_rules(middleware: Rfc9309RobotsTxtMiddleware, status: int) -> None:
    request = robots_request(f"{SITE}/robots.txt")
    answer = TextResponse(request.url, status=status, body=b"User-agent: *\nDisallow: /", request=request)
    assert middleware.process_response(request, answer).body == b""  # the error page is not parsed as rules
    assert middleware.unreachable == {}


def test_other_requests_are_not_robots_txt(middleware: Rfc9309RobotsTxtMiddleware) -> None:
    for request in (Request(f"{SITE}/robots.txt"), robots_request(f"{SITE}/news/a"),
                    robots_request(f"{SITE}/robots.txt/x")):
        answer = Response(request.url, status=503, request=request)
        assert middleware.process_response(request, answer) is answer
        assert middleware.process_exception(request, ConnectionRefusedError()) is None
    assert middleware.unreachable == {}
    # After a redirect, the robots.txt is the one first asked for.
    redirected = robots_request(f"{SITE}/errors/down.html", redirect_urls=[f"{SITE}/robots.txt"])
    middleware.process_response(redirected, Response(redirected.url, status=503, request=redirected))
    assert list(middleware.unreachable) == ["127.0.0.1:8000"]


def test_no_answer_at_all_is_unreachable_and_refuses_the_hosts_requests(middleware: Rfc9309RobotsTxtMiddleware,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(RobotsTxtUnreachable, match=r"^robots.txt of 127.0.0.1:8000 could not be read "
                                                   r"\(ConnectionRefusedError: Connection was refused by other side\): "
                                                   r"RFC 9309 says to assume complete disallow, so nothing is fetched "
                                                   r"from 127.0.0.1:8000 in this run$"):
        middleware.process_exception(robots_request(f"{SITE}/robots.txt"), ConnectionRefusedError())
    # Each later request to that host is refused with the same reason; once is enough to log it.
    middleware._parsers["127.0.0.1:8000"] = None  # what Scrapy's middleware keeps after the failed fetch
    with pytest.raises(RobotsTxtUnreachable, match="ConnectionRefusedError"):
        asyncio.run(middleware.process_request(Request(f"{SITE}/news/a", meta={"dont_obey_robotstxt": False})))
    assert asyncio.run(middleware.process_request(Request(f"{SITE}/news/a", meta={"dont_obey_robotstxt": True}))) is None
    middleware.process_response(robots_request(f"{SITE}/robots.txt"),
                                Response(f"{SITE}/robots.txt", status=503))
    assert middleware.crawler.stats.get_value("icmpd/robotstxt/unreachable") == 1
    assert sum(r.levelname == "ERROR" for r in caplog.records) == 1


def test_another_hosts_unreachable_robots_txt_is_a_warning(middleware: Rfc9309RobotsTxtMiddleware,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    request = robots_request(f"{FILES}/robots.txt")
    middleware.process_response(request, Response(request.url, status=503, request=request))
    stats = middleware.crawler.stats
    assert (stats.get_value("icmpd/robotstxt/unreachable_other"), stats.get_value("icmpd/robotstxt/unreachable")) == \
        (1, None)
    assert [r.levelname for r in caplog.records if r.name.endswith("robotstxt")] == ["WARNING"]
    assert "(not the crawled site: its files are tried again by the next run)" in caplog.text
