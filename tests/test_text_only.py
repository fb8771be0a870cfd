"""ICMPD_TEXT_ONLY: the same articles as a full crawl, no image or attachment fetched, and a folder a
full crawl filled keeps the files it stored."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from devsite.fixture_site import FixtureSite
from tests.crawling import NO_RENDER, run_crawl, validate

TEXT_ONLY = "ICMPD_TEXT_ONLY=True"
# What extraction gives of each entry (the rest are file keys, set by the media pipelines).
FOUND_KEYS = {"images": ("url", "alt", "caption"), "attachments": ("url", "title")}
# Set by the run, not by the page.
RUN_FIELDS = ("fetched_at", "first_seen", "archive", "images", "attachments")


def file_paths(records: list[dict]) -> set[str]:
    return {urlsplit(entry["url"]).path for record in records for field in FOUND_KEYS for entry in record[field]}


def found_part(record: dict) -> dict:
    """The record's media entries as extraction found them, without file keys."""
    return {field: [{key: entry[key] for key in keys} for entry in record[field]] for field, keys in FOUND_KEYS.items()}


def answered_paths(site: FixtureSite, since: int) -> set[str]:
    return {path.split("?", 1)[0] for path, _ in site.answers[since:]}


def test_a_text_only_crawl_exports_the_same_articles_and_fetches_no_file(site: FixtureSite, tmp_path: Path) -> None:
    full = run_crawl(f"{site.base}/feed.xml", tmp_path / "full", NO_RENDER)
    assert full.returncode == 0, full.log[-3000:]
    full_records = {record["url"]: record for record in full.records()}
    files = file_paths(list(full_records.values()))
    assert len(files) >= 10  # the fixture articles have images and attachments to leave out
    before = len(site.answers)

    text = run_crawl(f"{site.base}/feed.xml", tmp_path / "text", NO_RENDER, TEXT_ONLY)
    assert text.returncode == 0, text.log[-3000:]
    assert answered_paths(site, before) & files == set()
    assert not (tmp_path / "text" / "files").exists()
    assert "PDF" not in text.log
    records = {record["url"]: record for record in text.records()}
    assert records.keys() == full_records.keys()
    for url, record in records.items():
        validate(record)
        expected = full_records[url]
        assert {k: v for k, v in record.items() if k not in RUN_FIELDS} == \
               {k: v for k, v in expected.items() if k not in RUN_FIELDS}
        assert {field: record[field] for field in FOUND_KEYS} == found_part(expected)


def test_a_text_only_run_on_a_full_crawls_folder_keeps_its_files(site: FixtureSite, tmp_path: Path) -> None:
    full = run_crawl(f"{site.base}/feed.xml", tmp_path, NO_RENDER)
    assert full.returncode == 0, full.log[-3000:]
    exported = full.export.read_bytes()
    stored = sorted(path.relative_to(tmp_path) for path in (tmp_path / "files").rglob("*") if path.is_file())
    assert stored
    # Without the validators every page is fetched and extracted again, unconditionally.
    (tmp_path / "state.sqlite3").unlink()
    before = len(site.answers)

    text = run_crawl(f"{site.base}/feed.xml", tmp_path, NO_RENDER, TEXT_ONLY)
    assert text.returncode == 0, text.log[-3000:]
    assert answered_paths(site, before) & file_paths(full.records()) == set()
    assert text.stat("icmpd/export/unchanged") == len(full.records())
    assert text.stat("icmpd/export/updated") is None
    # Every record as the full crawl left it, each file still listed with its path and checksum, and there.
    assert text.export.read_bytes() == exported
    assert sorted(path.relative_to(tmp_path) for path in (tmp_path / "files").rglob("*") if path.is_file()) == stored
