"""Progress (icmpd_news/extensions/progress.py): a long crawl's periodic line, in articles, read
from the crawl's stats."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured

from icmpd_news.extensions.progress import ProgressLog
from tests.crawling import project_crawler


def progress_line(stats: dict, tmp_path: Path, caplog: pytest.LogCaptureFixture, final: bool = False) -> str:
    crawler = project_crawler(tmp_path, Spider, {"name": "test"})
    crawler.stats.set_stats(stats)
    extension = ProgressLog.from_crawler(crawler)
    extension.started -= 10  # ten seconds into the crawl
    with caplog.at_level(logging.INFO, logger="icmpd_news.extensions.progress"):
        extension.log(crawler.spider, final=final)
    return caplog.records[-1].getMessage()


def test_done_counts_every_way_an_article_is_settled(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    stats = {"icmpd/articles/requested": 40, "item_scraped_count": 10, "item_dropped_count": 1,
             "icmpd/articles/failed": 2, "icmpd/articles/gone": 3, "icmpd/conditional/not_modified/article": 4,
             "icmpd/articles/skipped": 5}
    line = progress_line(stats, tmp_path, caplog)
    assert line.startswith("progress: 25/40 articles done (10 exported, 1 dropped, 2 failed, 3 gone, 4 not modified, "
                           "5 skipped), 2.")
    assert line.endswith(" articles/s")
    rate = float(line.split("), ")[1].split(" ")[0])
    assert 2.0 <= rate <= 2.5  # 25 in ten seconds and a little


def test_the_final_line_with_the_walk_and_the_articles_not_asked(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    stats = {"icmpd/articles/requested": 3, "item_scraped_count": 3, "icmpd/listing/pages": 7, "icmpd/articles/fresh": 9}
    line = progress_line(stats, tmp_path, caplog, final=True)
    assert line.startswith("progress (final): 3/3 articles done (3 exported, 0 dropped, 0 failed, 0 gone, "
                           "0 not modified, 0 skipped), ")
    assert line.endswith(" articles/s; listing pages walked 7, failed 0; 9 confirmed recently, not requested "
                         "(ICMPD_REVALIDATE_AFTER_SECONDS)")
    walk_failed = progress_line({"icmpd/listing/failed": 2}, tmp_path / "b", caplog)
    assert walk_failed.startswith("progress: 0/0 articles done") and walk_failed.endswith("; listing pages walked 0, failed 2")


def test_an_interval_of_zero_turns_it_off(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="^$"):  # Scrapy leaves the extension out silently
        ProgressLog.from_crawler(project_crawler(tmp_path, ICMPD_PROGRESS_LOG_INTERVAL=0))
    assert ProgressLog.from_crawler(project_crawler(tmp_path / "on", ICMPD_PROGRESS_LOG_INTERVAL=5)).interval == 5
