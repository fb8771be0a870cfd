"""Where downloaded images and attachments live, and what the export says is stored there."""

from __future__ import annotations

import os
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Any

from scrapy.pipelines.files import FSFilesStore
from scrapy.pipelines.media import FileException, MediaPipeline
from scrapy.settings import BaseSettings

from icmpd_news.dataset.changes import MEDIA_FIELDS, STORED_STATUSES
from icmpd_news.dataset.jsonl import atomic_file, iter_records


def store_dir(settings: BaseSettings, name: str) -> str:
    """The store for setting `name` (FILES_STORE or IMAGES_STORE): its value, else ICMPD_OUTPUT_DIR/files."""
    return settings.get(name) or str(Path(settings["ICMPD_OUTPUT_DIR"]) / "files")


def local_store_path(settings: BaseSettings, name: str) -> Path:
    """The store for setting `name` as a local folder ("file://" stripped, as FSFilesStore does)."""
    value = store_dir(settings, name)
    return Path(value.split("://", 1)[1] if "://" in value else value)


class AtomicFSFilesStore(FSFilesStore):
    """Scrapy's local file store, writing each file atomically (not fsynced) and only inside its folder."""

    @cached_property
    def resolved_basedir(self) -> Path:
        return Path(self.basedir).resolve()

    def persist_file(
        self,
        path: str | os.PathLike[str],
        buf: BytesIO,
        info: MediaPipeline.SpiderInfo,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        absolute = self._get_filesystem_path(path)
        base = self.resolved_basedir
        if not absolute.resolve().is_relative_to(base):
            raise FileException(f"refused to write {path!r}: outside the file store {base}")
        with atomic_file(absolute, binary=True, suffix=".part", sync=False) as tmp:
            tmp.write(buf.getvalue())


def recorded_files(export_path: Path) -> dict[str, dict]:
    """Every stored file the export at `export_path` records: path -> its images[] or attachments[] entry."""
    stored: dict[str, dict] = {}
    for record in iter_records(export_path):
        if record is None:
            continue
        for field in MEDIA_FIELDS:
            entries = record.get(field)
            for entry in entries if isinstance(entries, list) else []:
                if (isinstance(entry, dict) and entry.get("status") in STORED_STATUSES
                        and isinstance(entry.get("path"), str) and isinstance(entry.get("checksum"), str)):
                    stored[entry["path"]] = entry
    return stored
