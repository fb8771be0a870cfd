"""Canonical URL and in-run deduplication: one item per article per run."""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from icmpd_news.stats import DEDUPE_DUPLICATES, DEDUPE_UNIQUE
from icmpd_news.urls import canonical_url


class DedupePipeline:
    """Give each item its canonical URL and drop the second item for the same URL in one run."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler.stats)

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        url = canonical_url(adapter["url"])
        adapter["url"] = url
        if url in self.seen:
            self.stats.inc_value(DEDUPE_DUPLICATES)
            raise DropItem(f"duplicate of {url} already exported in this run")
        self.seen.add(url)
        self.stats.inc_value(DEDUPE_UNIQUE)
        return item
