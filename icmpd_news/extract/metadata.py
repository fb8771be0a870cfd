"""Standard page metadata, a source independent of any layout: OpenGraph, JSON-LD, meta tags.
Why not extruct: docs/extraction.md, "Metadata"."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from icmpd_news.extract.dates import find_date
from icmpd_news.extract.dom import parse_authors

logger = logging.getLogger(__name__)

ARTICLE_TYPES = {"Article", "NewsArticle", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle",
                 "PressRelease", "ScholarlyArticle", "Report", "WebPage"}


@dataclass
class PageMetadata:
    """What the page declares about itself; every field None (or empty) when it declares nothing."""

    title: str | None = None
    published: datetime | None = None
    image: str | None = None
    authors: list[str] = field(default_factory=list)
    description: str | None = None
    section: str | None = None


def read_metadata(page: Selector, base_url: str) -> PageMetadata:
    """OpenGraph, then JSON-LD, then plain meta tags and microdata, in that order of trust per field."""
    meta = _meta_tags(page)
    ld = _json_ld_article(page)
    title = ld.get("headline") or meta.get("og:title") or meta.get("twitter:title")
    published = (_first_date(ld.get("datePublished"), meta.get("article:published_time"),
                             page.css("[itemprop=datePublished]::attr(datetime), [itemprop=datePublished]::attr(content)").get(),
                             meta.get("date"), meta.get("dc.date"), meta.get("dcterms.created"), meta.get("pubdate")))
    image = _image_url(ld.get("image")) or meta.get("og:image") or meta.get("twitter:image")
    authors = (_person_names(ld.get("author")) or _names(meta.get("author"))
               or [name for name in page.css("[itemprop=author] [itemprop=name]::text").getall() if name.strip()])
    return PageMetadata(
        title=_text(title),
        published=published,
        image=urljoin(base_url, image.strip()) if isinstance(image, str) and image.strip() else None,
        authors=[name.strip() for name in authors if name.strip() and not name.strip().startswith("http")],
        description=_text(ld.get("description") or meta.get("og:description") or meta.get("description")),
        section=_text(_first_text(ld.get("articleSection")) or meta.get("article:section")),
    )


def _meta_tags(page: Selector) -> dict[str, str]:
    """<meta property|name=... content=...> as {lower-case name: first content}."""
    found: dict[str, str] = {}
    for tag in page.xpath("//meta[@content]"):
        name = (tag.attrib.get("property") or tag.attrib.get("name") or "").strip().lower()
        if name and name not in found and tag.attrib["content"].strip():
            found[name] = tag.attrib["content"].strip()
    return found


def _json_ld_article(page: Selector) -> dict[str, Any]:
    """The first article-like object among the page's JSON-LD scripts ({} when none)."""
    for script in page.xpath("//script[@type='application/ld+json']/text()").getall():
        try:
            data = json.loads(script, strict=False)
        except ValueError:
            logger.debug("unreadable JSON-LD script skipped: %.80s", script.strip())
            continue
        for item in _objects(data):
            types = item.get("@type")
            types = set(types) if isinstance(types, list) else {types}
            if types & ARTICLE_TYPES and (item.get("headline") or item.get("datePublished") or item.get("author")):
                return item
    return {}


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD document: top-level lists and @graph arrays flattened."""
    if isinstance(data, list):
        for value in data:
            yield from _objects(value)
    elif isinstance(data, dict):
        yield data
        yield from _objects(data.get("@graph"))


def _first_date(*values: Any) -> datetime | None:
    for value in values:
        if isinstance(value, str):
            parsed = find_date(value)
            if parsed is not None:
                return parsed
    return None


def _first_text(value: Any) -> str | None:
    """A text, or the first of a list of texts."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _image_url(value: Any) -> str | None:
    """schema.org image: a URL, an ImageObject, or a list of either (the first)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value if isinstance(value, str) else None


def _person_names(value: Any) -> list[str]:
    """schema.org author: a name, a Person or Organization, or a list of them."""
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str):
            names.extend(_names(name))
    return names


def _names(value: str | None) -> list[str]:
    return parse_authors(value) if value else []


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None
