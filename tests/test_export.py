"""The export pipeline (icmpd_news/pipelines/export.py) in-process: each change kind merged into
articles.jsonl and written to the run's change file; a gone article marked removed once."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from icmpd_news.dataset.jsonl import read_records
from icmpd_news.extensions.crawl_run import CrawlRun
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
