"""One crawl per ICMPD_OUTPUT_DIR: an advisory flock on ICMPD_OUTPUT_DIR/crawl.lock, whose content
names the holder (PID, host, start time). The file is never deleted. Why: docs/design.md, "The lock".
"""

from __future__ import annotations

import fcntl
import os
import socket
from datetime import datetime, timezone
from pathlib import Path

LOCK_NAME = "crawl.lock"


class OutputDirLocked(RuntimeError):
    """Another live crawl holds the lock on this ICMPD_OUTPUT_DIR."""


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutputDirLock:
    """The exclusive lock of one ICMPD_OUTPUT_DIR."""

    def __init__(self, output_dir: Path) -> None:
        self.path = output_dir / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> str | None:
        """Take the lock or raise OutputDirLocked; return the holder a dead crawl left named, else None."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd) or "another process"
            os.close(fd)
            raise OutputDirLocked(
                f"{self.path.parent} is in use by another crawl ({holder}); lock file {self.path}"
            ) from None
        previous = _read(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, _describe_self().encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return previous or None

    def release(self) -> None:
        """Empty the file (nobody holds it) and drop the lock. The file itself stays."""
        if self.fd is None:
            return
        os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def holder_pid(description: str) -> int | None:
    """The PID in a lock file's description ("pid 1234 on host since ..."), if any."""
    parts = description.split()
    if len(parts) >= 2 and parts[0] == "pid" and parts[1].isdigit():
        return int(parts[1])
    return None


def _describe_self() -> str:
    since = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return f"pid {os.getpid()} on {socket.gethostname()} since {since}"


def _read(fd: int) -> str:
    return os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
