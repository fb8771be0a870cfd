"""The news listing (archive mode): one listing page -> its entries and the next page's URL."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse
from w3lib.url import add_or_replace_parameter, url_query_parameter

from icmpd_news.extract import split_category
from icmpd_news.extract.dates import find_date
from icmpd_news.extract.dom import first, is_boilerplate, is_date_line, normalise_space, page_selector
from icmpd_news.extract.feeds import clean_teaser
from icmpd_news.urls import canonical_url

# The query parameter that numbers listing pages (/news?page=2).
PAGE_PARAM = "page"
# Entry containers of the known listing markups: the 2021 redesign's teasers and tt_news's list view.
ENTRY_SELECTORS = ("article.news-teaser", ".news-list__item", ".news-list-item", ".news-latest-item")
TITLE_SELECTORS = (".news-teaser__title", ".news-list-item__title", "h2", "h3", "h4")
CATEGORY_SELECTORS = (".news-teaser__category", ".news-list-item__category", ".label", "[class*='category']")
DATE_SELECTORS = ("time", ".news-teaser__date", ".news-list-date", "[class*='date']")
TEASER_SELECTORS = (".news-teaser__text", ".news-list-item__teaser", "[class*='teaser__text']", "p")
# The pager: TYPO3's fluid paginator, tt_news's browse box and the usual names.
PAGER_SELECTORS = (
    ".pagination", ".pager", ".page-navigation", ".f3-widget-paginator", ".news-list-browse",
    "nav[aria-label*='agination']",
)
# Pager link texts that mean "the following page" (trailing arrows stripped), and arrow-only ones.
NEXT_WORDS = {"next", "next page", "weiter"}
NEXT_ARROWS = {"›", "»", ">", ">>", "→"}
# Article detail paths (generic fallback only): /news/<slug> today, the tt_news single view before.
ARTICLE_PATH = re.compile(r"^/+(?:news/[^/?#]+|news-centre/news-detail/[^/?#]+)/?$")

@dataclass
class ListingEntry:
    """One listing entry: the article link and what the listing shows of it."""

    link: str | None
    title: str | None = None
    category: str | None = None
    published: datetime | None = None
    teaser: str | None = None


@dataclass
class ListingPage:
    """One parsed listing page; `next_url` is None on the last page and on a page without a pager."""

    entries: list[ListingEntry]
    next_url: str | None
    has_pager: bool
    layout: str


def page_number(url: str) -> int:
    """The listing page's number from its ?page= parameter; the unnumbered first page is 1."""
    value = url_query_parameter(url, PAGE_PARAM)
    return int(value) if value and value.isdigit() else 1


def numbered_page_url(url: str, number: int) -> str:
    """The URL of listing page `number`, from any listing page's URL (a cHash fits only its own parameters)."""
    return add_or_replace_parameter(canonical_url(url), PAGE_PARAM, str(number))


def _text(sel: Selector | None) -> str | None:
    if sel is None:
        return None
    return normalise_space(sel.xpath("normalize-space()").get() or "") or None


def _date(entry: Selector) -> datetime | None:
    """The entry's date: <time datetime>, else a date in its date element or in its text."""
    texts = (*entry.css("time::attr(datetime)").getall(), _text(first(entry, *DATE_SELECTORS)),
             entry.xpath("normalize-space()").get())
    return next((parsed for parsed in map(find_date, texts) if parsed is not None), None)


def _link(entry: Selector, title: Selector | None, base_url: str) -> str | None:
    """The article link: the title's link, else the first link that looks like an article."""
    hrefs = title.css("a::attr(href)").getall() if title is not None else []
    hrefs += [href for href in entry.css("a::attr(href)").getall() if ARTICLE_PATH.match(urlsplit(href.strip()).path)]
    for href in hrefs:
        href = href.strip()
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
            return urljoin(base_url, href)
    return None


