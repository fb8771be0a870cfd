"""The generic path (extract/generic.py) repairs what trafilatura's precision mode gets wrong
on markup we did not write: a body pruned down to a reprint notice, a body split into chunks of
which it keeps one, notices at the edges of the text. Each page here first shows trafilatura
itself failing, so that a test cannot pass on a page trafilatura already gets right."""

from __future__ import annotations

import html

import pytest
import trafilatura
from parsel import Selector
from scrapy.http import HtmlResponse

from devsite.fixture_site import load_articles, render_page
from icmpd_news.extract import ExtractionFailed, extract_article, generic

URL = "http://127.0.0.1:8000/news/ministers-agree"
LEAD = "Ministers agreed on a new partnership for legal migration on Tuesday in Vienna, after two years of talks."
PARAGRAPH = ("The minister said the partnership would open new legal pathways for workers and students, and that "
             "both governments would report on its progress every year.")
CONTACT = "Write to the editors at editors@127.0.0.1"
REPRINT = ("This copy is for your personal, non-commercial use only. To order presentation-ready copies for "
           "distribution to your colleagues, clients or customers visit http://127.0.0.1:8000/reprints.")
# Thirty distinct paragraphs, long enough to be prose for any extractor.
PARAGRAPHS = [
    f"Paragraph {number} of the report tells what the ministers agreed on, and what the new partnership "
    f"means for the people who move between the two regions; it is paragraph number {number} of thirty."
    for number in range(30)
]


def trafilatura_text(page: str) -> str:
    return trafilatura.extract(page, url=URL, favor_precision=True, include_comments=False, include_tables=True) or ""


def generic_blocks(page: str) -> list[str]:
    found = generic.match(Selector(text=page), page, URL)
    assert found is not None
    return found.body_blocks


def test_a_body_pruned_to_a_reprint_notice_is_extracted_in_full() -> None:
    # A short news item (lead, one paragraph, a contact line with a link) after a print header:
    # precision mode prunes the body as link-heavy and keeps the print header's notice instead.
    page = (
        "<html><body><div><div><div>"
        f"<p>{REPRINT}</p><p>{URL}</p></div>"
        f"<div><article id='article-contents'><div class='article__body'><p>{LEAD}</p> "
        f"<div><p>{PARAGRAPH}</p><p><strong>Write to </strong>the editors at <a>editors@127.0.0.1</a></p></div>"
        "</div><hr></article></div></div></div></body></html>"
    )
    assert "non-commercial use only" in trafilatura_text(page)
    assert PARAGRAPH not in trafilatura_text(page)
    assert generic_blocks(page) == [LEAD, PARAGRAPH, CONTACT]


def test_a_page_without_its_article_does_not_get_its_menus_as_one() -> None:
    # A script-built page as served: the site's chrome, no article. The default mode's text is
    # twice the precision mode's (menus, related titles), but it has no paragraph.
    page = render_page(load_articles()[1], "http://127.0.0.1:8000", "http://127.0.0.2:8000")
    start, end = page.index("<article"), page.index("</article>") + len("</article>")
    page = page[:start] + "<div id='app'><noscript>Please enable JavaScript.</noscript></div>" + page[end:]
    wider = trafilatura.extract(page, url=URL, include_comments=False, include_tables=True) or ""
    assert "About us" in wider and len(wider) > 2 * len(trafilatura_text(page))
    assert "About us" not in "\n".join(generic_blocks(page))
    # Too short once the menus are left out: a failure the spider sends to the browser.
    with pytest.raises(ExtractionFailed, match=r"^article text too short \(\d+ < 200 characters\) on the generic path$"):
        extract_article(HtmlResponse(url=URL, body=page.encode("utf-8"), encoding="utf-8"), site="127.0.0.1")


def chunked_page(body_class: str, chunk_wrapper: str = "<div class='grid'><div class='grid__item'>{}</div>"
                 "<div class='rail'><div class='ad'>Advertisement</div></div></div>") -> str:
    """An article whose body is cut into three chunks of ten paragraphs, each chunk an element
    of the same class in its own grid row beside an ad rail, figures between the rows."""
    chunks = []
    for number in range(3):
        paragraphs = "".join(f"<p>{text}</p>" for text in PARAGRAPHS[number * 10:(number + 1) * 10])
        chunks.append(chunk_wrapper.format(f"<div class='{body_class}'>{paragraphs}</div>"))
        chunks.append(f"<figure><img src='/i{number}.jpg'><figcaption>Caption {number}</figcaption></figure>")
    return (
        "<html><head><title>Ministers agree</title></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header>"
        f"<main><div class='content'><h1>Ministers agree</h1><div class='chunks'>{''.join(chunks)}</div></div></main>"
        "<footer><p>Imprint</p></footer></body></html>"
    )


def test_every_chunk_of_a_split_body_is_extracted_once_in_order() -> None:
    for body_class in ("article__body", "body__container article__body", "entry-content", "story-body"):
        page = chunked_page(body_class)
        assert PARAGRAPHS[0] in trafilatura_text(page)
        assert PARAGRAPHS[10] not in trafilatura_text(page), body_class  # trafilatura keeps the first chunk
        assert generic_blocks(page) == PARAGRAPHS, body_class


def test_a_chunk_in_other_wrappers_is_not_the_body() -> None:
    # Teasers of other stories use the same text class as the body, inside other wrappers.
    teasers = [f"Another story, number {number}: the ministers of the region met again to discuss the "
               f"partnership, and agreed on a common plan for the coming year." for number in range(3)]
    cards = "".join(f"<div class='card'><div class='text'><p>{text}</p></div></div>" for text in teasers)
    page = (
        "<html><head><title>Ministers agree</title></head><body><main>"
        "<article><h1>Ministers agree</h1><div class='section'><div class='text'>"
        + "".join(f"<p>{text}</p>" for text in PARAGRAPHS[:8])
        + f"</div></div></article><section class='more-stories'><h2>More</h2>{cards}</section>"
        "</main></body></html>"
    )
    assert generic_blocks(page) == PARAGRAPHS[:8]


def test_notices_at_the_edges_of_the_text_are_dropped() -> None:
    newsletter = "Get the latest news in your inbox. Subscribe to our newsletter."
    copyright_line = "© 2021 The Ministry. All rights reserved."
    body = "".join(f"<p>{html.escape(text)}</p>" for text in [*PARAGRAPHS[:6], newsletter, copyright_line])
    page = (f"<html><head><title>Ministers agree</title></head><body><main><article><h1>Ministers agree</h1>"
            f"<div class='article-body'>{body}</div></article></main></body></html>")
    assert newsletter in trafilatura_text(page) and copyright_line in trafilatura_text(page)
    assert generic_blocks(page) == PARAGRAPHS[:6]


def test_lists_stay_one_block_with_one_item_per_line() -> None:
    items = ["Albania", "North Macedonia", "Serbia"]
    page = (f"<html><body><main><article><h1>Ministers agree</h1><div class='article-body'>"
            f"<p>{PARAGRAPHS[0]}</p><ul>{''.join(f'<li>{item}</li>' for item in items)}</ul>"
            f"<p>{PARAGRAPHS[1]}</p></div></article></main></body></html>")
    assert generic_blocks(page) == [PARAGRAPHS[0], "\n".join(items), PARAGRAPHS[1]]
