"""Under Scrapyd, warn about state paths that depend on the working directory, and about
Scrapyd's own items feed (docs/operations.md, "Scheduling")."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler

from icmpd_news.stats import SCRAPYD_FEEDS, SCRAPYD_JOB, SCRAPYD_RELATIVE_PATHS

logger = logging.getLogger(__name__)


def scrapyd_job(spider: scrapy.Spider) -> str | None:
    """The Scrapyd job id (spider argument `_job`, or $SCRAPY_JOB before Scrapyd 1.5), else None."""
    return getattr(spider, "_job", None) or os.environ.get("SCRAPY_JOB")


class ScrapydPathsCheck:
    """Extension: under Scrapyd, a warning and a stat for every relative state path and for a FEEDS
    setting (the project sets none: Scrapyd's items_dir does)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScrapydPathsCheck:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider: scrapy.Spider) -> None:
        job = scrapyd_job(spider)
        if not job:
            return
        stats = self.crawler.stats
        settings = self.crawler.settings
        stats.set_value(SCRAPYD_JOB, job)
        names = ["ICMPD_OUTPUT_DIR", "FILES_STORE", "IMAGES_STORE"]
        names += ["HTTPCACHE_DIR"] if settings.getbool("HTTPCACHE_ENABLED") else []
        for name in names:
            value = settings.get(name)
            if value and "://" not in str(value) and not Path(value).is_absolute():
                stats.inc_value(SCRAPYD_RELATIVE_PATHS)
                logger.warning(
                    "%s=%r is relative and this crawl runs under Scrapyd (job %s): it resolves to %s, which "
                    "depends on the folder Scrapyd was started from, so runs started elsewhere will not share "
                    "(or deduplicate against) it. Schedule with -d setting=%s=/an/absolute/path.",
                    name, value, job, Path(value).resolve(), name,
                )
        if settings.getdict("FEEDS"):
            stats.set_value(SCRAPYD_FEEDS, len(settings.getdict("FEEDS")))
            logger.warning(
                "FEEDS is set (%s): Scrapyd's items_dir is probably set, so Scrapyd keeps its own copy of the "
                "items, and only for its last jobs. The dataset is %s; leave items_dir empty (deploy/scrapyd.conf).",
                ", ".join(settings.getdict("FEEDS")), Path(settings["ICMPD_OUTPUT_DIR"]).resolve() / "articles.jsonl",
            )
