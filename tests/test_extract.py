"""Extraction on the fixture pages, no crawl: every paragraph, nothing else, typed fields."""

from __future__ import annotations

import gc
import weakref
from datetime import datetime
from email.utils import parsedate_to_datetime

import pytest
from scrapy.http import HtmlResponse

from devsite.fixture_site import article_path, expected_blocks, load_articles, render_page
from icmpd_news.extract import ExtractionFailed, extract_article, split_category

BASE = "http://127.0.0.1:8000"
OTHER = "http://127.0.0.2:8000"
SITE = "127.0.0.1"
ARTICLES = load_articles()
# Strings of the pages' navigation, banners, widgets, teasers and footers.
BOILERPLATE = (
    "News - Detail", "cookies", "Accept all cookies", "Share this", "Twitter", "LinkedIn",
    "Related news", "Bishkek", "Budapest Process ministerial", "Migration dialogues in times of crisis",
    "New Member State joins", "Newsletter", "newsletter", "Stay informed", "Gonzagagasse", "Imprint",
    "Back to the News Centre", "About us", "Our Work", "Privacy policy", "Data protection", "©",
)


def page_response(article: dict, charset: str = "utf-8") -> HtmlResponse:
    html = render_page(article, BASE, OTHER, charset=charset)
    return HtmlResponse(
        url=BASE + article_path(article), body=html.encode("cp1252" if charset == "windows-1252" else "utf-8"),
        headers={"Content-Type": f"text/html; charset={charset}"},
    )


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["slug"][:40])
def test_every_paragraph_and_nothing_else(article: dict) -> None:
    page = extract_article(page_response(article), site=SITE)
    blocks = page.text.split("\n\n")
    expected = expected_blocks(article)
    missing = [block for block in expected if block not in blocks]
    assert missing == []
    assert blocks == expected
    for string in BOILERPLATE:
        assert string not in page.text
    assert page.extraction == "site"
    assert page.layout == article["layout"]


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["slug"][:40])
def test_metadata(article: dict) -> None:
    page = extract_article(page_response(article), site=SITE)
    assert page.title == article["title"]
    shown = f"{article['category']}: {article['title']}" if article["layout"] == "legacy" else article["title"]
    assert page.title_original == shown
    assert page.category == article["category"]
    assert page.language == "en"
    assert page.canonical_url == BASE + article_path(article)
    assert isinstance(page.published, datetime) and page.published.tzinfo is not None
    published = parsedate_to_datetime(article["pubDate"])
    if article["layout"] == "current":
        assert page.published == published
    else:
        assert page.published.date() == published.date()


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["slug"][:40])
def test_images_are_the_articles_own(article: dict) -> None:
    page = extract_article(page_response(article), site=SITE)
    assert page.images == [
        {"url": BASE + image["src"], "alt": image["alt"] or None, "caption": image["caption"]}
        for image in article["images"]
    ]


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["slug"][:40])
def test_attachments_and_links(article: dict) -> None:
    page = extract_article(page_response(article), site=SITE)
    documents = [link["href"] for link in article["inline_links"] + article["downloads"] if link["href"].startswith("/fileadmin/")]
    assert sorted(a["url"] for a in page.attachments) == sorted(BASE + href for href in documents)
    assert all(a["title"] and a["title"].lower() not in ("here", "click here") for a in page.attachments)
    others = [link["href"].replace("{{OTHER}}", OTHER) for link in article["inline_links"] if not link["href"].startswith("/fileadmin/")]
    assert [link["url"] for link in page.links] == [href if href.startswith("http") else BASE + href for href in others]


def test_attachment_titles() -> None:
    frem = next(a for a in ARTICLES if a["slug"].startswith("project-news-frem"))
    mieux = next(a for a in ARTICLES if a["slug"].startswith("project-news-mieux"))
    assert [a["title"] for a in extract_article(page_response(frem), site=SITE).attachments] == ["Download the workshop agenda here"]
    assert [a["title"] for a in extract_article(page_response(mieux), site=SITE).attachments] == [
        "Building Bridges – Capacity Building on Migration", "MIEUX+ factsheet"]


def test_byline_becomes_authors() -> None:
    page = extract_article(page_response(ARTICLES[0]), site=SITE)
    assert page.authors == ["Oleg Chirita", "Diana Stefanescu"]
    assert "By Oleg Chirita" not in page.text


def test_lists_keep_one_item_per_line() -> None:
    page = extract_article(page_response(ARTICLES[0]), site=SITE)
    bullets = [b for b in page.text.split("\n\n") if b.startswith("Enabling environments")][0]
    assert len(bullets.split("\n")) == 4


