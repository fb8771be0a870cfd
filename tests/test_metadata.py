"""Standard metadata as a second source: OpenGraph, JSON-LD and meta tags fill what the layout
lacks, and disagreements are reported."""

from __future__ import annotations

import json

from parsel import Selector
from scrapy.http import HtmlResponse

from devsite.fixture_site import article_path, expected_blocks, load_articles, render_page
from icmpd_news.extract import extract_article
from icmpd_news.extract.metadata import read_metadata

BASE = "http://127.0.0.1:8000"
ARTICLES = load_articles()


def metadata_page(head: str, body_html: str = "<p>x</p>") -> Selector:
    return Selector(text=f"<html><head>{head}</head><body>{body_html}</body></html>")


def test_json_ld_graph_and_opengraph() -> None:
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "ICMPD"},
        {"@type": ["NewsArticle"], "headline": "AU and ICMPD deepen cooperation",
         "datePublished": "2020-12-11T12:10:02+01:00", "articleSection": ["Press Release"],
         "author": [{"@type": "Person", "name": "Pınar Yapanoğlu"}, {"@type": "Person", "name": "Borut Eržen"}],
         "image": {"@type": "ImageObject", "url": "/fileadmin/_processed_/au.jpg"}},
    ]}
    head = (f"<script type='application/ld+json'>{json.dumps(graph)}</script>"
            "<meta property='og:title' content='Other title'><meta property='og:image' content='/og.jpg'>")
    meta = read_metadata(metadata_page(head), BASE + "/news/x")
    assert meta.title == "AU and ICMPD deepen cooperation"  # JSON-LD before OpenGraph
    assert meta.published.isoformat() == "2020-12-11T12:10:02+01:00"
    assert meta.authors == ["Pınar Yapanoğlu", "Borut Eržen"]
    assert meta.image == BASE + "/fileadmin/_processed_/au.jpg"
    assert meta.section == "Press Release"


def test_meta_tags_and_broken_json_ld() -> None:
    head = ("<script type='application/ld+json'>{not json</script>"
            "<meta property='article:published_time' content='2021-01-04T09:21:00+00:00'>"
            "<meta name='author' content='Oleg Chirita and Diana Stefanescu'>"
            "<meta property='og:image' content='https://127.0.0.1:8000/img/lead.jpg'>")
    meta = read_metadata(metadata_page(head), BASE + "/news/x")
    assert meta.published.isoformat() == "2021-01-04T09:21:00+00:00"
    assert meta.authors == ["Oleg Chirita", "Diana Stefanescu"]
    assert meta.image == "https://127.0.0.1:8000/img/lead.jpg"
    assert read_metadata(metadata_page(""), BASE).title is None


def _current_page(article: dict, head: str, strip_date: bool = False) -> HtmlResponse:
    page = render_page(article, BASE, "http://127.0.0.2:8000").replace("<head>", "<head>" + head, 1)
    if strip_date:
        start = page.index('<time class="news-detail__date"')
        page = page[:start] + page[page.index("</time>", start) + len("</time>"):]
    return HtmlResponse(url=BASE + article_path(article), body=page.encode(), encoding="utf-8")


def test_metadata_fills_date_authors_and_lead_image_the_layout_lacks() -> None:
    article = next(a for a in ARTICLES if a["layout"] == "current" and not a["images"])
    ld = {"@type": "NewsArticle", "headline": article["title"], "datePublished": "2020-12-14T16:26:39+01:00",
          "author": {"@type": "Person", "name": "Oleg Chirita"}, "image": "/fileadmin/_processed_/lead.jpg"}
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    page = extract_article(_current_page(article, head, strip_date=True), site="127.0.0.1")
    assert page.published.isoformat() == "2020-12-14T16:26:39+01:00"
    assert page.authors == ["Oleg Chirita"]
    assert page.images == [{"url": BASE + "/fileadmin/_processed_/lead.jpg", "alt": None, "caption": None}]
    assert page.text.split("\n\n") == expected_blocks(article)
    assert page.mismatches == []


def test_a_logo_is_not_a_lead_image_and_disagreements_are_reported() -> None:
    article = next(a for a in ARTICLES if a["layout"] == "current" and not a["images"])
    head = ("<meta property='og:image' content='/_assets/images/icmpd-logo.png'>"
            "<meta property='og:title' content='A different headline'>"
            "<meta property='article:published_time' content='2019-05-01T00:00:00+00:00'>")
    page = extract_article(_current_page(article, head), site="127.0.0.1")
    assert page.images == []
    assert page.title == article["title"]  # the layout's own title is kept
    assert page.mismatches == ["title", "published"]
