"""The JSON Lines store: read the export, replace it atomically, journal changes, spool records
(docs/design.md, "The dataset")."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

import jsonlines

from icmpd_news.schema import article_schema

logger = logging.getLogger(__name__)

# The record's keys in the order each line holds them: the schema's property order.
FIELD_ORDER = tuple(article_schema()["properties"])
TEMP_SUFFIX = ".tmp"
EXPORT_NAME = "articles.jsonl"


def sort_key(record: dict) -> tuple:
    """Newest first, then by URL: a stable order, so an unchanged run rewrites identical bytes."""
    return (-(datetime.fromisoformat(record["published"]).timestamp()) if record.get("published") else float("inf"), record["url"])


def ordered(record: dict) -> dict:
    """The record with its keys in FIELD_ORDER, unknown keys after them in name order."""
    known = {key: record[key] for key in FIELD_ORDER if key in record}
    extra = {key: record[key] for key in sorted(record) if key not in known}
    return known | extra


def record_line(record: dict) -> str:
    """The record as one line of the export (without the line break): keys in FIELD_ORDER, compact UTF-8 JSON."""
    return json.dumps(ordered(record), ensure_ascii=False, separators=(",", ":"))


def iter_records(path: Path) -> Iterator[dict | None]:
    """Each non-empty line of a JSON Lines file (if any) as a dict, or None for one that is no JSON object."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for record, _, _ in iter_placed_records(handle):
            yield record


def iter_placed_records(handle: IO[bytes], end: int | None = None) -> Iterator[tuple[dict | None, int, int]]:
    """iter_records on a file open for reading in binary, from its current position to `end` (a
    line's start; default: the end of the file): each record with the offset and length in bytes of
    its line (its line break included)."""
    place = [handle.tell(), 0]

    def lines() -> Iterator[bytes]:
        for line in handle:
            place[0] += place[1]
            if end is not None and place[0] >= end:
                return
            place[1] = len(line)
            yield line

    reader = jsonlines.Reader(lines())
    while True:
        try:
            record = reader.read(type=dict, skip_empty=True)
        except EOFError:
            return
        except jsonlines.InvalidLineError:
            yield None, place[0], place[1]
        else:
            yield record, place[0], place[1]


def file_identity(handle: IO) -> str:
    """Which file, in which state, an open file is: its device, inode, size and modification time (ns)."""
    found = os.fstat(handle.fileno())
    return f"{found.st_dev}:{found.st_ino}:{found.st_size}:{found.st_mtime_ns}"


def read_records(path: Path) -> tuple[list[dict], int]:
    """Every JSON object in a JSON Lines file, and how many non-empty lines were not one."""
    records: list[dict] = []
    invalid = 0
    for record in iter_records(path):
        if record is None:
            invalid += 1
        else:
            records.append(record)
    return records, invalid


def load_export(path: Path) -> tuple[dict[str, dict], int]:
    """The export's records by URL, and how many lines were not valid records (keep_invalid_copy)."""
    records, invalid = read_records(path)
    keep_invalid_copy(path, invalid)
    return {record["url"]: record for record in records if isinstance(record.get("url"), str)}, invalid


