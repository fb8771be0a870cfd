"""The web archive: every response the crawl relied on, as WARC records under OUTPUT_DIR/warc/.

Each response is three records (warcio writes them, one gzip member each): the response as
received (status, headers, body still content-encoded), the request that asked for it, and a
metadata record (JSON) with what the crawl knew of it: its kind, whether a browser rendered it,
and for an article the feed or listing entry that described it, so that a record can be
extracted again from the archive alone. A file is written as warc/<run-id>-<n>.warc.gz.open and
renamed to .warc.gz when the run closes it (at ICMPD_WARC_MAX_FILE_BYTES, and at the end); a file
a killed run left open is cut back to its last complete record and closed by the next run.
An article's record names its page's response by file, offset and WARC-Record-ID (WarcRef).
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

WARC_DIR = "warc"
SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".warc.gz.open"
METADATA_TYPE = "application/json"
# Response headers that describe how the bytes travelled, not what they are: the body is stored
# de-chunked, so a Transfer-Encoding header would make readers de-chunk it again.
_TRANSPORT_HEADERS = {b"transfer-encoding"}
# zlib's window with a gzip header and trailer.
_GZIP_WBITS = zlib.MAX_WBITS | 16


@dataclass(frozen=True)
class WarcRef:
    """Where a response is in the archive: its file (relative to OUTPUT_DIR), the offset of its
    record, and its WARC-Record-ID."""

    file: str
    offset: int
    record_id: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "offset": self.offset, "record_id": self.record_id}

    @classmethod
    def from_dict(cls, value: Any) -> WarcRef | None:
        """The reference a record holds, None when it holds none (or not a usable one)."""
        if not isinstance(value, dict):
            return None
        try:
            return cls(str(value["file"]), int(value["offset"]), str(value["record_id"]))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class ArchivedResponse:
    """A response read back from the archive, with the metadata written beside it."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    metadata: dict[str, Any]


class WebArchiveWriter:
    """Appends the run's records to its open WARC file, rotating past `max_file_bytes`; each record is
    one gzip member, compressed at `gzip_level` as warcio writes it (warcio's own gzip is level 9)."""

    def __init__(self, output_dir: Path, run_id: str, max_file_bytes: int, gzip_level: int) -> None:
        self.output_dir = output_dir
        self.folder = output_dir / WARC_DIR
        self.run_id = run_id
        self.max_file_bytes = max_file_bytes
        self.gzip_level = gzip_level
        self.serial = 0
        self.path: Path | None = None
        self.file: IO[bytes] | None = None
        self.writer: WARCWriter | None = None
        self.written_bytes = 0

    def write(self, url: str, method: str, request_headers: Iterable[tuple[str, str]], status: int,
              response_headers: Iterable[tuple[bytes, bytes]], body: bytes, metadata: dict[str, Any]) -> WarcRef:
        """Append one exchange (response, request, metadata); the response's reference."""
        if self.file is None or self.file.tell() >= self.max_file_bytes:
            self._rotate()
        assert self.file is not None and self.writer is not None and self.path is not None
        reason = _reason(status)
        http_headers = StatusAndHeaders(
            f"{status} {reason}".strip(),
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in response_headers
             if name.lower() not in _TRANSPORT_HEADERS],
            protocol="HTTP/1.1",
        )
        response = self.writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http_headers)
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        path_part = url.split("://", 1)[-1]
        target = "/" + path_part.split("/", 1)[1] if "/" in path_part else "/"
        request = self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(f"{method} {target} HTTP/1.1", list(request_headers), is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": record_id},
        )
        info = self.writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(json.dumps(metadata, ensure_ascii=False).encode("utf-8")),
            warc_content_type=METADATA_TYPE, warc_headers_dict={"WARC-Concurrent-To": record_id},
        )
        offset = self.file.tell()
        for record in (response, request, info):
            self.writer.write_record(record)
        self.file.flush()
        self.written_bytes += self.file.tell() - offset
        return WarcRef(str(_closed_name(self.path).relative_to(self.output_dir)), offset, record_id)

    def _rotate(self) -> None:
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.serial += 1
        self.path = self.folder / f"{self.run_id}-{self.serial:05d}{OPEN_SUFFIX}"
        self.file = self.path.open("ab")
        self.writer = WARCWriter(GzipMembers(self.file, self.gzip_level), gzip=False)
        self.writer.write_record(self.writer.create_warcinfo_record(
            self.path.name.removesuffix(OPEN_SUFFIX) + SUFFIX,
            {"software": "icmpd-news (warcio)", "format": "WARC File Format 1.1", "isPartOf": self.run_id},
        ))

    def close(self) -> None:
        """Close the open file and give it its final name."""
        if self.file is None or self.path is None:
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.path.rename(_closed_name(self.path))
        self.file = self.writer = None


