"""The JSON Lines store: atomic replacement, exact round trip, invalid lines kept aside, the spool
that holds a copy of the export and the records a run adds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from icmpd_news.dataset.jsonl import RecordSpool, read_records, sort_key, write_atomic


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


def test_write_atomic_tells_where_each_line_went(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    records = [{"url": "http://127.0.0.1/a", "title": "Pınar"}, {"url": "http://127.0.0.1/b", "text": "x\n\ny"}]
    placed: list[tuple[str, int, int]] = []
    write_atomic(path, records, lambda record, offset, length: placed.append((record["url"], offset, length)))
    raw = path.read_bytes()
    assert [json.loads(raw[offset:offset + length]) for _, offset, length in placed] == records
    assert [url for url, _, _ in placed] == ["http://127.0.0.1/a", "http://127.0.0.1/b"]
    assert placed[-1][1] + placed[-1][2] == len(raw)


def test_spool_copy_gives_each_record_with_its_place_in_the_file(tmp_path: Path) -> None:
    """Lines a hand or another tool may leave: a byte-order mark, CRLF, blank lines, an invalid line,
    no line break at the end. Each record's place in the file reads back as that record, and the
    records put after the copy are not among its lines."""
    path = tmp_path / "articles.jsonl"
    raw = ('\ufeff{"url": "a", "n": 1}\r\n\n{"url": "b", "n": 2}\n  \n{"url": \n[3]\n{"url": "é", "n": 3}').encode()
    path.write_bytes(raw)
    spool = RecordSpool(tmp_path / "spool")
    identity = spool.copy_of(path)
    assert identity is not None and identity.endswith(f":{len(raw)}:{path.stat().st_mtime_ns}")
    placed = list(spool.lines())
    assert [record for record, _, _ in placed] == [{"url": "a", "n": 1}, {"url": "b", "n": 2}, None, None,
                                                   {"url": "é", "n": 3}]
    for record, offset, length in placed:
        if record is not None:
            assert spool.get((sort_key(record), offset, length)) == record
    assert raw[placed[1][1]:placed[1][1] + placed[1][2]] == b'{"url": "b", "n": 2}\n'
    entry = spool.put({"url": "c", "n": 4})
    assert spool.get(entry) == {"url": "c", "n": 4}
    assert [record for record, _, _ in spool.lines()] == [record for record, _, _ in placed]
    spool.close()


def test_spool_copy_of_no_file(tmp_path: Path) -> None:
    spool = RecordSpool(tmp_path)
    assert spool.copy_of(tmp_path / "articles.jsonl") is None
    assert list(spool.lines()) == []
    assert spool.get(spool.put({"url": "a"})) == {"url": "a"}
    spool.close()
