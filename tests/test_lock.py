"""The output folder's lock (icmpd_news/dataset/lock.py): one crawl per ICMPD_OUTPUT_DIR, the
holder named, a dead holder's lock taken over."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from icmpd_news.dataset.lock import OutputDirLock, OutputDirLocked, holder_pid, pid_alive


def test_lock_refuses_a_second_holder_and_names_the_first(tmp_path: Path) -> None:
    first = OutputDirLock(tmp_path)
    assert first.acquire() is None
    with pytest.raises(OutputDirLocked, match=f"in use by another crawl \\(pid {os.getpid()} "):
        OutputDirLock(tmp_path).acquire()
    first.release()
    first.release()  # twice is harmless
    assert (tmp_path / "crawl.lock").read_text() == ""
    again = OutputDirLock(tmp_path)
    assert again.acquire() is None
    assert (tmp_path / "crawl.lock").read_text().startswith(f"pid {os.getpid()} on ")
    again.release()


def test_the_lock_makes_its_folder(tmp_path: Path) -> None:
    lock = OutputDirLock(tmp_path / "new" / "output")
    assert lock.acquire() is None
    lock.release()


def test_a_refusal_without_a_readable_holder_says_another_process(tmp_path: Path) -> None:
    first = OutputDirLock(tmp_path)
    first.acquire()
    os.ftruncate(first.fd, 0)  # the holder's line not written yet
    with pytest.raises(OutputDirLocked, match=rf"^{re.escape(str(tmp_path))} is in use by another crawl "
                                              rf"\(another process\); lock file {re.escape(str(tmp_path / 'crawl.lock'))}$"):
        OutputDirLock(tmp_path / ".").acquire()
    first.release()


def test_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    # The old holder's text is longer than the new one: none of it may be left behind.
    old = f"pid {dead.stdout.strip()} on a-build-host-with-a-very-long-name.example since 2026-01-01T00:00:00+00:00"
    (tmp_path / "crawl.lock").write_text(old + "\n")
    lock = OutputDirLock(tmp_path)
    assert lock.acquire() == old
    assert re.fullmatch(rf"pid {os.getpid()} on {re.escape(socket.gethostname())} since "
                        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", (tmp_path / "crawl.lock").read_text())
    assert holder_pid(old) == int(dead.stdout) and not pid_alive(int(dead.stdout))
    lock.release()


@pytest.mark.parametrize(("description", "pid"), [
    ("pid 1234 on vm since 2026-01-01T00:00:00+00:00", 1234),
    ("pid 1234", 1234),
    ("pid x1234 on vm", None),
    ("PID 1234 on vm", None),
    ("pid", None),
    ("", None),
])
def test_holder_pid(description: str, pid: int | None) -> None:
    assert holder_pid(description) == pid


def test_a_live_process_is_alive() -> None:
    assert pid_alive(os.getpid())
    assert pid_alive(1)  # init: alive, whoever may signal it
