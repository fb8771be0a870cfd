"""PDFs read in worker processes (icmpd_news/workers.py), with real processes: the same
structure checks and text as in the crawl's own thread, a deadline that stops a PDF keeping
pypdf busy, and a pool that goes on after its worker is killed."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from scrapy.utils.test import get_crawler

from devsite.fixture_site import FixtureSite, article_path, make_busy_pdf, make_many_pages_pdf, make_pdf
from icmpd_news import workers as worker_pool
from icmpd_news.extract import ExtractionFailed
from icmpd_news.media import pdf
from icmpd_news.media.pdf import PdfText, pdf_problem, read_pdf_text
from icmpd_news.pages import PageContext
from icmpd_news.pipelines.attachments import AttachmentsPipeline
from icmpd_news.pipelines.pdftext import PdfTextPipeline
from icmpd_news.workers import WorkerFailure, Workers
from tests.crawling import NO_RENDER, crawl_command, run_crawl, run_scrapy

T = TypeVar("T")
# About a minute of pypdf's time: far past every deadline below.
BUSY_OPERATORS = 1_000_000
# About 13 s of pypdf's time to count the pages: far past the structure check's deadline below.
MANY_PAGES = 100_000


def stat_fields(pid: int | str) -> list[str]:
    """/proc/<pid>/stat after the command name: [0] state, [1] parent, [11] utime, [12] stime."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def workers_running() -> set[int]:
    """This process's children that are multiprocessing workers (not its resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            parent = int(stat_fields(entry.name)[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if parent == os.getpid() and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def pdfs(tmp_path: Path) -> dict[str, Path]:
    files = {"known": make_pdf("Known words on page one"), "broken": make_pdf("Cut short")[:300],
             "busy": make_busy_pdf(BUSY_OPERATORS)}
    for name, data in files.items():
        (tmp_path / f"{name}.pdf").write_bytes(data)
    return {name: tmp_path / f"{name}.pdf" for name in [*files, "missing"]}


def past_the_deadline(
    workers: Workers, busy: Callable[[], Awaitable[T]], after: Callable[[], Awaitable[T]],
) -> tuple[T, T, set[int]]:
    """Run `busy` (a PDF that overruns the deadline), noting the worker processes it ran in,
    then `after`; the workers are closed at the end. Returns both results and those pids."""
    seen: set[int] = set()

    async def run() -> tuple[T, T]:
        task = asyncio.ensure_future(busy())
        while not task.done():
            seen.update(workers_running())
            await asyncio.sleep(0.1)
        return await task, await after()

    try:
        first, second = asyncio.run(run())
    finally:
        workers.close()
    return first, second, seen


def assert_stopped(pids: set[int]) -> None:
    """The workers that ran a PDF past its deadline were stopped, not left running."""
    assert pids
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


def read_all(workers: Workers, paths: list[Path]) -> list[PdfText]:
    async def read() -> list[PdfText]:
        return [await workers.text(path) for path in paths]

    try:
        return asyncio.run(read())
    finally:
        workers.close()


def test_workers_read_what_the_thread_reads(pdfs: dict[str, Path]) -> None:
    paths = [pdfs["known"], pdfs["broken"], pdfs["missing"]]
    in_workers = read_all(Workers(2, timeout=60, max_pages=10), paths)
    in_thread = read_all(Workers(0, timeout=60, max_pages=10), paths)
    assert in_workers == in_thread
    known, broken, missing = in_workers
    assert (known.text, known.page_count, known.error) == ("Known words on page one", 1, None)
    assert broken.kind == "broken" and broken.error.startswith("broken PDF: ")
    assert missing.kind == "unreadable" and missing.error.startswith("unreadable: ")


def test_workers_check_what_the_thread_checks(pdfs: dict[str, Path]) -> None:
    bodies = [pdfs["known"].read_bytes(), pdfs["broken"].read_bytes(), b"%PDF-1.4 and nothing else"]

    def check_all(workers: Workers) -> list[WorkerFailure | None]:
        async def check() -> list[WorkerFailure | None]:
            return [await workers.check(body) for body in bodies]

        try:
            return asyncio.run(check())
        finally:
            workers.close()

    in_workers = check_all(Workers(2, timeout=60, max_pages=10))
    assert in_workers == check_all(Workers(0, timeout=60, max_pages=10))
    known, broken, header_only = in_workers
    assert known is None
    assert broken.kind == "broken" and broken.error.startswith("broken PDF: ")
    assert header_only.kind == "broken" and header_only.error.startswith("broken PDF: ")


def test_a_structure_check_past_its_deadline_is_stopped_and_the_next_pdf_checked() -> None:
    """A PDF whose page tree alone keeps pypdf busy for seconds fails its check at the
    deadline, in a worker that is then stopped, where a thread would have held the crawl's
    GIL for as long as pypdf took."""
    workers = Workers(1, timeout=1, max_pages=10)
    many_pages, known, seen = past_the_deadline(
        workers, lambda: workers.check(make_many_pages_pdf(MANY_PAGES)),
        lambda: workers.check(make_pdf("Known words on page one")),
    )
    assert many_pages == WorkerFailure("timeout", "timeout: the structure check took longer than ICMPD_PDF_TEXT_TIMEOUT "
                                    "(1 s); the worker was stopped")
    assert known is None
    assert_stopped(seen)


def test_a_pdf_past_its_deadline_is_stopped_and_the_next_one_is_read(pdfs: dict[str, Path]) -> None:
    workers = Workers(1, timeout=2, max_pages=10)
    busy, known, seen = past_the_deadline(
        workers, lambda: workers.text(pdfs["busy"]), lambda: workers.text(pdfs["known"]),
    )
    assert busy == PdfText(None, None, "timeout: text extraction took longer than ICMPD_PDF_TEXT_TIMEOUT (2 s); "
                           "the worker was stopped", "timeout")
    assert known.text == "Known words on page one"
    assert_stopped(seen)


def test_a_worker_killed_mid_pdf_is_reported_and_replaced(pdfs: dict[str, Path]) -> None:
    workers = Workers(1, timeout=600, max_pages=10)

    async def read() -> list[PdfText]:
        busy = asyncio.ensure_future(workers.text(pdfs["busy"]))
        # Starting takes well under a second of CPU: past 3 s the worker is in the busy PDF.
        while not ((running := workers_running()) and all(cpu_seconds(pid) > 3 for pid in running)):
            await asyncio.sleep(0.1)
        for pid in running:
            os.kill(pid, signal.SIGKILL)  # as the OOM killer would
        return [await busy, await workers.text(pdfs["known"])]

    try:
        busy, known = asyncio.run(read())
    finally:
        workers.close()
    assert busy == PdfText(None, None, "worker lost: the worker process died during text extraction (killed by signal 9)",
                           "worker_lost")
    assert known.text == "Known words on page one"
    assert workers.restarts == 0


def test_a_pool_that_breaks_is_replaced_and_its_pdf_read(pdfs: dict[str, Path]) -> None:
    """A worker killed before it took any PDF makes pebble give up the whole pool; the PDF
    waiting in it is read in a new pool."""
    workers = Workers(1, timeout=60, max_pages=10)

    async def read() -> PdfText:
        known = asyncio.ensure_future(workers.text(pdfs["known"]))
        while not (starting := workers_running()):
            await asyncio.sleep(0.01)
        for pid in starting:
            os.kill(pid, signal.SIGKILL)
        return await known

    try:
        known = asyncio.run(read())
    finally:
        workers.close()
    assert known.text == "Known words on page one"
    assert workers.restarts == 1


def test_an_unforeseen_pypdf_failure_is_the_files_not_the_crawls(pdfs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever pypdf raises that pdf_text or check_pdf does not foresee (here MemoryError)
    comes back as this PDF's "broken" from read_pdf_text and pdf_problem, which workers and
    the thread both run: the article is still exported."""
    def out_of_memory(data: bytes, max_pages: int) -> PdfText:
        raise MemoryError("cannot allocate")

    def check_out_of_memory(data: bytes) -> None:
        raise MemoryError("cannot allocate")

    monkeypatch.setattr(pdf, "pdf_text", out_of_memory)
    monkeypatch.setattr(pdf, "check_pdf", check_out_of_memory)
    assert read_pdf_text(str(pdfs["known"]), 10) == PdfText(None, None, "broken PDF: MemoryError: cannot allocate", "broken")
    assert pdf_problem(pdfs["known"].read_bytes()) == "broken PDF: MemoryError: cannot allocate"