def _entry(entry: Selector, base_url: str, title_text: str | None = None) -> ListingEntry:
    title = first(entry, *TITLE_SELECTORS)
    label = _text(first(entry, *CATEGORY_SELECTORS))
    category, title_clean = split_category(_text(title) or title_text, label)
    teaser = None
    candidates = (candidate for query in TEASER_SELECTORS for candidate in entry.css(query))
    for candidate in candidates:
        text = _text(candidate)
        if text and text not in (title_clean, label) and not is_date_line(text):
            teaser = clean_teaser(text)
            break
    return ListingEntry(
        link=_link(entry, title, base_url), title=title_clean, category=category,
        published=_date(entry), teaser=teaser,
    )


def _in_boilerplate(el: etree._Element) -> bool:
    return any(is_boilerplate(ancestor) for ancestor in el.iterancestors())


def _without_nested(entry: Selector, query: str) -> Selector:
    """The entry without the entries nested in it (a page that never closes its entries)."""
    if not any(found.root is not entry.root for found in entry.css(query)):
        return entry
    root = copy.deepcopy(entry.root)
    for found in Selector(root=root, type="html").css(query):
        if found.root is not root and found.root.getparent() is not None:
            found.root.drop_tree()
    return Selector(root=root, type="html")


def _known_entries(page: Selector, base_url: str) -> list[ListingEntry]:
    for query in ENTRY_SELECTORS:
        found = [sel for sel in page.css(query) if not _in_boilerplate(sel.root)]
        if found:
            return [_entry(_without_nested(sel, query), base_url) for sel in found]
    return []


def _generic_entries(page: Selector, base_url: str) -> list[ListingEntry]:
    """Every article link outside boilerplate, read with the largest block around it holding no other."""
    entries: list[ListingEntry] = []
    seen: set[str] = set()
    anchors = [a for a in page.css("body a[href]") if ARTICLE_PATH.match(urlsplit(a.attrib["href"].strip()).path)]
    anchors = [a for a in anchors if not is_boilerplate(a.root) and not _in_boilerplate(a.root)]
    for anchor in anchors:
        link = urljoin(base_url, anchor.attrib["href"].strip())
        key = canonical_url(link)
        if key in seen:
            continue
        seen.add(key)
        container = anchor.root
        for ancestor in anchor.root.iterancestors():
            if ancestor.tag in ("body", "main", "html"):
                break
            others = {canonical_url(urljoin(base_url, href.strip())) for href in ancestor.xpath(".//a/@href")
                      if ARTICLE_PATH.match(urlsplit(href.strip()).path)}
            if others != {key}:
                break
            container = ancestor
        entry = _entry(Selector(root=container, type="html"), base_url, title_text=_text(anchor))
        entry.link = link
        entries.append(entry)
    return entries


def _next_url(page: Selector, pagers: list[Selector], base_url: str) -> str | None:
    hrefs = page.xpath("//link[@rel='next']/@href | //a[@rel='next']/@href").getall()
    for pager in pagers:
        for anchor in pager.css("a[href]"):
            marker = " ".join((anchor.attrib.get("class", ""), anchor.attrib.get("aria-label", ""),
                               anchor.xpath("../@class").get() or "")).lower()
            text = (_text(anchor) or "").lower()
            if text in NEXT_ARROWS or text.rstrip(" ›»>→").strip() in NEXT_WORDS or re.search(r"(^|[\s_-])next([\s_-]|$)", marker):
                hrefs.append(anchor.attrib["href"])
    current = canonical_url(base_url)
    for href in hrefs:
        url = urljoin(base_url, href.strip())
        if href.strip() and not href.strip().startswith("#") and canonical_url(url) != current:
            return url
    return None


def parse_listing(response: TextResponse) -> ListingPage:
    """Read one listing page: its entries (known markup first, else generic) and its pager's next link."""
    page = page_selector(response)
    entries = _known_entries(page, response.url)
    layout = "site"
    if not entries:
        entries = _generic_entries(page, response.url)
        layout = "generic"
    pagers = [pager for query in PAGER_SELECTORS for pager in page.css(query)]
    next_url = _next_url(page, pagers, response.url)
    return ListingPage(entries=entries, next_url=next_url, has_pager=bool(pagers) or next_url is not None, layout=layout)
