"""Safe feed parsing: RSS 2.0 and Atom bytes -> Feed. Every XML parse goes through `safe_xml_parser()`."""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from lxml import etree

from icmpd_news.extract import EXTRACTOR_VERSION
from icmpd_news.extract.dates import parse_date

NAMESPACES = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_TRAILING_ELLIPSIS = re.compile(r"\s*(\.\.\.|…|\[\.\.\.\]|\[…\])\s*$")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_FIRST_NON_SPACE = re.compile(rb"\s*(\S)")


class FeedError(ValueError):
    """The bytes are not a feed we can read; the message says why, in one line."""


@dataclass
class FeedEntry:
    """One feed item as the spider needs it: where the article is and what the feed says of it."""

    link: str | None
    title: str | None = None
    summary: str | None = None
    published: datetime | None = None
    content_html: str | None = None
    categories: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)


@dataclass
class Feed:
    """A parsed feed: its entries in document order, plus the channel facts records reuse."""

    kind: str
    title: str | None
    language: str | None
    entries: list[FeedEntry]
    recovered: bool = False


def safe_xml_parser(recover: bool = False, events: tuple[str, ...] | None = None) -> etree.XMLParser:
    """An lxml parser (with `events`, a pull parser) that resolves no entity, loads no DTD, uses no network."""
    options = {
        "resolve_entities": False, "load_dtd": False, "no_network": True, "huge_tree": False,
        "remove_comments": True, "remove_pis": True, "recover": recover,
    }
    if events is not None:
        return etree.XMLPullParser(events=events, **options)
    return etree.XMLParser(**options)


def clean_teaser(value: str | None) -> str | None:
    """The feed teaser as plain text, without markup and without its trailing ellipsis."""
    if not value:
        return None
    text = html.unescape(_TAG.sub(" ", value))
    text = _SPACE.sub(" ", text).strip()
    text = _TRAILING_ELLIPSIS.sub("", text)
    return text or None


def _refuse_entity_declarations(root: etree._Element) -> None:
    """Raise FeedError for a document whose DTD declares entities, as defusedxml does by default."""
    dtd = root.getroottree().docinfo.internalDTD
    names = [entity.name for entity in dtd.iterentities()] if dtd is not None else []
    if names:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise FeedError(
            f"refused: the document declares {len(names)} XML entities ({shown}); feeds never need "
            "them and they are how external-entity and entity-expansion attacks work"
        )


def _refuse_non_feed(body: bytes) -> None:
    # A match, not body.strip(): stripping would copy the whole body to look at one character.
    first = _FIRST_NON_SPACE.match(body)
    if first is None:
        raise FeedError("empty body")
    if first.group(1) in (b"{", b"["):
        raise FeedError("not a feed: the body looks like JSON, not RSS or Atom XML")


def _root(body: bytes) -> tuple[etree._Element, bool]:
    try:
        root, recovered = etree.fromstring(body, parser=safe_xml_parser()), False
    except etree.XMLSyntaxError as strict_error:
        try:
            root = etree.fromstring(body, parser=safe_xml_parser(recover=True))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            raise FeedError(f"not well-formed XML: {strict_error}") from None
        recovered = True
    _refuse_entity_declarations(root)
    return root, recovered


@functools.cache
def _xpath(expression: str) -> etree.XPath:
    """`expression` compiled once, with the feed namespaces (parsel per node was much slower)."""
    return etree.XPath(expression, namespaces=NAMESPACES)


def _strings(node: etree._Element, xpath: str) -> list[str]:
    """The string values `xpath` selects (plain str: lxml's keep their element alive)."""
    return [str(value) for value in _xpath(xpath)(node)]


def _text(node: etree._Element | None, xpath: str) -> str | None:
    if node is None:
        return None
    value = _xpath(f"normalize-space({xpath})")(node)
    return str(value) or None


def _raw(node: etree._Element, xpath: str) -> str | None:
    value = "".join(_strings(node, xpath)).strip()
    return value or None


def _rss_entry(item: etree._Element, base_url: str, with_content: bool = True) -> FeedEntry:
    link = _text(item, "link") or _text(item, "guid[not(@isPermaLink='false')]")
    return FeedEntry(
        link=urljoin(base_url, link) if link else None,
        title=_text(item, "title"),
        summary=clean_teaser(_raw(item, "description/text()")),
        published=parse_date(_text(item, "pubDate") or _text(item, "dc:date")),
        content_html=_raw(item, "content:encoded/text()") if with_content else None,
        categories=[c.strip() for c in _strings(item, "category/text()") if c.strip()],
        authors=[a.strip() for a in _strings(item, "author/text() | dc:creator/text()") if a.strip()],
    )


def _atom_entry(entry: etree._Element, base_url: str, with_content: bool = True) -> FeedEntry:
    link = _text(entry, "atom:link[@rel='alternate' or not(@rel)][1]/@href")
    return FeedEntry(
        link=urljoin(base_url, link) if link else None,
        title=clean_teaser(_raw(entry, "atom:title//text()")),
        summary=clean_teaser(_raw(entry, "atom:summary//text()")),
        published=parse_date(_text(entry, "atom:published") or _text(entry, "atom:updated")),
        content_html=_raw(entry, "atom:content//text()") if with_content else None,
        categories=_strings(entry, "atom:category/@term"),
        authors=[a.strip() for a in _strings(entry, "atom:author/atom:name/text()") if a.strip()],
    )


