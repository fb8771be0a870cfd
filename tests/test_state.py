"""The state store (icmpd_news/dataset/state.py): validators, redirect chains and last checks kept
between runs in ICMPD_OUTPUT_DIR/state.sqlite3, and what happens when the file is damaged."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from scrapy.http import Headers

from icmpd_news.dataset.state import FEED_BLOB_CHUNK, StateStore, Validators


def test_state_store_forgets_what_the_export_lost(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    legacy, page = "http://127.0.0.1/news-centre/news-detail/a/", "http://127.0.0.1/news/a"
    store.remember_article(page, [legacy, page], page, Validators('"v1"', "Fri, 01 Jan 2021 00:00:00 GMT"))
    other = "http://127.0.0.1/news/b"
    store.remember_article(other, [other], other, Validators('"v2"', None))
    assert store.page_validators(page) == Validators('"v1"', "Fri, 01 Jan 2021 00:00:00 GMT")
    assert store.page_validators(legacy) is None
    assert store.article_for(legacy) == page
    assert store.retain([page]) == 1
    assert store.page_validators(other) is None
    store.forget_validators(page)
    assert store.page_validators(page) is None and store.article_for(legacy) == page
    store.close()


def test_state_store_notes_when_the_site_last_confirmed_a_record(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    legacy, page = "http://127.0.0.1/news-centre/news-detail/a/", "http://127.0.0.1/news/a"
    before = time.time()
    assert store.checked_since(0) == set()
    store.remember_article(page, [legacy, page], page, Validators('"v1"', None))
    assert store.checked_since(before) == {legacy, page}  # exported: both URLs of the chain
    time.sleep(0.01)
    exported = time.time()
    assert store.checked_since(exported) == set()
    store.mark_checked([legacy, page])  # a 304 after the redirect
    assert store.checked_since(exported) == {legacy, page}
    store.forget_validators(page)  # gone: its return must be fetched in full
    assert store.checked_since(0) == set()
    store.close()


def test_state_store_from_before_checked_at_gains_the_column(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / "state.sqlite3")
    old.executescript("CREATE TABLE article_urls (url TEXT PRIMARY KEY, article_url TEXT NOT NULL, etag TEXT, "
                      "last_modified TEXT);"
                      "INSERT INTO article_urls VALUES ('http://127.0.0.1/news/a', 'http://127.0.0.1/news/a', '\"v\"', NULL);")
    old.close()
    store = StateStore(tmp_path)
    assert store.reset_reason is None
    assert store.page_validators("http://127.0.0.1/news/a") == Validators('"v"', None)
    assert store.checked_since(0) == set()  # never confirmed: revalidated on the next run
    store.mark_checked(["http://127.0.0.1/news/a"])
    assert store.checked_since(0) == {"http://127.0.0.1/news/a"}
    store.close()


def test_damaged_state_store_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / "state.sqlite3").write_bytes(b"this is not a database" * 100)
    store = StateStore(tmp_path)
    assert store.reset_reason and "moved to" in store.reset_reason
    assert [p.name.startswith("state.sqlite3.damaged-") for p in tmp_path.iterdir()].count(True) == 1
    store.remember_feed("http://127.0.0.1/feed.xml", Validators('"f"', None), "application/rss+xml", b"<rss/>")
    assert store.feed("http://127.0.0.1/feed.xml").body == b"<rss/>"
    store.close()


def test_page_damage_found_by_quick_check_is_moved_aside(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    for number in range(400):
        store.remember_article(f"http://127.0.0.1/news/{number}", [], f"http://127.0.0.1/news/{number}",
                               Validators(f'"{number}"', None))
    store.close()
    with (tmp_path / "state.sqlite3").open("r+b") as handle:  # the header page stays good
        handle.seek(4096 * 3)
        handle.write(b"\xff" * 4096)
    damaged = StateStore(tmp_path)
    assert damaged.reset_reason and "moved to" in damaged.reset_reason
    assert f"{tmp_path / 'state.sqlite3'} was unreadable (quick_check: *** in database main ***" in damaged.reset_reason
    damaged.close()


def test_unopenable_state_store_is_not_called_damaged(tmp_path: Path) -> None:
    # Not a corrupt file: SQLite cannot open it (SQLITE_CANTOPEN), as on a read-only or full
    # disk. The crawl must say so and leave it where it is.
    (tmp_path / "state.sqlite3").mkdir()
    with pytest.raises(sqlite3.OperationalError, match="^unable to open database file$") as raised:
        StateStore(tmp_path)
    assert raised.value.sqlite_errorcode & 0xFF == sqlite3.SQLITE_CANTOPEN
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.sqlite3"]


def test_failed_state_write_is_rolled_back_and_reported(tmp_path: Path) -> None:
    reported: list[tuple[sqlite3.Error, Path]] = []
    store = StateStore(tmp_path, on_write_error=lambda error, path: reported.append((error, path)))
    store.db.execute("PRAGMA query_only=ON")  # every write now fails as on a read-only file
    store.remember_article("http://127.0.0.1/news/a", ["http://127.0.0.1/old/a"], "http://127.0.0.1/news/a",
                           Validators('"a"', None))
    assert [(error.sqlite_errorcode & 0xFF, path) for error, path in reported] == \
        [(sqlite3.SQLITE_READONLY, tmp_path / "state.sqlite3")]
    store.db.execute("PRAGMA query_only=OFF")
    assert store.article_for("http://127.0.0.1/old/a") is None  # nothing half-written
    store.close()


def test_state_store_keeps_a_feed_body_of_any_size_byte_for_byte(tmp_path: Path) -> None:
    """Feed bodies go in and out by incremental blob I/O, a piece at a time: empty, smaller
    than a piece, and several pieces plus a tail all come back exactly; a new answer replaces
    the old, and one without validators drops it."""
    store = StateStore(tmp_path)
    url = "http://127.0.0.1/feed.xml"
    several_pieces = bytes(range(256)) * (3 * FEED_BLOB_CHUNK // 256) + b"<tail/>"
    for etag, body in (('"a"', b""), ('"b"', b"<rss/>"), ('"c"', several_pieces), ('"d"', b"<rss>short</rss>")):
        store.remember_feed(url, Validators(etag, None), "application/rss+xml", body)
        stored = store.feed(url)
        assert (stored.body, stored.validators, stored.content_type) == (body, Validators(etag, None), "application/rss+xml")
    store.close()
    assert StateStore(tmp_path).feed(url).body == b"<rss>short</rss>"
    store = StateStore(tmp_path)
    store.remember_feed(url, Validators(None, None), None, b"<rss/>")
    assert store.feed(url) is None



def test_state_store_keeps_a_feeds_parsed_entries_until_a_new_copy(tmp_path: Path) -> None:
    """The parsed feed belongs to one stored copy: kept across runs with its entries in order,
    dropped by a new 200 or by a copy dropped; none can be kept for a feed with no stored copy."""
    store = StateStore(tmp_path)
    url, other = "http://127.0.0.1/feed.xml", "http://127.0.0.1/other.xml"

    def kept(url: str) -> tuple[str, list[tuple[str | None, str]]] | None:
        found = store.parsed_feed(url)
        return found and (found[0], list(found[1]))

    store.remember_parsed_feed(other, '{"kind": "rss"}', iter([("http://127.0.0.1/1", '{"n": 1}')]))
    assert kept(other) is None
    store.remember_feed(url, Validators('"a"', None), "application/rss+xml", b"<rss/>")
    entries = [(f"http://127.0.0.1/{n}" if n != 2 else None, f'{{"n": {n}}}') for n in (3, 1, 2, 10)]
    store.remember_parsed_feed(url, '{"kind": "rss"}', iter(entries))
    store.close()
    store = StateStore(tmp_path)
    assert kept(url) == ('{"kind": "rss"}', entries)
    assert store.feed(url).body == b"<rss/>"
    store.remember_parsed_feed(url, '{"kind": "atom"}', iter(entries[:1]))
    assert kept(url) == ('{"kind": "atom"}', entries[:1])
    store.remember_feed(url, Validators('"b"', None), "application/rss+xml", b"<rss>new</rss>")
    assert kept(url) is None
    store.remember_parsed_feed(url, '{"kind": "rss"}', iter(entries))
    store.remember_feed(url, Validators(None, None), None, b"<rss/>")
    assert (store.feed(url), kept(url)) == (None, None)
    store.close()


def test_state_store_moves_entries_out_of_an_older_stores_feed_rows(tmp_path: Path) -> None:
    """A store that kept the entries in the feed's own row opens with that column gone, its feed
    copy intact (the entries are parsed again once)."""
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    db.execute("CREATE TABLE feeds (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, content_type TEXT, "
               "body BLOB NOT NULL, entries TEXT)")
    db.execute("INSERT INTO feeds VALUES ('http://127.0.0.1/feed.xml', '\"a\"', NULL, NULL, x'3c7273732f3e', '{}')")
    db.commit()
    db.close()
    store = StateStore(tmp_path)
    assert "entries" not in {row[1] for row in store.db.execute("PRAGMA table_info(feeds)")}
    assert store.feed("http://127.0.0.1/feed.xml").body == b"<rss/>"
    assert store.parsed_feed("http://127.0.0.1/feed.xml") is None
    store.close()


def test_state_store_drops_parsed_entries_kept_without_their_link(tmp_path: Path) -> None:
    """Entries an older store kept without a link column are dropped with their feed's facts (the
    copy is parsed again once); the feed's copy stays."""
    url = "http://127.0.0.1/feed.xml"
    store = StateStore(tmp_path)
    store.remember_feed(url, Validators('"a"', None), None, b"<rss/>")
    store.db.executescript("DROP TABLE parsed_feed_entries; CREATE TABLE parsed_feed_entries (url TEXT NOT NULL, "
                           "position INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (url, position));")
    store.db.execute("INSERT INTO parsed_feeds VALUES (?, '{}')", (url,))
    store.db.execute("INSERT INTO parsed_feed_entries VALUES (?, 0, '{}')", (url,))
    store.close()
    store = StateStore(tmp_path)
    assert (store.parsed_feed(url), store.feed(url).body) == (None, b"<rss/>")
    store.remember_parsed_feed(url, "{}", iter([("http://127.0.0.1/a", "{}")]))
    assert list(store.parsed_feed(url)[1]) == [("http://127.0.0.1/a", "{}")]
    store.close()

def test_validators_are_read_from_the_response_headers() -> None:
    headers = Headers({"ETag": ' "v1" ', "Last-Modified": "Fri, 01 Jan 2021 00:00:00 GMT"})
    assert Validators.from_headers(headers) == Validators('"v1"', "Fri, 01 Jan 2021 00:00:00 GMT")
    assert Validators.from_headers(Headers({"ETag": "  "})) == Validators(None, None)
    assert not Validators(None, None) and Validators(None, "x") and Validators('"e"', None)


def test_a_store_in_a_new_folder_that_forgets_nothing(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "new" / "output")
    url = "http://127.0.0.1/news/a"
    store.remember_article(url, [url], url, Validators('"a"', None))
    assert store.retain([url, "http://127.0.0.1/news/not-in-the-state"]) == 0
    assert store.page_validators(url) == Validators('"a"', None)
    store.close()
