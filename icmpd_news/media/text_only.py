"""The text-only crawl (ICMPD_TEXT_ONLY): articles without their images and attachments fetched."""

from __future__ import annotations

from scrapy.settings import BaseSettings

# What a text-only crawl leaves out: every component that fetches or reads a file.
MEDIA_PIPELINES = (
    "icmpd_news.pipelines.images.ArticleImagesPipeline",
    "icmpd_news.pipelines.attachments.AttachmentsPipeline",
    "icmpd_news.pipelines.pdftext.PdfTextPipeline",
)
MEDIA_EXTENSIONS = ("icmpd_news.extensions.pdf_workers.PdfWorkersExtension",)


class TextOnlyAddon:
    """Scrapy add-on: with ICMPD_TEXT_ONLY, the media pipelines and the PDF workers are switched off
    (never imported). Records still list every image and attachment the page has, with no file keys."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.getbool("ICMPD_TEXT_ONLY"):
            return
        for name, components in (("ITEM_PIPELINES", MEDIA_PIPELINES), ("EXTENSIONS", MEDIA_EXTENSIONS)):
            enabled = settings.getdict(name)
            enabled.update(dict.fromkeys(components))
            settings.set(name, enabled, settings.getpriority(name) or "addon")
