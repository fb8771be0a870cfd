"""Where downloaded images and attachments live, and what the export says is stored there."""

from __future__ import annotations

import os
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
    """Scrapy's local file store, writing each file atomically (not fsynced) and only inside its folder
    (each file's folder resolved, symbolic links followed, once per run)."""

    def __init__(self, basedir: str | os.PathLike[str]) -> None:
        super().__init__(basedir)
        self.resolved_basedir = Path(self.basedir).resolve()
        self._folders_inside: dict[Path, bool] = {}

    def _inside(self, absolute: Path) -> bool:
        folder = absolute.parent
        inside = self._folders_inside.get(folder)
        if inside is None:
            inside = self._folders_inside[folder] = folder.resolve().is_relative_to(self.resolved_basedir)
        return inside and absolute.name != ".."

    def persist_file(
        self,
        path: str | os.PathLike[str],
        buf: BytesIO,
        info: MediaPipeline.SpiderInfo,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        absolute = self._get_filesystem_path(path)
        if not self._inside(absolute):
            raise FileException(f"refused to write {path!r}: outside the file store {self.resolved_basedir}")
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
