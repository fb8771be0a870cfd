"""ProgressLog: a long crawl says how far it is, in articles, every ICMPD_PROGRESS_LOG_INTERVAL seconds."""

from __future__ import annotations

import logging
import time

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import create_looping_call

from icmpd_news.stats import (
    ARTICLES_FAILED,
    ARTICLES_FRESH,
    ARTICLES_GONE,
    ARTICLES_REQUESTED,
    ARTICLES_SKIPPED,
    CONDITIONAL_NOT_MODIFIED_ARTICLE,
    LISTING_FAILED,
    LISTING_PAGES,
)

logger = logging.getLogger(__name__)


class ProgressLog:
    """Log "progress: done/total articles ..." periodically and once at the end: done counts the
    exported, dropped, failed, gone, not modified and skipped articles; total, those requested so far."""

    def __init__(self, stats: StatsCollector, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self.started = time.monotonic()
        self.task = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        interval = crawler.settings.getfloat("ICMPD_PROGRESS_LOG_INTERVAL")
        if not interval:
            raise NotConfigured
        extension = cls(crawler.stats, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.task = create_looping_call(self.log, spider)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.log(spider, final=True)

    def log(self, spider: Spider, final: bool = False) -> None:
        value = self.stats.get_value
        exported = value("item_scraped_count", 0)
        dropped = value("item_dropped_count", 0)
        failed = value(ARTICLES_FAILED, 0)
        gone = value(ARTICLES_GONE, 0)
        not_modified = value(CONDITIONAL_NOT_MODIFIED_ARTICLE, 0)
        skipped = value(ARTICLES_SKIPPED, 0)
        done = exported + dropped + failed + gone + not_modified + skipped
        elapsed = max(time.monotonic() - self.started, 1e-6)
        walk = ""
        if value(LISTING_PAGES) is not None or value(LISTING_FAILED) is not None:
            walk = f"; listing pages walked {value(LISTING_PAGES, 0)}, failed {value(LISTING_FAILED, 0)}"
        if value(ARTICLES_FRESH):
            walk += f"; {value(ARTICLES_FRESH)} confirmed recently, not requested (ICMPD_REVALIDATE_AFTER_SECONDS)"
        logger.info(
            "progress%s: %d/%d articles done (%d exported, %d dropped, %d failed, %d gone, %d not modified, "
            "%d skipped), %.1f articles/s%s",
            " (final)" if final else "", done, value(ARTICLES_REQUESTED, 0), exported, dropped, failed, gone,
            not_modified, skipped, done / elapsed, walk, extra={"spider": spider},
        )