class GzipMembers:
    """What warcio writes records to: the bytes compressed at `level` as they come, each record one
    gzip member of its own, ended by the flush warcio calls after it (warcio's gzip=True does the same
    at level 9)."""

    def __init__(self, file: IO[bytes], level: int) -> None:
        self.file = file
        self.level = level
        self.compressor: Any = None

    def write(self, data: bytes) -> None:
        if self.compressor is None:
            self.compressor = zlib.compressobj(self.level, zlib.DEFLATED, _GZIP_WBITS)
        try:
            self.file.write(self.compressor.compress(data))
        except BaseException:
            self.compressor = None  # a record that failed to write is abandoned; the next begins a member
            raise

    def flush(self) -> None:
        compressor, self.compressor = self.compressor, None
        if compressor is not None:
            self.file.write(compressor.flush())
        self.file.flush()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _closed_name(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(OPEN_SUFFIX) + SUFFIX)


def read_response(output_dir: Path, ref: WarcRef) -> ArchivedResponse:
    """The response `ref` names, with its metadata (the record that follows it); OSError or
    ValueError when the archive does not hold it."""
    with (output_dir / ref.file).open("rb") as handle:
        handle.seek(ref.offset)
        records = ArchiveIterator(handle)
        response = next(records, None)
        if response is None or response.rec_headers.get_header("WARC-Record-ID") != ref.record_id:
            raise ValueError(f"{ref.file} holds no record {ref.record_id} at offset {ref.offset}")
        url = response.rec_headers.get_header("WARC-Target-URI")
        status = int(response.http_headers.get_statuscode())
        headers = list(response.http_headers.headers)
        body = response.raw_stream.read()
        metadata: dict[str, Any] = {}
        for record in records:
            if record.rec_type == "metadata" and record.rec_headers.get_header("WARC-Concurrent-To") == ref.record_id:
                metadata = json.loads(record.raw_stream.read().decode("utf-8"))
                break
            if record.rec_type == "response":
                break
    return ArchivedResponse(url, status, headers, body, metadata)


def iter_exchanges(output_dir: Path) -> Iterator[tuple[WarcRef, str, dict[str, Any]]]:
    """Every response in the archive's closed files, oldest file first: (reference, target URL,
    metadata)."""
    folder = output_dir / WARC_DIR
    for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        name = str(path.relative_to(output_dir))
        with path.open("rb") as handle:
            records = ArchiveIterator(handle)
            pending: dict[str, tuple[WarcRef, str]] = {}
            for record in records:
                kind = record.rec_type
                if kind == "response":
                    record_id = record.rec_headers.get_header("WARC-Record-ID")
                    pending[record_id] = (WarcRef(name, records.get_record_offset(), record_id),
                                          record.rec_headers.get_header("WARC-Target-URI"))
                elif kind == "metadata":
                    found = pending.pop(record.rec_headers.get_header("WARC-Concurrent-To"), None)
                    if found is not None:
                        yield found[0], found[1], json.loads(record.raw_stream.read().decode("utf-8"))


def recover_open_files(output_dir: Path) -> list[tuple[Path, int]]:
    """Close the files killed runs left open: each is cut back to the end of its last complete
    record (gzip member) and renamed. Returns (closed file, bytes cut) for each."""
    folder = output_dir / WARC_DIR
    closed = []
    for path in sorted(folder.glob(f"*{OPEN_SUFFIX}")) if folder.is_dir() else []:
        end = _complete_members_end(path)
        size = path.stat().st_size
        with path.open("r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
        path.rename(_closed_name(path))
        closed.append((_closed_name(path), size - end))
        logger.warning("web archive: %s was left open by a killed run: cut %d bytes after its last complete "
                       "record and closed", path.name, size - end)
    return closed


def _complete_members_end(path: Path) -> int:
    """The offset just past the last gzip member of `path` that decompresses whole."""
    data = path.read_bytes()
    end = offset = 0
    while offset < len(data):
        inflater = zlib.decompressobj(_GZIP_WBITS)
        try:
            inflater.decompress(data[offset:])
        except zlib.error:
            break
        if not inflater.eof:
            break
        offset = len(data) - len(inflater.unused_data)
        end = offset
    return end


def archive_files(output_dir: Path) -> list[Path]:
    """The archive's closed files, oldest first."""
    folder = output_dir / WARC_DIR
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def prune(output_dir: Path, keep_days: float, referenced: set[str], now: float | None = None) -> list[Path]:
    """Delete the archive files older than `keep_days` that no current record references
    (`referenced`: file names relative to output_dir); the files deleted."""
    if keep_days <= 0:
        return []
    limit = (now or time.time()) - keep_days * 86400
    deleted = []
    for path in archive_files(output_dir):
        if str(path.relative_to(output_dir)) in referenced or path.stat().st_mtime >= limit:
            continue
        path.unlink()
        deleted.append(path)
    return deleted
