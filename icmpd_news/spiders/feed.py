"""The icmpd_news spider: decides what to fetch (the feed, then each article page on its site)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from icmpd_news.spiders.arguments import SpiderArgumentError, check_spider_arguments
from icmpd_news.extensions.crawl_run import CrawlRun
from icmpd_news.extract import ExtractionFailed, PageArticle, extract_article, split_category
from icmpd_news.extract.listing import ListingEntry
from icmpd_news.run.failures import failure_kind
from icmpd_news.extract.feeds import Feed, FeedEntry, FeedError, parse_feed
from icmpd_news.items import Article
from icmpd_news.loaders import ArticleLoader
from icmpd_news.middlewares.conditional import CONDITIONAL, NOT_MODIFIED_FLAG, REPLAY, SKIP
from icmpd_news.browser.addon import render_meta, url_patterns
from icmpd_news.signals import article_gone
from icmpd_news.spiders.archive import DEFAULT_LISTING_URL, ArchiveWalk
from icmpd_news.dataset.state import StateStore
from icmpd_news.urls import canonical_url, same_site, site_host

DEFAULT_FEED_URL = "https://www.icmpd.org/news"
FEED_LINK_XPATH = (
    "//link[@rel='alternate'][@type='application/rss+xml' or @type='application/atom+xml']/@href"
)
MODES = ("feed", "archive")
NO_LISTING_ENTRY = ListingEntry(link=None)
# _article_request's answer for an article the site confirmed recently (not requested again).
FRESH = object()


def _flag(name: str, value: str | bool) -> bool:
    """A yes/no spider argument: 1/0, true/false, yes/no, on/off."""
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise SpiderArgumentError(f"{name} must be 1 or 0 (true/false, yes/no), got {value!r}")


class NewsSpider(ArchiveWalk, scrapy.Spider):
    """Crawl ICMPD's news feed and export every article it lists, complete, from its page.

    Source: the RSS 2.0 or Atom feed at `feed_url`. When `feed_url` answers with an HTML page
    instead (the default, ICMPD's news page, whose feed address changed with the 2021
    redesign), the feed that page advertises with <link rel="alternate"> is used.

    Spider arguments (``-a name=value``):
        feed_url: the feed, or a page advertising one. Default: https://www.icmpd.org/news.
            Only article links on this URL's site (its host, www. and bare variants alike)
            are crawled; links elsewhere are logged and counted, never fetched.
        mode: "feed" (default) or "archive": walk the paginated news listing instead of the
            feed and request every article it lists that the export does not hold yet
            (spiders/archive.py). One spider for both, so Scrapyd, settings, pipelines and
            monitors are shared and both modes merge into the same articles.jsonl.
        listing_url: archive mode's first listing page. Default: https://www.icmpd.org/news.
            Its site is the one crawled (feed_url is not used in archive mode).
        incremental: archive mode only; 1 stops the walk at the first listing page whose
            articles are all exported already. Default 0: walk every page (resumes an
            interrupted backfill; known articles are still not re-fetched).
        help: 1 lists these arguments and exits without crawling (`scrapy crawl -h` too);
            the crawl command answers it, the spider never sees it.
        Any other argument is an error (SpiderArgumentError, naming the accepted ones): the
        crawl does not start. Scrapyd's own (_job, _version) are accepted and kept as
        attributes, as Scrapy does.

    Settings it reads: OUTPUT_DIR (via the pipelines), REVALIDATE_AFTER_SECONDS, FILE_HOSTS, MIN_TEXT_CHARS,
    EXTRACT_MAX_TREE_SIZE, EXTRACT_MAX_BYTES, EXTRACT_MAX_ELEMENTS, EXTRACT_MAX_DEPTH,
    EXTRACT_TIME_LIMIT, REDIRECT_MAX_TIMES, RENDER_ENABLED, RENDER_URL_PATTERNS,
    RENDER_SETTLE_SECONDS (see settings.py and README.md).

    A page without an article body is requested once more through the browser (when
    RENDER_ENABLED); the spider decides that, extraction only ever sees HTML.
    """

    name = "icmpd_news"
    # The spider arguments, in the order the docstring describes them.
    arguments = ("feed_url", "mode", "listing_url", "incremental")

    def __init__(
        self, feed_url: str = DEFAULT_FEED_URL, mode: str = "feed", listing_url: str = DEFAULT_LISTING_URL,
        incremental: str | bool = False, **kwargs: Any,
    ) -> None:
        check_spider_arguments(kwargs, self.arguments)
        super().__init__(**kwargs)
        if mode not in MODES:
            raise SpiderArgumentError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode = mode
        self.feed_url = feed_url
        self.setup_archive(listing_url, _flag("incremental", incremental))
        source_name, source = ("listing_url", listing_url) if mode == "archive" else ("feed_url", feed_url)
        self.site = site_host(urlsplit(source).hostname)
        if not self.site or urlsplit(source).scheme not in ("http", "https"):
            raise SpiderArgumentError(f"{source_name} must be an http(s) URL, got {source!r}")
        # The downloader's OffsiteMiddleware enforces this for every request, redirects included.
        self.allowed_domains = [self.site]
        self.seen_links: set[str] = set()
        # Not `state`: Scrapy's SpiderState extension pickles spider.state into JOBDIR.
        self.state_store: StateStore | None = None
        self.revalidate_after = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        # Read once: the settings cannot change during a crawl, and parse_article runs per page.
        spider._extract_options = {
            "file_hosts": frozenset(h.lower() for h in settings.getlist("FILE_HOSTS")),
            "min_text_chars": settings.getint("MIN_TEXT_CHARS"),
            "max_tree_size": settings.getint("EXTRACT_MAX_TREE_SIZE") or None,
            "max_bytes": settings.getint("EXTRACT_MAX_BYTES") or None,
            "max_elements": settings.getint("EXTRACT_MAX_ELEMENTS") or None,
            "max_depth": settings.getint("EXTRACT_MAX_DEPTH") or None,
            "time_limit_seconds": settings.getfloat("EXTRACT_TIME_LIMIT") or None,
        }
        spider.revalidate_after = settings.getfloat("REVALIDATE_AFTER_SECONDS")
        spider._render_patterns = url_patterns(settings)
        # Scrapy drops a redirected request without calling its errback in two cases: the
        # OffsiteMiddleware refuses it as it is scheduled (a redirect off the site), and the
        # duplicate filter drops it (a redirect back to a URL already requested). Both cost
        # an article, so both are counted and logged here.
        crawler.signals.connect(spider.redirect_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider.redirect_dropped, signal=signals.request_dropped)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The only start request: the feed (or the page that advertises it); in archive
        mode the first listing page."""
        # Attachments may live on FILE_HOSTS; the media pipelines download them through the
        # same OffsiteMiddleware, so those hosts are allowed too (and nothing else is).
        self.allowed_domains += sorted(self._extract_options["file_hosts"])
        # The state store (its last checks, for REVALIDATE_AFTER_SECONDS); extensions exist by now.
        run = self.crawler.get_extension(CrawlRun)
        self.state_store = run.store if run is not None else None
        if self.mode == "archive":
            yield self.start_archive()
            return
        yield self._feed_request(self.feed_url, discovered=False)

    def _feed_request(self, url: str, discovered: bool) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_feed, errback=self.feed_failed, dont_filter=True,
            priority=100, cb_kwargs={"discovered": discovered}, meta={CONDITIONAL: REPLAY},
        )

    def parse_feed(self, response: Response, discovered: bool) -> Any:
        """Parse the feed and request every new article link on the feed's site."""
        stats = self.crawler.stats
        try:
            # The article's text comes from its page: not keeping the feed's copy of every body
            # saves tens of MB on a feed of thousands of full articles (bench/README.md).
            feed = parse_feed(response.body, response.url, with_content=False)
        except FeedError as error:
            # Only an HTML page can advertise a feed; an XML body is never re-parsed outside feeds.py.
            advertised = response.xpath(FEED_LINK_XPATH).get() if isinstance(response, HtmlResponse) else None
            if advertised and not discovered:
                feed_url = urljoin(response.url, advertised.strip())
                if not same_site(feed_url, self.site):
                    self._feed_error(f"{response.url} advertises a feed off the site, {feed_url}: not followed")
                    return
                self.logger.info("%s is a page, not a feed: following its advertised feed %s", response.url, feed_url)
                stats.set_value("icmpd/feed/discovered_url", feed_url)
                yield self._feed_request(feed_url, discovered=True)
                return
            self._feed_error(f"feed {response.url} is unusable: {error}")
            return
        stats.set_value("icmpd/feed/url", response.url)
        stats.set_value("icmpd/feed/entries", len(feed.entries))
        if feed.recovered:
            stats.inc_value("icmpd/feed/recovered")
            self.logger.warning("feed %s is malformed XML; recovered %d entries", response.url, len(feed.entries))
        if not feed.entries:
            self.logger.warning("feed %s lists no entries: nothing to crawl", response.url)
        # The feed answered 304: it lists what it listed last time. Articles the site confirmed
        # less than REVALIDATE_AFTER_SECONDS ago are not asked again (README "Scheduled re-runs").
        confirmed: frozenset[str] = frozenset()
        if NOT_MODIFIED_FLAG in response.flags and self.state_store is not None and self.revalidate_after > 0:
            confirmed = self.state_store.checked_since(time.time() - self.revalidate_after)
        fresh = 0
        for entry in feed.entries:
            request = self._article_request(entry, feed, response.url, confirmed)
            if request is FRESH:
                fresh += 1
            elif request is not None:
                yield request
        if fresh:
            self.logger.info("feed %s unchanged since the last run: %d of its articles were confirmed by the site "
                             "less than REVALIDATE_AFTER_SECONDS (%g) ago and are not requested again",
                             response.url, fresh, self.revalidate_after)

    def _article_request(
        self, entry: FeedEntry, feed: Feed, feed_url: str, confirmed: frozenset[str] = frozenset(),
    ) -> scrapy.Request | object | None:
        """The entry's article request; None when it is not crawled, FRESH when its URL is one
        of `confirmed` (the site confirmed its record recently)."""
        stats = self.crawler.stats
        if not entry.link:
            stats.inc_value("icmpd/feed/skipped/no_link")
            self.logger.warning("feed entry %r has no link: skipped", entry.title)
            return None
        scheme = urlsplit(entry.link).scheme.lower()
        if scheme not in ("http", "https"):
            stats.inc_value("icmpd/feed/skipped/scheme")
            self.logger.warning("feed entry link %.200s is a %s: URL, not http(s): never fetched", entry.link, scheme)
            return None
        if not same_site(entry.link, self.site):
            stats.inc_value("icmpd/feed/skipped/offsite")
            self.logger.warning("feed entry link %s is not on %s: not crawled", entry.link, self.site)
            return None
        key = canonical_url(entry.link)
        if key in self.seen_links:
            stats.inc_value("icmpd/feed/skipped/duplicate")
            self.logger.info("feed entry link %s repeats %s: skipped", entry.link, key)
            return None
        self.seen_links.add(key)
        # Checked before the request is built: building one for a link matching
        # RENDER_URL_PATTERNS already counts and logs a render. The state store keeps the URL
        # as Scrapy requests it, which Request makes with w3lib's safe_url_string too.
        if confirmed and safe_url_string(entry.link) in confirmed:
            stats.inc_value("icmpd/articles/fresh")
            return FRESH
        stats.inc_value("icmpd/articles/requested")
        return self.article_page_request(entry.link, {"entry": entry, "feed_language": feed.language, "feed_url": feed_url})

    def article_page_request(self, url: str, cb_kwargs: dict[str, Any]) -> scrapy.Request:
        """The request for an article page (feed and archive mode alike): a plain fetch, or
        straight through the browser when the link matches RENDER_URL_PATTERNS."""
        if self._render_enabled() and any(p.search(url) for p in self._render_patterns):
            self.logger.info("%s matches RENDER_URL_PATTERNS: rendering it in the browser", url)
            return self._render_request(url, cb_kwargs, reason="pattern")
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.article_failed, cb_kwargs=cb_kwargs,
            meta={CONDITIONAL: SKIP, "handle_httpstatus_list": [304]},
        )

    # --- Browser rendering (see icmpd_news/browser/addon.py) -----------------------------------------
    def _render_enabled(self) -> bool:
        return self.crawler.settings.getbool("RENDER_ENABLED")

    def _render_request(self, url: str, cb_kwargs: dict[str, Any], reason: str) -> scrapy.Request:
        """The page again, through the browser (once: dont_filter, and rendered=True stops a loop)."""
        self.crawler.stats.inc_value("icmpd/render/requested")
        self.crawler.stats.inc_value(f"icmpd/render/requested/{reason}")
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.render_failed, dont_filter=True,
            meta=render_meta(self.crawler.settings), cb_kwargs={**cb_kwargs, "rendered": True},
        )

    def render_failed(self, failure: Failure) -> None:
        """The browser could not produce the page (timeout, crash, no browser): the article fails.
        An HTTP error or a refused request (robots.txt) is judged as for a plain fetch."""
        if failure.check(HttpError, IgnoreRequest):
            self.article_failed(failure)
            return
        self._article_error(failure.request.url, "render", f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def parse_article(
        self, response: Response, entry: FeedEntry, feed_language: str | None, feed_url: str,
        listing: ListingEntry = NO_LISTING_ENTRY, rendered: bool = False,
    ) -> Any:
        """Extract the article from its page and load it with what the feed (or, in archive
        mode, the listing) says of it.

        No body in a static page: the page is requested again through the browser (once).
        """
        stats = self.crawler.stats
        if response.status == 304:
            # Not Modified, the answer to a conditional request: the exported record is current.
            return
        if not isinstance(response, TextResponse):
            self._article_error(response.url, "not_html", f"answered {response.headers.get('Content-Type', b'?')!r}, not HTML")
            return
        try:
            page = extract_article(response, site=self.site, **self._extract_options)
        except ExtractionFailed as error:
            if error.kind != "extraction":
                # Too large, too complex or too slow to extract: a browser would not make it smaller.
                self._article_error(response.url, error.kind, str(error))
            elif rendered:
                stats.inc_value("icmpd/render/no_body")
                self._article_error(response.url, "extraction", f"{error}, even after rendering in the browser")
            elif self._render_enabled():
                self.logger.info("no article body in the static page %s (%s): rendering it in the browser", response.url, error)
                yield self._render_request(response.url, response.request.cb_kwargs, reason="no_body")
            else:
                self._article_error(response.url, "extraction", str(error))
            return
        self._report_extraction(response.url, page)
        if rendered:
            stats.inc_value("icmpd/articles/rendered")
        item = self._load(response, page, entry, feed_language, feed_url, listing, rendered)
        if item["published"] is None:
            stats.inc_value("icmpd/articles/no_date")
            self.logger.warning("article %s has no date in the feed, the page, its metadata or the listing: "
                                "exported with published null", response.url)
        yield item

    def _report_extraction(self, url: str, page: PageArticle) -> None:
        """Count the path extraction took and say what it noticed: no known layout, a layout
        that explained only part of the page, metadata contradicting the layout."""
        stats = self.crawler.stats
        stats.inc_value(f"icmpd/articles/extraction/{page.extraction}")
        if page.crosschecked:
            stats.inc_value("icmpd/extraction/crosschecked")
        if page.extraction == "generic":
            self.logger.warning("no known layout matched %s: used the generic extractor", url)
        elif page.extraction == "site+generic":
            self.logger.warning("the %s layout explained only part of %s (it lacks %.0f%% of the generic extractor's "
                                "text): exported both texts merged", page.layout, url, 100 * (1 - page.agreement))
        for name in page.mismatches:
            stats.inc_value(f"icmpd/metadata/mismatch/{name}")
            self.logger.info("%s: the page's %s and its metadata disagree; the page's is kept", url, name)

    def _load(
        self, response: Response, page: PageArticle, entry: FeedEntry, feed_language: str | None, feed_url: str,
        listing: ListingEntry = NO_LISTING_ENTRY, rendered: bool = False,
    ) -> Article:
        """Each field keeps its first value: the feed's where it knows better (title as
        published, pubDate, teaser), else the page's. The listing's teaser comes before the
        page's lead as the summary; its category, date and title only fill what neither the
        feed nor the page gives."""
        feed_category, feed_title = split_category(entry.title)
        loader = ArticleLoader()
        loader.add_value("url", canonical_url(page.canonical_url or response.url))
        loader.add_value("title", page.title)
        loader.add_value("title", feed_title)
        loader.add_value("title", listing.title)
        loader.add_value("title_original", entry.title)
        loader.add_value("title_original", page.title_original)
        loader.add_value("category", page.category)
        loader.add_value("category", feed_category)
        loader.add_value("category", entry.categories)
        loader.add_value("category", listing.category)
        loader.add_value("published", entry.published)
        loader.add_value("published", page.published)
        loader.add_value("published", listing.published)
        loader.add_value("summary", entry.summary)
        loader.add_value("summary", listing.teaser)
        loader.add_value("summary", page.text.split("\n\n", 1)[0])
        loader.add_value("text", page.text)
        loader.add_value("authors", page.authors or entry.authors)
        loader.add_value("language", page.language)
        loader.add_value("language", feed_language)
        loader.add_value("images", page.images)
        loader.add_value("attachments", page.attachments)
        loader.add_value("links", page.links)
        loader.add_value("fetched_at", datetime.now(timezone.utc))
        loader.add_value("source_feed", feed_url)
        loader.add_value("extraction", page.extraction)
        loader.add_value("extraction_agreement", page.agreement)
        loader.add_value("layout", page.layout)
        loader.add_value("rendered", rendered)
        return loader.load_item()

    def article_failed(self, failure: Failure) -> None:
        """An article request failed for good (after retries): count it by kind and log it.
        Gone (404/410) and disallowed by robots.txt are not failures: counted apart."""
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in (404, 410):
                self.crawler.stats.inc_value("icmpd/articles/gone")
                self.logger.warning("article %s is gone: HTTP %d", request.url, status)
                urls = [*request.meta.get("redirect_urls", []), request.url]
                self.crawler.signals.send_catch_log(article_gone, urls=urls, status=status)
                return
        kind = failure_kind(failure, self.crawler.settings.getint("REDIRECT_MAX_TIMES"))
        origin = request.meta.get("redirect_urls", [request.url])[0]
        where = f" (redirected to {request.url})" if origin != request.url else ""
        if kind == "robots_txt":
            self._article_skipped(origin, "robots", f"robots.txt disallows {request.url}: not fetched")
            return
        self._article_error(origin, kind, self._failure_message(failure) + where)

    @staticmethod
    def _failure_message(failure: Failure) -> str:
        if failure.check(HttpError):
            response = failure.value.response
            location = response.headers.get("Location")
            where = f" to {location.decode('latin-1')!r}" if location and 300 <= response.status < 400 else ""
            return f"answered HTTP {response.status}{where}"
        message = failure.getErrorMessage() or (failure.type.__doc__ or "").strip().split("\n")[0]
        return f"{failure.type.__name__}: {message}"

    def redirect_scheduled(self, request: scrapy.Request) -> None:
        """A redirect off the allowed domains: an article's is dropped by OffsiteMiddleware,
        the feed's (exempt from it, as a dont_filter request) is dropped here; both are reported."""
        # The rule OffsiteMiddleware applies: the allowed domains (the site, FILE_HOSTS) and
        # their subdomains, by host name (scrapy.utils.url.url_is_from_any_domain compares the
        # port too, so it is not the same rule).
        host = (urlsplit(request.url).hostname or "").lower()
        allowed = any(host == domain or host.endswith(f".{domain}") for domain in self.allowed_domains)
        if not request.meta.get("redirect_times") or allowed:
            return
        origin = request.meta.get("redirect_urls", [request.url])[0]
        if request.callback == self.parse_article:
            self._article_error(origin, "offsite_redirect", f"redirected off the site to {request.url}: not followed")
        elif request.callback == self.parse_feed:
            self._feed_error(f"feed {origin} redirected off the site to {request.url}: not followed")
            raise IgnoreRequest(f"feed redirected off the site to {request.url}")

    def redirect_dropped(self, request: scrapy.Request) -> None:
        """An article redirected to a URL already requested: a loop, or a page crawled anyway."""
        if request.callback != self.parse_article or not request.meta.get("redirect_times"):
            return
        chain = request.meta.get("redirect_urls", [])
        if canonical_url(request.url) in {canonical_url(url) for url in chain}:
            self._article_error(chain[0], "redirect_loop", f"redirects in a loop back to {request.url}")
        else:
            self.crawler.stats.inc_value("icmpd/articles/redirect_duplicate")
            self.logger.info("article %s redirects to %s, requested already: its record comes from there",
                             chain[0], request.url)

    def feed_failed(self, failure: Failure) -> None:
        """The feed itself could not be fetched: the run has nothing to do and must say so (in
        the words an article's failure gets)."""
        self._feed_error(f"feed {failure.request.url} could not be fetched: {self._failure_message(failure)}")

    def _feed_error(self, message: str) -> None:
        self.crawler.stats.inc_value("icmpd/feed/error")
        self.crawler.stats.set_value("icmpd/feed/error_reason", message)
        self.logger.error(message)

    def _article_skipped(self, url: str, kind: str, message: str) -> None:
        """An article the run decided not to fetch (the site's policy): a warning and a count,
        not a failure (icmpd/articles/skipped/<kind>)."""
        self.crawler.stats.inc_value("icmpd/articles/skipped")
        self.crawler.stats.inc_value(f"icmpd/articles/skipped/{kind}")
        self.logger.warning("article %s skipped (%s): %s", url, kind, message)

    def _article_error(self, url: str, kind: str, message: str) -> None:
        self.crawler.stats.inc_value("icmpd/articles/failed")
        self.crawler.stats.inc_value(f"icmpd/articles/failed/{kind}")
        self.logger.error("article %s failed (%s): %s", url, kind, message)
