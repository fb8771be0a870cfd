"""The JSON Lines store: read the existing export, write a new one atomically.

A reader, or a crawl killed at any moment, sees either the old file or the new one, never a
half-written file: we write a temporary file in the same folder, flush and fsync it, rename it
over the old one and fsync the folder.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import jsonlines

logger = logging.getLogger(__name__)

# Key order in each exported line: identity first, then metadata, text, media, provenance.
FIELD_ORDER = (
    "url", "title", "title_original", "category", "published", "summary", "authors", "language",
    "text", "word_count", "images", "attachments", "links", "content_hash", "fetched_at",
    "source_feed", "extraction", "layout", "rendered",
)


def ordered(record: dict) -> dict:
    """The record with its keys in FIELD_ORDER, unknown keys after them in name order."""
    known = {key: record[key] for key in FIELD_ORDER if key in record}
    extra = {key: record[key] for key in sorted(record) if key not in known}
    return known | extra


def _dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def read_records(path: Path) -> tuple[list[dict], int]:
    """Every JSON object in a JSON Lines file, and how many non-empty lines were not one."""
    if not path.exists():
        return [], 0
    records: list[dict] = []
    invalid = 0
    with jsonlines.open(path) as reader:
        while True:
            try:
                records.append(reader.read(type=dict, skip_empty=True))
            except EOFError:
                break
            except jsonlines.InvalidLineError:
                invalid += 1
    return records, invalid


def write_atomic(path: Path, records: Iterable[dict]) -> int:
    """Replace `path` with `records` as JSON Lines, atomically; return how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as tmp:
            with jsonlines.Writer(tmp, dumps=_dumps, flush=False) as writer:
                for record in records:
                    writer.write(ordered(record))
                    count += 1
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return count
