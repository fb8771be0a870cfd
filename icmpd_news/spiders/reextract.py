"""The icmpd_news_reextract spider: rebuild articles.jsonl from the web archive, with no network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy

from icmpd_news.dataset.jsonl import EXPORT_NAME, iter_records
from icmpd_news.dataset.web_archive import WarcRef, iter_exchanges
from icmpd_news.spiders.base import ArticleSpider
from icmpd_news.stats import REEXTRACT_FROM_ARCHIVE, REEXTRACT_NOT_IN_ARCHIVE
from icmpd_news.urls import canonical_url, site_host

# Any http(s) URL: the site is the archived articles' own, read when the crawl starts.
_NO_SITE_YET = "http://localhost/"


class ReextractSpider(ArticleSpider):
    """Extract every article the web archive holds again, with today's code, through the same
    pipelines and change detection as a crawl: a record whose text comes out different becomes
    an updated version (in the run's change file); an unchanged one stays byte for byte.
    Nothing is sent to any site (ICMPD_WARC_OFFLINE): each article's latest archived page (a
    200 answer, as fetched or as rendered) is read from ICMPD_OUTPUT_DIR/warc/ with what the feed
    or listing said of it then. Images and attachments are kept as stored; one that was never
    stored stays failed (for a reason that may pass: the next crawl fetches it). Records whose
    page the archive lacks are left as they are (counted).

    Spider arguments (``-a name=value``):
        help: 1 lists these arguments and exits without crawling.
    """

    name = "icmpd_news_reextract"
    custom_settings = {  # noqa: RUF012 (Scrapy's declared interface)
        "ICMPD_WARC_OFFLINE": True,
        "ROBOTSTXT_OBEY": False,
        "ICMPD_RENDER_ENABLED": False,
        # Stored files are not fetched again however old: there is no network.
        "FILES_EXPIRES": 365_000,
        "IMAGES_EXPIRES": 365_000,
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("the archive", _NO_SITE_YET, **kwargs)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """One request per archived article, answered from the archive."""
        self.open_dataset()
        output_dir = Path(self.crawler.settings["ICMPD_OUTPUT_DIR"])
        latest: dict[str, tuple[WarcRef, str, dict[str, Any]]] = {}
        for ref, url, metadata in iter_exchanges(output_dir):
            if metadata.get("kind") == "article" and metadata.get("status", 200) == 200:
                latest[canonical_url(url)] = (ref, url, metadata)
        if latest:
            self.site = self._site_of(next(iter(latest.values()))[1])
            self.allowed_domains = [self.site]
        for ref, url, metadata in latest.values():
            self.crawler.stats.inc_value(REEXTRACT_FROM_ARCHIVE)
            yield self.replay_request(ref, url, metadata)
        missing = self.exported_urls(output_dir) - set(latest)
        if missing:
            self.crawler.stats.set_value(REEXTRACT_NOT_IN_ARCHIVE, len(missing))
            self.logger.warning("%d exported articles have no page in the web archive: their records stay as they are",
                                len(missing))
        self.logger.info("extracting %d archived articles again, from %s", len(latest), output_dir / "warc")

    @staticmethod
    def _site_of(url: str) -> str:
        return site_host(urlsplit(url).hostname)

    @staticmethod
    def exported_urls(output_dir: Path) -> set[str]:
        """The canonical URLs of the records in the export."""
        return {canonical_url(record["url"]) for record in iter_records(output_dir / EXPORT_NAME)
                if record is not None and isinstance(record.get("url"), str)}
