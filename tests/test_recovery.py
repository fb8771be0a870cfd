"""Recovery (icmpd_news/dataset/recovery.py): what killed crawls left in ICMPD_OUTPUT_DIR is taken
over before anything else reads the folder: journals merged into the export and written as
their runs' change files, unfinished writes deleted."""

from __future__ import annotations

import json
from pathlib import Path

from icmpd_news.dataset.jsonl import read_records, write_atomic
from icmpd_news.dataset.recovery import Recovery, journal_path, recover


def record(slug: str, version: int = 1, published: str = "2021-01-01T00:00:00+00:00") -> dict:
    return {"url": f"http://127.0.0.1:8000/news/{slug}", "published": published, "version": version}


def journal(runs: Path, run_id: str, records: list[dict], torn: str = "") -> Path:
    path = journal_path(runs, run_id)
    runs.mkdir(exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + torn, encoding="utf-8")
    return path


def test_journals_are_merged_in_run_order_and_become_change_files(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_atomic(tmp_path / "articles.jsonl", [record("a"), record("b")])
    journal(runs, "20260101T000000Z", [record("b", 2), record("c", 1, "2021-02-01T00:00:00+00:00")],
            torn='{"url": "http://127.0.0.1:8000/news/d", "ver')
    journal(runs, "20260102T000000Z", [record("b", 3)])
    (tmp_path / ".articles.jsonl.x1y2.tmp").write_text('{"url": "half', encoding="utf-8")
    (runs / ".20260101T000000Z.jsonl.z9.tmp").write_text("", encoding="utf-8")
    (tmp_path / "articles.jsonl.tmp").write_text("not ours", encoding="utf-8")  # not a temporary file of ours

    result = recover(tmp_path, runs)

    assert result == Recovery(deleted=[tmp_path / ".articles.jsonl.x1y2.tmp", runs / ".20260101T000000Z.jsonl.z9.tmp"],
                              recovered={"20260101T000000Z": 2, "20260102T000000Z": 1}, torn_lines=1, invalid_lines=0)
    # Newest first, then by URL; the later run's version wins.
    assert read_records(tmp_path / "articles.jsonl") == ([record("c", 1, "2021-02-01T00:00:00+00:00"), record("a"),
                                                         record("b", 3)], 0)
    assert read_records(runs / "20260101T000000Z.jsonl") == ([record("c", 1, "2021-02-01T00:00:00+00:00"),
                                                             record("b", 2)], 0)
    assert read_records(runs / "20260102T000000Z.jsonl") == ([record("b", 3)], 0)
    assert sorted(p.name for p in runs.iterdir()) == ["20260101T000000Z.jsonl", "20260102T000000Z.jsonl"]
    assert (tmp_path / "articles.jsonl.tmp").read_text() == "not ours"
    # Done once: a second recovery finds nothing to do.
    assert recover(tmp_path, runs) == Recovery()


def test_an_invalid_export_line_is_kept_aside_before_the_merge(tmp_path: Path) -> None:
    export = tmp_path / "articles.jsonl"
    export.write_text(json.dumps(record("a")) + "\nnot json\n", encoding="utf-8")
    journal(tmp_path / "runs", "20260101T000000Z", [record("b")])
    result = recover(tmp_path, tmp_path / "runs")
    assert (result.invalid_lines, result.recovered) == (1, {"20260101T000000Z": 1})
    assert read_records(export) == ([record("a"), record("b")], 0)
    kept = list(tmp_path.glob("articles.jsonl.invalid-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8").endswith("not json\n")


def test_nothing_to_recover(tmp_path: Path) -> None:
    assert recover(tmp_path, tmp_path / "runs") == Recovery()
    assert list(tmp_path.iterdir()) == []  # no export written, no folder made
