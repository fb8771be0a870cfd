"""The JSON Lines store: atomic replacement, exact round trip, invalid lines kept aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from icmpd_news.dataset.jsonl import read_records, write_atomic


def test_round_trip_is_utf8_one_object_per_line(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    records = [{"title": "Pınar Yapanoğlu", "url": "http://127.0.0.1/a"}, {"url": "http://127.0.0.1/b", "text": "x\n\ny"}]
    assert write_atomic(path, records) == 2
    raw = path.read_bytes()
    assert "Pınar".encode() in raw
    lines = raw.decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"url": "http://127.0.0.1/a", "title": "Pınar Yapanoğlu"}, records[1]]
    assert lines[0].startswith('{"url":')
    assert read_records(path) == ([json.loads(line) for line in lines], 0)
    assert [p.name for p in tmp_path.iterdir()] == ["articles.jsonl"]


def test_invalid_lines_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text('{"url": "a"}\n{"url": "b"\n\n[1, 2]\n{"url": "c"}\n', encoding="utf-8")
    records, invalid = read_records(path)
    assert [r["url"] for r in records] == ["a", "c"]
    assert invalid == 2


def test_failed_write_leaves_old_file(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    write_atomic(path, [{"url": "a"}])

    def broken():
        yield {"url": "b"}
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed mid-write"):
        write_atomic(path, broken())
    assert read_records(path) == ([{"url": "a"}], 0)
    assert [p.name for p in tmp_path.iterdir()] == ["articles.jsonl"]
