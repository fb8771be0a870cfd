"""Conditional requests with the validators of the last run (docs/design.md, "Requests")."""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.statscollectors import StatsCollector

from icmpd_news.dataset.state import StateStore, Validators
from icmpd_news.extensions.crawl_run import CrawlRun
from icmpd_news.stats import CONDITIONAL_NOT_MODIFIED_ARTICLE, CONDITIONAL_NOT_MODIFIED_FEED, CONDITIONAL_SENT

logger = logging.getLogger(__name__)

CONDITIONAL = "icmpd_conditional"
SKIP = "skip"
REPLAY = "replay"
# Response flag of a feed answered from its stored copy after a 304.
NOT_MODIFIED_FLAG = "stored"
_CONDITION_HEADERS = (b"If-None-Match", b"If-Modified-Since")


class ConditionalRequestMiddleware:
    """For requests marked meta[CONDITIONAL]: SKIP (article pages) sends the URL's stored
    validators, and a 304 reaches the callback as is, noted as a check in the state store; REPLAY
    (feeds) stores each 200 with its validators and answers a 304 from that copy as a 200
    flagged NOT_MODIFIED_FLAG. Validators a redirected request inherited are removed first."""

    def __init__(self, store: StateStore, stats: StatsCollector) -> None:
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        run = crawler.get_extension(CrawlRun)
        if run is None:
            raise NotConfigured("ConditionalRequestMiddleware needs the CrawlRun extension (its state store)")
        return cls(run.store, crawler.stats)

    def process_request(self, request: Request) -> None:
        mode = request.meta.get(CONDITIONAL)
        if mode not in (SKIP, REPLAY):
            return
        for name in _CONDITION_HEADERS:
            request.headers.pop(name, None)
        if mode == SKIP:
            validators = self.store.page_validators(request.url)
        else:
            validators = self.store.feed_validators(request.url)
        if not validators:
            return
        if validators.etag:
            request.headers[b"If-None-Match"] = validators.etag
        if validators.last_modified:
            request.headers[b"If-Modified-Since"] = validators.last_modified
        self.stats.inc_value(CONDITIONAL_SENT)

    def process_response(self, request: Request, response: Response) -> Response:
        mode = request.meta.get(CONDITIONAL)
        if mode == SKIP and response.status == 304:
            self.stats.inc_value(CONDITIONAL_NOT_MODIFIED_ARTICLE)
            self.store.mark_checked([*request.meta.get("redirect_urls", []), request.url])
            logger.debug("not modified: %s", request.url)
        elif mode == REPLAY and response.status == 304:
            stored = self.store.feed(request.url)
            if stored is None:
                logger.error("feed %s answered 304 but no copy of it is stored", request.url)
                return response
            self.stats.inc_value(CONDITIONAL_NOT_MODIFIED_FEED)
            logger.info("feed %s not modified: using the copy from the last run", request.url)
            headers = Headers({b"Content-Type": stored.content_type} if stored.content_type else {})
            cls = responsetypes.from_args(headers=headers, url=response.url, body=stored.body)
            return cls(
                url=response.url, status=200, headers=headers, body=stored.body, request=request, flags=[NOT_MODIFIED_FLAG]
            )
        elif mode == REPLAY and response.status == 200:
            content_type = response.headers.get(b"Content-Type")
            self.store.remember_feed(
                request.url, Validators.from_headers(response.headers),
                content_type.decode("latin-1") if content_type else None, response.body,
            )
        return response