def keep_invalid_copy(path: Path, invalid: int) -> None:
    """When `invalid` lines of the export are to be dropped, keep a copy (articles.jsonl.invalid-<time>) and log it."""
    if invalid:
        backup = path.with_name(f"{path.name}.invalid-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
        shutil.copy2(path, backup)
        logger.error("%s has %d invalid lines: kept a copy as %s; they are dropped from the export",
                     path, invalid, backup)


@contextmanager
def atomic_file(
    path: Path, binary: bool = False, suffix: str = TEMP_SUFFIX, sync_dir: bool = True, sync: bool = True,
) -> Iterator[IO]:
    """Write `path` atomically through a temporary file beside it: flushed, fsynced and renamed over
    `path`, or removed when the block raises; the mode is kept, else rw-r--r--. `sync_dir` also fsyncs
    the folder; `sync=False` skips both fsyncs (for files whose content is checked on the next read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    try:
        os.fchmod(handle, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        text_options = {} if binary else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(handle, "wb" if binary else "w", **text_options) as tmp:
            yield tmp
            tmp.flush()
            if sync:
                os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    if sync and sync_dir:
        fsync_dir(path.parent)


def write_atomic(path: Path, records: Iterable[dict],
                 placed: Callable[[dict, int, int], object] | None = None) -> int:
    """Replace `path` with `records` as JSON Lines, atomically; return how many were written.
    `placed(record, offset, length)` is told where each record's line went (bytes, line break included)."""
    count = offset = 0
    with atomic_file(path, binary=True) as tmp:
        for record in records:
            # By hand, not jsonlines.Writer: `placed` needs each line's length in bytes.
            line = (record_line(record) + "\n").encode("utf-8")
            tmp.write(line)
            if placed is not None:
                placed(record, offset, len(line))
            offset += len(line)
            count += 1
    return count


def fsync_dir(directory: Path) -> None:
    """Make a rename, creation or deletion in `directory` durable."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def stale_temp_files(directory: Path) -> list[Path]:
    """Temporary files write_atomic left in `directory` when a crawl was killed mid-write."""
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.iterdir() if p.name.startswith(".") and p.name.endswith(TEMP_SUFFIX) and p.is_file()
    )


class Journal:
    """An append-only JSON Lines file: append() returns once the line is written and flushed;
    the file is fsynced at most every `sync_seconds` and at close (docs/design.md, "The journal")."""

    def __init__(self, path: Path, sync_seconds: float = 1.0) -> None:
        self.path = path
        self.sync_seconds = sync_seconds
        self.handle: io.TextIOWrapper | None = None
        self.synced = 0.0

    def append(self, line: str) -> None:
        """Append one record's line (record_line; flushed, and fsynced when the last fsync is older
        than `sync_seconds`)."""
        if self.handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = self.path.open("a", encoding="utf-8", newline="\n")
            fsync_dir(self.path.parent)
        self.handle.write(line + "\n")
        self.handle.flush()
        if time.monotonic() - self.synced >= self.sync_seconds:
            os.fsync(self.handle.fileno())
            self.synced = time.monotonic()

    def close(self) -> None:
        """Flush, fsync and close; the file is closed even when that fails (disk full)."""
        if self.handle is None:
            return
        handle, self.handle = self.handle, None
        try:
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            handle.close()


SpoolEntry = tuple[tuple, int, int]
_COPY_CHUNK = 1 << 20


class RecordSpool:
    """Records kept in an unnamed file in `directory`, memory holding only a SpoolEntry (sort key, offset,
    length) per record; replaced records stay in the file until close(). Reads and writes are
    positional (pread, pwrite): reading lines() while putting records is safe."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        # Unbuffered: a failed write fails in put(), never in a later flush that strands earlier entries.
        self.file = tempfile.TemporaryFile(dir=directory, buffering=0)  # noqa: SIM115 (open for the crawl, closed by close())
        self.size = 0
        self.copied = 0

    def put(self, record: dict, line: str | None = None) -> SpoolEntry:
        """Append `record` (`line`: its record_line, when made already) and return its entry; OSError
        when it could not be written whole."""
        offset = self.size
        length = self._append((record_line(record) if line is None else line).encode("utf-8"))
        return sort_key(record), offset, length

    def copy_of(self, path: Path) -> str | None:
        """Start the spool, which must be empty, with a copy of `path`, so that a record's line at an
        offset of `path` is at the same offset here; the copied file's identity (file_identity), None
        when there is no such file."""
        try:
            source = path.open("rb")
        except FileNotFoundError:
            return None
        with source:
            identity = file_identity(source)
            while chunk := source.read(_COPY_CHUNK):
                self._append(chunk)
                last = chunk
        if self.size and not last.endswith(b"\n"):
            self._append(b"\n")  # the last line ends where the records put later begin
        self.copied = self.size
        return identity

    def _append(self, data: bytes) -> int:
        view = memoryview(data)
        written = 0
        while written < len(view):
            written += os.pwrite(self.file.fileno(), view[written:], self.size + written)
        self.size += written
        return written

    def get(self, entry: SpoolEntry) -> dict:
        """The record `entry` points to."""
        _, offset, length = entry
        data = os.pread(self.file.fileno(), length, offset)
        # A first line may begin with a byte-order mark or a record separator, which jsonlines skips.
        return json.loads(data.lstrip(b"\x1e\xef\xbb\xbf"))

    def lines(self) -> Iterator[tuple[dict | None, int, int]]:
        """iter_placed_records over what copy_of copied (not the records put since)."""
        with open(self.file.fileno(), "rb", closefd=False) as reader:
            reader.seek(0)
            yield from iter_placed_records(reader, self.copied)

    def sorted_records(self, entries: Iterable[SpoolEntry]) -> Iterator[dict]:
        """The records of `entries` in export order (sort_key), read one at a time."""
        for entry in sorted(entries, key=lambda entry: entry[0]):
            yield self.get(entry)

    def close(self) -> None:
        self.file.close()
