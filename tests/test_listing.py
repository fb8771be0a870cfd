"""Listing extraction on saved listing pages, no crawl: entries, their fields, the pager."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from scrapy.http import HtmlResponse

from devsite.listing_site import ListingSite
from icmpd_news.extract.listing import numbered_page_url, page_number, parse_listing
from icmpd_news.urls import canonical_url


@pytest.fixture(scope="module")
def listing() -> Iterator[ListingSite]:
    """The generated listing (rendered only: no request is made in this module)."""
    site = ListingSite(synthetic=300)
    yield site
    site.close()


def response(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"})


def listing_page(site: ListingSite, number: int) -> HtmlResponse:
    return response(site.base + site.page_href(number), site.render_listing(number))


def test_entries_with_every_field(listing: ListingSite) -> None:
    page = parse_listing(listing_page(listing, 2))
    assert page.layout == "site"
    assert len(page.entries) == 10  # the sidebar's teaser is not an entry
    for entry, listed in zip(page.entries, listing.pages[1], strict=True):
        article = listed["article"]
        assert entry.link == listing.base + listed["href"]
        assert entry.title == article["title"]
        assert entry.category == article["category"]
        assert entry.teaser == article["teaser"]
        assert entry.published == article["listing_date"]
        assert entry.published.tzinfo is not None
    assert page.next_url == listing.base + listing.page_href(3)
    assert page.has_pager


def test_last_page_has_a_pager_without_next(listing: ListingSite) -> None:
    page = parse_listing(listing_page(listing, len(listing.pages)))
    assert page.has_pager and page.next_url is None
    assert [entry.link for entry in page.entries] == [listing.base + e["href"] for e in listing.pages[-1]]


def test_truncated_page_keeps_every_entry_apart(listing: ListingSite) -> None:
    # Entries never closed nest in each other: each must still get its own link, date, teaser.
    page = parse_listing(listing_page(listing, listing.broken_page))
    listed = listing.pages[listing.broken_page - 1]
    assert len(page.entries) == 11
    no_link = page.entries.pop(3)
    assert no_link.link is None and no_link.title == "An event without its own page"
    assert no_link.published == datetime(2020, 1, 1, tzinfo=timezone.utc)
    for entry, item in zip(page.entries, listed, strict=True):
        article = item["article"]
        assert entry.link == listing.base + item["href"]
        assert entry.title == article["title"]
        assert entry.teaser == article["listing_teaser"]
        assert entry.published == article["listing_date"]
    assert [entry.teaser for entry in page.entries].count(None) == 1
    assert [entry.published for entry in page.entries].count(None) == 1
    assert not page.has_pager and page.next_url is None


def test_empty_listing_page(listing: ListingSite) -> None:
    page = parse_listing(response(f"{listing.base}/news?page=99", listing.render_listing(99)))
    assert page.entries == [] and page.next_url is None


GENERIC_PAGE = """<!DOCTYPE html><html><head><title>News</title><link rel="next" href="/news?page=3&amp;L=0"></head>
<body><nav><a href="/news/about-the-menu">Menu item</a></nav>
<main><h1>News</h1>
<ul class="results">
<li><small>In Focus</small> <a href="/news/first-slug?L=0&amp;cHash=ab12">In Focus: The first story</a>
    <span>Published 08 April 2022</span><p>The first teaser, cut short...</p></li>
<li><a href="https://www.localhost/news/second-slug">The second story</a> <span>26 September 2024</span></li>
<li><a href="/news-centre/news-detail/third-slug/">Press Release: The third story</a></li>
</ul>
<section class="related-news"><a href="/news/a-related-one">A related story</a></section>
</main></body></html>"""


def test_unknown_markup_falls_back_to_article_links() -> None:
    page = parse_listing(response("https://www.localhost/news?page=2&cHash=zz", GENERIC_PAGE))
    assert page.layout == "generic"
    assert [entry.link for entry in page.entries] == [
        "https://www.localhost/news/first-slug?L=0&cHash=ab12",
        "https://www.localhost/news/second-slug",
        "https://www.localhost/news-centre/news-detail/third-slug/",
    ]
    first, second, third = page.entries
    assert (first.title, first.category, first.teaser) == ("The first story", "In Focus", "The first teaser, cut short")
    assert first.published == datetime(2022, 4, 8, tzinfo=timezone.utc)
    assert (second.title, second.category, second.teaser) == ("The second story", None, None)
    assert second.published == datetime(2024, 9, 26, tzinfo=timezone.utc)
    assert (third.title, third.category, third.published) == ("The third story", "Press Release", None)
    assert page.next_url == "https://www.localhost/news?page=3&L=0"


def test_page_numbers_without_typo3_parameters() -> None:
    url = "https://www.localhost/news?tx_ttnews%5Btt_news%5D=293&cHash=ff5638e3ad&page=17"
    assert page_number(url) == 17
    assert page_number("https://www.localhost/news") == 1
    assert numbered_page_url(url, 18) == "https://www.localhost/news?page=18"
    assert numbered_page_url("https://www.localhost/news?L=0", 2) == "https://www.localhost/news?page=2"


def test_every_listed_link_leads_to_its_article(listing: ListingSite) -> None:
    # However TYPO3 spells an entry's link (L, cHash, tx_ttnews[...], the repeated entry's
    # absolute link), the URL the crawler requests and records is the article's own.
    for number, listed in enumerate(listing.pages, 1):
        if number == listing.broken_page:
            continue  # test_truncated_page_keeps_every_entry_apart
        entries = parse_listing(listing_page(listing, number)).entries
        assert [canonical_url(entry.link) for entry in entries] == [listing.url_of(e["article"]) for e in listed], number


def test_a_read_listing_page_is_freed_without_the_cycle_collector(listing: ListingSite) -> None:
    """As for article pages (tests/test_extract.py): no reference cycle through the response."""
    page_response = listing_page(listing, 2)
    gone = weakref.ref(page_response)
    gc.disable()
    try:
        page = parse_listing(page_response)
        del page_response
        assert gone() is None
    finally:
        gc.enable()
    assert page.entries
