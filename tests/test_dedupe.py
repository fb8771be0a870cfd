"""In-run deduplication (icmpd_news/pipelines/dedupe.py): each item gets its canonical URL, and a
second item for the same article in one run is dropped."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from icmpd_news.items import Article
from icmpd_news.pipelines.dedupe import DedupePipeline

CANONICAL = "http://127.0.0.1:8000/news-centre/news-detail/a/"


def test_the_second_item_for_an_article_is_dropped_whatever_its_spelling() -> None:
    stats = MemoryStatsCollector(get_crawler())
    pipeline = DedupePipeline(stats)
    first = pipeline.process_item(Article(url="http://127.0.0.1:8000//news-centre/news-detail/a/?L=0&fbclid=x"))
    assert first["url"] == CANONICAL
    for spelling in (CANONICAL, "HTTP://127.0.0.1:8000/news-centre/news-detail/a/?cHash=1#top"):
        with pytest.raises(DropItem, match=f"^duplicate of {CANONICAL} already exported in this run$"):
            pipeline.process_item(Article(url=spelling))
    other = pipeline.process_item(Article(url="http://127.0.0.1:8000/news-centre/news-detail/b/"))
    assert other["url"] == "http://127.0.0.1:8000/news-centre/news-detail/b/"
    assert (stats.get_value("icmpd/dedupe/unique"), stats.get_value("icmpd/dedupe/duplicates")) == (2, 2)


def test_each_run_starts_afresh() -> None:
    crawler = get_crawler()
    for _ in range(2):
        assert DedupePipeline.from_crawler(crawler).process_item(Article(url=CANONICAL))["url"] == CANONICAL