def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_start_readies_the_workers_before_their_first_task() -> None:
    """start() spawns the pool before any task, once; the first task runs in it. Started and
    never used, the workers are stopped at close; with workers=0 there is nothing to start."""
    before = workers_running()
    workers = Workers(1, timeout=60, max_pages=10)
    workers.start()
    pool = workers.pool
    assert pool is not None and wait_for(lambda: len(workers_running() - before) == 1)
    started = workers_running() - before
    workers.start()
    assert workers.pool is pool
    try:
        assert asyncio.run(workers.check(make_pdf("Known words"))) is None
        assert workers_running() - before == started
    finally:
        workers.close()
    assert wait_for(lambda: not any(alive(pid) for pid in started))

    unused = Workers(1, timeout=60, max_pages=10)
    unused.start()
    assert wait_for(lambda: len(workers_running() - before) == 1)
    started = workers_running() - before
    unused.close()
    assert unused.pool is None and wait_for(lambda: not any(alive(pid) for pid in started))

    none = Workers(0, timeout=60, max_pages=10)
    none.start()
    assert none.pool is None

def test_where_processes_cannot_start_pdfs_are_read_in_the_thread(
    pdfs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """No /dev/shm for multiprocessing's semaphores (some containers): the pool's start fails
    with an OSError. The PDFs are still read, in the crawl's thread, and one error line says so."""
    class NoSharedMemory:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise FileNotFoundError(2, "No such file or directory", "/dev/shm")

    monkeypatch.setattr(worker_pool, "ProcessPool", NoSharedMemory)
    reader = Workers(2, timeout=60, max_pages=10)
    with caplog.at_level("ERROR", logger="icmpd_news.workers"):
        known, broken = read_all(reader, [pdfs["known"], pdfs["broken"]])
    assert known.text == "Known words on page one" and broken.kind == "broken"
    assert reader.unavailable == "FileNotFoundError: [Errno 2] No such file or directory: '/dev/shm'"
    said = ("workers: worker processes could not start (FileNotFoundError: [Errno 2] No such file or directory: "
            "'/dev/shm'): pages are extracted and PDFs read in the crawl's process, PDFs without "
            "ICMPD_PDF_TEXT_TIMEOUT (ICMPD_WORKERS=0 chooses this without the error)")
    assert [record.getMessage() for record in caplog.records] == [said]


def test_both_pdf_pipelines_share_the_crawls_one_pool(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The attachments pipeline (structure check) and the PDF text pipeline get the same
    Workers from WorkersExtension, built from the settings; with the extension switched
    off they read PDFs in the crawl's thread, and a warning says so."""
    settings = {"ICMPD_OUTPUT_DIR": str(tmp_path), "ICMPD_WORKERS": 3, "ICMPD_PDF_TEXT_TIMEOUT": 7, "ICMPD_PDF_TEXT_MAX_PAGES": 9}
    extension = {"icmpd_news.extensions.workers.WorkersExtension": 100}
    crawler = get_crawler(settings_dict={**settings, "EXTENSIONS": extension})
    attachments = AttachmentsPipeline.from_crawler(crawler)
    text = PdfTextPipeline.from_crawler(crawler)
    assert attachments.workers is text.workers
    assert (text.workers.workers, text.workers.timeout, text.workers.max_pages) == (3, 7, 9)
    assert text.workers.pool is None  # started by the first PDF, not before

    with caplog.at_level("WARNING", logger="icmpd_news.extensions.workers"):
        alone = PdfTextPipeline.from_crawler(get_crawler(settings_dict=settings))
    assert (alone.workers.workers, alone.workers.max_pages) == (0, 9)
    assert [record.getMessage() for record in caplog.records] == [
        ("WorkersExtension is disabled: pages are extracted and PDFs read in the crawl's process, "
         "PDFs without ICMPD_PDF_TEXT_TIMEOUT")]



def test_where_processes_cannot_start_pages_are_extracted_in_the_crawls_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without workers a page is extracted in the crawl's own thread, where its SIGALRM time limit works."""
    class NoSharedMemory:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise FileNotFoundError(2, "No such file or directory", "/dev/shm")

    threads = []

    def article_from_page(*args: object) -> tuple[str, str]:
        threads.append(threading.current_thread())
        return "page", "item"

    monkeypatch.setattr(worker_pool, "ProcessPool", NoSharedMemory)
    monkeypatch.setattr(worker_pool, "article_from_page", article_from_page)
    extractor = Workers(2, timeout=60, max_pages=10, extract_timeout=25)
    found = asyncio.run(extractor.article("http://127.0.0.1:1/news/a", b"<html></html>", "utf-8", {},
                                          PageContext("http://127.0.0.1:1/feed.xml")))
    assert found == ("page", "item") and extractor.unavailable
    assert threads == [threading.main_thread()]

# --- Article pages in the workers ----------------------------------------------------------
def test_an_extraction_failure_crosses_from_a_worker_with_its_kind() -> None:
    failure = pickle.loads(pickle.dumps(ExtractionFailed("page is 9 bytes, more than 1", kind="too_complex")))
    assert (str(failure), failure.kind) == ("page is 9 bytes, more than 1", "too_complex")


def test_pages_extracted_in_workers_give_the_export_the_crawls_thread_gives(site: FixtureSite, tmp_path: Path) -> None:
    in_workers = run_crawl(f"{site.base}/feed.xml", tmp_path / "workers", NO_RENDER, "ICMPD_WORKERS=1")
    in_thread = run_crawl(f"{site.base}/feed.xml", tmp_path / "thread", NO_RENDER, "ICMPD_EXTRACT_IN_WORKERS=False")
    assert in_workers.returncode == in_thread.returncode == 0, in_workers.log[-3000:] + in_thread.log[-3000:]
    assert "workers: started a pool of 1 worker processes" in in_workers.log
    per_run = ("fetched_at", "first_seen", "archive")
    by_url = [{r["url"]: {k: v for k, v in r.items() if k not in per_run} for r in run.records()}
              for run in (in_workers, in_thread)]
    assert len(by_url[0]) == 10 and by_url[0] == by_url[1]
    assert in_workers.stat("icmpd/articles/extraction/site") == in_thread.stat("icmpd/articles/extraction/site")


def test_a_page_whose_worker_dies_fails_alone(site: FixtureSite, tmp_path: Path) -> None:
    """A worker killed while it extracts a page (out of memory, say): that article fails as
    worker_lost, the others are exported."""
    code = tmp_path / "code"
    code.mkdir()
    victim = article_path(site.articles[3])
    (code / "sitecustomize.py").write_text(
        "import os, signal\n"
        "import icmpd_news.extract as extract\n"
        "_extract_page = extract.extract_page\n"
        "def extract_page(url, *args, **kwargs):\n"
        f"    if url.endswith({victim!r}) and os.environ.get('DIE_ONCE') and os.path.exists(os.environ['DIE_ONCE']):\n"
        "        os.remove(os.environ['DIE_ONCE'])\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return _extract_page(url, *args, **kwargs)\n"
        "extract.extract_page = extract_page\n"
    )
    flag = tmp_path / "die-once"
    flag.write_text("")
    env = os.environ | {"PYTHONPATH": str(code), "DIE_ONCE": str(flag)}
    result = run_scrapy(crawl_command(f"{site.base}/feed.xml", tmp_path / "out", NO_RENDER, "ICMPD_WORKERS=1"),
                        tmp_path / "out", env=env)
    assert not flag.exists()
    assert result.stat("icmpd/articles/failed/worker_lost") == 1
    assert len(result.records()) == 9 and all(not r["url"].endswith(victim) for r in result.records())
    assert "worker lost: the worker process died during extraction (killed by signal 9)" in result.log
