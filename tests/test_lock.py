"""The output folder's lock (icmpd_news/dataset/lock.py): one crawl per ICMPD_OUTPUT_DIR, the
holder named, a dead holder's lock taken over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from icmpd_news.dataset.lock import OutputDirLock, OutputDirLocked


def test_lock_refuses_a_second_holder_and_names_the_first(tmp_path: Path) -> None:
    first = OutputDirLock(tmp_path)
    assert first.acquire() is None
    with pytest.raises(OutputDirLocked, match=f"in use by another crawl \\(pid {os.getpid()} "):
        OutputDirLock(tmp_path).acquire()
    first.release()
    assert (tmp_path / "crawl.lock").read_text() == ""
    assert OutputDirLock(tmp_path).acquire() is None


def test_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    (tmp_path / "crawl.lock").write_text(f"pid {dead.stdout.strip()} on vm since 2026-01-01T00:00:00+00:00")
    lock = OutputDirLock(tmp_path)
    assert lock.acquire() == f"pid {dead.stdout.strip()} on vm since 2026-01-01T00:00:00+00:00"
    assert (tmp_path / "crawl.lock").read_text().startswith(f"pid {os.getpid()} ")
    lock.release()
