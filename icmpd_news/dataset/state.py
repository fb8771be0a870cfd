"""ICMPD_OUTPUT_DIR/state.sqlite3, a cache of validators, URL-to-article links and feed copies
(docs/design.md, "The state store")."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

from icmpd_news.dataset.write_failures import is_corrupt

STATE_NAME = "state.sqlite3"
# A stored feed body is written in pieces of this size (StateStore.remember_feed).
FEED_BLOB_CHUNK = 1 << 20
SCHEMA = """
CREATE TABLE IF NOT EXISTS article_urls (
    url TEXT PRIMARY KEY,          -- as requested (feed link, redirect hop or final URL)
    article_url TEXT NOT NULL,     -- the exported record's canonical URL
    etag TEXT,                     -- validators of the last 200 answer to this URL
    last_modified TEXT,
    checked_at REAL                -- when the site last confirmed the record (200 or 304), epoch s
);
CREATE INDEX IF NOT EXISTS article_urls_by_article ON article_urls (article_url);
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    content_type TEXT,
    body BLOB NOT NULL
);
-- A stored feed as the spider parsed it, reused while the feed answers 304: the channel's facts
-- and one row per entry (JSON texts), apart from the feed's row, which holds the body.
CREATE TABLE IF NOT EXISTS parsed_feeds (
    url TEXT PRIMARY KEY,
    facts TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parsed_feed_entries (
    url TEXT NOT NULL,
    position INTEGER NOT NULL,
    link TEXT,                     -- the entry's link, readable without decoding the entry
    entry TEXT NOT NULL,
    PRIMARY KEY (url, position)
);
-- What the export pipeline reads from articles.jsonl at start, for the one file named by its
-- identity (device, inode, size, modification time): one row per record, in the file's order.
CREATE TABLE IF NOT EXISTS export_file (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    identity TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS export_index (
    position INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    offset INTEGER NOT NULL,         -- where the record's line starts in the file, in bytes
    length INTEGER NOT NULL,         -- its length in bytes, the line break included
    published REAL,                  -- the record's sort key: minus its publication time (epoch s), inf without one
    transient_holes INTEGER NOT NULL,
    extractor_version INTEGER NOT NULL
);
"""


class ExportIndexRow(NamedTuple):
    """One record of articles.jsonl as the export pipeline needs it at start (StateStore.export_index)."""

    url: str
    offset: int
    length: int
    published: float  # the first part of the record's sort key: minus its publication time, inf without one
    transient_holes: int
    extractor_version: int


@dataclass(frozen=True)
class Validators:
    """What a conditional request sends back: If-None-Match / If-Modified-Since."""

    etag: str | None
    last_modified: str | None

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)

    @classmethod
    def from_headers(cls, headers: Mapping) -> Validators:
        """The ETag and Last-Modified of a response's headers (Scrapy's Headers: bytes values)."""
        def text(name: bytes) -> str | None:
            value = headers.get(name)
            if not value:
                return None
            return value.decode("latin-1").strip() or None

        return cls(text(b"ETag"), text(b"Last-Modified"))


@dataclass(frozen=True)
class StoredFeed:
    """A feed's last 200 answer."""

    validators: Validators
    content_type: str | None
    body: bytes


class StateStore:
    """The state store. Every write is its own transaction; a failed one is rolled back and passed to
    `on_write_error(error, path)` when given, else raised. Opening raises sqlite3.Error when the file
    cannot be opened or written; one SQLite reports corrupt is moved aside as state.sqlite3.damaged-<time>
    (`reset_reason` says so) and started afresh."""

    def __init__(
        self, output_dir: Path, on_write_error: Callable[[sqlite3.Error, Path], None] | None = None,
    ) -> None:
        self.path = output_dir / STATE_NAME
        self.reset_reason: str | None = None
        self.on_write_error = on_write_error
        output_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._connect()
        except sqlite3.DatabaseError as error:
            if not is_corrupt(error):
                raise
            # A damaged cache is not worth failing the crawl for: keep it aside and start over.
            backup = self.path.with_name(f"{self.path.name}.damaged-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
            self.path.rename(backup)
            self.reset_reason = f"{self.path} was unreadable ({error}); moved to {backup} and started empty"
            self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            # WAL survives a killed writer; NORMAL sync is durable across crashes (a power cut costs re-downloads).
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            problems = [row[0] for row in db.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                error = sqlite3.DatabaseError(f"quick_check: {'; '.join(problems[:3])}")
                error.sqlite_errorcode = sqlite3.SQLITE_CORRUPT
                raise error
            db.executescript(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(article_urls)")}
            if "checked_at" not in columns:  # a store written before checked_at existed
                db.execute("ALTER TABLE article_urls ADD COLUMN checked_at REAL")
            if "entries" in {row[1] for row in db.execute("PRAGMA table_info(feeds)")}:  # kept there before
                db.execute("ALTER TABLE feeds DROP COLUMN entries")
            if "link" not in {row[1] for row in db.execute("PRAGMA table_info(parsed_feed_entries)")}:
                # Entries kept without their link: dropped, to be parsed again from the feed's copy once.
                db.execute("DROP TABLE parsed_feed_entries")
                db.execute("DELETE FROM parsed_feeds")
                db.executescript(SCHEMA)
            db.execute("SELECT count(*) FROM article_urls").fetchone()
            # One write, rolled back: a file SQLite can read but not write fails here, before the crawl.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(f"PRAGMA user_version = {int(version)}")
            finally:
                db.execute("ROLLBACK")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            with self.db:
                yield
        except sqlite3.Error as error:
            if self.on_write_error is None:
                raise
            self.on_write_error(error, self.path)

    def close(self) -> None:
        self.db.close()

    # --- article pages ------------------------------------------------------------------
    def page_validators(self, url: str) -> Validators | None:
        """The validators stored for this exact requested URL, if any."""
        row = self.db.execute("SELECT etag, last_modified FROM article_urls WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        validators = Validators(*row)
        return validators or None

    def remember_article(self, article_url: str, chain: Iterable[str], final_url: str, validators: Validators) -> None:
        """Record that requesting `chain` (redirect hops, then `final_url`) produced the exported
        article `article_url`, with the final answer's validators. Call only once the record is exported."""
        now = time.time()
        with self._writing():
            self.db.execute("BEGIN")
            for url in chain:
                if url != final_url:
                    self.db.execute(
                        "INSERT INTO article_urls (url, article_url, checked_at) VALUES (?, ?, ?) "
                        "ON CONFLICT (url) DO UPDATE SET article_url = excluded.article_url, "
                        "etag = NULL, last_modified = NULL, checked_at = excluded.checked_at",
                        (url, article_url, now),
                    )
            self.db.execute(
                "INSERT INTO article_urls (url, article_url, etag, last_modified, checked_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET article_url = excluded.article_url, etag = excluded.etag, "
                "last_modified = excluded.last_modified, checked_at = excluded.checked_at",
                (final_url, article_url, validators.etag, validators.last_modified, now),
            )

    def mark_checked(self, chain: Iterable[str]) -> None:
        """The site confirmed the record these requested URLs lead to (a 304): note when."""
        with self._writing():
            self.db.executemany("UPDATE article_urls SET checked_at = ? WHERE url = ?",
                                ((time.time(), url) for url in chain))

    def checked_since(self, since: float) -> frozenset[str]:
        """Every requested URL whose record the site confirmed after `since` (epoch seconds)."""
        rows = self.db.execute("SELECT url FROM article_urls WHERE checked_at > ?", (since,))
        return frozenset(url for (url,) in rows)

    def article_for(self, url: str) -> str | None:
        """The exported article a requested URL led to, if it ever did."""
        row = self.db.execute("SELECT article_url FROM article_urls WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def forget_validators(self, article_url: str) -> None:
        """Drop the validators and last check of every URL leading to this article, keeping the links."""
        with self._writing():
            self.db.execute(
                "UPDATE article_urls SET etag = NULL, last_modified = NULL, checked_at = NULL WHERE article_url = ?",
                (article_url,),
            )

    def retain(self, article_urls: Iterable[str]) -> int:
        """Forget every URL whose article is not among `article_urls`; return how many."""
        forgotten = 0
        with self._writing():
            self.db.execute("BEGIN")
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS exported (url TEXT PRIMARY KEY)")
            self.db.execute("DELETE FROM exported")
            self.db.executemany("INSERT OR IGNORE INTO exported (url) VALUES (?)", ((url,) for url in article_urls))
            forgotten = self.db.execute(
                "DELETE FROM article_urls WHERE article_url NOT IN (SELECT url FROM exported)"
            ).rowcount
            self.db.execute("DELETE FROM exported")
        return forgotten

    # --- the export's index ---------------------------------------------------------------
    def export_index(self, identity: str) -> list[ExportIndexRow] | None:
        """The rows remember_export_index kept for the export file of this identity; None when
        they were kept for another file, or none were."""
        row = self.db.execute("SELECT identity FROM export_file WHERE id = 1").fetchone()
        if row is None or row[0] != identity:
            return None
        rows = self.db.execute(
            "SELECT url, offset, length, published, transient_holes, extractor_version FROM export_index ORDER BY position"
        )
        return [ExportIndexRow._make(found) for found in rows]

    def remember_export_index(self, identity: str, rows: Iterable[ExportIndexRow]) -> None:
        """Keep `rows` as the index of the export file of this identity (replacing any other)."""
        with self._writing():
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM export_index")
            self.db.executemany(
                "INSERT INTO export_index (position, url, offset, length, published, transient_holes, extractor_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", ((position, *row) for position, row in enumerate(rows)),
            )
            self.db.execute("INSERT OR REPLACE INTO export_file (id, identity) VALUES (1, ?)", (identity,))

    # --- feeds --------------------------------------------------------------------------
    def feed(self, url: str) -> StoredFeed | None:
        """The stored last 200 answer of this feed URL, if any."""
        row = self.db.execute(
            "SELECT rowid, etag, last_modified, content_type FROM feeds WHERE url = ?", (url,)
        ).fetchone()
        if row is None:
            return None
        with self.db.blobopen("feeds", "body", row[0], readonly=True) as blob:
            body = blob.read()
        return StoredFeed(Validators(row[1], row[2]), row[3], body)

    def feed_validators(self, url: str) -> Validators | None:
        """The validators of the stored copy of this feed URL, if any (without reading the body)."""
        row = self.db.execute("SELECT etag, last_modified FROM feeds WHERE url = ?", (url,)).fetchone()
        return Validators(row[0], row[1]) if row else None

    def parsed_feed(self, url: str) -> tuple[str, Iterator[tuple[str | None, str]]] | None:
        """What remember_parsed_feed kept for the stored copy of this feed URL: its facts and its
        entries (link, entry) in order, read as they are asked for."""
        row = self.db.execute("SELECT facts FROM parsed_feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        rows = self.db.execute("SELECT link, entry FROM parsed_feed_entries WHERE url = ? ORDER BY position", (url,))
        return row[0], iter(rows)

    def remember_parsed_feed(self, url: str, facts: str, entries: Iterable[tuple[str | None, str]]) -> None:
        """Keep the stored copy of this feed as the spider parsed it, a row (link, entry) per entry
        (a new copy drops it)."""
        with self._writing():
            if self.db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone() is None:
                return
            self.db.execute("INSERT OR REPLACE INTO parsed_feeds (url, facts) VALUES (?, ?)", (url, facts))
            self.db.execute("DELETE FROM parsed_feed_entries WHERE url = ?", (url,))
            self.db.executemany("INSERT INTO parsed_feed_entries (url, position, link, entry) VALUES (?, ?, ?, ?)",
                                ((url, position, link, entry) for position, (link, entry) in enumerate(entries)))

    def remember_feed(self, url: str, validators: Validators, content_type: str | None, body: bytes) -> None:
        """Store a feed's 200 answer; without validators any stored copy is dropped instead."""
        with self._writing():
            self.db.execute("DELETE FROM parsed_feeds WHERE url = ?", (url,))
            self.db.execute("DELETE FROM parsed_feed_entries WHERE url = ?", (url,))
            if validators:
                # Incremental blob I/O: bound as one parameter, sqlite would copy the body twice.
                rowid = self.db.execute(
                    "INSERT OR REPLACE INTO feeds (url, etag, last_modified, content_type, body) "
                    "VALUES (?, ?, ?, ?, zeroblob(?))",
                    (url, validators.etag, validators.last_modified, content_type, len(body)),
                ).lastrowid
                with self.db.blobopen("feeds", "body", rowid) as blob:
                    view = memoryview(body)
                    for start in range(0, len(body), FEED_BLOB_CHUNK):
                        blob.write(view[start:start + FEED_BLOB_CHUNK])
            else:
                self.db.execute("DELETE FROM feeds WHERE url = ?", (url,))
