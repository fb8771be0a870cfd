"""One crawl of one ICMPD_OUTPUT_DIR: its lock, its state store, its run id and its summary."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from icmpd_news.dataset.jsonl import EXPORT_NAME, iter_records
from icmpd_news.dataset.lock import OutputDirLock, OutputDirLocked, holder_pid, pid_alive
from icmpd_news.dataset.recovery import recover
from icmpd_news.dataset.state import STATE_NAME, StateStore, Validators
from icmpd_news.dataset.web_archive import WarcRef, WebArchiveWriter, archive_files, prune, recover_open_files
from icmpd_news.dataset.write_failures import OutputDirUnusable, check_writable, write_failure
from icmpd_news.stats import (
    ARTICLES_FAILED,
    ARTICLES_FRESH,
    CONDITIONAL_NOT_MODIFIED_ARTICLE,
    EXPORT_INVALID_LINES,
    EXPORT_NEW,
    EXPORT_RECOVERED,
    EXPORT_REMOVED,
    EXPORT_RESTORED,
    EXPORT_TORN_LINES,
    EXPORT_UNCHANGED,
    EXPORT_UPDATED,
    LOCK_STALE_TAKEN_OVER,
    RUN_COUNTS,
    RUN_ID,
    STATE_RESET,
    WARC_BYTES,
    WARC_FILES,
    WARC_PRUNED,
    WARC_RECOVERED,
    WARC_SIZE,
    WRITE_ERROR,
    WRITES_FAILED,
)

logger = logging.getLogger(__name__)

RUNS_DIR = "runs"
# The finish reason of a crawl stopped because a write failed (see CrawlRun.write_failed).
WRITE_FAILED = "write_failed"


def new_run_id(runs_dir: Path) -> str:
    """The run's id: its start time in UTC (sorts in run order), made unique in `runs_dir`."""
    base = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_id, number = base, 1
    while any(runs_dir.glob(f"{run_id}.*")):
        number += 1
        run_id = f"{base}-{number}"
    return run_id


