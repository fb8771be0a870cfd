"""Archive mode end to end: the real `scrapy crawl icmpd_news_archive` against a
generated paginated listing on loopback (devsite/listing_site.py)."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from devsite.crawl import scrapy_command
from devsite.fixture_site import article_path
from devsite.listing_site import ListingSite
from icmpd_news.dataset.jsonl import read_records, write_atomic
from icmpd_news.spiders.archive import ArchiveSpider
from tests.crawling import ARCHIVE_FAST, CrawlResult, project_crawler, run_archive, run_crawl, run_scrapy, validate


@pytest.fixture(scope="module")
def listing() -> Iterator[ListingSite]:
    """Ten real and 300 generated articles, 32 listing pages (the last one short)."""
    with ListingSite() as site:
        yield site


@pytest.fixture(scope="module")
def backfill(listing: ListingSite, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One full archive crawl into an empty folder; later tests start from a copy of it."""
    return run_archive(f"{listing.base}/news", tmp_path_factory.mktemp("backfill"))


def copy_export(result: CrawlResult, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(result.export, target / "articles.jsonl")
    return target


def test_backfill_exports_every_article_once(listing: ListingSite, backfill: CrawlResult) -> None:
    assert backfill.returncode == 0, backfill.log[-3000:]
    records = backfill.records()
    for record in records:
        validate(record)
    by_url = {record["url"]: record for record in records}
    # One record per article: the repeated entry and every TYPO3 spelling (L, cHash,
    # tx_ttnews[...]) of the links collapse into the article's canonical URL.
    assert len(records) == len(by_url) == len(listing.archive) == 310
    assert set(by_url) == {listing.url_of(article) for article in listing.archive}
    # Every article page requested once (the fixture's flaky page twice: its 503 is retried),
    # every listing page once, in order, none past the last.
    assert Counter(listing.article_requests()) == {
        article_path(article): 2 if "flaky_503" in article["faults"] else 1 for article in listing.archive
    }
    assert listing.listing_requests() == list(range(1, len(listing.pages) + 1)) == list(range(1, 33))
    assert backfill.stat("icmpd/listing/end") == "last_page"
    assert backfill.stat("icmpd/listing/pages") == 32
    assert backfill.stat("icmpd/listing/skipped/duplicate") == 1
    assert backfill.stat("icmpd/listing/skipped/no_link") == 1
    assert backfill.stat("icmpd/listing/next_guessed") == 1  # after the truncated page
    assert backfill.stat("icmpd/articles/requested") == 310
    assert backfill.stat("icmpd/export/new") == 310
    assert backfill.stat("icmpd/dedupe/duplicates") is None
    assert "progress (final): 310/310 articles done (310 exported, 0 dropped, 0 failed, 0 gone, 0 not modified, 0 skipped)" in backfill.log
    assert "listing pages walked 32, failed 0" in backfill.log


def test_listing_fills_what_no_feed_item_describes(listing: ListingSite, backfill: CrawlResult) -> None:
    by_url = {record["url"]: record for record in backfill.records()}
    bare = [article for article in listing.archive if "bare" in article["faults"]]
    assert len(bare) > 30
    for article in listing.archive:
        record = by_url[listing.url_of(article)]
        assert record["title"] == article["title"]
        assert record["category"] == article["category"]
        assert record["summary"] == (article["listing_teaser"] or article["lead"])
        assert record["source_feed"] == f"{listing.base}/news"
        if "bare" in article["faults"]:
            # The page shows neither category nor date: both come from the listing.
            assert record["published"] == article["listing_date"].isoformat()
    # The page's own date wins where it has one (the current layout's <time datetime>).
    first = by_url[listing.url_of(listing.synthetic[0])]
    assert first["published"] == "2020-12-05T10:15:00+01:00"
    assert sum(1 for article in listing.archive if article["listing_teaser"] is None) == 1


def test_feed_crawl_after_backfill_adds_no_duplicate(listing: ListingSite, backfill: CrawlResult, tmp_path: Path) -> None:
    output = copy_export(backfill, tmp_path)
    # The feed is found through /news, which is also the listing's first page.
    result = run_crawl(f"{listing.base}/news", output)
    assert result.returncode == 0, result.log[-3000:]
    records = result.records()
    assert len(records) == len({record["url"] for record in records}) == 310
    assert result.stat("icmpd/export/new") is None
    assert result.stat("icmpd/export/updated") == 10
    feed_urls = {listing.url_of(article) for article in listing.articles}
    for record in records:
        if record["url"] in feed_urls:
            assert record["source_feed"] == f"{listing.base}/feed.xml"


def test_incremental_run_stops_after_first_known_page(listing: ListingSite, backfill: CrawlResult, tmp_path: Path) -> None:
    output = copy_export(backfill, tmp_path)
    since = len(listing.requests)
    new = listing.publish(3)
    try:
        result = run_archive(f"{listing.base}/news", output, "incremental=1")
        requested = listing.article_requests(since)
    finally:
        listing.fresh = []
        listing.build()
    assert result.returncode == 0, result.log[-3000:]
    # Page 1 has the 3 new articles and 7 known ones; page 2 only known ones: the walk ends there.
    assert listing.listing_requests(since) == [1, 2]
    assert sorted(requested) == sorted(article_path(article) for article in new)
    assert result.stat("icmpd/listing/end") == "known_page"
    assert result.stat("icmpd/listing/skipped/known") == 17
    records = result.records()
    assert len(records) == len({record["url"] for record in records}) == 313
    assert {listing.url_of(article) for article in new} <= {record["url"] for record in records}


def test_full_rerun_fetches_only_missing_articles(listing: ListingSite, backfill: CrawlResult, tmp_path: Path) -> None:
    # An interrupted backfill: five articles deep in the archive never made it to the export.
    missing = listing.archive[200:205]
    missing_urls = {listing.url_of(article) for article in missing}
    records, _ = read_records(backfill.export)
    write_atomic(tmp_path / "articles.jsonl", [record for record in records if record["url"] not in missing_urls])
    since = len(listing.requests)
    result = run_archive(f"{listing.base}/news", tmp_path)
    assert result.returncode == 0, result.log[-3000:]
    assert listing.listing_requests(since) == list(range(1, 33))
    assert sorted(listing.article_requests(since)) == sorted(article_path(article) for article in missing)
    assert result.stat("icmpd/export/new") == 5
    assert len(result.records()) == 310


def test_max_pages_caps_the_walk(listing: ListingSite, tmp_path: Path) -> None:
    since = len(listing.requests)
    result = run_archive(f"{listing.base}/news", tmp_path, settings=("ICMPD_ARCHIVE_MAX_PAGES=3",))
    assert result.returncode == 0, result.log[-3000:]
    assert listing.listing_requests(since) == [1, 2, 3]
    assert result.stat("icmpd/listing/end") == "max_pages"
    assert "stopped after 3 listing pages (ICMPD_ARCHIVE_MAX_PAGES)" in result.log
    assert {record["url"] for record in result.records()} == {listing.url_of(a) for a in listing.archive[:30]}


@pytest.mark.parametrize(("past_end", "end"), [("empty", "empty_page"), ("repeat", "repeated_page")])
def test_pagerless_listing_ends_cleanly(past_end: str, end: str, tmp_path: Path) -> None:
    # No pager at all (a "load more" listing): the crawler numbers the pages itself until the
    # site answers an empty page or repeats the last one.
    with ListingSite(synthetic=20, pager=False, past_end=past_end, broken_page=None) as site:
        result = run_archive(f"{site.base}/news", tmp_path)
        assert result.returncode == 0, result.log[-3000:]
        assert site.listing_requests() == [1, 2, 3, 4]
        assert result.stat("icmpd/listing/end") == end
        assert result.stat("icmpd/listing/next_guessed") == 3
        assert {record["url"] for record in result.records()} == {site.url_of(a) for a in site.archive}


def test_failed_listing_page_is_counted_and_skipped(tmp_path: Path) -> None:
    with ListingSite(synthetic=20, broken_page=None, fail_pages=frozenset({2})) as site:
        result = run_archive(f"{site.base}/news", tmp_path)
        assert result.returncode == 0, result.log[-3000:]
        # Page 2 answers 500 (three tries), the walk goes on with page 3, the last one.
        assert site.listing_requests() == [1, 2, 2, 2, 3]
        assert result.stat("icmpd/listing/failed") == 1
        assert result.stat("icmpd/listing/failed/http_500") == 1
        assert result.stat("icmpd/listing/end") == "last_page"
        lost = {site.url_of(entry["article"]) for entry in site.pages[1]}
        assert {record["url"] for record in result.records()} == {site.url_of(a) for a in site.archive} - lost
        assert "listing page 2" in result.log and "failed (http_500)" in result.log


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    command = scrapy_command("crawl", "icmpd_news", arguments=["mode=everything"], settings=[f"ICMPD_OUTPUT_DIR={tmp_path}"])
    done = run_scrapy(command, tmp_path, timeout=60)
    assert done.returncode != 0
    assert "mode must be feed (archive, deprecated, runs icmpd_news_archive), got 'everything'" in done.log
    assert not (tmp_path / "articles.jsonl").exists()


def test_the_old_archive_mode_still_runs_the_archive_spider(tmp_path: Path) -> None:
    """`-a mode=archive` (the archive mode's old spelling) runs icmpd_news_archive for one
    more release, with a warning naming the new command."""
    with ListingSite(synthetic=20, broken_page=None) as site:
        command = scrapy_command("crawl", "icmpd_news", arguments=["mode=archive", f"listing_url={site.base}/news"],
                                 settings=[f"ICMPD_OUTPUT_DIR={tmp_path}", "AUTOTHROTTLE_ENABLED=False", *ARCHIVE_FAST])
        done = run_scrapy(command, tmp_path, timeout=180)
        assert done.returncode == 0, done.log[-3000:]
        assert "-a mode=archive is deprecated and goes in the next release: run `scrapy crawl icmpd_news_archive`" in done.log
        records = done.records()
        assert {record["url"] for record in records} == {site.url_of(a) for a in site.archive}


@pytest.mark.parametrize(("cap", "failed_pages"), [(3, [2, 3, 4]), (1, [2]), (2, [2, 3])])
def test_the_walk_stops_after_the_cap_of_listing_pages_failed_in_a_row(
    cap: int, failed_pages: list[int], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ICMPD_ARCHIVE_MAX_FAILED_PAGES (3 by default) listing pages in a row failing end the walk;
    each failure before that moves on to the next page number."""
    settings = {} if cap == 3 else {"ICMPD_ARCHIVE_MAX_FAILED_PAGES": cap}
    crawler = project_crawler(tmp_path, ArchiveSpider, {"listing_url": "http://127.0.0.1:8000/news"}, **settings)
    spider = crawler.spider
    request = Request("http://127.0.0.1:8000/news?page=2", cb_kwargs={"number": 2, "previous": (), "failures": 0})
    failed = []
    while request is not None:
        failed.append(request.cb_kwargs["number"])
        failure = Failure(HttpError(TextResponse(request.url, status=500, request=request)))
        failure.request = request
        request = next(iter(spider.listing_failed(failure)), None)
    assert failed == failed_pages
    stats = crawler.stats
    assert (stats.get_value("icmpd/listing/failed"), stats.get_value("icmpd/listing/failed/http_500")) == (cap, cap)
    assert stats.get_value("icmpd/listing/end") == "failed_pages"
    assert f"{cap} listing pages in a row failed: the walk stops at page {failed_pages[-1]}" in caplog.text
