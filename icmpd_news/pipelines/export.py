"""Export: merge this run's articles into OUTPUT_DIR/articles.jsonl, one line per article."""

from __future__ import annotations

import logging
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from icmpd_news.export import read_records, write_atomic

logger = logging.getLogger(__name__)

# Fields that change on every fetch without the article changing: ignored when comparing.
VOLATILE_FIELDS = ("fetched_at",)
# A stored file's status says whether this run downloaded it or found it stored
# ("downloaded" / "uptodate"): not a change of the article (its checksum would say so).
MEDIA_FIELDS = ("images", "attachments")
VOLATILE_MEDIA_KEYS = ("status",)


def _comparable(record: dict) -> dict:
    comparable = {key: value for key, value in record.items() if key not in VOLATILE_FIELDS}
    for field in MEDIA_FIELDS:
        if isinstance(comparable.get(field), list):
            comparable[field] = [
                {key: value for key, value in entry.items() if key not in VOLATILE_MEDIA_KEYS}
                if isinstance(entry, dict) else entry
                for entry in comparable[field]
            ]
    return comparable


def sort_key(record: dict) -> tuple:
    """Newest first, then by URL: a stable order, so an unchanged run rewrites identical bytes."""
    return (-(datetime.fromisoformat(record["published"]).timestamp()) if record.get("published") else float("inf"), record["url"])


class JsonLinesExportPipeline:
    """Keep articles.jsonl holding exactly one line per article, its latest version.

    On open it loads the existing export (a re-run merges into it); each item replaces its
    URL's record when its content changed, and leaves the old record (fetched_at included)
    when nothing but fetched_at differs. The file is rewritten atomically at close, and every
    EXPORT_CHECKPOINT_SECONDS while the crawl runs, so a killed crawl loses little work and
    never the records that were there before.

    Stats: icmpd/export/new, icmpd/export/updated, icmpd/export/unchanged,
    icmpd/export/records (lines in the file at close), icmpd/export/invalid_lines.
    """

    def __init__(self, output_dir: Path, stats: StatsCollector, checkpoint_seconds: float) -> None:
        self.path = output_dir / "articles.jsonl"
        self.stats = stats
        self.checkpoint_seconds = checkpoint_seconds
        self.records: dict[str, dict] = {}
        self.dirty = False
        self.last_write = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesExportPipeline:
        settings = crawler.settings
        return cls(Path(settings["OUTPUT_DIR"]), crawler.stats, settings.getfloat("EXPORT_CHECKPOINT_SECONDS"))

    def open_spider(self) -> None:
        records, invalid = read_records(self.path)
        if invalid:
            backup = self.path.with_name(f"{self.path.name}.invalid-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
            shutil.copy2(self.path, backup)
            self.stats.set_value("icmpd/export/invalid_lines", invalid)
            logger.error("%s has %d invalid lines: kept a copy as %s; they are dropped from the export", self.path, invalid, backup)
        self.records = {record["url"]: record for record in records if isinstance(record.get("url"), str)}
        logger.info("export %s holds %d articles before this run", self.path, len(self.records))

    def process_item(self, item: object) -> object:
        record = ItemAdapter(item).asdict()
        old = self.records.get(record["url"])
        if old is None:
            self.stats.inc_value("icmpd/export/new")
        elif _comparable(old) == _comparable(record):
            self.stats.inc_value("icmpd/export/unchanged")
            return item
        else:
            self.stats.inc_value("icmpd/export/updated")
        self.records[record["url"]] = record
        self.dirty = True
        if time.monotonic() - self.last_write >= self.checkpoint_seconds:
            self._write()
        return item

    def close_spider(self) -> None:
        if self.dirty or not self.path.exists():
            self._write()
        self.stats.set_value("icmpd/export/records", len(self.records))
        logger.info("export %s holds %d articles", self.path, len(self.records))

    def _write(self) -> None:
        write_atomic(self.path, sorted(self.records.values(), key=sort_key))
        self.dirty = False
        self.last_write = time.monotonic()