class CrawlRun:
    """The crawl's hold on ICMPD_OUTPUT_DIR, from the crawler's creation to the engine's stop. When
    built, before any other component: takes the lock (OutputDirLocked; a stale one with a warning),
    checks the folder takes a file, recovers (journals, web archive files left open) and opens the
    state store (else OutputDirUnusable). Gives the run its id and its web archive writer, stores
    validators once an item passed every pipeline, sets RUN_COUNTS and the archive's size at close;
    every component reports a failed write of the dataset to write_failed().
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.output_dir = Path(crawler.settings["ICMPD_OUTPUT_DIR"])
        self.lock = OutputDirLock(self.output_dir)
        self.write_error: str | None = None
        try:
            previous = self.lock.acquire()
        except OutputDirLocked as error:
            logger.error("refusing to crawl: %s. Only one crawl may write an ICMPD_OUTPUT_DIR at a time.", error)
            raise
        except OSError as error:
            self._refuse(error, self.lock.path)
        try:
            self._take_over()
        except (OSError, sqlite3.Error) as error:
            self.lock.release()
            where = self.output_dir / STATE_NAME if isinstance(error, sqlite3.Error) else self.output_dir
            self._refuse(error, getattr(error, "filename", None) or where)
        self.stale_holder = previous
        if previous:
            pid = holder_pid(previous)
            state = "no longer running" if pid is None or not pid_alive(pid) else "running, but not holding the lock"
            logger.warning("stale lock taken over: %s named %s (%s); that crawl did not finish cleanly",
                           self.lock.path, previous, state)
        if self.store.reset_reason:
            logger.error("state store reset: %s (the next requests are unconditional)", self.store.reset_reason)
        self.run_id = new_run_id(self.runs_dir)
        # Exported articles an older extraction produced, by URL, with their archived page (or
        # None): the export pipeline fills it when it opens, the spiders extract them again.
        self.outdated: dict[str, WarcRef | None] = {}
        settings = crawler.settings
        self.web_archive = (WebArchiveWriter(self.output_dir, self.run_id, settings.getint("ICMPD_WARC_MAX_FILE_BYTES"),
                                             settings.getint("ICMPD_WARC_GZIP_LEVEL"))
                            if settings.getbool("ICMPD_WARC_ENABLED") and not settings.getbool("ICMPD_WARC_OFFLINE")
                            else None)

    def _take_over(self) -> None:
        """With the lock held: check that the folder takes a file, recover, open the state store."""
        check_writable(self.output_dir)
        self.runs_dir = self.output_dir / RUNS_DIR
        self.recovery = recover(self.output_dir, self.runs_dir)
        self.web_archive_closed = recover_open_files(self.output_dir)
        self.store = StateStore(self.output_dir, on_write_error=self.write_failed)

    @staticmethod
    def _refuse(error: BaseException, path: Path | str) -> NoReturn:
        message = f"ICMPD_OUTPUT_DIR cannot be written: {write_failure(error, path)}"
        logger.error("refusing to crawl: %s. Nothing was fetched.", message)
        logger.debug("the failed write", exc_info=error)
        raise OutputDirUnusable(message) from error

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRun:
        run = cls(crawler)
        crawler.signals.connect(run.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(run.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(run.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(run.engine_stopped, signal=signals.engine_stopped)
        return run

    def spider_opened(self) -> None:
        stats = self.crawler.stats
        stats.set_value(RUN_ID, self.run_id)
        # 0, not missing: Spidermon's ErrorCountMonitor checks a clean run instead of reporting SKIPPED.
        stats.inc_value("log_count/ERROR", 0)
        if self.stale_holder:
            stats.inc_value(LOCK_STALE_TAKEN_OVER)
        if self.store.reset_reason:
            stats.inc_value(STATE_RESET)
        if self.recovery.recovered:
            stats.set_value(EXPORT_RECOVERED, sum(self.recovery.recovered.values()))
        if self.recovery.torn_lines:
            stats.set_value(EXPORT_TORN_LINES, self.recovery.torn_lines)
        if self.recovery.invalid_lines:
            stats.set_value(EXPORT_INVALID_LINES, self.recovery.invalid_lines)
        if self.web_archive_closed:
            stats.set_value(WARC_RECOVERED, len(self.web_archive_closed))
        logger.info("run %s on %s", self.run_id, self.output_dir)

    def item_scraped(self, item: object, response: object) -> None:
        """The item went through every pipeline: remember its URLs and validators."""
        if not isinstance(response, Response):
            return
        chain = [*response.meta.get("redirect_urls", []), response.url]
        validators = Validators.from_headers(response.headers)
        self.store.remember_article(ItemAdapter(item)["url"], chain, response.url, validators)

    def spider_closed(self) -> None:
        """Record the run's counts (after the pipelines have closed); the run summary logs them."""
        stats = self.crawler.stats
        # Unchanged without an item: answered 304, or not asked (confirmed recently).
        confirmed = stats.get_value(CONDITIONAL_NOT_MODIFIED_ARTICLE, 0) + stats.get_value(ARTICLES_FRESH, 0)
        counts = {
            "new": stats.get_value(EXPORT_NEW, 0),
            "updated": stats.get_value(EXPORT_UPDATED, 0),
            "unchanged": stats.get_value(EXPORT_UNCHANGED, 0) + confirmed,
            "removed": stats.get_value(EXPORT_REMOVED, 0),
            "restored": stats.get_value(EXPORT_RESTORED, 0),
            "failed": stats.get_value(ARTICLES_FAILED, 0),
        }
        for name, value in counts.items():
            stats.set_value(RUN_COUNTS[name], value)
        self._keep_web_archive()

    def _keep_web_archive(self) -> None:
        """Apply ICMPD_WARC_KEEP_DAYS (never to a file a current record names) and count the
        archive's files and bytes (WARC_FILES, WARC_SIZE)."""
        stats = self.crawler.stats
        keep_days = self.crawler.settings.getfloat("ICMPD_WARC_KEEP_DAYS")
        if keep_days > 0:
            referenced = {ref.file for record in iter_records(self.output_dir / EXPORT_NAME)
                          if record is not None and (ref := WarcRef.from_dict(record.get("archive"))) is not None}
            pruned = prune(self.output_dir, keep_days, referenced)
            if pruned:
                stats.set_value(WARC_PRUNED, len(pruned))
                logger.info("web archive: deleted %d files older than %g days that no record names (ICMPD_WARC_KEEP_DAYS)",
                            len(pruned), keep_days)
        files = archive_files(self.output_dir)
        if self.web_archive is None and not files:
            return
        writer_bytes = self.web_archive.written_bytes if self.web_archive is not None else 0
        open_size = self.web_archive.path.stat().st_size if self.web_archive is not None and self.web_archive.path else 0
        stats.set_value(WARC_FILES, len(files) + (1 if open_size else 0))
        stats.set_value(WARC_SIZE, sum(path.stat().st_size for path in files) + open_size)
        stats.set_value(WARC_BYTES, writer_bytes)

    def write_failed(self, error: BaseException, path: Path | str) -> None:
        """A write to the dataset failed: the first failure is logged in one ERROR line, recorded as
        WRITE_ERROR and stops the crawl (finish reason write_failed); later ones are only counted."""
        message = write_failure(error, path)
        stats = self.crawler.stats
        stats.inc_value(WRITES_FAILED)
        logger.debug("write failed: %s", message, exc_info=error)
        if self.write_error is not None:
            return
        self.write_error = message
        stats.set_value(WRITE_ERROR, message)
        logger.error("%s: the crawl stops; the export and the state store keep their last good version", message)
        engine = self.crawler.engine
        if engine is not None and engine.running and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=WRITE_FAILED))

    def engine_stopped(self) -> None:
        try:
            self.store.close()
        except sqlite3.Error as error:
            self.write_failed(error, self.store.path)
        if self.web_archive is not None:
            try:
                self.web_archive.close()
            except OSError as error:
                self.write_failed(error, self.web_archive.path or self.web_archive.folder)
        self.lock.release()
