"""The console: what a run prints, and at which level (docs/operations.md, "The console")."""

from __future__ import annotations

import logging
import pprint
import sqlite3
from collections.abc import Callable
from typing import Any

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.spiders import Spider
from scrapy.statscollectors import MemoryStatsCollector
from twisted.internet import error as twisted_errors
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

SUMMARY = logging.CRITICAL + 10  # the count line's: no LOG_LEVEL hides it
logging.addLevelName(SUMMARY, "SUMMARY")

# Failures a crawler meets in normal operation: their traceback says nothing new.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # disk full, read-only, permission; connection refused or reset
    sqlite3.OperationalError,
    IgnoreRequest,
    HttpError,
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
    twisted_errors.ConnectError,
    twisted_errors.ConnectionLost,
    twisted_errors.DNSLookupError,
    twisted_errors.TimeoutError,
)
# Loggers whose records may carry an expected failure's traceback.
TRACEBACK_LOGGERS = (
    "scrapy.core.engine", "scrapy.core.scraper", "scrapy.downloadermiddlewares.robotstxt",
    "scrapy.pipelines.files", "scrapy.pipelines.media", "scrapy.utils.signal", "icmpd_news.commands.crawl",
)


def _starts_with(*prefixes: str) -> Callable[[logging.LogRecord], bool]:
    return lambda record: isinstance(record.msg, str) and record.msg.startswith(prefixes)


# Logger name -> which of its INFO records go to DEBUG.
DEMOTED: dict[str, Callable[[logging.LogRecord], bool]] = {
    "scrapy.utils.log": _starts_with("Versions:"),
    "scrapy.crawler": _starts_with("Overridden settings:"),
    "scrapy.addons": _starts_with("Enabled addons:"),
    "scrapy.middleware": _starts_with("Enabled "),
}
# Spidermon reports through the spider's logger, named after the spider.
DEMOTED |= {name: _starts_with("[Spidermon]") for name in ("icmpd_news", "icmpd_news_archive", "icmpd_news_reextract")}


class _Demote(logging.Filter):
    """Lower the records `applies` picks to DEBUG (the handlers' LOG_LEVEL then decides)."""

    def __init__(self, applies: Callable[[logging.LogRecord], bool]) -> None:
        super().__init__()
        self.applies = applies

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and self.applies(record):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


class _TracebackToDebug(logging.Filter):
    """A record about an expected failure keeps its line; its traceback goes to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if record.levelno > logging.DEBUG and exc_info and isinstance(exc_info[1], EXPECTED_ERRORS):
            record.exc_info, record.exc_text = None, None
            logging.getLogger(record.name).debug("the traceback of %r:", record.getMessage()[:200], exc_info=exc_info)
        return True


def install() -> None:
    """Put the filters above on their loggers (once per process): Scrapy's start-up lists and
    Spidermon's report go to DEBUG, and so do the tracebacks of EXPECTED_ERRORS."""
    for name, applies in DEMOTED.items():
        target = logging.getLogger(name)
        if not any(isinstance(f, _Demote) for f in target.filters):
            target.addFilter(_Demote(applies))
    for name in TRACEBACK_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, _TracebackToDebug) for f in target.filters):
            target.addFilter(_TracebackToDebug())


def build_only_handled_records() -> None:
    """Records no handler would take, a DEBUG line per request at LOG_LEVEL=INFO, are not built: the root
    logger and Scrapy's "scrapy" logger (which Scrapy sets to NOTSET and DEBUG) are raised to the lowest
    level of the root's handlers (LOG_LEVEL, once Scrapy has installed its own). No change when a handler
    takes every level, or for a logger set higher."""
    handlers = logging.root.handlers
    if not handlers:
        return
    lowest = min(handler.level for handler in handlers)
    for target in (logging.root, logging.getLogger("scrapy")):
        if target.level < lowest and (target is logging.root or not target.handlers):
            target.setLevel(lowest)


class DebugDumpStatsCollector(MemoryStatsCollector):
    """Scrapy's default stats collector, dumping the stats (STATS_DUMP) at DEBUG instead of INFO."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.dump_at_debug = crawler.settings.getbool("STATS_DUMP")

    def close_spider(self, spider: Spider | None = None, reason: str | None = None) -> None:
        if self.dump_at_debug:
            logger.debug("Dumping Scrapy stats:\n%s", pprint.pformat(self.get_stats()))
        self._persist_stats(self.get_stats())


def _url(item: Any) -> str:
    try:
        return str(item["url"])
    except (KeyError, TypeError):
        return type(item).__name__


class ConsoleLogFormatter(LogFormatter):
    """Scrapy's log formatter, naming a dropped or failed item by its URL instead of dumping it whole."""

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        return {"level": result["level"], "msg": "Dropped %(url)s: %(exception)s",
                "args": {"url": _url(item), "exception": exception}}

    def item_error(self, item: Any, exception: BaseException, response: Response | Failure | None,
                   spider: Spider) -> LogFormatterResult:
        return {"level": logging.ERROR, "msg": "Error processing the item of %(url)s: %(error)s",
                "args": {"url": _url(item), "error": f"{type(exception).__name__}: {exception}"}}
