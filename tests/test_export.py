"""The export pipeline (icmpd_news/pipelines/export.py) in-process: each change kind merged into
articles.jsonl and written to the run's change file; a gone article marked removed once."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from icmpd_news.dataset.jsonl import read_records, write_atomic
from icmpd_news.extensions.crawl_run import CrawlRun
from icmpd_news.extract import EXTRACTOR_VERSION
from icmpd_news.loaders import content_hash
from icmpd_news.pipelines.export import JsonLinesExportPipeline
from tests.crawling import project_crawler

URL = "http://127.0.0.1:8000/news/a"


def article(text: str, fetched_at: str) -> dict:
    return {"url": URL, "title": "A", "text": text, "content_hash": content_hash(text), "fetched_at": fetched_at}


def run(output: Path, work) -> tuple[list[dict], list[dict], dict]:
    """One run of the pipeline on `output`: work(pipeline) between open and close; the export,
    the run's change file and the stats after it."""
    crawler = project_crawler(output)
    pipeline = JsonLinesExportPipeline.from_crawler(crawler)
    pipeline.open_spider()
    work(pipeline)
    pipeline.close_spider()
    crawl_run = crawler.get_extension(CrawlRun)
    crawl_run.engine_stopped()
    changes = output / "runs" / f"{crawl_run.run_id}.jsonl"
    return read_records(output / "articles.jsonl")[0], [json.loads(line) for line in changes.read_text().splitlines()], \
        crawler.stats.get_stats()


def test_new_unchanged_updated_gone_and_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    first = article("Text.", "2026-01-01T00:00:00+00:00")
    export, changes, stats = run(tmp_path, lambda p: p.process_item(dict(first)))
    new = first | {"first_seen": first["fetched_at"], "updated_at": None, "version": 1, "removed": False,
                   "removed_at": None}
    assert export == changes == [new]
    assert (stats["icmpd/export/new"], stats["icmpd/export/records"]) == (1, 1)

    export, changes, stats = run(tmp_path, lambda p: p.process_item(article("Text.", "2026-01-02T00:00:00+00:00")))
    assert (export, changes, stats["icmpd/export/unchanged"]) == ([new], [], 1)

    edited = article("Text, corrected.", "2026-01-03T00:00:00+00:00")
    export, changes, _ = run(tmp_path, lambda p: p.process_item(dict(edited)))
    updated = edited | {"first_seen": new["first_seen"], "updated_at": edited["fetched_at"], "version": 2,
                        "removed": False, "removed_at": None}
    assert export == changes == [updated]

    # Gone: marked removed once, however often the page answers 404/410 in the run and after.
    def gone_twice(pipeline: JsonLinesExportPipeline) -> None:
        pipeline.article_gone([URL], 410)
        pipeline.article_gone([URL], 404)

    export, changes, stats = run(tmp_path, gone_twice)
    removed = export[0]
    assert (removed["removed"], removed["version"], removed["text"]) == (True, 3, "Text, corrected.")
    assert changes == [removed] and stats["icmpd/export/removed"] == 1
    export, changes, stats = run(tmp_path, lambda p: p.article_gone([URL], 410))
    assert (export, changes, stats.get("icmpd/export/removed")) == ([removed], [], None)
    assert f"article {URL} still answers HTTP 410: stays marked removed" in caplog.text

    export, changes, stats = run(tmp_path, lambda p: p.process_item(article("Text, corrected.", "2026-01-05T00:00:00+00:00")))
    assert export == changes == [updated | {"version": 4}]
    assert stats["icmpd/export/restored"] == 1


def test_a_page_never_exported_that_is_gone_leaves_no_record(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    export, changes, stats = run(tmp_path, lambda p: p.article_gone([URL], 404))
    assert (export, changes, stats.get("icmpd/export/removed")) == ([], [], None)
    assert f"{URL} answered HTTP 404 and was never exported: no record" in caplog.text


def opened(output: Path) -> tuple[JsonLinesExportPipeline, dict, dict]:
    """The pipeline opened on `output` and closed again: it, the stats and the records an older
    extraction produced (CrawlRun.outdated)."""
    crawler = project_crawler(output)
    pipeline = JsonLinesExportPipeline.from_crawler(crawler)
    pipeline.open_spider()
    records = {url: pipeline.spool.get(entry) for url, entry in pipeline.records.items()}
    outdated = dict(crawler.get_extension(CrawlRun).outdated)
    pipeline.close_spider()
    crawler.get_extension(CrawlRun).engine_stopped()
    return records, crawler.stats.get_stats(), outdated


def test_the_export_this_crawler_wrote_is_read_through_its_index_and_a_changed_one_parsed(tmp_path: Path) -> None:
    """What the index gives at start (records, transient holes, older extractions) is what parsing
    the file gives; an export changed by another hand, even by its modification time alone, is
    parsed again, and the change is kept."""
    hole = article("With a file that failed.", "2026-01-01T00:00:00+00:00") | {
        "published": "2026-01-01T09:00:00+00:00", "extractor_version": EXTRACTOR_VERSION,
        "images": [{"url": "http://127.0.0.1:8000/a.png", "status": "failed", "transient": True}],
    }
    older = article("Extracted by version 1.", "2026-01-01T00:00:00+00:00") | {
        "url": URL + "-older", "extractor_version": 1,
        "archive": {"file": "warc/gone.warc.gz", "offset": 0, "record_id": "<urn:uuid:0>"},
    }
    written, _, _ = run(tmp_path, lambda p: (p.process_item(dict(hole)), p.process_item(dict(older))))
    export = tmp_path / "articles.jsonl"
    raw = export.read_bytes()

    indexed = opened(tmp_path)
    assert indexed[1]["icmpd/export/indexed"] == 1
    assert indexed[0] == {record["url"]: record for record in written}
    assert (indexed[1]["icmpd/export/transient_holes"], indexed[2]) == (1, {older["url"]: None})
    assert export.read_bytes() == raw

    os.utime(export, ns=(export.stat().st_atime_ns, export.stat().st_mtime_ns + 1_000_000))
    parsed = opened(tmp_path)
    assert "icmpd/export/indexed" not in parsed[1]
    assert (parsed[0], parsed[1]["icmpd/export/transient_holes"], parsed[2]) == (indexed[0], 1, indexed[2])
    assert opened(tmp_path)[1]["icmpd/export/indexed"] == 1  # parsed once, indexed again

    edited = [record | {"title": "Edited by hand"} if record["url"] == URL else record for record in written]
    write_atomic(export, edited)
    by_hand = opened(tmp_path)
    assert "icmpd/export/indexed" not in by_hand[1]
    assert by_hand[0][URL]["title"] == "Edited by hand"
    assert read_records(export) == (edited, 0)