def _is_feed_root(root: etree._Element) -> str:
    """"rss" or "atom" for a feed's root element; FeedError otherwise."""
    tag = etree.QName(root).localname.lower()
    if tag == "rss":
        return "rss"
    if tag == "feed" and root.nsmap.get(None) == NAMESPACES["atom"]:
        return "atom"
    raise FeedError(f"not a feed: the document's root element is <{tag}>, not <rss> or <feed>")


def _feed_of(kind: str, root: etree._Element, entries: list[FeedEntry], recovered: bool) -> Feed:
    """The Feed, its channel facts read from `root` (which need not hold the entries any more)."""
    if kind == "rss":
        channel = next(iter(_xpath("/rss/channel")(root)), None)
        return Feed("rss", _text(channel, "title"), _text(channel, "language"), entries, recovered)
    language = root.get("{http://www.w3.org/XML/1998/namespace}lang")
    return Feed("atom", _text(root, "/atom:feed/atom:title"), language, entries, recovered)


_ATOM_FEED = f"{{{NAMESPACES['atom']}}}feed"
_ATOM_ENTRY = f"{{{NAMESPACES['atom']}}}entry"
_STREAM_CHUNK = 1 << 16


def _is_entry(kind: str, element: etree._Element) -> bool:
    """Whether `element` is exactly /rss/channel/item or /atom:feed/atom:entry."""
    parent = element.getparent()
    if parent is None:
        return False
    if kind == "rss":
        grandparent = parent.getparent()
        return (element.tag == "item" and parent.tag == "channel" and grandparent is not None
                and grandparent.getparent() is None and grandparent.tag == "rss")
    return element.tag == _ATOM_ENTRY and parent.tag == _ATOM_FEED and parent.getparent() is None


def _stream_feed(body: bytes, base_url: str, with_content: bool) -> Feed:
    """Parse a well-formed feed entry by entry, dropping each once read, with the tree parse's checks;
    XMLSyntaxError when it is not well-formed. (lxml's iterparse takes no parser of ours.)"""
    parser = safe_xml_parser(events=("start", "end"))
    kind = root = None
    entries: list[FeedEntry] = []
    for start in range(0, len(body), _STREAM_CHUNK):
        parser.feed(body[start:start + _STREAM_CHUNK])
        for event, element in parser.read_events():
            if root is None:
                root = element
                _refuse_entity_declarations(root)
                kind = _is_feed_root(root)
                entry_of = _rss_entry if kind == "rss" else _atom_entry
            elif event == "end" and _is_entry(kind, element):
                entries.append(entry_of(element, base_url, with_content))
                element.clear()
                element.getparent().remove(element)
    parser.close()
    return _feed_of(kind, root, entries, recovered=False)


def feed_to_rows(feed: Feed) -> tuple[str, Iterator[tuple[str | None, str]]]:
    """The parsed feed as JSON texts, kept beside the feed's stored copy (feed_from_rows reads them
    back): its channel facts with the extraction version that parsed it, then (link, JSON text) per
    entry, each made as it is asked for."""
    facts = {"kind": feed.kind, "title": feed.title, "language": feed.language, "recovered": feed.recovered,
             "extractor_version": EXTRACTOR_VERSION}
    entries = ((entry.link, json.dumps(vars(entry) | {"published": entry.published and entry.published.isoformat()},
                                       ensure_ascii=False)) for entry in feed.entries)
    return json.dumps(facts, ensure_ascii=False), entries


def feed_from_rows(facts: str, entries: Iterable[tuple[str | None, str]],
                   brief: Callable[[str], bool] | None = None) -> Feed | None:
    """The Feed feed_to_rows wrote; None when another extraction version parsed it (parse the copy
    again). An entry whose link `brief` accepts is read as its link alone, its text not decoded."""
    fields = json.loads(facts)
    if fields.pop("extractor_version", None) != EXTRACTOR_VERSION:
        return None
    parsed = []
    for link, text in entries:
        if link and brief is not None and brief(link):
            parsed.append(FeedEntry(link))
            continue
        entry = json.loads(text)
        if entry["published"]:
            entry["published"] = datetime.fromisoformat(entry["published"])
        parsed.append(FeedEntry(**entry))
    return Feed(**fields, entries=parsed)


def parse_feed(body: bytes, base_url: str, with_content: bool = True) -> Feed:
    """Parse feed bytes into a Feed (recovering malformed XML), or raise FeedError with a one-line reason.
    `with_content=False` leaves every entry's content_html None."""
    _refuse_non_feed(body)
    try:
        return _stream_feed(body, base_url, with_content)
    except etree.XMLSyntaxError:
        pass
    root, recovered = _root(body)
    kind = _is_feed_root(root)
    if kind == "rss":
        entries = [_rss_entry(item, base_url, with_content) for item in _xpath("/rss/channel/item")(root)]
    else:
        entries = [_atom_entry(e, base_url, with_content) for e in _xpath("/atom:feed/atom:entry")(root)]
    return _feed_of(kind, root, entries, recovered)
