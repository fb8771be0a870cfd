"""Extraction: one article page (a Scrapy TextResponse) -> record fields, no network, no crawl.

`extract_article` tries the known site layouts first (legacy tt_news, the 2021 redesign) and
falls back to trafilatura's generic extraction when none of them yields a body. The result
says which path produced the text ("site" or "generic"), so a silent redesign shows up in
the data and in the monitors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from parsel import Selector
from scrapy.http import TextResponse

from icmpd_news.extract import current, generic, legacy
from icmpd_news.extract.dom import images, links_and_attachments, page_selector, parse_authors, split_byline
from icmpd_news.extract.layout import LayoutMatch
from icmpd_news.extract.limits import ExtractionTimeout, PageTooComplex, check_tree, time_limit
from icmpd_news.feeds import parse_date
from icmpd_news.urls import same_site

SITE_LAYOUTS = (current, legacy)

# Title prefixes ICMPD uses as categories ("Project News: ..."). A colon alone is not enough:
# "Libya: a new chapter" is a title, not a category.
KNOWN_CATEGORIES = (
    "Project News", "Press Release", "In Focus", "Expert Voice Series", "Expert Voice",
    "Op-Ed", "Statement", "Interview", "Event", "Publication", "Blog", "News",
)
_PREFIX = re.compile(r"^\s*(?P<prefix>[^:]{2,40}?)\s*:\s+(?P<rest>\S.*)$", re.DOTALL)
_TITLE_SUFFIX = re.compile(r"\s+[|\u2013-]\s+ICMPD\s*$")


class ExtractionFailed(Exception):
    """The page holds no article text that any path could find; the message says why.

    `kind` names the reason for stats: "extraction" (no article found), "too_complex" (the
    page exceeds the input cap), "extraction_timeout" (the time limit ran out).
    """

    def __init__(self, message: str, kind: str = "extraction") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class PageArticle:
    """Everything extraction found on one page, before the loader cleans it into an item."""

    title: str | None
    title_original: str | None
    category: str | None
    published: datetime | None
    text: str
    authors: list[str]
    images: list[dict]
    attachments: list[dict]
    links: list[dict]
    language: str | None
    canonical_url: str | None
    extraction: str
    layout: str


def split_category(title: str | None, label: str | None = None) -> tuple[str | None, str | None]:
    """'Project News: X' -> ('Project News', 'X'); a page label wins when both are present."""
    if not title:
        return label, title
    match = _PREFIX.match(title)
    if match:
        prefix = match.group("prefix")
        known = {c.lower(): c for c in KNOWN_CATEGORIES}
        if label and prefix.lower() == label.lower():
            return label, match.group("rest").strip()
        if prefix.lower() in known:
            return label or known[prefix.lower()], match.group("rest").strip()
    return label, title


def _page_date(text: str | None) -> datetime | None:
    """A page date: ISO from <time datetime>, or "14 December 2020" (taken as 00:00 UTC)."""
    parsed = parse_date(text)
    return parsed if parsed is not None and parsed.year >= 1990 else None


def _canonical(page: Selector, url: str, site: str) -> str | None:
    href = page.xpath("//link[@rel='canonical']/@href").get()
    if href:
        absolute = urljoin(url, href.strip())
        if same_site(absolute, site):
            return absolute
    return None


def extract_article(
    response: TextResponse,
    site: str,
    file_hosts: frozenset[str] = frozenset(),
    min_text_chars: int = 200,
    max_tree_size: int | None = None,
    max_bytes: int | None = None,
    max_elements: int | None = None,
    max_depth: int | None = None,
    time_limit_seconds: float | None = None,
) -> PageArticle:
    """Turn an article page into fields, or raise ExtractionFailed.

    `site` is the feed's site (see urls.site_host): it decides which rel=canonical and which
    document links count as the article's own. Text shorter than `min_text_chars` counts as
    no article: a boilerplate-only page must fail, not become an empty record. A page larger
    than `max_bytes`, with more than `max_elements` elements or nested deeper than
    `max_depth`, or whose extraction takes longer than `time_limit_seconds`, fails too (see
    extract/limits.py).
    """
    if max_bytes and len(response.body) > max_bytes:
        raise ExtractionFailed(
            f"page is {len(response.body)} bytes, more than {max_bytes} (EXTRACT_MAX_BYTES)", kind="too_complex"
        )
    if time_limit_seconds:
        generic.warm_up()
    try:
        with time_limit(time_limit_seconds):
            page = page_selector(response)
            check_tree(page.root, max_elements, max_depth)
            return _extract(page, response, site, file_hosts, min_text_chars, max_tree_size)
    except PageTooComplex as error:
        raise ExtractionFailed(str(error), kind="too_complex") from None
    except ExtractionTimeout as error:
        raise ExtractionFailed(str(error), kind="extraction_timeout") from None


def _extract(
    page: Selector, response: TextResponse, site: str, file_hosts: frozenset[str], min_text_chars: int,
    max_tree_size: int | None,
) -> PageArticle:
    found: LayoutMatch | None = None
    path = "site"
    for layout in SITE_LAYOUTS:
        candidate = layout.match(page)
        if candidate and len("\n\n".join(candidate.lead_blocks + candidate.body_blocks)) >= min_text_chars:
            found = candidate
            break
    if found is None:
        path = "generic"
        found = generic.match(page, response.text, response.url, max_tree_size=max_tree_size)
    if found is None:
        raise ExtractionFailed("no article body: no known layout matched and the generic extractor found no text")
    authors, body_blocks = split_byline(found.body_blocks)
    authors = found.author_names or authors
    if not authors:
        authors, lead_blocks = split_byline(found.lead_blocks)
    else:
        lead_blocks = found.lead_blocks
    text = "\n\n".join(lead_blocks + body_blocks)
    if len(text) < min_text_chars:
        raise ExtractionFailed(
            f"article text too short ({len(text)} < {min_text_chars} characters) on the {path} path"
        )
    title_original = _TITLE_SUFFIX.sub("", found.title or "").strip() or None
    category, title = split_category(title_original, found.label)
    attachments, links = links_and_attachments(found.file_containers, response.url, site, file_hosts)
    language = page.xpath("/html/@lang").get() or page.xpath("//meta[@http-equiv='content-language']/@content").get()
    return PageArticle(
        title=title,
        title_original=title_original,
        category=category,
        published=_page_date(found.date_text),
        text=text,
        authors=[a for name in authors for a in parse_authors(name)],
        images=images(found.media_containers, response.url),
        attachments=attachments,
        links=links,
        language=language.strip().lower() if language else None,
        canonical_url=_canonical(page, response.url, site),
        extraction=path,
        layout=found.name,
    )
