"""Attachments: the article's documents downloaded and verified by their bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.pipelines.files import FilesPipeline

from icmpd_news.extensions.workers import crawl_workers
from icmpd_news.media.filetypes import DOCUMENT_EXTENSIONS, WrongType, check_document
from icmpd_news.pipelines.media import ArticleMediaMixin
from icmpd_news.stats import MEDIA_FILES

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class AttachmentsPipeline(ArticleMediaMixin, FilesPipeline):
    """Download each attachments[] entry into FILES_STORE/attachments/: good when its magic numbers
    are the kind its link names and, for a PDF, when pypdf opens it within ICMPD_PDF_TEXT_TIMEOUT."""

    MEDIA_NAME = "attachment"
    FIELD = "attachments"
    FOLDER = "attachments"
    STATS = MEDIA_FILES
    STORE_SETTING = "FILES_STORE"
    EXTENSIONS = DOCUMENT_EXTENSIONS

    def __init__(self, store_uri: str, *, crawler: Crawler) -> None:
        super().__init__(store_uri, crawler=crawler)
        self.workers = crawl_workers(crawler)

    async def check_bytes(self, body: bytes, url: str) -> dict[str, Any]:
        content_type = check_document(body, url)
        if content_type == "application/pdf" and (failure := await self.workers.check(body)):
            raise WrongType(failure.kind, failure.error)
        return {"content_type": content_type}
