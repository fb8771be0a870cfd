"""Extraction of an article's media (icmpd_news/extract/): which images on a page are the
article's own, and which links are its attachments."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from devsite.fixture_site import article_path, load_articles, render_page
from icmpd_news.extract import extract_article

BASE = "http://127.0.0.1:8000"
OTHER = "http://127.0.0.2:8000"
ARTICLES = load_articles()
CURRENT = next(a for a in ARTICLES if a["layout"] == "current" and a["images"])
LEGACY = next(a for a in ARTICLES if a["layout"] == "legacy" and a["images"])
NO_LINKS = next(a for a in ARTICLES if a["layout"] == "current" and not a["downloads"] and not a["inline_links"])

# Images that sit inside the article container but are not the article's.
NOT_THE_ARTICLES = (
    '<p><img src="/typo3conf/ext/stats/pixel.gif" alt=""></p>'
    '<p><img src="/fileadmin/img/spacer.gif" style="width: 1px; height: 1px"></p>'
    '<p><img src="/fileadmin/img/hidden.jpg" style="display:none"></p>'
    '<p><img src="/fileadmin/logos/eu-flag.png" alt="EU"></p>'
    '<p><a href="/"><img class="site-logo" src="/fileadmin/img/brand.png" alt="ICMPD"></a></p>'
    '<p><img class="icon" src="/fileadmin/img/download.svg" alt="Download"></p>'
    '<div class="news-teaser"><img src="/fileadmin/_processed_/other-story.jpg" alt="Other story">'
    '<a href="/news/other-story">Other story</a></div>'
    '<div class="related-articles"><img src="/fileadmin/_processed_/related.jpg" alt="Related"></div>'
    '<p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt=""></p>'
)
# Images that are the article's: a figure with caption, one without, a plain inline image.
THE_ARTICLES = (
    '<figure><img src="/fileadmin/_processed_/workshop.jpg" alt="Workshop">'
    '<figcaption>The workshop in Vienna.</figcaption></figure>'
    '<figure><img data-src="/fileadmin/_processed_/map.png" src="/fileadmin/img/lazy-placeholder.gif" alt="Map"></figure>'
    '<p><img src="/fileadmin/_processed_/inline-photo.jpg" alt="Participants" width="640" height="480"></p>'
)


def page(article: dict, extra_body: str) -> HtmlResponse:
    html = render_page(article, BASE, OTHER)
    marker = '<div class="news-detail__body rte">' if article["layout"] == "current" else '<div class="news-single-content">'
    html = html.replace(marker, marker + extra_body, 1)
    return HtmlResponse(url=BASE + article_path(article), body=html.encode(), encoding="utf-8")


@pytest.mark.parametrize("article", [CURRENT, LEGACY], ids=["current", "legacy"])
def test_only_the_articles_own_images(article: dict) -> None:
    found = extract_article(page(article, NOT_THE_ARTICLES + THE_ARTICLES), site="127.0.0.1").images
    own = [{"url": BASE + i["src"], "alt": i["alt"] or None, "caption": i["caption"]} for i in article["images"]]
    body = [
        {"url": f"{BASE}/fileadmin/_processed_/workshop.jpg", "alt": "Workshop", "caption": "The workshop in Vienna."},
        {"url": f"{BASE}/fileadmin/_processed_/map.png", "alt": "Map", "caption": None},
        {"url": f"{BASE}/fileadmin/_processed_/inline-photo.jpg", "alt": "Participants", "caption": None},
    ]
    # Current pages show their figures before the body, legacy pages after the lead: page order either way.
    assert found == own + body


def test_attachments_only_on_the_site_or_its_file_hosts() -> None:
    links = (
        '<p>Read <a href="/fileadmin/user_upload/report.pdf">the report</a>, '
        f'<a href="{OTHER}/their-report.pdf">their report</a>, '
        '<a href="http://127.0.0.3:8000/docs/annex.xlsx">the annex</a> and '
        '<a href="/news/another-story">another story</a>.</p>'
    )
    response = page(NO_LINKS, links)
    plain = extract_article(response, site="127.0.0.1")
    assert [a["url"] for a in plain.attachments] == [f"{BASE}/fileadmin/user_upload/report.pdf"]
    assert {"url": f"{OTHER}/their-report.pdf", "text": "their report"} in plain.links
    with_host = extract_article(response, site="127.0.0.1", file_hosts=frozenset({"127.0.0.3"}))
    assert [a["url"] for a in with_host.attachments] == [
        f"{BASE}/fileadmin/user_upload/report.pdf", "http://127.0.0.3:8000/docs/annex.xlsx"]


