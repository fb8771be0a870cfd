"""PDFs read in worker processes: the crawl's own process never runs pypdf on a downloaded file.

Both readings of a PDF go there: the structure check before it is stored (AttachmentsPipeline)
and its text (PdfTextPipeline). Two reasons. A PDF is untrusted input, and a crafted one can
keep a parser busy for minutes (pypdf's changelog fixes such loops every few releases; a
10 MB PDF of 100,000 empty pages takes 13 s just to list its pages); a thread cannot be
stopped, a process can, and a thread busy in pypdf also holds the GIL the crawl's event loop
needs. And text extraction is the crawl's heaviest CPU step per file (bench/README.md): in
worker processes it runs on the machine's other cores while the crawl's one thread goes on.

pebble's ProcessPool, not the standard library's ProcessPoolExecutor: it stops a task at its
deadline (the worker is killed and replaced) and survives a worker that dies (OOM killer,
crash), where ProcessPoolExecutor (before Python 3.14) can neither stop a running task nor go
on after a lost worker (BrokenProcessPool).

Workers are started fresh ("spawn"), not forked from the crawl: forking a process that runs
threads (Twisted's, sqlite's, pebble's own) can deadlock the child. Not from a forkserver
either: its workers outlive a killed crawl, and one stuck in a crafted PDF would keep a core
busy long after. A spawned worker is the crawl's own child and, on Linux, asks the kernel to
kill it when the crawl dies (PR_SET_PDEATHSIG), however the crawl ends. The pool starts with
the first PDF, so a run that reads none (a quiet re-run) starts no process.
"""

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

from icmpd_news.media.pdf import PdfText, pdf_problem, read_pdf_text

logger = logging.getLogger(__name__)


def _die_with_the_crawl(crawl_pid: int) -> None:
    """Worker initializer: be killed when the crawl's process ends (Linux only; elsewhere a
    worker whose crawl was killed goes on until its PDF is done)."""
    if sys.platform != "linux":
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != crawl_pid:  # the crawl died before prctl: nobody would send the signal
        os._exit(1)


