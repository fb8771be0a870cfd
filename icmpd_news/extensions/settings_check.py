"""Warn about settings given on the command line that look like a misspelt project setting."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler

from icmpd_news.spiders.arguments import misspelt_settings
from icmpd_news.stats import SETTINGS_MISSPELT, settings_misspelt

logger = logging.getLogger(__name__)


class MisspeltSettingsCheck:
    """Extension: for each `-s NAME=value` whose NAME no component of the project defines but
    which is close to one that does (`OUTPUTDIR` for `OUTPUT_DIR`; icmpd_news.spiders.arguments), log
    one warning naming the likely intended setting, before the crawl touches anything. The
    crawl goes on: the setting is ignored, as Scrapy ignores any unknown setting.

    Stats: see icmpd_news.stats, Settings and Scrapyd (the run summary repeats them).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.found = misspelt_settings(crawler.settings)
        for given, intended in self.found.items():
            logger.warning("setting %s is not a setting of this project and is ignored: did you mean %s? "
                           "(-s %s=%s)", given, intended, intended, crawler.settings[given])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MisspeltSettingsCheck:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self) -> None:
        if self.found:
            self.crawler.stats.set_value(SETTINGS_MISSPELT, len(self.found))
        for given, intended in self.found.items():
            self.crawler.stats.set_value(settings_misspelt(given), intended)
