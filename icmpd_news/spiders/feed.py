"""The icmpd_news spider: the feed, then each article page it lists on its site."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from twisted.python.failure import Failure

from icmpd_news.extract.feeds import Feed, FeedEntry, FeedError, feed_from_rows, feed_to_rows, parse_feed
from icmpd_news.middlewares.conditional import CONDITIONAL, NOT_MODIFIED_FLAG, REPLAY
from icmpd_news.spiders.archive import ArchiveSpider
from icmpd_news.spiders.arguments import SpiderArgumentError
from icmpd_news.spiders.base import ArticleSpider
from icmpd_news.stats import (
    ARTICLES_FRESH,
    ARTICLES_REQUESTED,
    FEED_DISCOVERED_URL,
    FEED_ENTRIES,
    FEED_ERROR,
    FEED_ERROR_REASON,
    FEED_RECOVERED,
    FEED_REUSED,
    FEED_URL,
)
from icmpd_news.urls import as_requested, canonical_url, same_site

logger = logging.getLogger(__name__)

DEFAULT_FEED_URL = "https://www.icmpd.org/news"
FEED_LINK_XPATH = (
    "//link[@rel='alternate'][@type='application/rss+xml' or @type='application/atom+xml']/@href"
)
# The feed goes before every article request.
FEED_PRIORITY = 100


class FeedSpider(ArticleSpider):
    """Crawl ICMPD's news feed and export every article it lists, complete, from its page. An
    HTML page at `feed_url` is followed to the feed it advertises (<link rel="alternate">).

    Spider arguments (``-a name=value``):
        feed_url: the feed, or a page advertising one. Default: https://www.icmpd.org/news.
            Only article links on this URL's site (its host, www. and bare variants alike)
            are crawled; links elsewhere are logged and counted, never fetched.
        mode: deprecated: `-a mode=archive` runs the icmpd_news_archive spider (with its
            listing_url and incremental arguments) and says so; use that spider's name.
        help: 1 lists these arguments and exits without crawling (`scrapy crawl -h` too).
        Any other argument is an error naming the accepted ones: the crawl does not start.
        Scrapyd's own (_job, _version) are accepted.
    """

    name = "icmpd_news"
    arguments = ("feed_url", "mode")

    def __init__(self, feed_url: str = DEFAULT_FEED_URL, mode: str = "feed", **kwargs: Any) -> None:
        if mode != "feed":
            raise SpiderArgumentError(f"mode must be feed (archive, deprecated, runs {ArchiveSpider.name}), got {mode!r}")
        super().__init__("feed_url", feed_url, **kwargs)
        self.feed_url = feed_url
        self.revalidate_after = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticleSpider:
        if kwargs.get("mode") == "archive":
            logger.warning("-a mode=archive is deprecated and goes in the next release: "
                           "run `scrapy crawl %s` instead (running it now)", ArchiveSpider.name)
            kwargs.pop("mode")
            return ArchiveSpider.from_crawler(crawler, *args, **kwargs)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.revalidate_after = crawler.settings.getfloat("ICMPD_REVALIDATE_AFTER_SECONDS")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The feed (or the page that advertises it), after the records an older extraction
        produced, answered from the web archive."""
        self.open_dataset()
        for request in self.reextraction_requests():
            yield request
        yield self._feed_request(self.feed_url, discovered=False)

    def _feed_request(self, url: str, discovered: bool) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_feed, errback=self.feed_failed, dont_filter=True,
            priority=FEED_PRIORITY, cb_kwargs={"discovered": discovered}, meta={CONDITIONAL: REPLAY},
        )

    def parse_feed(self, response: Response, discovered: bool) -> Iterator[scrapy.Request]:
        """Parse the feed and request every new article link on the feed's site."""
        stats = self.crawler.stats
        # The feed answered 304: articles confirmed within ICMPD_REVALIDATE_AFTER_SECONDS are not asked again.
        is_confirmed: Callable[[str], bool] | None = None
        if NOT_MODIFIED_FLAG in response.flags and self.state_store is not None and self.revalidate_after > 0:
            confirmed = self.state_store.checked_since(time.time() - self.revalidate_after)
            if confirmed:
                # Asked twice per link (reading the kept entries, then below), answered once.
                is_confirmed = functools.cache(lambda link: as_requested(link) in confirmed)
        try:
            feed = self._parsed(response, is_confirmed)
        except FeedError as error:
            # Only an HTML page can advertise a feed; an XML body is never re-parsed outside feeds.py.
            advertised = response.xpath(FEED_LINK_XPATH).get() if isinstance(response, HtmlResponse) else None
            if advertised and not discovered:
                feed_url = urljoin(response.url, advertised.strip())
                if not same_site(feed_url, self.site):
                    self._feed_error(f"{response.url} advertises a feed off the site, {feed_url}: not followed")
                    return
                self.logger.info("%s is a page, not a feed: following its advertised feed %s", response.url, feed_url)
                stats.set_value(FEED_DISCOVERED_URL, feed_url)
                yield self._feed_request(feed_url, discovered=True)
                return
            self._feed_error(f"feed {response.url} is unusable: {error}")
            return
        stats.set_value(FEED_URL, response.url)
        stats.set_value(FEED_ENTRIES, len(feed.entries))
        if feed.recovered:
            stats.inc_value(FEED_RECOVERED)
            self.logger.warning("feed %s is malformed XML; recovered %d entries", response.url, len(feed.entries))
        if not feed.entries:
            self.logger.warning("feed %s lists no entries: nothing to crawl", response.url)
        fresh = 0
        for entry in feed.entries:
            canonical = canonical_url(entry.link) if entry.link else None
            if canonical in self.seen_links and canonical in self.outdated:
                continue  # extracted again from the web archive already
            problem = self.link_problem(entry.link)
            if problem:
                self.skip_link("feed", entry.link, entry.title, problem)
                continue
            if is_confirmed is not None and is_confirmed(entry.link):
                self.seen_links.add(canonical)
                stats.inc_value(ARTICLES_FRESH)
                fresh += 1
                continue
            stats.inc_value(ARTICLES_REQUESTED)
            yield self._article_request(entry, response.url, feed.language)
        if fresh:
            self.logger.info("feed %s unchanged since the last run: %d of its articles were confirmed by the site "
                             "less than ICMPD_REVALIDATE_AFTER_SECONDS (%g) ago and are not requested again",
                             response.url, fresh, self.revalidate_after)

    def _parsed(self, response: Response, is_confirmed: Callable[[str], bool] | None) -> Feed:
        """The feed's entries (without their bodies: the article's text comes from its page). On a 304,
        those parsed from the same stored copy before by the same extraction version, when the state
        store kept them (FEED_REUSED); an entry whose link `is_confirmed` with its link alone."""
        store = self.state_store
        if NOT_MODIFIED_FLAG in response.flags and store is not None:
            kept = store.parsed_feed(response.url)
            feed = feed_from_rows(*kept, is_confirmed) if kept is not None else None
            if feed is not None:
                self.crawler.stats.set_value(FEED_REUSED, 1)
                return feed
        feed = parse_feed(response.body, response.url, with_content=False)
        if store is not None and response.status == 200:
            store.remember_parsed_feed(response.url, *feed_to_rows(feed))
        return feed

    def _article_request(self, entry: FeedEntry, feed_url: str, language: str | None) -> scrapy.Request:
        return self.article_page_request(entry.link, {"source": feed_url, "entry": entry, "language": language})

    def redirect_scheduled(self, request: scrapy.Request) -> None:
        """Also drop and report the feed's redirect off the site (dont_filter exempts it from OffsiteMiddleware)."""
        super().redirect_scheduled(request)
        if request.callback == self.parse_feed and self.is_offsite_redirect(request):
            origin = request.meta.get("redirect_urls", [request.url])[0]
            self._feed_error(f"feed {origin} redirected off the site to {request.url}: not followed")
            raise IgnoreRequest(f"feed redirected off the site to {request.url}")

    def feed_failed(self, failure: Failure) -> None:
        """The feed itself could not be fetched: a feed error."""
        self._feed_error(f"feed {failure.request.url} could not be fetched: {self.failure_message(failure)}")

    def _feed_error(self, message: str) -> None:
        self.crawler.stats.inc_value(FEED_ERROR)
        self.crawler.stats.set_value(FEED_ERROR_REASON, message)
        self.logger.error(message)
