"""The crawl's one pool of PDF worker processes, shared by the pipelines that read PDFs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals

from icmpd_news.media.pdf_pool import PdfWorkers, default_workers
from icmpd_news.stats import PDF_WORKERS_RESTARTED, PDF_WORKERS_UNAVAILABLE

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from typing_extensions import Self

logger = logging.getLogger(__name__)


class PdfWorkersExtension:
    """Holds the crawl's one PdfWorkers (ICMPD_PDF_TEXT_*), stopped once the spider has closed."""

    def __init__(self, workers: PdfWorkers, stats: StatsCollector) -> None:
        self.workers = workers
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        count = settings.get("ICMPD_PDF_TEXT_WORKERS")
        workers = PdfWorkers(
            default_workers() if count in (None, "") else int(count),
            settings.getfloat("ICMPD_PDF_TEXT_TIMEOUT"), settings.getint("ICMPD_PDF_TEXT_MAX_PAGES"),
        )
        extension = cls(workers, crawler.stats)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self) -> None:
        self.workers.close()
        if self.workers.restarts:
            self.stats.set_value(PDF_WORKERS_RESTARTED, self.workers.restarts)
        if self.workers.unavailable:
            self.stats.set_value(PDF_WORKERS_UNAVAILABLE, self.workers.unavailable)


def pdf_workers(crawler: Crawler) -> PdfWorkers:
    """The crawl's PdfWorkers; without PdfWorkersExtension, PDFs are read in the crawl's thread, without a deadline."""
    extension = crawler.get_extension(PdfWorkersExtension)
    if extension is not None:
        return extension.workers
    logger.warning("PdfWorkersExtension is disabled: PDFs are read in the crawl's thread, without ICMPD_PDF_TEXT_TIMEOUT")
    return PdfWorkers(0, 0, crawler.settings.getint("ICMPD_PDF_TEXT_MAX_PAGES"))
