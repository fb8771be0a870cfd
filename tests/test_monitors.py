"""Monitoring: when the site breaks, the run's Spidermon monitors fail visibly (the job log and
the stats say which and why), and every record is validated against the schema on the way out."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from spidermon.contrib.scrapy.runners import SpiderMonitorRunner

from devsite.fixture_site import FixtureSite, Route, article_path, expected_blocks
from icmpd_news.items import Article
from icmpd_news.monitors import CloseMonitorSuite
from icmpd_news.pipelines.validate import SchemaValidationPipeline
from icmpd_news.spiders.feed import FeedSpider
from tests.crawling import project_crawler, run_crawl


def redesigned_page(article: dict) -> bytes:
    """The article on a page no known layout matches (the site was redesigned)."""
    paragraphs = "".join(f"<p>{html.escape(block)}</p>" for block in expected_blocks(article))
    title = html.escape(article["title"])
    return (f"<html lang='en'><head><title>{title}</title></head><body>"
            "<nav><a href='/'>Home</a> <a href='/about'>About us</a></nav>"
            f"<div class='redesign-2030'><h1>{title}</h1>{paragraphs}</div>"
            "<footer>© ICMPD · Imprint</footer></body></html>").encode()


def test_redesign_and_failing_pages_fail_the_monitors(site: FixtureSite, tmp_path: Path) -> None:
    for article in site.articles[:8]:
        site.routes[article_path(article)] = Route(body=redesigned_page(article))
    for article in site.articles[8:]:
        site.routes[article_path(article)] = Route(status=500, body=b"<html><body>Internal error</body></html>")
    result = run_crawl(f"{site.base}/feed.xml", tmp_path)
    # The crawl itself ends normally and keeps what it could extract.
    assert result.returncode == 0
    assert len(result.records()) == 8
    assert result.stat("icmpd/articles/extraction/generic") == 8
    assert result.stat("icmpd/articles/failed/http_500") == 2
    # The monitors say what went wrong, in the stats ...
    assert result.stat("icmpd/monitors/run") == 8
    assert result.stat("icmpd/monitors/failed") == 3
    for monitor in ("generic_extraction_monitor", "failed_articles_monitor", "error_count_monitor"):
        assert result.stat(f"icmpd/monitors/failed/{monitor}") is not None
    assert result.stat("icmpd/monitors/failed/article_count_monitor") is None
    # ... and in the log: one line naming them (Spidermon's own report is at DEBUG), and the
    # run summary's monitors line.
    assert "[Spidermon]" not in result.log
    summary = next(line for line in result.log.splitlines() if "monitors failed:" in line)
    assert "[icmpd_news.monitors] WARNING: 3 of 8 monitors failed: " in summary
    assert ("  monitors: 3 of 8 failed: error_count_monitor, failed_articles_monitor, generic_extraction_monitor"
            in result.log.splitlines())
    assert "Failed Articles Monitor: 2 articles failed (maximum 0): {'http_500': 2}" in summary
    assert ("Generic Extraction Monitor: 8 of 8 articles (100%) were extracted by the generic fallback "
            "(maximum 20%): the site's layout has probably changed, see icmpd_news/extract/") in summary


def test_unreadable_feed_fails_the_feed_and_article_count(site: FixtureSite, tmp_path: Path) -> None:
    site.routes["/feed.xml"] = Route(status=404, body=b"<html><body>Not found</body></html>")
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, "ICMPD_MONITOR_MIN_ARTICLES=5")
    # Monitors do not set the exit status; the project's crawl command does, from its own rules
    # (README "Run outcome"), and an unreadable feed is one of them.
    assert result.returncode == 1
    assert result.stat("icmpd/monitors/failed") == 3
    for monitor in ("feed_monitor", "article_count_monitor", "error_count_monitor"):
        assert result.stat(f"icmpd/monitors/failed/{monitor}") is not None
    summary = next(line for line in result.log.splitlines() if "monitors failed:" in line)
    assert (f"Feed Monitor: the feed could not be read: feed {site.base}/feed.xml "
            "could not be fetched: answered HTTP 404") in summary
    assert "Article Count Monitor: 0 articles reached the export and 0 were known already (minimum 5); 0 were requested" in summary


def test_record_breaking_the_schema_is_not_exported(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    # A crawler built with the project's settings holds its ICMPD_OUTPUT_DIR (lock, state): a folder of its own.
    crawler = project_crawler(tmp_path)
    pipeline = SchemaValidationPipeline.from_crawler(crawler)
    record = Article(url="http://127.0.0.1:1/news/x", title="", published="18 January 2021", summary=None,
                     text="Some text.", images=[], attachments=[], content_hash="sha256:" + "0" * 64,
                     fetched_at="2021-01-18T18:20:06+00:00")
    with caplog.at_level(logging.ERROR), pytest.raises(
            DropItem, match="^http://127.0.0.1:1/news/x breaks the record schema: title: should be non-empty; published: "):
        pipeline.process_item(record)
    assert crawler.stats.get_value("icmpd/articles/invalid") == 1
    assert crawler.stats.get_value("spidermon/validation/items/dropped") == 1
    message = caplog.records[-1].getMessage()
    assert message.startswith("article http://127.0.0.1:1/news/x breaks the record schema and is not exported: ")
    assert "title" in message and "published" in message


def run_monitors(stats: dict, tmp_path: Path, **settings: object) -> dict:
    """Run the close monitors on these final stats, as at the end of a crawl; the stats after."""
    crawler = project_crawler(tmp_path, FeedSpider, {"feed_url": "http://127.0.0.1:1/news"}, **settings)
    crawler.stats.set_stats({"finish_reason": "finished", "log_count/ERROR": 0, **stats})
    spider = crawler.spider
    SpiderMonitorRunner(spider=spider).run(
        CloseMonitorSuite(crawler=crawler), stats=crawler.stats.get_stats(), crawler=crawler, spider=spider,
        job=None, stats_history=[],
    )
    return crawler.stats.get_stats()


def failed_monitors(stats: dict) -> dict[str, str]:
    return {key.removeprefix("icmpd/monitors/failed/"): value for key, value in stats.items()
            if key.startswith("icmpd/monitors/failed/")}


@pytest.mark.parametrize(("stats", "failed"), [
    # An incremental archive run on a day without news: nothing fetched, ten known articles seen.
    ({"icmpd/listing/skipped/known": 10, "icmpd/listing/pages": 1}, 0),
    ({"icmpd/conditional/not_modified/article": 10}, 0),
    ({"icmpd/articles/fresh": 10}, 0),
    # A run that saw no article at all.
    ({"icmpd/listing/pages": 1}, 1),
])
def test_known_articles_count_towards_the_minimum(stats: dict, failed: int, tmp_path: Path) -> None:
    after = run_monitors(stats, tmp_path)
    assert after["icmpd/monitors/failed"] == failed
    assert ("article_count_monitor" in failed_monitors(after)) == bool(failed)


@pytest.mark.parametrize(("generic", "partial", "failed"), [
    ({"generic": 2, "site": 8}, {}, {}),                      # 20%: at ICMPD_MONITOR_MAX_GENERIC_SHARE
    ({"generic": 3, "site": 7}, {}, {"generic_extraction_monitor":
                                     "3 of 10 articles (30%) were extracted by the generic fallback (maximum 20%): "
                                     "the site's layout has probably changed, see icmpd_news/extract/"}),
    ({"site": 9}, {"site+generic": 1}, {}),                    # 10%: at ICMPD_MONITOR_MAX_PARTIAL_SHARE
    ({"site": 8}, {"site+generic": 2}, {"partial_extraction_monitor":
                                        "2 of 10 articles (20%) were only partly explained by their layout "
                                        "(maximum 10%): the site's markup has probably changed, see icmpd_news/extract/"}),
])
def test_the_redesign_alarms_go_off_above_their_share(generic: dict, partial: dict, failed: dict, tmp_path: Path) -> None:
    stats = {f"icmpd/articles/extraction/{path}": n for path, n in (generic | partial).items()}
    after = run_monitors({"item_scraped_count": 10, **stats}, tmp_path)
    assert failed_monitors(after) == failed
    assert after["icmpd/monitors/failed"] == len(failed)


def test_failed_articles_and_the_summary_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    stats = {"item_scraped_count": 3, "icmpd/articles/failed": 2, "icmpd/articles/failed/http_500": 1,
             "icmpd/articles/failed/extraction": 1, "icmpd/articles/extraction/site": 3}
    assert failed_monitors(run_monitors(stats, tmp_path / "a", ICMPD_MONITOR_MAX_FAILED_ARTICLES=2)) == {}
    with caplog.at_level(logging.WARNING, logger="icmpd_news.monitors"):
        after = run_monitors(stats, tmp_path / "b")
    reason = "2 articles failed (maximum 0): {'http_500': 1, 'extraction': 1}"
    assert failed_monitors(after) == {"failed_articles_monitor": reason}
    # Skipped: Spidermon's item validation monitor, which has nothing to check without validation errors.
    assert (after["icmpd/monitors/run"], after["icmpd/monitors/failed"], after["icmpd/monitors/skipped"]) == (8, 1, 1)
    assert [r.getMessage() for r in caplog.records if r.name == "icmpd_news.monitors"] == \
        [f"1 of 8 monitors failed: Failed Articles Monitor: {reason}"]


def test_a_run_without_extraction_skips_the_share_monitors(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="icmpd_news.monitors"):
        after = run_monitors({"icmpd/articles/fresh": 4}, tmp_path)
    skipped = {key.removeprefix("icmpd/monitors/skipped/"): value for key, value in after.items()
               if key.startswith("icmpd/monitors/skipped/")}
    assert set(skipped) == {"generic_extraction_monitor", "partial_extraction_monitor", "item_validation_monitor"}
    assert skipped["generic_extraction_monitor"] == skipped["partial_extraction_monitor"] == "no article was extracted"
    assert (after["icmpd/monitors/failed"], after["icmpd/monitors/skipped"]) == (0, 3)
    assert not [r for r in caplog.records if r.name == "icmpd_news.monitors"]
