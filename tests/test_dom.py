"""The layout-independent reading of an article element: which images are its figures, which
links its attachments, which blocks its text (icmpd_news/extract/dom.py)."""

from __future__ import annotations

import pytest
from lxml import html

from icmpd_news.extract.dom import images, links_and_attachments, parse_authors, split_byline, text_blocks

BASE = "http://127.0.0.1:8000/"
ARTICLE = "http://127.0.0.1:8000/news/this-article"


def element(markup: str) -> html.HtmlElement:
    return html.fragment_fromstring(markup, create_parent="div")


def test_figures_are_told_from_icons_teasers_and_pixels_by_where_they_sit() -> None:
    article = element("""
      <figure><img src="fileadmin/a.jpg" alt="A"><figcaption>Caption A</figcaption></figure>
      <a href="fileadmin/big/b.jpg" class="lightbox"><img src="fileadmin/_processed_/b.jpg" alt="B"></a>
      <p><a href="/news/this-article"><img src="fileadmin/self.jpg" alt="Self"></a></p>
      <p><a href="/news/another-article"><img src="fileadmin/other.jpg" alt="Teaser"></a></p>
      <p><a href="https://127.0.0.3/project"><img src="fileadmin/project.jpg" alt="Project site"></a></p>
      <img src="typo3conf/ext/tt_news/ext_icon.gif" width="11" height="12">
      <img src="fileadmin/pixel.gif" style="width:1px;height:1px">
      <img src="fileadmin/lazy-placeholder.gif" data-src="fileadmin/lazy.jpg" alt="Lazy">
      <img srcset="fileadmin/s-480.jpg 480w, fileadmin/s-1200.jpg 1200w, fileadmin/s-800.jpg 800w" alt="Set">
      <div class="social-share"><img src="fileadmin/x.png" alt="Share"></div>
      <div class="news-related"><img src="fileadmin/related.jpg" alt="Related"></div>
    """)
    found = images([article], BASE, ARTICLE)
    assert [(image["url"].removeprefix(BASE), image["alt"], image["caption"]) for image in found] == [
        ("fileadmin/a.jpg", "A", "Caption A"),
        ("fileadmin/_processed_/b.jpg", "B", None),
        ("fileadmin/self.jpg", "Self", None),
        ("fileadmin/project.jpg", "Project site", None),
        ("fileadmin/lazy.jpg", "Lazy", None),
        ("fileadmin/s-1200.jpg", "Set", None),
    ]


def test_captions_belong_to_their_own_image() -> None:
    block = element("""<div class="news-single-img">
      <a href="uploads/pics/1.jpg"><img src="typo3temp/pics/1.jpg" alt="One"></a>
      <a href="uploads/pics/2.jpg"><img src="typo3temp/pics/2.jpg" alt="Two"></a>
      <p class="news-single-imgcaption">Caption of two</p></div>
      <div class="outer"><div class="mediaelement"><img src="fileadmin/3.jpg" alt="Three"></div>
      <p class="news-img-caption">Caption of three</p></div>""")
    assert [image["caption"] for image in images([block], BASE, ARTICLE)] == [None, "Caption of two", "Caption of three"]


def test_attachments_in_a_related_files_block_and_links_in_a_related_links_block() -> None:
    article = element("""<p>See the <a href="fileadmin/report.pdf">report</a>.</p>
      <div class="news-related-wrap">
        <div class="news-related news-related-news"><a href="/news/other">Other news</a>
          <a href="fileadmin/other-news.pdf">Other news' PDF</a></div>
        <div class="news-related news-related-files"><span class="news-related-files-link">
          <a href="fileadmin/annex.docx">Annex</a></span></div>
        <div class="news-related news-related-links"><a href="https://127.0.0.3/partner">Partner</a></div>
      </div>""")
    attachments, links = links_and_attachments([article], BASE, "127.0.0.1")
    assert [(a["url"].removeprefix(BASE), a["title"]) for a in attachments] == [
        ("fileadmin/report.pdf", "report"), ("fileadmin/annex.docx", "Annex")]
    assert links == [{"url": "https://127.0.0.3/partner", "text": "Partner"}]


def test_text_blocks_keep_prose_and_drop_navigation_dates_and_link_lists() -> None:
    article = element("""<div class="when">14 December 2020</div>
      <div class="frame"><header><h2>A subheading in a content element</h2></header><p>Its paragraph, with words.</p></div>
      <h3>Downloads</h3><ul><li><a href="a.pdf">Agenda</a></li><li><a href="b.pdf">Minutes</a></li></ul>
      <ul><li>A list item with <a href="/x">a link</a> inside it</li><li>Another item</li></ul>
      <p><a href="/news">&lt;- Back to the News Centre</a></p>
      <h3>One of the innovative tools proposed by the New Pact is a subheader set as a heading</h3>""")
    assert text_blocks(article) == [
        "A subheading in a content element", "Its paragraph, with words.",
        "A list item with a link inside it\nAnother item",
        "One of the innovative tools proposed by the New Pact is a subheader set as a heading",
    ]


@pytest.mark.parametrize(("names", "authors"), [
    ("By Oleg Chirita and Diana Stefanescu", ["Oleg Chirita", "Diana Stefanescu"]),
    # "and" only as a word: never inside a name.
    ("By Alexandra Sandoval, Fernando Anders & Sandra Andersen", ["Alexandra Sandoval", "Fernando Anders", "Sandra Andersen"]),
    ("par Ferdinand Grand", ["Ferdinand Grand"]),
    ("  ", []),
])
def test_a_byline_is_split_into_names_on_commas_and_the_word_and(names: str, authors: list[str]) -> None:
    assert parse_authors(names) == authors


def test_the_byline_among_the_first_three_blocks_becomes_the_authors() -> None:
    lead, body = "ICMPD and its partners met in Vienna.", "The meeting agreed on a plan."
    assert split_byline([lead, "By Alexandra Sandoval and Ferdinand Grand", body]) == \
        (["Alexandra Sandoval", "Ferdinand Grand"], [lead, body])
    # Not a byline: a sentence, a list block, or below the first three blocks.
    for blocks in ([lead, "By the end of the year, the plan was done.", body], [lead, "By Anna Berg\nBy Olaf Holm", body],
                   [lead, body, body, "By Alexandra Sandoval"]):
        assert split_byline(blocks) == ([], blocks)
