"""The crawl's CPU work in spawned worker processes (pebble), each task under a deadline: article
pages extracted, PDFs checked and read (docs/design.md, "Worker processes")."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pebble import ProcessExpired, ProcessPool

from icmpd_news.extract import ExtractionFailed, PageArticle
from icmpd_news.items import Article
from icmpd_news.media.pdf import PdfText, pdf_problem, read_pdf_text
from icmpd_news.pages import PageContext, article_from_page

logger = logging.getLogger(__name__)


def _die_with_the_crawl(crawl_pid: int) -> None:
    """Worker initializer: be killed when the crawl's process ends (Linux only)."""
    if sys.platform != "linux":
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != crawl_pid:  # the crawl died before prctl: nobody would send the signal
        os._exit(1)


def _started() -> None:
    """The task that starts a pool: a worker has imported this module, and so extraction, by now."""


def default_workers() -> int:
    """One worker per CPU this process may use, minus the crawl's own, from one to four."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cpus - 1))


@dataclass(frozen=True)
class WorkerFailure:
    """Why a task did not finish: `kind` for stats and `error`, a sentence for the log and the record."""

    kind: str
    error: str


class PoolBroke(Exception):
    """The pool a task was sent to broke as a whole (pebble gave up on it)."""


class WorkersUnavailable(Exception):
    """Worker processes cannot be started on this machine."""


class Workers:
    """`workers` processes, started with the first task or by start(): a PDF under `timeout` s, a page under
    `extract_timeout` s (else a WorkerFailure "timeout"; a lost worker, "worker_lost"); a broken pool is
    replaced (`restarts`). With workers=0, or processes that cannot start (`unavailable`), tasks run in
    a thread (PDFs) or in the crawl's thread (pages, under their own time limit)."""

    def __init__(self, workers: int, timeout: float, max_pages: int, extract_timeout: float = 0) -> None:
        self.workers = workers
        self.timeout = timeout
        self.max_pages = max_pages
        self.extract_timeout = extract_timeout
        self.pool: ProcessPool | None = None
        self.tasks_sent = 0
        self.restarts = 0
        self.unavailable: str | None = None

    def start(self) -> None:
        """Start the worker processes now, so that they have imported what their tasks need by the
        time the first task comes (nothing when they run already, or with workers=0). A pool that
        cannot start is left for the first task to find and report."""
        if self.workers <= 0 or self.pool is not None:
            return
        try:
            self._pool().schedule(_started)
        except (OSError, RuntimeError):
            self.pool = None

    async def check(self, data: bytes) -> WorkerFailure | None:
        """Why `data` is not a PDF pypdf can read (icmpd_news.media.pdf.check_pdf), or None."""
        found = await self._run(pdf_problem, (data,), "the structure check", self.timeout, "ICMPD_PDF_TEXT_TIMEOUT")
        if isinstance(found, str):
            return WorkerFailure("broken", found)
        return found

    async def text(self, path: Path) -> PdfText:
        found = await self._run(read_pdf_text, (str(path), self.max_pages), "text extraction", self.timeout,
                                "ICMPD_PDF_TEXT_TIMEOUT")
        if isinstance(found, WorkerFailure):
            return PdfText(None, None, found.error, found.kind)
        return found

    async def article(self, url: str, body: bytes, encoding: str, options: dict[str, Any],
                      context: PageContext) -> tuple[PageArticle, Article]:
        """article_from_page in a worker, or in the crawl's thread without workers; ExtractionFailed when
        extraction fails, when the worker was stopped past `extract_timeout` s or lost."""
        found = await self._run(article_from_page, (url, body, encoding, options, context), "extraction",
                                self.extract_timeout, "ICMPD_EXTRACT_TIME_LIMIT", in_thread=False)
        if isinstance(found, WorkerFailure):
            raise ExtractionFailed(found.error, kind="extraction_timeout" if found.kind == "timeout" else found.kind)
        return found

    async def _run(self, function: Callable[..., Any], args: tuple, task: str, timeout: float, setting: str,
                   in_thread: bool = True) -> Any:
        """function(*args) in a worker, or the WorkerFailure that stopped it. Without workers: in a thread,
        or with in_thread=False in the crawl's own (where a page's SIGALRM time limit works)."""
        broken_pools = 0
        while True:
            if self.workers <= 0:
                return await asyncio.to_thread(function, *args) if in_thread else function(*args)
            try:
                return await self._in_pool(function, args, task, timeout, setting)
            except WorkersUnavailable as error:
                self._fall_back(error)
            except PoolBroke as error:
                broken_pools += 1
                if broken_pools == 2:
                    return WorkerFailure("worker_lost", f"worker lost: the worker pool broke twice ({error})")

    async def _in_pool(self, function: Callable[..., Any], args: tuple, task: str, timeout: float, setting: str) -> Any:
        """function(*args) in the current pool; PoolBroke when that pool broke (it is discarded)."""
        try:
            pool = self._pool()
        except OSError as error:
            raise WorkersUnavailable(f"{type(error).__name__}: {error}") from error
        try:
            future = pool.schedule(function, args, timeout=timeout or None)
            self.tasks_sent += 1
        except RuntimeError as error:  # pebble: the pool is no longer running
            self._discard(pool, error)
            raise PoolBroke(f"{type(error).__name__}: {error}") from error
        except OSError as error:  # the first schedule() starts the workers
            raise WorkersUnavailable(f"{type(error).__name__}: {error}") from error
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout:
            return WorkerFailure("timeout", f"timeout: {task} took longer than {setting} ({timeout:g} s); "
                                 "the worker was stopped")
        except ProcessExpired as error:
            code = error.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            return WorkerFailure("worker_lost", f"worker lost: the worker process died during {task} ({how})")
        except BrokenProcessPool as error:
            self._discard(pool, error)
            raise PoolBroke(f"{type(error).__name__}: {error}") from error

    def _fall_back(self, error: WorkersUnavailable) -> None:
        """Processes cannot be started here: do every task in the crawl's process from now on, said once."""
        if self.workers <= 0:
            return
        self.pool = None
        self.workers = 0
        self.unavailable = str(error)
        logger.error("workers: worker processes could not start (%s): pages are extracted and PDFs read in the crawl's "
                     "process, PDFs without ICMPD_PDF_TEXT_TIMEOUT (ICMPD_WORKERS=0 chooses this without the error)", error)

    def _pool(self) -> ProcessPool:
        if self.pool is None:
            # Workers live for the whole crawl (max_tasks=0): a new one re-imports the crawl's main module.
            self.pool = ProcessPool(max_workers=self.workers, max_tasks=0,
                                    initializer=_die_with_the_crawl, initargs=(os.getpid(),),
                                    context=multiprocessing.get_context("spawn"))
            logger.info("workers: started a pool of %d worker processes (ICMPD_WORKERS)", self.workers)
        return self.pool

    def _discard(self, pool: ProcessPool, error: Exception) -> None:
        """Stop a broken pool (once, however many tasks it failed); the next task starts a new one."""
        if pool is not self.pool:
            return
        logger.warning("workers: the worker pool broke (%s: %s); its tasks go to a new one",
                       type(error).__name__, error)
        self.restarts += 1
        self.pool = None
        pool.stop()
        pool.join()

    def close(self) -> None:
        """Stop the workers (after the crawl, when no task is pending); workers started and never
        given a task are stopped without waiting for them to finish starting."""
        if self.pool is not None:
            if self.tasks_sent:
                self.pool.close()
            else:
                self.pool.stop()
            self.pool.join()
            self.pool = None
