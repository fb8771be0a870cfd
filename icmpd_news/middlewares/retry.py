"""Retries that wait: backoff, and Retry-After for the whole host (docs/design.md, "Requests")."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

from icmpd_news.stats import RETRY_AFTER, RETRY_AFTER_TOO_LONG

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = (429, 503)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (seconds or HTTP date, 0 when past); None when unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting before each retry: a 429/503's Retry-After for the whole
    host (not retried when over ICMPD_RETRY_AFTER_MAX), else ICMPD_RETRY_BACKOFF_BASE * 2**(retry - 1)
    seconds, at most ICMPD_RETRY_BACKOFF_MAX."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("ICMPD_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("ICMPD_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("ICMPD_RETRY_AFTER_MAX")
        self.paused_until: dict[str, float] = {}

    def backoff(self, request: Request) -> float:
        """The wait before the next retry of `request` when the server gave no Retry-After."""
        retries = request.meta.get("retry_times", 0)
        return min(self.backoff_max, self.backoff_base * 2 ** retries)

    async def process_request(self, request: Request) -> None:
        """Hold a request to a host that asked us to wait (Retry-After) until the wait is over."""
        until = self.paused_until.get(urlparse_cached(request).netloc)
        if until is not None:
            remaining = until - time.monotonic()
            if remaining > 0:
                await asyncio.sleep(remaining)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = self.backoff(request)
        if response.status in RETRY_AFTER_STATUSES:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None and asked > self.retry_after_max:
                self.crawler.stats.inc_value(RETRY_AFTER_TOO_LONG)
                logger.warning(
                    "%s asked to wait %.0f s (Retry-After), more than ICMPD_RETRY_AFTER_MAX %.0f s: not retried",
                    request.url, asked, self.retry_after_max,
                )
                return response
            if asked is not None:
                wait = max(wait, asked)
                host = urlparse_cached(request).netloc
                self.paused_until[host] = max(self.paused_until.get(host, 0.0), time.monotonic() + asked)
                self.crawler.stats.inc_value(RETRY_AFTER)
                logger.info("%s answered %d with Retry-After: pausing %s for %.1f s", request.url,
                            response.status, host, asked)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await asyncio.sleep(wait)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self.backoff(request))
        return retry
