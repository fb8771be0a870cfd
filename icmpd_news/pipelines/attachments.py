"""Attachments: the article's documents downloaded and verified by their bytes."""

from __future__ import annotations

from typing import Any

from scrapy.pipelines.files import FilesPipeline
from scrapy.utils.asyncio import run_in_thread

from icmpd_news.filetypes import DOCUMENT_EXTENSIONS, WrongType, check_document
from icmpd_news.pdf import BrokenPdf, check_pdf
from icmpd_news.pipelines.media import ArticleMediaMixin


class AttachmentsPipeline(ArticleMediaMixin, FilesPipeline):
    """Download each attachments[] entry into FILES_STORE/attachments/ and add path,
    checksum, size, content_type, status and error (see ArticleMediaMixin).

    A file counts as good when its magic numbers are the kind its link names (a ".pdf" that
    is an HTML page fails), and a PDF must also open in pypdf (a truncated or corrupt PDF
    fails; an encrypted one is kept, the text step reports it).

    Stats: icmpd/files/...
    """

    MEDIA_NAME = "attachment"
    FIELD = "attachments"
    FOLDER = "attachments"
    STATS = "icmpd/files"
    STORE_SETTING = "FILES_STORE"
    EXTENSIONS = DOCUMENT_EXTENSIONS

    async def check_bytes(self, body: bytes, url: str) -> dict[str, Any]:
        content_type = check_document(body, url)
        if content_type == "application/pdf":
            try:
                await run_in_thread(check_pdf, body)
            except BrokenPdf as error:
                raise WrongType("broken", f"broken PDF: {error}") from error
        return {"content_type": content_type}
