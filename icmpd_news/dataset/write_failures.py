"""Failed writes to the dataset: what went wrong, in one line, and which failures are damage."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

# SQLite's primary result codes (the low byte of an extended code) that name a write's cause.
_SQLITE_CAUSES = {
    sqlite3.SQLITE_FULL: "no space left on device",
    sqlite3.SQLITE_READONLY: "read-only file or folder",
    sqlite3.SQLITE_IOERR: "input/output error",
    sqlite3.SQLITE_CANTOPEN: "cannot open the file",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_BUSY: "locked by another process",
}
_SQLITE_DAMAGE = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
# Free space under which SQLite's I/O errors are taken for a full disk (see write_failure).
LOW_SPACE = 1024 * 1024


class OutputDirUnusable(RuntimeError):
    """ICMPD_OUTPUT_DIR cannot be written: the crawl is refused before its first request (reason already logged)."""


def is_corrupt(error: sqlite3.Error) -> bool:
    """Whether SQLite reports its file as damaged (SQLITE_CORRUPT, SQLITE_NOTADB), not merely unwritable."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQLITE_DAMAGE


def _free_bytes(path: Path) -> int | None:
    """Free space for unprivileged writes on the file system holding `path` (or its folder)."""
    for folder in (path, *path.parents):
        try:
            stat = os.statvfs(folder)
        except OSError:
            continue
        return stat.f_bavail * stat.f_frsize
    return None


def write_failure(error: BaseException, path: Path | str) -> str:
    """The line a failed write is reported with, "<cause> while writing <path> (SQLite's words)"; a SQLite
    I/O error with under LOW_SPACE free is a full disk (as SQLite reports failing to grow its -shm file)."""
    detail = None
    if isinstance(error, OSError) and error.errno:
        text = os.strerror(error.errno)
        words = text[:1].lower() + text[1:]
    elif isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        primary = code & 0xFF if code is not None else None
        words = _SQLITE_CAUSES.get(primary, "SQLite error")
        detail = f"SQLite: {error}"
        free = _free_bytes(Path(path)) if primary == sqlite3.SQLITE_IOERR else None
        if free is not None and free < LOW_SPACE:
            words, detail = _SQLITE_CAUSES[sqlite3.SQLITE_FULL], f"{detail}; {free // 1024} KiB free"
    else:
        words = f"{type(error).__name__}: {error}"
    return f"{words} while writing {path}" + (f" ({detail})" if detail else "")


def check_writable(folder: Path) -> None:
    """Raise OSError (named after `folder`) unless an anonymous file can be created, written and synced there."""
    try:
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"\0")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:  # named after the folder, not the probe's random name
        raise OSError(error.errno, error.strerror, str(folder)) from error
