"""The current layout (2021 redesign) under /news/<slug>.

`article.news-detail` holds a header (category label, title, <time datetime>, author links to
/authors/<name>), a lead, its images (figures), the rich-text body and a downloads block.
"""

from __future__ import annotations

from parsel import Selector

from icmpd_news.extract.dom import first, text_blocks
from icmpd_news.extract.layout import LayoutMatch

NAME = "current"


def match(page: Selector) -> LayoutMatch | None:
    """Locate the parts of a 2021-layout news page, or None when this is not one."""
    article = first(page, "article.news-detail")
    if article is None:
        return None
    lead = first(article, ".news-detail__lead")
    body = first(article, ".news-detail__body")
    date = first(article, "time.news-detail__date, .news-detail__date")
    figures = article.css(".news-detail__image")
    return LayoutMatch(
        name=NAME,
        title=article.css(".news-detail__title").xpath("normalize-space()").get(),
        date_text=(date.attrib.get("datetime") or date.xpath("normalize-space()").get()) if date is not None else None,
        label=article.css(".news-detail__category").xpath("normalize-space()").get() or None,
        lead_blocks=text_blocks(lead.root) if lead is not None else [],
        body_blocks=text_blocks(body.root) if body is not None else [],
        author_names=[name.strip() for name in article.css(".news-detail__authors a::text").getall() if name.strip()],
        media_containers=[part.root for part in (lead, *figures, body) if part is not None],
        file_containers=[part.root for part in (body, first(article, ".news-detail__downloads")) if part is not None],
    )
