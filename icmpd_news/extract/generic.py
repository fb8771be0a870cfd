"""The generic fallback: trafilatura's main-content extraction, for pages no known layout matches."""

from __future__ import annotations

from configparser import ConfigParser
from functools import cache
from types import ModuleType

from parsel import Selector

from icmpd_news.extract.layout import LayoutMatch

NAME = "generic"


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


def match(page: Selector, html: str, url: str, max_tree_size: int | None = None) -> LayoutMatch | None:
    """Let trafilatura find the main text; None when it finds nothing."""
    doc = _trafilatura().bare_extraction(
        html, url=url, with_metadata=True, include_tables=True, include_comments=False,
        favor_precision=True, config=_config(max_tree_size),
    )
    if doc is None or not (doc.text or "").strip():
        return None
    title = doc.title or page.css("h1").xpath("normalize-space()").get()
    body = page.css("main, article, body")
    return LayoutMatch(
        name=NAME,
        title=title,
        date_text=doc.date,
        label=None,
        lead_blocks=[],
        body_blocks=_blocks(doc.text, title),
        author_names=[name.strip() for name in (doc.author or "").split(";") if name.strip()],
        media_containers=[body[0].root] if body else [],
        file_containers=[body[0].root] if body else [],
    )
