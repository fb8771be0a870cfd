"""Write failures are failures: a full disk, a read-only or immutable ICMPD_OUTPUT_DIR, an immutable
state store. Real crawls of the fixture site into real file systems: a small tmpfs mounted for
the test (a full disk), `chattr +i` (EPERM) and a read-only bind mount (EROFS). Mounting and
chattr need root (CAP_SYS_ADMIN, CAP_LINUX_IMMUTABLE), which CI has (.ci/install runs as root);
elsewhere these tests are skipped, saying so, and fail if root cannot mount."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devsite.fixture_site import FixtureSite
from tests.crawling import CrawlResult, run_crawl, validate

CAUSES = ("no space left on device", "operation not permitted", "read-only file system")


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True)


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    """Folders the test mounts something on; unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs or a read-only bind needs root (CI runs as root)")
    mounted: list[Path] = []
    yield mounted
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


def small_disk(mounts: list[Path], path: Path, size_kib: int) -> Path:
    """A tmpfs of `size_kib` KiB at `path`: a disk that fills up."""
    path.mkdir()
    run("mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(path))
    mounts.append(path)
    return path


def fill(disk: Path, leave_kib: int) -> Path:
    """Take all but `leave_kib` KiB of the disk's free space; the filler file to delete."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler = disk / "filler"
    with filler.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, free - leave_kib * 1024)
    return filler


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """`path` immutable (chattr +i: every write fails with EPERM, root included) for the block."""
    run("chattr", "+i", str(path))
    try:
        yield
    finally:
        run("chattr", "-i", str(path))


def last_line(result: CrawlResult) -> str:
    return result.log.rstrip("\n").splitlines()[-1]


def assert_failed_in_one_line(result: CrawlResult, cause: str) -> None:
    """Exit status 1; the cause said by one ERROR line (no traceback) and by the summary's last
    line; never "OK"."""
    assert result.returncode == 1, result.log[-3000:]
    errors = [line for line in result.log.splitlines() if " ERROR: " in line]
    assert [line for line in errors if cause in line] == errors[:1] and len(errors) == 1, errors
    assert "Traceback" not in result.log
    assert "outcome: OK" not in result.log
    assert "SUMMARY: " in last_line(result) and "FAILED (exit status 1): " in last_line(result)
    assert cause in last_line(result)


def state_is_healthy(output_dir: Path) -> bool:
    """state.sqlite3 is where it was, passes SQLite's integrity check, and was never moved aside."""
    with sqlite3.connect(output_dir / "state.sqlite3") as db:
        healthy = db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return healthy and not list(output_dir.glob("state.sqlite3.damaged-*"))


def change_every_article(site: FixtureSite) -> None:
    for article in site.articles:
        article["lead"] += " Updated."
    site.build()


def test_full_disk_on_a_first_crawl_fails_and_the_next_run_completes(
    mounts: list[Path], site: FixtureSite, tmp_path: Path
) -> None:
    # Room for the lock, the state store and a few records, not for the whole run (~150 KB).
    disk = small_disk(mounts, tmp_path / "disk", 2048)
    filler = fill(disk, leave_kib=100)
    output = disk / "out"
    feed = f"{site.base}/feed.xml"
    full = run_crawl(feed, output)
    assert_failed_in_one_line(full, "no space left on device while writing ")
    if full.export.exists():  # whatever was written is whole records
        for record in full.records():
            validate(record)

    filler.unlink()
    assert state_is_healthy(output)  # (SQLite needs a little room to open it at all)
    again = run_crawl(feed, output)
    assert again.returncode == 0, again.log[-3000:]
    titles = [record["title"] for record in again.records()]
    assert len(titles) == len(set(titles)) == 10
    assert "SUMMARY: " in last_line(again) and " OK (exit status 0); " in last_line(again)


@pytest.mark.parametrize("leave_kib", [8, 128], ids=["at_start", "mid_run"])
def test_full_disk_keeps_the_export_and_the_state_store(
    mounts: list[Path], site: FixtureSite, tmp_path: Path, leave_kib: int
) -> None:
    disk = small_disk(mounts, tmp_path / "disk", 4096)
    output = disk / "out"
    feed = f"{site.base}/feed.xml"
    assert run_crawl(feed, output).returncode == 0
    before = {record["url"]: record for record in CrawlResult(0, "", output).records()}
    change_every_article(site)
    filler = fill(disk, leave_kib)

    full = run_crawl(feed, output)
    assert_failed_in_one_line(full, "no space left on device while writing ")
    # articles.jsonl: still every record, each whole (the old version or, when its journal
    # and export were written, the new one); state.sqlite3 healthy, never moved aside.
    after = {record["url"]: record for record in full.records()}
    assert after.keys() == before.keys()
    for record in after.values():
        validate(record)

    filler.unlink()
    assert state_is_healthy(output)
    again = run_crawl(feed, output)
    assert again.returncode == 0, again.log[-3000:]
    records = again.records()
    assert len(records) == 10 and all(" Updated." in record["text"] for record in records)
    assert {record["url"] for record in records} == before.keys()


def test_immutable_output_dir_is_refused_before_any_request(
    mounts: list[Path], site: FixtureSite, tmp_path: Path
) -> None:
    feed = f"{site.base}/feed.xml"
    assert run_crawl(feed, tmp_path).returncode == 0
    export = tmp_path.joinpath("articles.jsonl").read_bytes()
    requests_before = len(site.requests)
    with immutable(tmp_path):
        refused = run_crawl(feed, tmp_path)
    assert_failed_in_one_line(refused, f"operation not permitted while writing {tmp_path}")
    assert last_line(refused).endswith(f"while writing {tmp_path}")  # the folder itself
    assert "refusing to crawl: ICMPD_OUTPUT_DIR cannot be written" in refused.log
    assert len(site.requests) == requests_before  # not even robots.txt
    assert tmp_path.joinpath("articles.jsonl").read_bytes() == export
    assert state_is_healthy(tmp_path)


def test_immutable_state_store_is_not_called_damaged(
    mounts: list[Path], site: FixtureSite, tmp_path: Path
) -> None:
    feed = f"{site.base}/feed.xml"
    assert run_crawl(feed, tmp_path).returncode == 0
    state = tmp_path / "state.sqlite3"
    requests_before = len(site.requests)
    with immutable(state):
        refused = run_crawl(feed, tmp_path)
    assert_failed_in_one_line(refused, f"read-only file or folder while writing {state}")
    assert "SQLite: attempt to write a readonly database" in last_line(refused)
    assert "refusing to crawl: ICMPD_OUTPUT_DIR cannot be written" in refused.log  # before any request
    assert len(site.requests) == requests_before
    assert state_is_healthy(tmp_path)


def test_read_only_output_dir_is_refused_before_any_request(
    mounts: list[Path], site: FixtureSite, tmp_path: Path
) -> None:
    output = tmp_path / "out"
    output.mkdir()
    run("mount", "--bind", str(output), str(output))
    mounts.append(output)
    run("mount", "-o", "remount,bind,ro", str(output))
    refused = run_crawl(f"{site.base}/feed.xml", output)
    assert_failed_in_one_line(refused, f"read-only file system while writing {output}")
    assert site.requests == []
    assert list(output.iterdir()) == []
