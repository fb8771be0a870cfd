"""PDF text: the text and page count of every stored PDF attachment, for search."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.statscollectors import StatsCollector

from icmpd_news.dataset.files import STORED_STATUSES, local_store_path
from icmpd_news.extensions.workers import crawl_workers
from icmpd_news.media.pdf import PdfText
from icmpd_news.stats import PDF_PAGES, PDF_PAGES_CAPPED, PDF_TEXT, pdf_no_text
from icmpd_news.workers import Workers

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class PdfTextPipeline:
    """Give every attachment text, page_count and text_error (null when they do not apply): the text of
    each stored PDF's first ICMPD_PDF_TEXT_MAX_PAGES pages, read in the PDF workers, or why not."""

    def __init__(self, store: Path, workers: Workers, stats: StatsCollector) -> None:
        self.store = store
        self.workers = workers
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PdfTextPipeline:
        return cls(local_store_path(crawler.settings, "FILES_STORE"), crawl_workers(crawler), crawler.stats)

    async def process_item(self, item: Any) -> Any:
        for entry in ItemAdapter(item).get("attachments") or []:
            entry.update(text=None, page_count=None, text_error=None)
            if entry.get("content_type") == "application/pdf" and entry.get("status") in STORED_STATUSES:
                found = await self.workers.text(self.store / entry["path"])
                entry.update(text=found.text, page_count=found.page_count, text_error=found.error)
                self._count(entry["url"], found)
        return item

    def _count(self, url: str, found: PdfText) -> None:
        self.stats.inc_value(PDF_PAGES, found.pages_read)
        if found.page_count is not None and found.page_count > found.pages_read:
            self.stats.inc_value(PDF_PAGES_CAPPED)
            logger.info("PDF %s has %d pages: text of the first %d only (ICMPD_PDF_TEXT_MAX_PAGES)",
                        url, found.page_count, found.pages_read)
        if found.text is not None:
            self.stats.inc_value(PDF_TEXT)
            return
        self.stats.inc_value(pdf_no_text(found.kind))
        logger.warning("PDF %s: no text: %s", url, found.error)