def test_windows_1252_page() -> None:
    article = next(a for a in ARTICLES if "cp1252" in a["faults"])
    page = extract_article(page_response(article, charset="windows-1252"), site=SITE)
    assert "Mr Borut Eržen, the Head of ICMPD" in page.text
    assert "“EU Support for the Effective Management" in page.text
    assert page.text.split("\n\n") == expected_blocks(article)


def test_current_layout_author_links() -> None:
    html = render_page(ARTICLES[1], BASE, OTHER).replace(
        '<div class="news-detail__lead">',
        '<p class="news-detail__authors">By <a href="/authors/pinar">Pınar Yapanoğlu</a> and <a href="/authors/borut">Borut Eržen</a></p>'
        '<div class="news-detail__lead">')
    page = extract_article(HtmlResponse(url=BASE + "/news/x", body=html.encode(), encoding="utf-8"), site=SITE)
    assert page.authors == ["Pınar Yapanoğlu", "Borut Eržen"]


def test_unknown_layout_falls_back_to_generic() -> None:
    article = ARTICLES[9]
    paragraphs = "".join(f"<p>{b}</p>" for b in expected_blocks(article))
    html = (f"<html lang='en'><head><title>{article['title']}</title></head><body>"
            "<nav><a href='/'>Home</a> <a href='/about'>About us</a></nav>"
            f"<div class='redesign-2030'><h1>{article['title']}</h1>{paragraphs}</div>"
            "<footer>© ICMPD · Imprint</footer></body></html>")
    page = extract_article(HtmlResponse(url=BASE + "/news/x", body=html.encode(), encoding="utf-8"), site=SITE)
    assert page.extraction == "generic"
    assert page.text.split("\n\n") == expected_blocks(article)
    assert "Imprint" not in page.text


def test_page_without_article_fails() -> None:
    html = ("<html><body><nav><a href='/'>Home</a></nav><h1>News - Detail</h1>"
            "<div class='news-single-item'><h2>Project News: Empty</h2></div>"
            "<footer>© ICMPD · Imprint</footer></body></html>")
    with pytest.raises(ExtractionFailed, match=r"^article text too short \(19 < 200 characters\) on the generic path$"):
        extract_article(HtmlResponse(url=BASE + "/news/x", body=html.encode(), encoding="utf-8"), site=SITE)


@pytest.mark.parametrize(("title", "label", "expected"), [
    ("Project News: Expansion of ENHANCER Project", None, ("Project News", "Expansion of ENHANCER Project")),
    ("In Focus: ICMPD Director General", None, ("In Focus", "ICMPD Director General")),
    ("Libya: a new chapter", None, (None, "Libya: a new chapter")),
    ("Press Release: AU and ICMPD", "Press Release", ("Press Release", "AU and ICMPD")),
    ("AU and ICMPD", "Press Release", ("Press Release", "AU and ICMPD")),
    # The page's own label wins over a known prefix that says otherwise; the prefix still goes.
    ("Project News: AU and ICMPD", "Press Release", ("Press Release", "AU and ICMPD")),
    ("Libya: a new chapter", "In Focus", ("In Focus", "Libya: a new chapter")),
    ("", "In Focus", ("In Focus", "")),
])
def test_split_category(title: str, label: str | None, expected: tuple) -> None:
    assert split_category(title, label) == expected


def test_generic_path_honours_the_tree_size_limit() -> None:
    # The crawl always passes ICMPD_EXTRACT_MAX_TREE_SIZE: the generic path must work with it and
    # refuse a page larger than the limit (trafilatura 2 only takes it from its config).
    article = ARTICLES[9]
    paragraphs = "".join(f"<p>{b}</p>" for b in expected_blocks(article))
    html = f"<html><body><div class='redesign-2030'><h1>{article['title']}</h1>{paragraphs}</div></body></html>"
    response = HtmlResponse(url=BASE + "/news/x", body=html.encode(), encoding="utf-8")
    page = extract_article(response, site=SITE, max_tree_size=50_000)
    assert page.extraction == "generic"
    assert page.text.split("\n\n") == expected_blocks(article)
    with pytest.raises(ExtractionFailed, match="^no article body: no known layout matched and the generic extractor found no text$"):
        extract_article(response, site=SITE, max_tree_size=5)


def test_an_extracted_page_is_freed_without_the_cycle_collector() -> None:
    """Extraction leaves no reference cycle through the response: with the cycle collector
    off, the page (body, decoded text, lxml tree) is gone as soon as the caller drops it.
    Scrapy's cached response.selector would keep it until the next collection (scrapy#2977):
    about 200 finished pages at any moment of a crawl, and a peak that grew with the crawl."""
    response = page_response(ARTICLES[0])
    gone = weakref.ref(response)
    gc.disable()
    try:
        page = extract_article(response, site=SITE)
        del response
        assert gone() is None
    finally:
        gc.enable()
    assert page.text
