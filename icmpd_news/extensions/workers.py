"""The crawl's one pool of worker processes, shared by the spider (pages) and the pipelines that read PDFs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals

from icmpd_news.stats import WORKERS_RESTARTED, WORKERS_UNAVAILABLE
from icmpd_news.workers import Workers, default_workers

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from typing_extensions import Self

logger = logging.getLogger(__name__)


def extract_timeout(time_limit: float) -> float:
    """A page's deadline in a worker: its own time limit stops the extraction first; the worker is
    stopped only when that did not work (0: none)."""
    return 2 * time_limit + 5 if time_limit else 0


class WorkersExtension:
    """Holds the crawl's one Workers (ICMPD_WORKERS, ICMPD_PDF_TEXT_*, ICMPD_EXTRACT_TIME_LIMIT), stopped once
    the spider has closed."""

    def __init__(self, workers: Workers, stats: StatsCollector) -> None:
        self.workers = workers
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        count = settings.get("ICMPD_WORKERS")
        workers = Workers(
            default_workers() if count in (None, "") else int(count),
            settings.getfloat("ICMPD_PDF_TEXT_TIMEOUT"), settings.getint("ICMPD_PDF_TEXT_MAX_PAGES"),
            extract_timeout(settings.getfloat("ICMPD_EXTRACT_TIME_LIMIT")),
        )
        extension = cls(workers, crawler.stats)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self) -> None:
        self.workers.close()
        if self.workers.restarts:
            self.stats.set_value(WORKERS_RESTARTED, self.workers.restarts)
        if self.workers.unavailable:
            self.stats.set_value(WORKERS_UNAVAILABLE, self.workers.unavailable)


def crawl_workers(crawler: Crawler) -> Workers:
    """The crawl's Workers; without WorkersExtension, none: all in the crawl's process, PDFs without a deadline."""
    extension = crawler.get_extension(WorkersExtension)
    if extension is not None:
        return extension.workers
    logger.warning("WorkersExtension is disabled: pages are extracted and PDFs read in the crawl's process, "
                   "PDFs without ICMPD_PDF_TEXT_TIMEOUT")
    return Workers(0, 0, crawler.settings.getint("ICMPD_PDF_TEXT_MAX_PAGES"))
