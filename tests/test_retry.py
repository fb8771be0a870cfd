"""Retries (icmpd_news/middlewares/retry.py): how long each retry waits, and how long a Retry-After asks
for the whole host."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.http import Response
from twisted.internet.error import TCPTimedOutError

from icmpd_news.middlewares.retry import BackoffRetryMiddleware, retry_after_seconds
from tests.crawling import project_crawler


@pytest.mark.parametrize(("value", "expected"), [
    (b"120", 120.0),
    (b" 0 ", 0.0),
    ("Sat, 28 Nov 2026 06:00:30 GMT", 30.0),
    ("Sat, 28 Nov 2026 06:00:30 -0000", 30.0),  # a date without a zone of its own: UTC
    (b"Sat, 28 Nov 2026 05:00:00 GMT", 0.0),
    (b"soon", None),
    (None, None),
])
def test_retry_after_seconds(value: bytes | str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 28, 6, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(value, now=now) == expected


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the middleware asks for, in seconds (recorded, not slept)."""
    asked: list[float] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return asked


@pytest.fixture
def middleware(tmp_path: Path) -> BackoffRetryMiddleware:
    crawler = project_crawler(tmp_path, Spider, {"name": "test"}, ICMPD_RETRY_BACKOFF_BASE=1.0,
                              ICMPD_RETRY_BACKOFF_MAX=3.0, ICMPD_RETRY_AFTER_MAX=120.0, RETRY_TIMES=3)
    return BackoffRetryMiddleware.from_crawler(crawler)


def answer(request: Request, status: int, retry_after: str | None = None) -> Response:
    return Response(request.url, status=status, request=request,
                    headers={"Retry-After": retry_after} if retry_after is not None else {})


def test_retries_wait_twice_as_long_each_time_up_to_the_maximum(middleware: BackoffRetryMiddleware,
                                                                  waits: list[float]) -> None:
    request = Request("http://127.0.0.1:8000/news/a")
    for _ in range(3):
        retry = asyncio.run(middleware.process_response(request, answer(request, 500)))
        assert isinstance(retry, Request) and retry.url == request.url
        request = retry
    assert waits == [1.0, 2.0, 3.0]  # 1, 2, then 4 capped at ICMPD_RETRY_BACKOFF_MAX
    final = answer(request, 500)
    assert asyncio.run(middleware.process_response(request, final)) is final  # RETRY_TIMES used up
    assert middleware.crawler.stats.get_value("retry/count") == 3


def test_retry_after_pauses_the_whole_host_and_is_counted(middleware: BackoffRetryMiddleware,
                                                          waits: list[float]) -> None:
    request = Request("http://127.0.0.1:8000/news/a")
    retry = asyncio.run(middleware.process_response(request, answer(request, 503, "30")))
    assert isinstance(retry, Request)
    assert waits == [30.0]  # more than the backoff's 1 s
    assert middleware.crawler.stats.get_value("icmpd/retry/retry_after") == 1
    # Another page of the same host waits out the rest of the pause; another host does not.
    asyncio.run(middleware.process_request(Request("http://127.0.0.1:8000/news/b")))
    asyncio.run(middleware.process_request(Request("http://127.0.0.2:8000/news/b")))
    assert len(waits) == 2 and 29 < waits[1] <= 30
    # A short pause is waited out too, to the end.
    middleware.paused_until["127.0.0.3:8000"] = time.monotonic() + 0.5
    asyncio.run(middleware.process_request(Request("http://127.0.0.3:8000/news/c")))
    assert len(waits) == 3 and 0.4 < waits.pop() <= 0.5
    # A Retry-After shorter than the backoff does not shorten it; a 500's Retry-After is not read.
    retry = asyncio.run(middleware.process_response(retry, answer(retry, 429, "0")))
    assert waits[2] == 2.0
    asyncio.run(middleware.process_response(retry, answer(retry, 500, "60")))
    assert waits[3] == 3.0 and middleware.crawler.stats.get_value("icmpd/retry/retry_after") == 2


def test_a_retry_after_beyond_the_maximum_is_not_waited_for(middleware: BackoffRetryMiddleware, waits: list[float],
                                                            caplog: pytest.LogCaptureFixture) -> None:
    request = Request("http://127.0.0.1:8000/news/a")
    response = answer(request, 429, "121")
    assert asyncio.run(middleware.process_response(request, response)) is response
    assert waits == [] and middleware.paused_until == {}
    assert middleware.crawler.stats.get_value("icmpd/retry/retry_after_too_long") == 1
    assert ("http://127.0.0.1:8000/news/a asked to wait 121 s (Retry-After), more than ICMPD_RETRY_AFTER_MAX 120 s: "
            "not retried") in caplog.text
    exactly = answer(request, 429, "120")
    assert isinstance(asyncio.run(middleware.process_response(request, exactly)), Request)


def test_what_is_not_retried_passes_through(middleware: BackoffRetryMiddleware, waits: list[float]) -> None:
    request = Request("http://127.0.0.1:8000/news/a")
    for response in (answer(request, 200), answer(request, 404)):
        assert asyncio.run(middleware.process_response(request, response)) is response
    told = Request("http://127.0.0.1:8000/news/a", meta={"dont_retry": True})
    assert asyncio.run(middleware.process_response(told, answer(told, 503))).status == 503
    assert asyncio.run(middleware.process_exception(told, TimeoutError())) is None
    assert asyncio.run(middleware.process_exception(request, ValueError("a bug"))) is None
    assert waits == []


def test_a_timeout_is_retried_after_the_backoff(middleware: BackoffRetryMiddleware, waits: list[float]) -> None:
    request = Request("http://127.0.0.1:8000/news/a")
    retry = asyncio.run(middleware.process_exception(request, TCPTimedOutError()))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
    assert asyncio.run(middleware.process_exception(retry, TCPTimedOutError())).meta["retry_times"] == 2
    assert waits == [1.0, 2.0]
