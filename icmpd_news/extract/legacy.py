"""The legacy layout (2019-2021, TYPO3 tt_news single view) under /news-centre/news-detail/<slug>/.

The page shows a heading "News - Detail" outside the item, then inside `.news-single-item` the
title with its category prefix, the date ("14 December 2020"), the lead, the body, images and
a downloads block.
"""

from __future__ import annotations

from parsel import Selector

from icmpd_news.extract.dom import first, text_blocks
from icmpd_news.extract.layout import LayoutMatch

NAME = "legacy"


def match(page: Selector) -> LayoutMatch | None:
    """Locate the parts of a tt_news single view, or None when this is not one."""
    item = first(page, ".news-single-item")
    if item is None:
        return None
    lead = first(item, ".news-single-subheader", ".news-single-lead")
    body = first(item, ".news-single-content", ".news-single-bodytext")
    body_blocks = text_blocks(body.root) if body is not None else []
    return LayoutMatch(
        name=NAME,
        title=item.css("h1, h2").xpath("normalize-space()").get(),
        date_text=item.css(".news-single-timedata, .news-single-date").xpath("normalize-space()").get(),
        label=None,
        lead_blocks=text_blocks(lead.root) if lead is not None else [],
        body_blocks=body_blocks,
        author_names=[],
        media_containers=[part.root for part in (lead, first(item, ".news-single-img", ".news-single-image"), body) if part is not None],
        file_containers=[part.root for part in (body, first(item, ".news-single-files")) if part is not None],
    )
