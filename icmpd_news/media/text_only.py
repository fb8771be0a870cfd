"""The text-only crawl (ICMPD_TEXT_ONLY): articles without their images and attachments fetched."""

from __future__ import annotations

from scrapy.settings import BaseSettings

# What a text-only crawl leaves out: every component that fetches or reads a file.
MEDIA_PIPELINES = (
    "icmpd_news.pipelines.images.ArticleImagesPipeline",
    "icmpd_news.pipelines.attachments.AttachmentsPipeline",
    "icmpd_news.pipelines.pdftext.PdfTextPipeline",
)


class TextOnlyAddon:
    """Scrapy add-on: with ICMPD_TEXT_ONLY, the media pipelines are switched off (never imported).
    Records still list every image and attachment the page has, with no file keys."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.getbool("ICMPD_TEXT_ONLY"):
            return
        pipelines = settings.getdict("ITEM_PIPELINES")
        pipelines.update(dict.fromkeys(MEDIA_PIPELINES))
        settings.set("ITEM_PIPELINES", pipelines, settings.getpriority("ITEM_PIPELINES") or "addon")
