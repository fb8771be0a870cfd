"""Downstream: the export loads into pandas and DuckDB with the right types, as the README's
examples do (dates as timezone-aware timestamps, lists as lists, nested objects as structs)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from devsite.fixture_site import FixtureSite, article_path
from tests.crawling import run_crawl


def test_export_loads_into_pandas_and_duckdb(site: FixtureSite, tmp_path: Path) -> None:
    result = run_crawl(f"{site.base}/feed.xml", tmp_path)
    assert result.returncode == 0
    export = result.export
    first_url = site.base + article_path(site.articles[0])  # published 2021-01-18T19:20:06+01:00

    # pandas, as in the README: published parsed with its offset, to UTC.
    frame = pd.read_json(export, lines=True)
    frame["published"] = pd.to_datetime(frame["published"], format="ISO8601", utc=True)
    assert len(frame) == 10
    assert isinstance(frame["published"].dtype, pd.DatetimeTZDtype)
    assert isinstance(frame["fetched_at"].dtype, pd.DatetimeTZDtype)
    row = frame.set_index("url").loc[first_url]
    assert row["published"] == pd.Timestamp("2021-01-18T18:20:06Z")
    assert row["authors"] == ["Oleg Chirita", "Diana Stefanescu"]
    for column in ("authors", "images", "attachments", "links"):
        assert all(isinstance(value, list) for value in frame[column])
    assert all({"url", "alt", "caption"} <= set(image) for images in frame["images"] for image in images)
    assert frame["word_count"].dtype.kind == "i"

    # DuckDB, as in the README: read_json infers the types from the lines.
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    relation = connection.read_json(str(export), format="newline_delimited")
    types = dict(zip(relation.columns, map(str, relation.types)))
    assert types["published"] == "TIMESTAMP WITH TIME ZONE"
    assert types["fetched_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["authors"] == "VARCHAR[]"
    assert types["images"].startswith("STRUCT(url VARCHAR, alt VARCHAR, caption VARCHAR")
    assert types["attachments"].startswith("STRUCT(url VARCHAR, title VARCHAR")
    assert types["images"].endswith(")[]") and types["attachments"].endswith(")[]")
    assert types["word_count"] == "BIGINT"
    published, authors, attachments = connection.execute(
        "SELECT published, authors, len(attachments) FROM read_json(?, format = 'newline_delimited') WHERE url = ?",
        [str(export), first_url],
    ).fetchone()
    assert published == datetime(2021, 1, 18, 18, 20, 6, tzinfo=timezone.utc)
    assert authors == ["Oleg Chirita", "Diana Stefanescu"]
    assert attachments == len(site.articles[0]["downloads"]) + sum(
        1 for link in site.articles[0]["inline_links"] if link["href"].startswith("/fileadmin/"))