def default_workers() -> int:
    """One worker per CPU this process may use, minus the one the crawl itself runs on, at
    least one and at most four (PDF text is a fifth of a crawl's CPU, bench/README.md)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cpus - 1))


@dataclass(frozen=True)
class PdfFailure:
    """Why a PDF could not be read: `kind` for stats (broken, timeout, worker_lost) and the
    reason, a sentence for the log and the record."""

    kind: str
    error: str


class PoolBroke(Exception):
    """The pool a PDF was sent to broke as a whole (pebble gave up on it)."""


class WorkersUnavailable(Exception):
    """Worker processes cannot be started on this machine."""


class PdfWorkers:
    """PDF reading (structure check, text) in `workers` processes, each PDF under a `timeout`
    in seconds.

    A PDF that overruns its deadline, or whose worker dies, is a PdfFailure of kind "timeout"
    or "worker_lost" with the reason; the worker is replaced and the next PDF goes on. A pool
    that breaks as a whole (pebble gives up on it when a worker dies between two PDFs) is
    replaced by a new one, and the PDFs it held are read again there: `restarts` counts that.
    workers=0 reads PDFs in a thread of the crawl's process, without a deadline (for machines
    where starting processes is not allowed); so does a pool whose processes cannot start
    (`unavailable` says why).
    """

    def __init__(self, workers: int, timeout: float, max_pages: int) -> None:
        self.workers = workers
        self.timeout = timeout
        self.max_pages = max_pages
        self.pool: ProcessPool | None = None
        self.restarts = 0
        self.unavailable: str | None = None

    async def check(self, data: bytes) -> PdfFailure | None:
        """Why `data` is not a PDF pypdf can read (icmpd_news.media.pdf.check_pdf), or None."""
        found = await self._run(pdf_problem, (data,), "the structure check")
        if isinstance(found, str):
            return PdfFailure("broken", found)
        return found

    async def text(self, path: Path) -> PdfText:
        """The text of the PDF stored at `path`."""
        found = await self._run(read_pdf_text, (str(path), self.max_pages), "text extraction")
        if isinstance(found, PdfFailure):
            return PdfText(None, None, found.error, found.kind)
        return found

    async def _run(self, function: Callable[..., Any], args: tuple, task: str) -> Any:
        """function(*args) in a worker (or the thread), or the PdfFailure that stopped it."""
        broken_pools = 0
        while True:
            if self.workers <= 0:
                return await asyncio.to_thread(function, *args)
            try:
                return await self._in_pool(function, args, task)
            except WorkersUnavailable as error:
                self._fall_back(error)
            except PoolBroke as error:
                broken_pools += 1
                if broken_pools == 2:
                    return PdfFailure("worker_lost", f"worker lost: the PDF workers broke twice ({error})")

    async def _in_pool(self, function: Callable[..., Any], args: tuple, task: str) -> Any:
        """function(*args) in the current pool; PoolBroke when that pool broke (it is discarded)."""
        try:
            pool = self._pool()
        except OSError as error:
            raise WorkersUnavailable(f"{type(error).__name__}: {error}") from error
        try:
            future = pool.schedule(function, args, timeout=self.timeout or None)
        except RuntimeError as error:  # pebble: the pool is no longer running
            self._discard(pool, error)
            raise PoolBroke(f"{type(error).__name__}: {error}") from error
        except OSError as error:  # the first schedule() starts the workers
            raise WorkersUnavailable(f"{type(error).__name__}: {error}") from error
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout:
            return PdfFailure("timeout", f"timeout: {task} took longer than ICMPD_PDF_TEXT_TIMEOUT ({self.timeout:g} s); "
                              "the worker was stopped")
        except ProcessExpired as error:
            code = error.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            return PdfFailure("worker_lost", f"worker lost: the process reading the PDF died ({how})")
        except BrokenProcessPool as error:
            self._discard(pool, error)
            raise PoolBroke(f"{type(error).__name__}: {error}") from error

    def _fall_back(self, error: WorkersUnavailable) -> None:
        """Processes cannot be started here at all (no /dev/shm for multiprocessing's
        semaphores, a process limit): read PDFs in the crawl's thread from now on, said once.
        The pool that failed to start is dropped, not joined (it may be half started: a
        worker it did start ends with the crawl, see _die_with_the_crawl)."""
        if self.workers <= 0:
            return
        self.pool = None
        self.workers = 0
        self.unavailable = str(error)
        logger.error("PDF workers: worker processes could not start (%s): PDFs are read in the crawl's thread, "
                     "without ICMPD_PDF_TEXT_TIMEOUT (ICMPD_PDF_TEXT_WORKERS=0 chooses this without the error)", error)

    def _pool(self) -> ProcessPool:
        if self.pool is None:
            # Workers are kept for the whole crawl (max_tasks=0): a spawned worker imports the
            # crawl's main script again, about a second of CPU, and replacing one every 200
            # PDFs cost 12 ms per article at N=5000 (bench/README.md).
            self.pool = ProcessPool(max_workers=self.workers, max_tasks=0,
                                    initializer=_die_with_the_crawl, initargs=(os.getpid(),),
                                    context=multiprocessing.get_context("spawn"))
            logger.info("PDF workers: started a pool of %d worker processes (ICMPD_PDF_TEXT_WORKERS)", self.workers)
        return self.pool

    def _discard(self, pool: ProcessPool, error: Exception) -> None:
        """Stop a broken pool (once, however many PDFs it failed); the next PDF starts a new one."""
        if pool is not self.pool:
            return
        logger.warning("PDF workers: the worker pool broke (%s: %s); its PDFs go to a new one",
                       type(error).__name__, error)
        self.restarts += 1
        self.pool = None
        pool.stop()
        pool.join()

    def close(self) -> None:
        """Stop the workers (after the crawl, when no PDF is pending)."""
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None
