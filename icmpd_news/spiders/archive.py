"""The icmpd_news_archive spider: walk the news listing and request every article not exported yet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from icmpd_news.dataset.changes import transient_holes
from icmpd_news.dataset.jsonl import iter_records
from icmpd_news.extract.listing import ListingEntry, numbered_page_url, page_number, parse_listing
from icmpd_news.spiders.base import ArticleSpider, flag
from icmpd_news.stats import (
    ARTICLES_REQUESTED,
    LISTING_END,
    LISTING_ENTRIES,
    LISTING_FAILED,
    LISTING_NEXT_GUESSED,
    LISTING_PAGES,
    LISTING_SKIPPED_KNOWN,
    listing_failed,
    listing_layout,
    listing_skipped,
)
from icmpd_news.urls import canonical_url, same_site

DEFAULT_LISTING_URL = "https://www.icmpd.org/news"
# Listing pages go before queued article requests (priority 0); the feed has 100.
LISTING_PRIORITY = 50

# Why a walk ended (the stat LISTING_END): the clean ends first.
END_LAST_PAGE = "last_page"            # the page has a pager without a next link
END_EMPTY_PAGE = "empty_page"          # the page lists no entries
END_REPEATED_PAGE = "repeated_page"    # the page lists exactly what the previous one listed
END_LOOP = "loop"                      # the next link leads back to a page already walked
END_KNOWN_PAGE = "known_page"          # incremental: every entry on the page is already exported
END_MAX_PAGES = "max_pages"            # ICMPD_ARCHIVE_MAX_PAGES reached: the archive may go on
END_FAILED_PAGES = "failed_pages"      # ICMPD_ARCHIVE_MAX_FAILED_PAGES listing pages failed in a row


class ArchiveSpider(ArticleSpider):
    """Walk ICMPD's paginated news listing and export every article it lists that the export
    does not hold yet (or whose files failed for a reason that may pass). Both spiders write
    the same ICMPD_OUTPUT_DIR/articles.jsonl: an article found both ways is one record.

    Spider arguments (``-a name=value``):
        listing_url: the listing's first page. Default: https://www.icmpd.org/news. Its site
            is the one crawled.
        incremental: 1 stops the walk at the first listing page whose articles are all
            exported already. Default 0: walk every page (resumes an interrupted backfill;
            known articles are still not re-fetched).
        help: 1 lists these arguments and exits without crawling (`scrapy crawl -h` too).
        Any other argument is an error naming the accepted ones: the crawl does not start.
        Scrapyd's own (_job, _version) are accepted.
    """

    name = "icmpd_news_archive"
    arguments = ("listing_url", "incremental")

    def __init__(self, listing_url: str = DEFAULT_LISTING_URL, incremental: str | bool = False, **kwargs: Any) -> None:
        super().__init__("listing_url", listing_url, **kwargs)
        self.listing_url = listing_url
        self.incremental = flag("incremental", incremental)
        # Canonical URLs of the articles the export holds (filled when the crawl starts).
        self.known: set[str] = set()
        self.walked: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The first listing page, once the export's articles are known."""
        self.open_dataset()
        for request in self.reextraction_requests():
            yield request
        yield self._start_walk()

    def _start_walk(self) -> scrapy.Request:
        """Note the exported articles (fetched again only with transient holes); return the first page's request."""
        export = Path(self.crawler.settings["ICMPD_OUTPUT_DIR"]) / "articles.jsonl"
        holes = 0
        for record in iter_records(export):
            if record is None or not isinstance(record.get("url"), str):
                continue
            if transient_holes(record):
                holes += 1
            else:
                self.known.add(canonical_url(record["url"]))
        # Records an older extraction produced that the archive lacks: requested where listed.
        self.known -= {url for url, ref in self.outdated.items() if ref is None}
        self.logger.info(
            "archive mode: walking %s (%s), %d articles already in %s%s",
            self.listing_url, "incremental" if self.incremental else "full walk", len(self.known) + holes, export,
            f" ({holes} of them requested again where listed: files that failed for a reason that may pass)"
            if holes else "",
        )
        return self._listing_request(self.listing_url, number=1, previous=(), failures=0)

    def _listing_request(self, url: str, number: int, previous: tuple[str, ...], failures: int) -> scrapy.Request:
        self.walked.add(canonical_url(url))
        return scrapy.Request(
            url, callback=self.parse_listing, errback=self.listing_failed, dont_filter=True,
            priority=LISTING_PRIORITY, cb_kwargs={"number": number, "previous": previous, "failures": failures},
        )

    def parse_listing(
        self, response: Response, number: int, previous: tuple[str, ...], failures: int
    ) -> Iterator[scrapy.Request]:
        """Request the page's new articles, then the next listing page unless the walk ends here."""
        if not isinstance(response, TextResponse):
            message = f"answered {response.headers.get('Content-Type', b'?')!r}, not HTML"
            yield from self._listing_page_failed(response.url, number, previous, failures, "not_html", message)
            return
        stats = self.crawler.stats
        if response.meta.get("redirect_urls") and canonical_url(response.url) in self.walked:
            self._end_walk(END_LOOP, f"listing page {number} redirects to {response.url}, a page already walked")
            return
        self.walked.add(canonical_url(response.url))
        page = parse_listing(response)
        stats.inc_value(LISTING_PAGES)
        stats.inc_value(LISTING_ENTRIES, len(page.entries))
        stats.inc_value(listing_layout(page.layout))
        if page.layout == "generic" and page.entries:
            self.logger.warning("no known listing markup matched %s: read its article links generically", response.url)
        keys = tuple(canonical_url(entry.link) for entry in page.entries if entry.link)
        if not page.entries:
            self._end_walk(END_EMPTY_PAGE, f"listing page {number} ({response.url}) lists no entries")
            return
        if keys == previous:
            self._end_walk(END_REPEATED_PAGE, f"listing page {number} ({response.url}) repeats the previous page")
            return
        counts = {"requested": 0, "known": 0, "skipped": 0}
        for entry in page.entries:
            request = self._listing_article_request(entry, counts)
            if request is not None:
                yield request
        self.logger.info(
            "listing page %d (%s): %d entries, %d articles requested, %d already exported, %d skipped; "
            "%d articles requested so far",
            number, response.url, len(page.entries), counts["requested"], counts["known"], counts["skipped"],
            stats.get_value(ARTICLES_REQUESTED, 0),
        )
        if self.incremental and keys and all(key in self.known for key in keys):
            self._end_walk(END_KNOWN_PAGE, f"listing page {number} holds only articles already exported (incremental)")
            return
        next_url = page.next_url
        if next_url is not None and not same_site(next_url, self.site):
            stats.inc_value(listing_skipped("offsite"))
            self.logger.warning("listing page %d's next link %s is not on %s: not followed", number, next_url, self.site)
            next_url = None
        if next_url is None and page.has_pager:
            self._end_walk(END_LAST_PAGE, f"listing page {number} ({response.url}) is the last: its pager has no next link")
            return
        if next_url is None:
            next_url = numbered_page_url(response.url, page_number(response.url) + 1)
            stats.inc_value(LISTING_NEXT_GUESSED)
            self.logger.warning("listing page %d (%s) has no pager: trying %s next", number, response.url, next_url)
        yield from self._follow(next_url, number, keys, failures=0)

    def _listing_article_request(self, entry: ListingEntry, counts: dict[str, int]) -> scrapy.Request | None:
        stats = self.crawler.stats
        if entry.link and canonical_url(entry.link) in self.known:
            stats.inc_value(LISTING_SKIPPED_KNOWN)
            counts["known"] += 1
            return None
        problem = self.link_problem(entry.link)
        if problem:
            self.skip_link("listing", entry.link, entry.title, problem)
            counts["skipped"] += 1
            return None
        stats.inc_value(ARTICLES_REQUESTED)
        counts["requested"] += 1
        return self.article_page_request(entry.link, {"source": self.listing_url, "listing": entry})

    def _follow(self, next_url: str, number: int, previous: tuple[str, ...], failures: int) -> Iterator[scrapy.Request]:
        """Request listing page number+1 at `next_url`, unless the cap or a loop ends the walk."""
        max_pages = self.crawler.settings.getint("ICMPD_ARCHIVE_MAX_PAGES")
        if max_pages and number >= max_pages:
            message = f"stopped after {number} listing pages (ICMPD_ARCHIVE_MAX_PAGES): the archive may go on"
            self._end_walk(END_MAX_PAGES, message, warn=True)
            return
        if canonical_url(next_url) in self.walked:
            self._end_walk(END_LOOP, f"listing page {number}'s next link {next_url} leads to a page already walked")
            return
        yield self._listing_request(next_url, number + 1, previous, failures)

    def listing_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """A listing page failed for good (after retries): count it, go on with the next number."""
        request = failure.request
        if failure.check(HttpError):
            kind = f"http_{failure.value.response.status}"
            message = f"answered HTTP {failure.value.response.status}"
        else:
            kind, message = failure.type.__name__, failure.getErrorMessage()
        number, previous, failures = (request.cb_kwargs[key] for key in ("number", "previous", "failures"))
        yield from self._listing_page_failed(request.url, number, previous, failures, kind, message)

    def _listing_page_failed(
        self, url: str, number: int, previous: tuple[str, ...], failures: int, kind: str, message: str
    ) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        stats.inc_value(LISTING_FAILED)
        stats.inc_value(listing_failed(kind))
        self.logger.error("listing page %d (%s) failed (%s): %s; the articles it lists are not known",
                          number, url, kind, message)
        if failures + 1 >= self.crawler.settings.getint("ICMPD_ARCHIVE_MAX_FAILED_PAGES"):
            message = f"{failures + 1} listing pages in a row failed: the walk stops at page {number}"
            self._end_walk(END_FAILED_PAGES, message, warn=True)
            return
        next_url = numbered_page_url(url, page_number(url) + 1)
        self.logger.info("listing walk goes on with %s", next_url)
        yield from self._follow(next_url, number, previous, failures + 1)

    def _end_walk(self, reason: str, message: str, warn: bool = False) -> None:
        self.crawler.stats.set_value(LISTING_END, reason)
        (self.logger.warning if warn else self.logger.info)("archive walk ends (%s): %s", reason, message)
