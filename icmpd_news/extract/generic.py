"""The generic fallback: trafilatura's main-content extraction, for pages no known layout matches.

trafilatura runs in its precision mode (bench/README.md, "Extraction quality", has the method
and the figures). A text that is a notice (see boilerplate.py) or shorter than SHORT_TEXT_CHARS
is extracted again with trafilatura's default settings, and that wider text is taken when it is
no notice and at least WIDER_FACTOR times as long: precision mode can keep a reprint line and
drop the body.
"""

from __future__ import annotations

from configparser import ConfigParser
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from parsel import Selector

from icmpd_news.extract.boilerplate import boilerplate_reason
from icmpd_news.extract.layout import LayoutMatch

if TYPE_CHECKING:
    from trafilatura.settings import Document

NAME = "generic"
# A precision-mode text shorter than this is checked against trafilatura's default mode.
SHORT_TEXT_CHARS = 500
# The default mode's text replaces a short one when it is at least this many times as long.
WIDER_FACTOR = 2


def _blocks(text: str, title: str | None) -> list[str]:
    """trafilatura's plain text has one line per paragraph and "- " list items: regroup them
    into our blocks (paragraphs apart, consecutive list items in one block)."""
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
    """trafilatura, imported on first use: a crawl that extracts no page (a quiet re-run) does
    not pay its import (0.2 s, with courlan, htmldate and justext)."""
    import trafilatura  # here: see the docstring

    return trafilatura


@cache
def _config(max_tree_size: int | None) -> ConfigParser:
    """trafilatura's default settings (a fresh copy) with MAX_TREE_SIZE set: trafilatura 2
    refuses the old `max_tree_size` argument (ValueError) and reads the limit from its settings."""
    from trafilatura.settings import use_config  # here: see _trafilatura

    config = use_config()
    if max_tree_size:
        config.set("DEFAULT", "MAX_TREE_SIZE", str(max_tree_size))
    return config


@cache
def warm_up() -> None:
    """Pay trafilatura's one-time set-up (justext's stoplists for every language, 1-3 s) now,
    outside the per-page time limit, so that the first page is not charged for it."""
    _trafilatura().bare_extraction("<html><body><p>warm up</p></body></html>", url="http://localhost/",
                                favor_precision=True, config=_config(None))


def _run_trafilatura(html: str, url: str, max_tree_size: int | None, precision: bool,
                     with_metadata: bool) -> Document | None:
    """trafilatura's document for the page; None when it found no text."""
    doc = _trafilatura().bare_extraction(
        html, url=url, with_metadata=with_metadata, include_tables=True, include_comments=False,
        favor_precision=precision, config=_config(max_tree_size),
    )
    return doc if doc is not None and (doc.text or "").strip() else None


def match(page: Selector, html: str, url: str, max_tree_size: int | None = None) -> LayoutMatch | None:
    """Let trafilatura find the main text (see the module docstring); None when it finds nothing."""
    doc = _run_trafilatura(html, url, max_tree_size, precision=True, with_metadata=True)
    heading = page.css("h1").xpath("normalize-space()").get()
    blocks = _blocks(doc.text, doc.title or heading) if doc else []
    text = "\n\n".join(blocks)
    notice = boilerplate_reason(text)
    if notice or len(text) < SHORT_TEXT_CHARS:
        # Metadata does not depend on the mode: read it again only when the first pass found nothing.
        wider_doc = _run_trafilatura(html, url, max_tree_size, precision=False, with_metadata=doc is None)
        wider = _blocks(wider_doc.text, (doc or wider_doc).title or heading) if wider_doc else []
        wider_text = "\n\n".join(wider)
        if wider and not boilerplate_reason(wider_text) and (notice or len(wider_text) >= WIDER_FACTOR * len(text)):
            blocks, doc = wider, doc or wider_doc
    if doc is None:
        return None
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
