"""Under Scrapyd, warn about state paths that depend on the working directory, and about
Scrapyd's own items feed.

Scrapyd starts every job in the folder Scrapyd itself was started from, not in the project: a
relative ICMPD_OUTPUT_DIR lands wherever that is, and the dataset (and deduplication across runs)
silently splits when Scrapyd is started from somewhere else. The crawl still runs (refusing would
lose the run); the warning and the stat make the mistake visible in the job log and the stats.
Likewise when Scrapyd's items_dir is set: Scrapyd then writes its own copy of the items through
FEEDS and keeps only the last jobs' copies, which must not be mistaken for the dataset.
"""

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
    """The Scrapyd job id when this crawl runs under Scrapyd, else None.

    Scrapyd passes it as the spider argument `_job` (and Scrapyd < 1.5 also as $SCRAPY_JOB).
    """
    return getattr(spider, "_job", None) or os.environ.get("SCRAPY_JOB")


class ScrapydPathsCheck:
    """Extension: when the crawl runs under Scrapyd, log a warning and count a stat for every
    state path that is relative (ICMPD_OUTPUT_DIR; FILES_STORE and IMAGES_STORE when set to a local
    folder, they default to ICMPD_OUTPUT_DIR/files; HTTPCACHE_DIR when the HTTP cache is on), and
    for a FEEDS setting (the project sets none: Scrapyd's items_dir does).

    Stats: see icmpd_news.stats, Settings and Scrapyd.
    """

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
