"""Metamorphic tests: every fixture article, in every variant of its markup (devsite/page_variants.py)
and in the stock tt_news markup (devsite/stock_pages.py), exports the same paragraphs, figures,
attachments and links, and records the path extraction took. Fragments are caught."""

from __future__ import annotations

import re
from collections import Counter
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from devsite.fixture_site import FixtureSite, article_path, expected_blocks, load_articles
from devsite.page_variants import FAMILIES, Variant, variants
from devsite.stock_pages import render_stock_page
from icmpd_news.extract import extract_article
from icmpd_news.extract.crosscheck import PARTIAL_SHARE
from tests.crawling import run_crawl, validate

BASE = "http://127.0.0.1:8000"
OTHER = "http://127.0.0.2:8000"
SITE = "127.0.0.1"
ARTICLES = load_articles()
CASES = [(article, variant) for article in ARTICLES for variant in variants(article, BASE, OTHER)]
# The cases cover every variant family in every markup, each fixture article once in each stock markup.
FAMILIES_SEEN = Counter((variant.markup, variant.family) for _, variant in CASES)
assert {family for _, family in FAMILIES_SEEN} == set(FAMILIES)
assert {markup for markup, _ in FAMILIES_SEEN} == {"legacy", "current", "tt_news", "tx_news"}
assert FAMILIES_SEEN["tt_news", "original"] == FAMILIES_SEEN["tx_news", "original"] == len(ARTICLES)


def extract(variant: Variant):
    return extract_article(HtmlResponse(url=variant.url, body=variant.html.encode(), encoding="utf-8"), site=SITE)


@pytest.mark.parametrize(("article", "variant"), CASES,
                         ids=[f"{v.markup}-{v.family}-{a['slug'][:20]}" for a, v in CASES])
def test_variant_exports_the_same_article(article: dict, variant: Variant) -> None:
    page = extract(variant)
    assert page.text.split("\n\n") == variant.blocks
    assert page.extraction == variant.path
    assert page.images == variant.images
    assert sorted(a["url"] for a in page.attachments) == variant.attachments
    assert [link["url"] for link in page.links] == variant.links
    assert (page.title, page.category) == (article["title"], article["category"])
    assert page.published.date() == parsedate_to_datetime(article["pubDate"]).date()
    if article["slug"].startswith("expert-voice"):
        assert page.authors == ["Oleg Chirita", "Diana Stefanescu"]


@pytest.mark.parametrize(("article", "variant"), [(a, v) for a, v in CASES if v.path == "site+generic"],
                         ids=lambda value: value["slug"][:20] if isinstance(value, dict) else value.markup)
def test_a_fragment_is_caught_and_measured(article: dict, variant: Variant) -> None:
    page = extract(variant)
    assert page.crosschecked
    assert page.agreement < 1 - PARTIAL_SHARE


def test_whole_pages_agree_without_running_the_generic_extractor() -> None:
    pages = [extract(variant) for _, variant in CASES if variant.family == "original"]
    assert {page.extraction for page in pages} == {"site"}
    assert [page.crosschecked for page in pages] == [False] * len(pages)
    assert min(page.agreement for page in pages) >= 0.88  # the stock page's contact box is prose too


def test_stock_page_reads_the_rightbox_and_the_base_href() -> None:
    article = ARTICLES[6]  # two images, one caption, a link elsewhere
    variant = next(v for a, v in CASES if a is article and (v.markup, v.family) == ("tt_news", "original"))
    assert '<base href="http://127.0.0.1:8000/"' in variant.html and 'src="fileadmin/' in variant.html
    page = extract(variant)
    assert page.published.isoformat() == "2020-12-15T13:38:00+00:00"  # "15.12.20 13:38", day first
    assert page.layout == "legacy"
    assert [image["url"] for image in page.images] == [
        "http://127.0.0.1:8000/fileadmin/_processed_/beirut-airport-dogs.jpg",
        "http://127.0.0.1:8000/fileadmin/_processed_/beirut-airport-scanner.jpg",
    ]
    assert [image["caption"] for image in page.images] == [None, "New hand luggage scanners at the airport."]
    # tt_news's 11x12 related-news icons and 18x16 file icons are not figures; related news are not links.
    assert "ext_icon" not in str(page.images) and "fileicons" not in str(page.images)
    assert all("news-detail" not in link["url"] for link in page.links)


def test_crawl_of_markup_we_did_not_write(site: FixtureSite, tmp_path: Path) -> None:
    """A real crawl where the legacy pages come in the stock tt_news markup (relative links under
    <base href>), the current ones as fragments (their body outside the layout's root), and one
    article has no date anywhere: every article is exported whole, and the run says what it saw."""
    stock = [a for a in site.articles if a["layout"] == "legacy"]
    fragments = [a for a in site.articles if a["layout"] == "current"]
    for article in stock:
        site.routes[article_path(article)].body = render_stock_page(article, site.base, site.other).encode()
    for article in fragments:
        variant = next(v for v in variants(article, site.base, site.other)
                       if (v.markup, v.family) == ("current", "body_outside"))
        site.routes[article_path(article)].body = variant.html.encode()
    undated = fragments[-1]
    page = site.routes[article_path(undated)].body.decode()
    site.routes[article_path(undated)].body = re.sub(r"<time [^>]*>.*?</time>", "", page, flags=re.DOTALL).encode()
    feed = site.routes["/feed.xml"].body.decode()
    item = feed.index(f"/{undated['slug']}")
    end = feed.index("</item>", item)
    site.routes["/feed.xml"].body = (feed[:item] + re.sub(r"<pubDate>.*?</pubDate>", "", feed[item:end]) + feed[end:]).encode()

    result = run_crawl(f"{site.base}/feed.xml", tmp_path)
    records = {record["url"]: record for record in result.records()}
    assert len(records) == 10
    for record in records.values():
        validate(record)
    for article in site.articles:
        record = records[site.base + article_path(article)]
        assert record["text"].split("\n\n") == expected_blocks(article)
        assert [image["url"] for image in record["images"]] == [site.base + image["src"] for image in article["images"]]
        assert all(image["status"] == "downloaded" for image in record["images"])
        expected = "site" if article in stock else "site+generic"
        assert (record["extraction"], record["layout"]) == (expected, "legacy" if article in stock else "current")
        assert (record["extraction_agreement"] < 0.9) == (article in fragments)
    attachments = [a for record in records.values() for a in record["attachments"]]
    assert len(attachments) == 7 and all(a["status"] == "downloaded" for a in attachments)
    assert records[site.base + article_path(undated)]["published"] is None
    # Counted, logged and alarmed, not silently exported.
    assert result.stat("icmpd/articles/extraction/site") == 5
    assert result.stat("icmpd/articles/extraction/site+generic") == 5
    assert result.stat("icmpd/articles/no_date") == 1
    assert result.log.count("explained only part of") == 5
    assert f"article {site.base}{article_path(undated)} has no date" in result.log
    assert result.stat("icmpd/monitors/failed/partial_extraction_monitor") is not None
    assert "extraction: site 5, site+generic 5; dates missing 1" in result.log
