"""The generic fallback: trafilatura's precision mode with three repairs (docs/extraction.md)."""

from __future__ import annotations

import re
from configparser import ConfigParser
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from lxml import etree
from parsel import Selector

from icmpd_news.extract.boilerplate import boilerplate_reason
from icmpd_news.extract.dom import is_boilerplate, text_blocks
from icmpd_news.extract.layouts import LayoutMatch

if TYPE_CHECKING:
    from trafilatura.settings import Document

NAME = "generic"
# A precision-mode text shorter than this is checked against trafilatura's default mode.
SHORT_TEXT_CHARS = 500
# The default mode's text replaces a short one when it holds this many times its prose.
WIDER_FACTOR = 2
# Prose: lines of at least this many characters that end a sentence, in blocks that are no notice.
PARAGRAPH_CHARS = 100
_SENTENCE_ENDS = tuple('.!?…:;"”’»)。！？')
# An added chunk keeps only its children whose text is at most this share link text.
CHUNK_LINK_SHARE = 1 / 3
# Paragraphs shorter than this (in key characters) do not decide where the body is.
_ANCHOR_PARAGRAPH_CHARS = 40
_WORDS = re.compile(r"\w+")


def _blocks(text: str, title: str | None) -> list[str]:
    """trafilatura's plain text regrouped into blocks (consecutive "- " list items in one block)."""
    blocks: list[str] = []
    in_list = False
    for line in (line.strip() for line in text.split("\n")):
        if not line or (not blocks and title and line == title):
            continue
        if line.startswith("- "):
            item = line[2:].strip()
            if in_list:
                blocks[-1] += "\n" + item
            else:
                blocks.append(item)
            in_list = True
        else:
            blocks.append(line)
            in_list = False
    return blocks


def _trafilatura() -> ModuleType:
    """trafilatura, imported on first use (a quiet re-run does not pay its 0.2 s import)."""
    import trafilatura  # here: see the docstring

    return trafilatura


@cache
def _config(max_tree_size: int | None) -> ConfigParser:
    """trafilatura's default settings (a fresh copy) with MAX_TREE_SIZE set (trafilatura 2 has no argument for it)."""
    from trafilatura.settings import use_config  # here: see _trafilatura

    config = use_config()
    if max_tree_size:
        config.set("DEFAULT", "MAX_TREE_SIZE", str(max_tree_size))
    return config


@cache
def warm_up() -> None:
    """Pay trafilatura's one-time set-up (1-3 s) now, outside the per-page time limit."""
    _trafilatura().bare_extraction("<html><body><p>warm up</p></body></html>", url="http://localhost/",
                                favor_precision=True, config=_config(None))


def _key(text: str) -> str:
    """Text reduced to its lower-cased words, so trafilatura's paragraph and the page's compare equal."""
    return " ".join(_WORDS.findall(text.lower()))


def _prose_chars(blocks: list[str]) -> int:
    """The characters of the blocks' prose (see PARAGRAPH_CHARS)."""
    return sum(
        len(line)
        for block in blocks if not boilerplate_reason(block)
        for line in block.split("\n") if len(line) >= PARAGRAPH_CHARS and line.endswith(_SENTENCE_ENDS)
    )


def _run_trafilatura(html: str, url: str, max_tree_size: int | None, precision: bool,
                     with_metadata: bool) -> Document | None:
    """trafilatura's document for the page; None when it found no text."""
    doc = _trafilatura().bare_extraction(
        html, url=url, with_metadata=with_metadata, include_tables=True, include_comments=False,
        favor_precision=precision, config=_config(max_tree_size),
    )
    return doc if doc is not None and (doc.text or "").strip() else None


def _signature(el: etree._Element) -> tuple[str, str | None]:
    return el.tag, el.get("class")


def _wrappers(el: etree._Element | None, stop: etree._Element) -> list[tuple[str, str | None]]:
    path = []
    while el is not None and el is not stop:
        path.append(_signature(el))
        el = el.getparent()
    return path


def _link_share(el: etree._Element) -> float:
    text = len(_key("".join(el.itertext())))
    links = sum(len(_key("".join(a.itertext()))) for a in el.iter("a"))
    return links / text if text else 1.0


def _chunk_blocks(chunk: etree._Element, known: dict[str, int]) -> list[str]:
    """The chunk's blocks not known yet, from its children that are neither boilerplate nor mostly links."""
    return [
        block
        for child in chunk
        if isinstance(child.tag, str) and not is_boilerplate(child) and _link_share(child) <= CHUNK_LINK_SHARE
        for block in text_blocks(child)
        if _key(block) and not any(_key(line) in known for line in block.split("\n"))
    ]


