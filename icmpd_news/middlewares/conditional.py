"""Conditional requests: ask the site "changed since?" with the validators of the last run.

The spider marks the requests that may be conditional with request.meta[CONDITIONAL]:

  SKIP (article pages): send the URL's stored ETag / Last-Modified; a 304 reaches the callback
      as is (the spider lists 304 in handle_httpstatus_list) and means "the exported record is
      current": nothing is downloaded or extracted, and the state store notes when the site
      confirmed it (the spider's ICMPD_REVALIDATE_AFTER_SECONDS reads that). Validators are stored
      elsewhere (CrawlRun, at item_scraped), only once the article's record is safely exported.
  REPLAY (feeds): the feed's entries are needed even when it did not change (an article can
      change without its feed changing), so a 200 answer is stored with its validators and a
      304 is answered from that copy, as a 200 the spider parses as usual, flagged "stored"
      (NOT_MODIFIED_FLAG) so the spider knows the feed did not change.

Validators are looked up for the URL actually requested: after the feed's legacy link
redirects (301) to the canonical page, it is the canonical page's request that carries them,
so an unchanged article costs a bodiless 301 and a bodiless 304. Validators a redirected
request inherited from its predecessor are removed first.

Runs at 585, after HttpCompressionMiddleware (590) in the response chain: the stored feed is
the decoded body. Stats: see icmpd_news.stats, Requests.
"""

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
    """Send stored validators; answer a feed's 304 from its stored copy (see the module docstring)."""

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
            stored = self.store.feed(request.url)
            validators = stored.validators if stored else None
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
