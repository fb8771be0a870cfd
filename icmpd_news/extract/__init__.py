"""Extraction: one article page (a Scrapy TextResponse) -> record fields, no network, no crawl.
How: docs/extraction.md."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector
from scrapy.http import HtmlResponse, TextResponse
from scrapy.settings import BaseSettings
from scrapy.utils.response import get_base_url

from icmpd_news.extract import generic, layouts
from icmpd_news.extract.boilerplate import boilerplate_reason
from icmpd_news.extract.crosscheck import (
    CHECK_WORDS,
    PARTIAL_SHARE,
    Agreement,
    compare,
    complete,
    heading_before,
    merge,
    page_check,
    region,
)
from icmpd_news.extract.dates import find_date
from icmpd_news.extract.dom import (
    images,
    is_content_image_url,
    links_and_attachments,
    page_selector,
    parse_authors,
    split_byline,
)
from icmpd_news.extract.layouts import LayoutMatch
from icmpd_news.extract.limits import ExtractionTimeout, PageTooComplex, check_tree, time_limit
from icmpd_news.extract.metadata import PageMetadata, read_metadata
from icmpd_news.urls import same_site

# The version of extraction: raise it whenever what extraction returns for a page can change. A
# record of an older version is extracted again (from the web archive when its page is there);
# records exported before versions existed are version 1.
EXTRACTOR_VERSION = 2

# The paths extraction takes (the record's `extraction`), counted by icmpd_news.stats.articles_extraction.
EXTRACTION_PATHS = ("site", "site+generic", "generic")

# Title prefixes ICMPD uses as categories ("Project News: ..."); "Libya: a new chapter" is a title.
KNOWN_CATEGORIES = (
    "Project News", "Press Release", "In Focus", "Expert Voice Series", "Expert Voice",
    "Op-Ed", "Statement", "Interview", "Event", "Publication", "Blog", "News",
)
_PREFIX = re.compile(r"^\s*(?P<prefix>[^:]{2,40}?)\s*:\s+(?P<rest>\S.*)$", re.DOTALL)
# The site's name around a title: "ICMPD: X", "X | ICMPD", "X - ICMPD".
_SITE_NAME = re.compile(r"^\s*ICMPD\s*[:|\u2013-]\s+|\s+[:|\u2013-]\s+ICMPD\s*$")


class ExtractionFailed(Exception):
    """No path found article text; `kind` names why for stats: extraction, too_complex, extraction_timeout."""

    def __init__(self, message: str, kind: str = "extraction") -> None:
        super().__init__(message)
        self.kind = kind

    def __reduce__(self) -> tuple:
        """Pickled with its kind (it crosses from a worker process)."""
        return type(self), (str(self), self.kind)


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
    # The share of the page's text the layout's text holds (None on the generic path), and whether trafilatura ran.
    agreement: float | None = None
    crosschecked: bool = False
    # Fields whose layout value and metadata value disagree ("title", "published").
    mismatches: list[str] = field(default_factory=list)


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


def _canonical(page: Selector, base: str, site: str) -> str | None:
    href = page.xpath("//link[@rel='canonical']/@href").get()
    if href:
        absolute = urljoin(base, href.strip())
        if same_site(absolute, site):
            return absolute
    return None


def extract_options(settings: BaseSettings) -> dict[str, Any]:
    """extract_article's options from the crawl's settings (ICMPD_FILE_HOSTS, ICMPD_MIN_TEXT_CHARS, ICMPD_EXTRACT_*)."""
    return {
        "file_hosts": frozenset(h.lower() for h in settings.getlist("ICMPD_FILE_HOSTS")),
        "min_text_chars": settings.getint("ICMPD_MIN_TEXT_CHARS"),
        "max_tree_size": settings.getint("ICMPD_EXTRACT_MAX_TREE_SIZE") or None,
        "max_bytes": settings.getint("ICMPD_EXTRACT_MAX_BYTES") or None,
        "max_elements": settings.getint("ICMPD_EXTRACT_MAX_ELEMENTS") or None,
        "max_depth": settings.getint("ICMPD_EXTRACT_MAX_DEPTH") or None,
        "time_limit_seconds": settings.getfloat("ICMPD_EXTRACT_TIME_LIMIT") or None,
    }


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
    """Turn an article page into fields, or raise ExtractionFailed (a text shorter than `min_text_chars`
    or mostly notices, a page beyond a bound). Only `site` (urls.site_host) gives rel=canonical and files."""
    if max_bytes and len(response.body) > max_bytes:
        raise ExtractionFailed(
            f"page is {len(response.body)} bytes, more than {max_bytes} (ICMPD_EXTRACT_MAX_BYTES)", kind="too_complex"
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


def extract_page(url: str, body: bytes, encoding: str, **options: Any) -> PageArticle:
    """extract_article on a page given by its URL, bytes and encoding: what a worker process receives."""
    return extract_article(HtmlResponse(url=url, body=body, encoding=encoding), **options)


@dataclass
class _Reading:
    """Which text a path found, where its images and files are, and how it was checked."""

    found: LayoutMatch
    path: str
    blocks: list[str]
    containers: list[etree._Element]
    agreement: Agreement | None = None
    crosschecked: bool = False


def _extract(
    page: Selector, response: TextResponse, site: str, file_hosts: frozenset[str], min_text_chars: int,
    max_tree_size: int | None,
) -> PageArticle:
    base = get_base_url(response)
    body = next(page.root.iter("body"), page.root)
    metadata = read_metadata(page, base)
    found = next((m for m in (layouts.match(layout, page) for layout in layouts.SITE_LAYOUTS) if m), None)
    if found is not None:
        reading = _read_site(found, page, response, body, min_text_chars, max_tree_size)
    else:
        reading = _read_generic(page, response, body, metadata, max_tree_size)
    found = reading.found
    title_original = _SITE_NAME.sub("", found.title or metadata.title or "").strip() or None
    category, title = split_category(title_original, found.label or metadata.section)
    byline, blocks = split_byline(_without(reading.blocks, {title, title_original, category}))
    text = "\n\n".join(blocks)
    if len(text) < min_text_chars:
        raise ExtractionFailed(
            f"article text too short ({len(text)} < {min_text_chars} characters) on the {reading.path} path"
        )
    notice = boilerplate_reason(text)
    if notice:
        raise ExtractionFailed(f"article text on the {reading.path} path is boilerplate, not an article: {notice}")
    published = find_date(found.date_text) or metadata.published
    if published is None and reading.path != "generic":
        published = find_date(layouts.date_line(found.media_containers[0]))
    attachments, links = links_and_attachments(reading.containers, base, site, file_hosts)
    language = page.xpath("/html/@lang").get() or page.xpath("//meta[@http-equiv='content-language']/@content").get()
    figures = images(reading.containers, base, response.url)
    if not figures and metadata.image and is_content_image_url(metadata.image):
        figures = [{"url": metadata.image, "alt": None, "caption": None}]
    return PageArticle(
        title=title,
        title_original=title_original,
        category=category,
        published=published,
        text=text,
        authors=[a for name in (found.author_names or byline or metadata.authors) for a in parse_authors(name)],
        images=figures,
        attachments=attachments,
        links=links,
        language=language.strip().lower() if language else None,
        canonical_url=_canonical(page, base, site),
        extraction=reading.path,
        layout=found.name,
        agreement=reading.agreement.share if reading.agreement is not None else None,
        crosschecked=reading.crosschecked,
        mismatches=_mismatches(found, metadata),
    )


def _read_site(
    found: LayoutMatch, page: Selector, response: TextResponse, body: etree._Element, min_text_chars: int,
    max_tree_size: int | None,
) -> _Reading:
    """A known layout's text, checked against the page's prose, and cross-checked when that fails."""
    reading = _Reading(found, "site", found.body_blocks, found.media_containers)
    reading.agreement = page_check(body, "\n".join(reading.blocks))
    if reading.agreement.missing_words < CHECK_WORDS and len("\n\n".join(reading.blocks)) >= min_text_chars:
        return reading
    return _cross_check(reading, page, response, body, max_tree_size)


def _cross_check(
    reading: _Reading, page: Selector, response: TextResponse, body: etree._Element, max_tree_size: int | None,
) -> _Reading:
    """The layout's reading, merged with the generic extractor's text when it lacks more than PARTIAL_SHARE."""
    found = reading.found
    other = generic.match(page, response.text, response.url, max_tree_size=max_tree_size, with_metadata=False)
    if other is None:
        return reading
    reading.crosschecked = True
    generic_blocks = complete(body, _without(other.lead_blocks + other.body_blocks, {found.title}), found.title)
    reading.agreement = compare(reading.blocks, generic_blocks)
    if reading.agreement.missing_share > PARTIAL_SHARE:
        lacking = reading.agreement.missing_blocks
        reading.path = "site+generic"
        reading.blocks = merge(body, reading.blocks, generic_blocks, lacking)
        reading.containers = [*reading.containers, region(body, [generic_blocks[index] for index in lacking])]
    return reading


def _read_generic(
    page: Selector, response: TextResponse, body: etree._Element, metadata: PageMetadata, max_tree_size: int | None,
) -> _Reading:
    """The generic extractor's text without the headings above the title, its files from its region."""
    found = generic.match(page, response.text, response.url, max_tree_size=max_tree_size)
    if found is None:
        raise ExtractionFailed("no article body: no known layout matched and the generic extractor found no text")
    blocks = found.lead_blocks + found.body_blocks
    found.title = metadata.title or heading_before(body, blocks) or found.title
    blocks = complete(body, _after_title(blocks, found.title), found.title)
    container = region(body, blocks)
    found.label = layouts.category_label(container)
    return _Reading(found, "generic", blocks, [container])


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _after_title(blocks: list[str], title: str | None) -> list[str]:
    """The generic text without the title and the page headings above it ("News - Detail")."""
    for index, block in enumerate(blocks[:3]):
        if _same(block, title) or _same(block, _SITE_NAME.sub("", title or "")):
            return blocks[index + 1:]
    return blocks


def _without(blocks: list[str], fields: set[str | None]) -> list[str]:
    """The blocks apart from those that only repeat a field (the title, the category label)."""
    return [block for block in blocks if not any(_same(block, value) for value in fields)]


def _mismatches(found: LayoutMatch, metadata: PageMetadata) -> list[str]:
    """The fields on which layout and metadata disagree: title (words) and publication day."""
    mismatched = []
    if found.title and metadata.title:
        titles = [split_category(_SITE_NAME.sub("", title))[1] for title in (found.title, metadata.title)]
        if not _same(*titles):
            mismatched.append("title")
    layout_date = find_date(found.date_text)
    if layout_date and metadata.published and layout_date.date() != metadata.published.date():
        mismatched.append("published")
    return mismatched