def _add_sibling_chunks(root: etree._Element, blocks: list[str]) -> list[str]:
    """The blocks with the body's other chunks added in page order: elements of the same tag and
    classes as the one holding most of the text's paragraphs, wrapped the same way, outside
    boilerplate and with prose of their own."""
    known = {_key(line): index for index, block in enumerate(blocks) for line in block.split("\n")}
    weight: dict[etree._Element, int] = {}
    for p in root.iter("p"):
        text = "".join(p.itertext())
        if len(text) < _ANCHOR_PARAGRAPH_CHARS:
            continue
        key = _key(text)
        parent = p.getparent()
        if len(key) >= _ANCHOR_PARAGRAPH_CHARS and key in known and parent is not None:
            weight[parent] = weight.get(parent, 0) + len(key)
    if not weight:
        return blocks
    chunk = max(weight, key=weight.__getitem__)
    if not chunk.get("class", "").strip():
        return blocks  # a bare element is no evidence of a repeated body element
    classes, ancestors = chunk.get("class"), set(chunk.iterancestors())
    before: list[str] = []
    after: list[str] = []
    passed = False
    for other in root.iter(chunk.tag):
        if other is chunk:
            passed = True
            continue
        if other.get("class") != classes or other in ancestors:
            continue
        other_ancestors = list(other.iterancestors())
        if chunk in other_ancestors or any(is_boilerplate(el) for el in (other, *other_ancestors)):
            continue
        common = next((el for el in other_ancestors if el in ancestors), None)
        if common is None or _wrappers(other.getparent(), common) != _wrappers(chunk.getparent(), common):
            continue
        new = _chunk_blocks(other, known)
        if _prose_chars(new):
            (after if passed else before).extend(new)
    if not before and not after:
        return blocks
    own = sorted(known[key] for p in chunk.iter("p") if (key := _key("".join(p.itertext()))) in known)
    first, last = own[0], own[-1]
    return blocks[:first] + before + blocks[first:last + 1] + after + blocks[last + 1:]


def _without_edge_notices(blocks: list[str]) -> list[str]:
    """The blocks without the notices that open or close them (the last block kept whatever it is)."""
    start, end = 0, len(blocks)
    while end - start > 1 and boilerplate_reason(blocks[start]):
        start += 1
    while end - start > 1 and boilerplate_reason(blocks[end - 1]):
        end -= 1
    return blocks[start:end]


def match(
    page: Selector, html: str, url: str, max_tree_size: int | None = None, with_metadata: bool = True,
) -> LayoutMatch | None:
    """trafilatura's main text, repaired; None when it finds nothing. `with_metadata`: title, date, authors."""
    doc = _run_trafilatura(html, url, max_tree_size, precision=True, with_metadata=with_metadata)
    heading = page.css("h1").xpath("normalize-space()").get()
    blocks = _blocks(doc.text, doc.title or heading) if doc else []
    text = "\n\n".join(blocks)
    notice = boilerplate_reason(text)
    if notice or len(text) < SHORT_TEXT_CHARS:
        # Metadata does not depend on the mode: read it again only when the first pass found nothing.
        wider_doc = _run_trafilatura(html, url, max_tree_size, precision=False, with_metadata=with_metadata and doc is None)
        wider = _blocks(wider_doc.text, (doc or wider_doc).title or heading) if wider_doc else []
        wider_text = "\n\n".join(wider)
        if _prose_chars(wider) >= max(WIDER_FACTOR * _prose_chars(blocks), PARAGRAPH_CHARS) and not boilerplate_reason(wider_text):
            blocks, doc, notice = wider, doc or wider_doc, None
    if doc is None:
        return None
    blocks = _add_sibling_chunks(page.root, blocks)
    if not notice:  # a text of notices stays whole, for extraction to refuse with its reason
        blocks = _without_edge_notices(blocks)
    title = doc.title or heading
    body = page.css("main, article, body")
    return LayoutMatch(
        name=NAME,
        title=title,
        date_text=doc.date,
        label=None,
        lead_blocks=[],
        body_blocks=blocks,
        author_names=[name.strip() for name in (doc.author or "").split(";") if name.strip()],
        media_containers=[body[0].root] if body else [],
        file_containers=[body[0].root] if body else [],
    )
