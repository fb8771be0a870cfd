"""Export: merge this run's articles into ICMPD_OUTPUT_DIR/articles.jsonl and write its change file."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.statscollectors import StatsCollector

from icmpd_news.dataset.changes import (
    MANAGED_FIELDS,
    extractor_version,
    healed_files,
    mark_removed,
    merge,
    transient_holes,
    with_defaults,
    with_stored_files,
)
from icmpd_news.dataset.jsonl import (
    EXPORT_NAME,
    Journal,
    RecordSpool,
    SpoolEntry,
    file_identity,
    keep_invalid_copy,
    record_line,
    sort_key,
    write_atomic,
)
from icmpd_news.dataset.recovery import journal_path
from icmpd_news.dataset.state import ExportIndexRow, StateStore
from icmpd_news.dataset.web_archive import WarcRef
from icmpd_news.extensions.crawl_run import WRITE_FAILED, CrawlRun
from icmpd_news.extract import EXTRACTOR_VERSION
from icmpd_news.loaders import iso_datetime
from icmpd_news.signals import article_gone
from icmpd_news.stats import (
    EXPORT_CHANGES,
    EXPORT_INDEXED,
    EXPORT_INVALID_LINES,
    EXPORT_RECORDS,
    EXPORT_REMOVED,
    EXPORT_TRANSIENT_HOLES,
    MEDIA_FILES,
    MEDIA_HEALED,
    MEDIA_IMAGES,
    media_stat,
)
from icmpd_news.urls import canonical_url

logger = logging.getLogger(__name__)

# Where the files a re-run stored after a transient failure are counted, by record field.
HEALED_STATS = {"images": media_stat(MEDIA_HEALED, MEDIA_IMAGES), "attachments": media_stat(MEDIA_HEALED, MEDIA_FILES)}


class _NotWritten(Exception):
    """A write failed and has been reported to the run (CrawlRun.write_failed)."""


class JsonLinesExportPipeline:
    """Keep articles.jsonl at one line per article, its latest version, and write the run's change
    file runs/<run-id>.jsonl; never lose a finished record.

    Open: copies the export into a RecordSpool (what each record is and where, from the export's
    index in the state store while the file is the one last written here, else parsed), forgets
    state entries of articles not exported and the validators of articles with transient file
    holes. Each item: merge() decides its change (in a text-only crawl, after with_stored_files); a
    changed record is journaled before the item moves on; article_gone marks one removed. Every
    ICMPD_EXPORT_CHECKPOINT_SECONDS and at close, articles.jsonl is rewritten atomically; at close the
    change file too, and the journal goes. After a failed write (CrawlRun.write_failed) items are
    dropped and articles.jsonl is not rewritten.
    """

    def __init__(self, run: CrawlRun, stats: StatsCollector, checkpoint_seconds: float, text_only: bool = False) -> None:
        self.path = run.output_dir / EXPORT_NAME
        self.change_file = run.runs_dir / f"{run.run_id}.jsonl"
        self.store: StateStore = run.store
        self.stats = stats
        self.checkpoint_seconds = checkpoint_seconds
        self.text_only = text_only
        self.spool: RecordSpool | None = None
        self.records: dict[str, SpoolEntry] = {}
        # The exported records an older extraction produced, by URL: their "archive" value.
        self.older: dict[str, dict | None] = {}
        self.changes: dict[str, SpoolEntry] = {}
        self.journal = Journal(journal_path(run.runs_dir, run.run_id))
        self.run = run
        self.opened = False
        self.exported = 0  # records in articles.jsonl as it is on disk
        self.dirty = False
        self.last_write = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesExportPipeline:
        run = crawler.get_extension(CrawlRun)
        if run is None:
            raise RuntimeError("JsonLinesExportPipeline needs the CrawlRun extension: it holds the ICMPD_OUTPUT_DIR lock")
        settings = crawler.settings
        pipeline = cls(run, crawler.stats, settings.getfloat("ICMPD_EXPORT_CHECKPOINT_SECONDS"),
                       settings.getbool("ICMPD_TEXT_ONLY"))
        crawler.signals.connect(pipeline.article_gone, signal=article_gone)
        return pipeline

    @contextlib.contextmanager
    def _writing(self, path: Path) -> Iterator[None]:
        """A failed write of `path` is reported to the run, then raised as _NotWritten."""
        try:
            yield
        except OSError as error:
            self.run.write_failed(error, path)
            raise _NotWritten from error

    # --- open ---------------------------------------------------------------------------
    def open_spider(self) -> None:
        try:
            self._open()
        except _NotWritten:
            raise CloseSpider(WRITE_FAILED) from None
        self.opened = True
        if self.run.write_error:  # the state store's, reported through CrawlRun
            raise CloseSpider(WRITE_FAILED)

    def _open(self) -> None:
        with self._writing(self.path.parent):  # the spool's folder
            holes = self._read_export()
        self.exported = len(self.records)
        if self.dirty:
            self._write()
        forgotten = self.store.retain(self.records)
        if forgotten:
            logger.info("state store: forgot %d URLs whose articles are not in the export", forgotten)
        for url in holes:
            self.store.forget_validators(url)
        self._find_outdated()
        if holes:
            self.stats.set_value(EXPORT_TRANSIENT_HOLES, len(holes))
            logger.info("%d articles have files that failed for a reason that may pass: their pages are requested "
                        "in full again, to fetch those files", len(holes))
        logger.info("export %s holds %d articles before this run", self.path, len(self.records))

    def _find_outdated(self) -> None:
        """Records an older extraction produced: handed to the spider (CrawlRun.outdated, with
        the archived page when the archive holds it) to be extracted again; those the archive
        lacks lose their validators, so the page is fetched in full when the run meets it."""
        for url, archived in self.older.items():
            ref = WarcRef.from_dict(archived)
            if ref is None or not (self.run.output_dir / ref.file).is_file():
                ref = None
                self.store.forget_validators(url)
            self.run.outdated[url] = ref
        if self.run.outdated:
            in_archive = sum(ref is not None for ref in self.run.outdated.values())
            logger.info("%d records come from an older extraction (version < %d): %d are extracted again from the "
                        "web archive, the others when the run meets them", len(self.run.outdated), EXTRACTOR_VERSION,
                        in_archive)

    def _read_export(self) -> set[str]:
        """Read articles.jsonl into the spool (from its index in the state store while the file is the
        one this crawler last wrote, else parsed); the URLs of records with transient holes."""
        self.spool = RecordSpool(self.path.parent)
        identity = self.spool.copy_of(self.path)
        index = self.store.export_index(identity) if identity is not None else None
        if index is None:
            rows = self._parse_export()
            if identity is not None and not self.dirty:
                self.store.remember_export_index(identity, rows)
        else:
            rows = index
            self.stats.set_value(EXPORT_INDEXED, 1)
        for row in rows:  # one per URL; records completed by _parse_export are in the spool already
            self.records.setdefault(row.url, (_sort_key(row), row.offset, row.length))
        self.older = {row.url: self.spool.get(self.records[row.url]).get("archive")
                      for row in rows if row.extractor_version < EXTRACTOR_VERSION}
        return {row.url for row in rows if row.transient_holes}

    def _parse_export(self) -> list[ExportIndexRow]:
        """The spool's copy of articles.jsonl, parsed: a row per record, the last of a URL's
        records winning; records without the managed fields get them (put in the spool)."""
        invalid = 0
        incomplete: set[str] = set()
        rows: dict[str, ExportIndexRow] = {}
        for record, offset, length in self.spool.lines():
            if record is None:
                invalid += 1
                continue
            url = record.get("url")
            if not isinstance(url, str):
                continue
            rows[url] = index_row(record, offset, length)
            if any(name not in record for name in MANAGED_FIELDS):
                incomplete.add(url)
                self.records[url] = self.spool.put(with_defaults(record))
            else:
                incomplete.discard(url)
                self.records.pop(url, None)
        keep_invalid_copy(self.path, invalid)
        if invalid:
            self.stats.set_value(EXPORT_INVALID_LINES, invalid)
            self.dirty = True
        if incomplete:
            logger.info("added first_seen, updated_at, version and removed to %d records exported before they existed",
                        len(incomplete))
            self.dirty = True
        return list(rows.values())

    # --- items and gone articles ----------------------------------------------------------
    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        record = dict(adapter.items())  # shallow: nothing here changes a nested value (changes.py is pure)
        if self.run.write_error:
            raise DropItem(f"{record['url']} not exported: the crawl is stopping after a failed write", log_level="DEBUG")
        entry = self.records.get(record["url"])
        old = None if entry is None else self.spool.get(entry)
        if self.text_only:
            record = with_stored_files(old, record)
        change, stored = merge(old, record)
        if change != "unchanged" or stored is not old:
            try:
                self._commit(stored, changed=change != "unchanged")
            except _NotWritten:
                raise DropItem(f"{record['url']} not exported: {self.run.write_error}", log_level="DEBUG") from None
        self.stats.inc_value(EXPORT_CHANGES[change])
        for field, count in healed_files(old, record).items():
            self.stats.inc_value(HEALED_STATS[field], count)
            logger.info("article %s: %d of its %s that had failed for a reason that may pass stored now (healed)",
                        record["url"], count, field)
        if change == "restored":
            logger.info("article %s is back: removed mark cleared", record["url"])
        for name in MANAGED_FIELDS:
            adapter[name] = stored[name]
        return item

    def article_gone(self, urls: list[str], status: int) -> None:
        """An article request answered 404/410: keep the article's record, marked removed."""
        url = self._record_url(urls)
        if url is None:
            logger.info("%s answered HTTP %d and was never exported: no record", urls[0], status)
            return
        old = self.spool.get(self.records[url])
        self.store.forget_validators(url)
        if old["removed"]:
            logger.info("article %s still answers HTTP %d: stays marked removed", url, status)
            return
        if self.run.write_error:
            return
        try:
            self._commit(mark_removed(old, iso_datetime(datetime.now(timezone.utc))))
        except _NotWritten:
            return
        self.stats.inc_value(EXPORT_REMOVED)
        logger.warning("article %s answers HTTP %d: record kept, marked removed", url, status)

    def _record_url(self, urls: list[str]) -> str | None:
        for url in reversed(urls):
            for candidate in (self.store.article_for(url), canonical_url(url)):
                if candidate in self.records:
                    return candidate
        return None

    def _commit(self, record: dict, changed: bool = True) -> None:
        """Journal the record, then keep it (in the change file too when `changed`: a new
        provenance alone is no change of the article); _NotWritten when either write failed."""
        line = record_line(record)
        with self._writing(self.journal.path):
            self.journal.append(line)
        with self._writing(self.path.parent):
            entry = self.spool.put(record, line)
        self.records[record["url"]] = entry
        if changed:
            self.changes[record["url"]] = entry
        self.dirty = True
        if time.monotonic() - self.last_write >= self.checkpoint_seconds:
            # The record is journaled: a failed checkpoint ends the run but loses nothing.
            try:
                self._write()
            except _NotWritten:
                pass

    # --- close --------------------------------------------------------------------------
    def close_spider(self) -> None:
        if self.opened and self.run.write_error is None:
            try:
                if self.dirty or not self.path.exists():
                    self._write()
                with self._writing(self.journal.path):
                    self.journal.close()
                with self._writing(self.change_file):
                    write_atomic(self.change_file, self.spool.sorted_records(self.changes.values()))
            except _NotWritten:
                pass
        if self.run.write_error is None:
            self.journal.path.unlink(missing_ok=True)
        else:
            with contextlib.suppress(OSError):
                self.journal.close()
            logger.info("after the failed write, %s stays as it was; the next run takes over the %d records "
                        "of %s", self.path, len(self.changes), self.journal.path)
        if self.spool is not None:
            self.spool.close()
        self.stats.set_value(EXPORT_RECORDS, self.exported)
        if self.run.write_error is None:
            logger.info("export %s holds %d articles; %d changed in this run (%s)",
                        self.path, self.exported, len(self.changes), self.change_file)

    def _write(self) -> None:
        """Rewrite articles.jsonl from the spool (atomically), and its index; _NotWritten when that failed."""
        rows: list[ExportIndexRow] = []
        with self._writing(self.path):
            self.exported = write_atomic(self.path, self.spool.sorted_records(self.records.values()),
                                         lambda record, offset, length: rows.append(index_row(record, offset, length)))
            with self.path.open("rb") as written:
                identity = file_identity(written)
        self.store.remember_export_index(identity, rows)
        self.dirty = False
        self.last_write = time.monotonic()


def index_row(record: dict, offset: int, length: int) -> ExportIndexRow:
    """What the index keeps of an exported record whose line is at `offset` (`length` bytes)."""
    return ExportIndexRow(record["url"], offset, length, sort_key(record)[0], transient_holes(record),
                          extractor_version(record))


def _sort_key(row: ExportIndexRow) -> tuple:
    """sort_key of the record `row` indexes."""
    return row.published, row.url
