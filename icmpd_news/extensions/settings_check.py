"""Settings given to a run, checked against the ones the project knows: old names read as the
new ones, misspelt names warned about (docs/design.md, "Settings")."""

from __future__ import annotations

import difflib
import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings

from icmpd_news import settings as project_settings
from icmpd_news.stats import SETTINGS_MISSPELT, settings_misspelt

logger = logging.getLogger(__name__)

PREFIX = "ICMPD_"
# The project settings that had no prefix before this release (OLD_NAME is read as ICMPD_OLD_NAME), and
# the RENAMED ones.
OLD_NAMES = {
    name: PREFIX + name for name in (
        "OUTPUT_DIR", "EXPORT_CHECKPOINT_SECONDS", "REVALIDATE_AFTER_SECONDS", "MIN_TEXT_CHARS", "FILE_HOSTS",
        "EXTRACT_MAX_BYTES", "EXTRACT_MAX_ELEMENTS", "EXTRACT_MAX_DEPTH", "EXTRACT_TIME_LIMIT",
        "EXTRACT_MAX_TREE_SIZE", "ARCHIVE_MAX_PAGES", "ARCHIVE_MAX_FAILED_PAGES", "FILES_MAX_SIZE",
        "PDF_TEXT_MAX_PAGES", "PDF_TEXT_TIMEOUT", "RENDER_ENABLED", "RENDER_URL_PATTERNS",
        "RENDER_BROWSER_PATH", "RENDER_SETTLE_SECONDS", "RENDER_TIMEOUT_SECONDS", "RETRY_BACKOFF_BASE",
        "RETRY_BACKOFF_MAX", "RETRY_AFTER_MAX", "MAX_FAILED_SHARE", "MIN_FAILED_FOR_SHARE",
        "PROGRESS_LOG_INTERVAL",
    )
} | (RENAMED := {
    # The PDF workers' size, since page extraction joined the PDFs in the worker processes.
    "PDF_TEXT_WORKERS": "ICMPD_WORKERS", "ICMPD_PDF_TEXT_WORKERS": "ICMPD_WORKERS",
})
# How alike a given setting name and a known one must be (difflib's ratio) to call it a slip.
CLOSE_ENOUGH = 0.85


def known_settings() -> frozenset[str]:
    """Every setting Scrapy defines a default for, and every setting of the project."""
    return frozenset(name for module in (default_settings, project_settings) for name in dir(module) if name.isupper())


def setting_name(given: str) -> str | None:
    """The setting `given` names, in any case and under its old name too; None for none."""
    name = OLD_NAMES.get(given.upper(), given.upper())
    return name if name in known_settings() else None


def misspelt_settings(settings: BaseSettings) -> dict[str, str]:
    """{given: likely intended} for each unknown setting given on the command line close to a known one."""
    known = known_settings()
    command_line = SETTINGS_PRIORITIES["cmdline"]
    found = {}
    for name in settings:
        if settings.getpriority(name) != command_line or name in known or name in OLD_NAMES:
            continue
        close = difflib.get_close_matches(name.upper(), known | OLD_NAMES.keys(), n=1, cutoff=CLOSE_ENOUGH)
        if close:
            found[name] = OLD_NAMES.get(close[0], close[0])
    return found


class OldSettingNames:
    """Add-on: a setting given under its old name is set under its new one (unless given there at a
    higher priority), with a warning."""

    def update_settings(self, settings: BaseSettings) -> None:
        for old, new in OLD_NAMES.items():
            priority = settings.getpriority(old)
            if priority is None:
                continue
            if priority > (settings.getpriority(new) or 0):
                settings.set(new, settings[old], priority=priority)
            logger.warning("setting %s is now called %s: read as %s in this release, ignored in the next", old, new, new)


class MisspeltSettingsCheck:
    """Extension: one warning per misspelt setting given on the command line, before the crawl touches anything."""

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
