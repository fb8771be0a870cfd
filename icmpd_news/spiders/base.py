"""What every spider of the project does with an article: filter its link, request its page (in
a browser when it needs one), extract it, load the record, and report what went wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from icmpd_news.browser.addon import render_meta, url_patterns
from icmpd_news.dataset.state import StateStore
from icmpd_news.dataset.web_archive import WarcRef, read_response
from icmpd_news.extensions.crawl_run import CrawlRun
from icmpd_news.extensions.workers import crawl_workers
from icmpd_news.extract import (
    ExtractionFailed,
    PageArticle,
    extract_options,
)
from icmpd_news.extract.feeds import FeedEntry
from icmpd_news.extract.listing import ListingEntry
from icmpd_news.items import Article
from icmpd_news.middlewares.conditional import CONDITIONAL, SKIP
from icmpd_news.middlewares.web_archive import REPLAY, WARC_REF
from icmpd_news.pages import PageContext, article_from_page
from icmpd_news.run.failures import failure_kind
from icmpd_news.signals import article_gone
from icmpd_news.spiders.arguments import SpiderArgumentError, check_spider_arguments
from icmpd_news.stats import (
    ARTICLES_FAILED,
    ARTICLES_GONE,
    ARTICLES_NO_DATE,
    ARTICLES_REDIRECT_DUPLICATE,
    ARTICLES_RENDERED,
    ARTICLES_SKIPPED,
    EXTRACTION_CROSSCHECKED,
    REEXTRACT_FROM_ARCHIVE,
    REEXTRACT_REFETCHED,
    RENDER_NO_BODY,
    RENDER_REQUESTED,
    articles_extraction,
    articles_failed,
    articles_skipped,
    link_skipped,
    metadata_mismatch,
    render_requested,
)
from icmpd_news.urls import canonical_url, same_site, site_host
from icmpd_news.workers import Workers


def callback_arguments(saved: dict[str, Any]) -> dict[str, Any]:
    """parse_article's arguments as the web archive's metadata record saved them (JSON)."""
    arguments = dict(saved)
    for name, cls in (("entry", FeedEntry), ("listing", ListingEntry)):
        if isinstance(saved.get(name), dict):
            fields = dict(saved[name])
            if isinstance(fields.get("published"), str):
                fields["published"] = datetime.fromisoformat(fields["published"])
            arguments[name] = cls(**fields)
    return arguments


def flag(name: str, value: str | bool) -> bool:
    """A yes/no spider argument: 1/0, true/false, yes/no, on/off."""
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise SpiderArgumentError(f"{name} must be 1 or 0 (true/false, yes/no), got {value!r}")


class ArticleSpider(scrapy.Spider):
    """The article half of the project's spiders: a subclass names its spider `arguments`, passes the
    URL whose site it crawls (the only one fetched, with ICMPD_FILE_HOSTS) and requests each article
    with `article_page_request`. Reads ICMPD_FILE_HOSTS, ICMPD_MIN_TEXT_CHARS, ICMPD_EXTRACT_*,
    ICMPD_RENDER_* and REDIRECT_MAX_TIMES."""

    arguments: tuple[str, ...] = ()

    def __init__(self, source_name: str, source: str, **kwargs: Any) -> None:
        check_spider_arguments(kwargs, self.arguments)
        super().__init__(**kwargs)
        self.site = site_host(urlsplit(source).hostname)
        if not self.site or urlsplit(source).scheme not in ("http", "https"):
            raise SpiderArgumentError(f"{source_name} must be an http(s) URL, got {source!r}")
        # The downloader's OffsiteMiddleware enforces this for every request, redirects included.
        self.allowed_domains = [self.site]
        self.seen_links: set[str] = set()
        # Not `state`: Scrapy's SpiderState extension pickles spider.state into JOBDIR.
        self.state_store: StateStore | None = None
        self.outdated: dict[str, WarcRef | None] = {}
        self.workers: Workers | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticleSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        # Read once: the settings cannot change during a crawl, and parse_article runs per page.
        spider._extract_options = extract_options(settings)
        spider._render_patterns = url_patterns(settings)
        # Scrapy drops a redirect off the site or to a URL already requested without an errback.
        crawler.signals.connect(spider.redirect_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider.redirect_dropped, signal=signals.request_dropped)
        return spider

    def open_dataset(self) -> None:
        """At the start of the crawl: allow ICMPD_FILE_HOSTS (media downloads too go through
        OffsiteMiddleware), take the run's state store, the records an older extraction produced and
        the worker processes."""
        self.allowed_domains += sorted(self._extract_options["file_hosts"])
        run = self.crawler.get_extension(CrawlRun)
        self.state_store = run.store if run is not None else None
        self.outdated = run.outdated if run is not None else {}
        if self.crawler.settings.getbool("ICMPD_EXTRACT_IN_WORKERS"):
            self.workers = crawl_workers(self.crawler)

    # --- Extraction again, from the web archive ---------------------------------------------
    def reextraction_requests(self) -> Iterator[scrapy.Request]:
        """The exported records an older extraction produced, extracted again from their archived
        page: requests the web archive answers (no request reaches the site)."""
        for url, ref in self.outdated.items():
            if ref is None:
                continue
            try:
                archived = read_response(Path(self.crawler.settings["ICMPD_OUTPUT_DIR"]), ref)
            except (OSError, ValueError) as error:
                self.logger.warning("%s cannot be extracted again from the web archive: %s", url, error)
                continue
            self.crawler.stats.inc_value(REEXTRACT_FROM_ARCHIVE)
            yield self.replay_request(ref, archived.url, archived.metadata)

    def replay_request(self, ref: WarcRef, url: str, metadata: dict[str, Any]) -> scrapy.Request:
        """The request the web archive answers with the response `ref` names, for parse_article
        with what the crawl knew of the page when it fetched it (its metadata record)."""
        self.seen_links.add(canonical_url(url))
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.article_failed, dont_filter=True,
            cb_kwargs=callback_arguments(metadata.get("cb_kwargs") or {}), meta={REPLAY: ref.as_dict()},
        )

    # --- Links ------------------------------------------------------------------------------
    def link_problem(self, link: str | None) -> str | None:
        """Why an article link is not crawled (no_link, scheme, offsite, duplicate), None when it is."""
        if not link:
            return "no_link"
        if urlsplit(link).scheme.lower() not in ("http", "https"):
            return "scheme"
        if not same_site(link, self.site):
            return "offsite"
        if canonical_url(link) in self.seen_links:
            return "duplicate"
        return None

    def skip_link(self, where: str, link: str | None, title: str | None, problem: str) -> None:
        """Count and log a link not crawled."""
        self.crawler.stats.inc_value(link_skipped(where, problem))
        if problem == "no_link":
            self.logger.warning("%s entry %r has no link: skipped", where, title)
        elif problem == "scheme":
            self.logger.warning("%s entry link %.200s is a %s: URL, not http(s): never fetched",
                                where, link, urlsplit(link).scheme.lower())
        elif problem == "offsite":
            self.logger.warning("%s entry link %s is not on %s: not crawled", where, link, self.site)
        else:
            self.logger.info("%s entry link %s repeats %s: skipped", where, link, canonical_url(link))

    # --- Requests ---------------------------------------------------------------------------
    def article_page_request(self, url: str, cb_kwargs: dict[str, Any]) -> scrapy.Request:
        """The request for an article page: a plain fetch, or through the browser when the link
        matches ICMPD_RENDER_URL_PATTERNS. `cb_kwargs` are parse_article's."""
        self.seen_links.add(canonical_url(url))
        if self.workers is not None:
            self.workers.start()
        if canonical_url(url) in self.outdated:
            self.crawler.stats.inc_value(REEXTRACT_REFETCHED)
        if self._render_enabled() and any(p.search(url) for p in self._render_patterns):
            self.logger.info("%s matches ICMPD_RENDER_URL_PATTERNS: rendering it in the browser", url)
            return self._render_request(url, cb_kwargs, reason="pattern")
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.article_failed, cb_kwargs=cb_kwargs,
            meta={CONDITIONAL: SKIP, "handle_httpstatus_list": [304]},
        )

    def _render_enabled(self) -> bool:
        return self.crawler.settings.getbool("ICMPD_RENDER_ENABLED")

    def _render_request(self, url: str, cb_kwargs: dict[str, Any], reason: str) -> scrapy.Request:
        """The page again, through the browser (once: dont_filter, and rendered=True stops a loop)."""
        self.crawler.stats.inc_value(RENDER_REQUESTED)
        self.crawler.stats.inc_value(render_requested(reason))
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.render_failed, dont_filter=True,
            meta=render_meta(self.crawler.settings), cb_kwargs={**cb_kwargs, "rendered": True},
        )

    def render_failed(self, failure: Failure) -> None:
        """The browser could not produce the page: the article fails (HTTP errors as for a plain fetch)."""
        if failure.check(HttpError, IgnoreRequest):
            self.article_failed(failure)
            return
        self._article_error(failure.request.url, "render", f"{failure.type.__name__}: {failure.getErrorMessage()}")

    # --- The page ---------------------------------------------------------------------------
    async def parse_article(
        self, response: Response, source: str, entry: FeedEntry | None = None, listing: ListingEntry | None = None,
        language: str | None = None, rendered: bool = False,
    ) -> AsyncIterator[Any]:
        """Extract the article from its page and load it with what the feed or listing entry says
        of it. No body in a static page: the page is requested again through the browser (once)."""
        stats = self.crawler.stats
        if response.status == 304:
            # Not Modified, the answer to a conditional request: the exported record is current.
            return
        if not isinstance(response, TextResponse):
            self._article_error(response.url, "not_html", f"answered {response.headers.get('Content-Type', b'?')!r}, not HTML")
            return
        context = PageContext(source, entry, listing, language, rendered, response.meta.get(WARC_REF))
        try:
            page, item = await self._article(response, context)
        except ExtractionFailed as error:
            if error.kind != "extraction":
                # Too large, too complex or too slow to extract: a browser would not make it smaller.
                self._article_error(response.url, error.kind, str(error))
            elif rendered:
                stats.inc_value(RENDER_NO_BODY)
                self._article_error(response.url, "extraction", f"{error}, even after rendering in the browser")
            elif self._render_enabled():
                self.logger.info("no article body in the static page %s (%s): rendering it in the browser", response.url, error)
                yield self._render_request(response.url, response.request.cb_kwargs, reason="no_body")
            else:
                self._article_error(response.url, "extraction", str(error))
            return
        self._report_extraction(response.url, page)
        if rendered:
            stats.inc_value(ARTICLES_RENDERED)
        if item["published"] is None:
            stats.inc_value(ARTICLES_NO_DATE)
            self.logger.warning("article %s has no date in the feed, the page, its metadata or the listing: "
                                "exported with published null", response.url)
        yield item

    async def _article(self, response: TextResponse, context: PageContext) -> tuple[PageArticle, Article]:
        """The page extracted and loaded: in the worker processes (ICMPD_EXTRACT_IN_WORKERS), else here."""
        options = {"site": self.site, **self._extract_options}
        if self.workers is None:
            return article_from_page(response.url, response.body, response.encoding, options, context)
        return await self.workers.article(response.url, response.body, response.encoding, options, context)

    def _report_extraction(self, url: str, page: PageArticle) -> None:
        """Count the path extraction took and log what it noticed (no layout, a partial one, mismatches)."""
        stats = self.crawler.stats
        stats.inc_value(articles_extraction(page.extraction))
        if page.crosschecked:
            stats.inc_value(EXTRACTION_CROSSCHECKED)
        if page.extraction == "generic":
            self.logger.warning("no known layout matched %s: used the generic extractor", url)
        elif page.extraction == "site+generic":
            self.logger.warning("the %s layout explained only part of %s (it lacks %.0f%% of the generic extractor's "
                                "text): exported both texts merged", page.layout, url, 100 * (1 - page.agreement))
        for name in page.mismatches:
            stats.inc_value(metadata_mismatch(name))
            self.logger.info("%s: the page's %s and its metadata disagree; the page's is kept", url, name)

    # --- What went wrong --------------------------------------------------------------------
    def article_failed(self, failure: Failure) -> None:
        """An article request failed for good: count it by kind and log it (gone and disallowed apart)."""
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in (404, 410):
                self.crawler.stats.inc_value(ARTICLES_GONE)
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
        self._article_error(origin, kind, self.failure_message(failure) + where)

    @staticmethod
    def failure_message(failure: Failure) -> str:
        """A failed request in a few words: its HTTP status (and where it redirected), or its error."""
        if failure.check(HttpError):
            response = failure.value.response
            location = response.headers.get("Location")
            where = f" to {location.decode('latin-1')!r}" if location and 300 <= response.status < 400 else ""
            return f"answered HTTP {response.status}{where}"
        message = failure.getErrorMessage() or (failure.type.__doc__ or "").strip().split("\n")[0]
        return f"{failure.type.__name__}: {message}"

    def is_offsite_redirect(self, request: scrapy.Request) -> bool:
        """True for a redirect off the allowed domains, by host name (as OffsiteMiddleware: not port)."""
        host = (urlsplit(request.url).hostname or "").lower()
        allowed = any(host == domain or host.endswith(f".{domain}") for domain in self.allowed_domains)
        return bool(request.meta.get("redirect_times")) and not allowed

    def redirect_scheduled(self, request: scrapy.Request) -> None:
        """An article redirected off the allowed domains is dropped by OffsiteMiddleware: report it."""
        if request.callback == self.parse_article and self.is_offsite_redirect(request):
            origin = request.meta.get("redirect_urls", [request.url])[0]
            self._article_error(origin, "offsite_redirect", f"redirected off the site to {request.url}: not followed")

    def redirect_dropped(self, request: scrapy.Request) -> None:
        """An article redirected to a URL already requested: a loop, or a page crawled anyway."""
        if request.callback != self.parse_article or not request.meta.get("redirect_times"):
            return
        chain = request.meta.get("redirect_urls", [])
        if canonical_url(request.url) in {canonical_url(url) for url in chain}:
            self._article_error(chain[0], "redirect_loop", f"redirects in a loop back to {request.url}")
        else:
            self.crawler.stats.inc_value(ARTICLES_REDIRECT_DUPLICATE)
            self.logger.info("article %s redirects to %s, requested already: its record comes from there",
                             chain[0], request.url)

    def _article_skipped(self, url: str, kind: str, message: str) -> None:
        """An article not fetched by the site's policy: a warning and a count, not a failure."""
        self.crawler.stats.inc_value(ARTICLES_SKIPPED)
        self.crawler.stats.inc_value(articles_skipped(kind))
        self.logger.warning("article %s skipped (%s): %s", url, kind, message)

    def _article_error(self, url: str, kind: str, message: str) -> None:
        self.crawler.stats.inc_value(ARTICLES_FAILED)
        self.crawler.stats.inc_value(articles_failed(kind))
        self.logger.error("article %s failed (%s): %s", url, kind, message)
