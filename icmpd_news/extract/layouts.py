"""The known site layouts, as data: where an article page keeps its root, title, date, category and
authors; the text is the rest of the root. Where the selectors come from: docs/extraction.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from parsel import Selector

from icmpd_news.extract.dom import (
    class_words,
    first,
    is_boilerplate,
    is_date_line,
    is_non_text,
    normalise_space,
    one_line,
    parse_authors,
    text_blocks,
)


@dataclass
class LayoutMatch:
    """The raw parts one layout found; extract_article turns them into record fields."""

    name: str
    title: str | None
    date_text: str | None
    label: str | None
    lead_blocks: list[str]
    body_blocks: list[str]
    author_names: list[str] = field(default_factory=list)
    media_containers: list[etree._Element] = field(default_factory=list)
    file_containers: list[etree._Element] = field(default_factory=list)


@dataclass(frozen=True)
class SiteLayout:
    """CSS selectors per part, tried in order inside the root (the date also in the whole page)."""

    name: str
    root: tuple[str, ...]
    title: tuple[str, ...]
    date: tuple[str, ...]
    label: tuple[str, ...]
    authors: tuple[str, ...]


LEGACY = SiteLayout(
    name="legacy",
    root=(".news-single-item",),
    title=("h1", "h2"),
    date=(".news-single-rightbox", ".news-single-timedata", ".news-single-date"),
    label=(".news-single-category", "[class*=category]"),
    authors=(".news-single-author",),
)
CURRENT = SiteLayout(
    name="current",
    root=("article.news-detail", ".news-single .article"),
    title=(".news-detail__title", "[itemprop=headline]", "h1"),
    date=(".news-detail__date", "[itemprop=datePublished]", ".news-list-date", "time"),
    label=(".news-detail__category", ".news-list-category", ".news-single-category", "[class*=category]", ".label"),
    authors=(".news-detail__authors", "[itemprop=author]", ".news-list-author"),
)
SITE_LAYOUTS = (CURRENT, LEGACY)
_AUTHOR_LABELS = ("author:", "authors:", "autor:", "autorin:", "auteur:", "written by")


def match(layout: SiteLayout, page: Selector) -> LayoutMatch | None:
    """The layout's reading of the page, or None when the page has no such root or it holds no text."""
    root = first(page, *layout.root)
    if root is None:
        return None
    parts = {name: first(root, *getattr(layout, name)) for name in ("title", "label", "authors")}
    date = first(root, *layout.date) or first(page, *layout.date)
    known = {part.root for part in (*parts.values(), date) if part is not None}
    blocks = text_blocks(root.root, skip=lambda el: el in known or is_boilerplate(el) or is_non_text(el))
    if not blocks:
        return None
    return LayoutMatch(
        name=layout.name,
        title=_text(parts["title"]),
        date_text=_date_text(date),
        label=_label(parts["label"]),
        lead_blocks=[],
        body_blocks=blocks,
        author_names=_authors(parts["authors"]),
        media_containers=[root.root],
        file_containers=[root.root],
    )


def _text(part: Selector | None) -> str | None:
    if part is None:
        return None
    return normalise_space(part.xpath("normalize-space()").get() or "") or None


def _date_text(part: Selector | None) -> str | None:
    """A date element's machine-readable value (<time datetime>, content) or its text."""
    if part is None:
        return None
    return part.attrib.get("datetime") or part.attrib.get("content") or one_line(part.root) or None


def _label(part: Selector | None) -> str | None:
    """A category label without a leading "Category:" caption."""
    text = _text(part)
    if text and ":" in text and text.split(":", 1)[0].strip().lower() in ("category", "categories", "kategorie"):
        text = text.split(":", 1)[1].strip()
    return text or None


def _authors(part: Selector | None) -> list[str]:
    """Author names: the links' texts, the schema.org names, else the text without "By" or "Author:"."""
    if part is None:
        return []
    for query in ("a::text", "[itemprop=name]::text"):
        names = [normalise_space(name) for name in part.css(query).getall() if name.strip()]
        if names:
            return names
    text = _text(part) or ""
    for label in _AUTHOR_LABELS:
        if text.lower().startswith(label):
            text = text[len(label):]
    return parse_authors(text) if text.strip() else []


def category_label(root: etree._Element) -> str | None:
    """The text of the first short element whose class names a category (for unknown layouts)."""
    for el in root.iter():
        if isinstance(el.tag, str) and class_words(el) & {"category", "categories"}:
            text = one_line(el)
            if text and len(text.split()) <= 4:
                return text
    return None


def date_line(root: etree._Element) -> str | None:
    """The first short line in the root that is only a date (for date elements the layout does not know)."""
    for el in root.iter():
        if not isinstance(el.tag, str) or is_boilerplate(el) or len(el) > 3:
            continue
        text = one_line(el)
        if text and is_date_line(text):
            return text
    return None
