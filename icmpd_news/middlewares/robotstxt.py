"""robots.txt as RFC 9309 (section 2.3.1) reads one that cannot be read (docs/design.md, "Requests")."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from icmpd_news.stats import ROBOTSTXT_UNREACHABLE, ROBOTSTXT_UNREACHABLE_OTHER, ROBOTSTXT_UNREACHABLE_REASON
from icmpd_news.urls import same_site

logger = logging.getLogger(__name__)

ROBOTS_PATH = "/robots.txt"
# Answers that leave the rules unknown: assume complete disallow.
UNREACHABLE_STATUSES = frozenset({429}) | frozenset(range(500, 600))


class RobotsTxtUnreachable(IgnoreRequest):
    """The request was not sent: its host's robots.txt could not be read (RFC 9309: complete disallow)."""


class Rfc9309RobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, plus RFC 9309 for a robots.txt that answers an error or nothing:
    5xx, 429 or no answer (after the retries) refuses every request to that host with
    RobotsTxtUnreachable (one ERROR line for the crawled site, a warning for another host); any
    other 4xx means no rules."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.unreachable: dict[str, str] = {}

    async def process_request(self, request: Request) -> None:  # type: ignore[override]
        """Scrapy's check, then refuse every request to a host whose robots.txt was unreachable."""
        await super().process_request(request)
        reason = self.unreachable.get(urlparse_cached(request).netloc)
        if reason is not None and not request.meta.get("dont_obey_robotstxt"):
            raise RobotsTxtUnreachable(reason)

    def process_response(self, request: Request, response: Response) -> Response:
        """robots.txt's final answer: an unreachable status is noted; any error leaves no rules to parse."""
        host = _robots_host(request)
        if host is None or 200 <= response.status < 400:
            return response
        if response.status in UNREACHABLE_STATUSES:
            self._unreachable(host, f"answered HTTP {response.status}")
        return response.replace(body=b"")

    def process_exception(self, request: Request, exception: Exception) -> None:
        """robots.txt could not be fetched at all (after the retries): unreachable, raised as an
        IgnoreRequest (Scrapy's middleware would log the error again, with a traceback)."""
        host = _robots_host(request)
        if host is None or isinstance(exception, IgnoreRequest):
            return
        reason = self._unreachable(host, f"{type(exception).__name__}: {str(exception).rstrip('.')}")
        raise RobotsTxtUnreachable(reason)

    def _unreachable(self, host: str, why: str) -> str:
        reason = (f"robots.txt of {host} could not be read ({why}): RFC 9309 says to assume complete disallow, "
                  f"so nothing is fetched from {host} in this run")
        if host in self.unreachable:
            return reason
        self.unreachable[host] = reason
        stats = self.crawler.stats
        site = getattr(self.crawler.spider, "site", None)
        if site and not same_site(f"http://{host}/", site):
            stats.inc_value(ROBOTSTXT_UNREACHABLE_OTHER)
            logger.warning("%s (not the crawled site: its files are tried again by the next run)", reason)
            return reason
        stats.inc_value(ROBOTSTXT_UNREACHABLE)
        if stats.get_value(ROBOTSTXT_UNREACHABLE_REASON) is None:
            stats.set_value(ROBOTSTXT_UNREACHABLE_REASON, reason)
        logger.error("%s", reason)
        return reason


def _robots_host(request: Request) -> str | None:
    """The host whose robots.txt `request` (redirected or not) fetches, None for any other request."""
    if not request.meta.get("dont_obey_robotstxt"):
        return None
    first = urlsplit(request.meta.get("redirect_urls", [request.url])[0])
    return first.netloc if first.path == ROBOTS_PATH else None
