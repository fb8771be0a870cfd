"""End to end: the real `scrapy crawl icmpd_news` against the fixture site on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from devsite.fixture_site import FixtureSite, article_path, expected_blocks
from tests.crawling import PROJECT_ROOT, CrawlResult, run_crawl, validate
from tests.servers import Catcher


def test_crawl_exports_every_article_once(site: FixtureSite, catcher: Catcher, tmp_path: Path) -> None:
    result = run_crawl(f"{site.base}/feed.xml", tmp_path)
    assert result.returncode == 0, result.log[-3000:]
    records = result.records()
    for record in records:
        validate(record)
    by_url = {record["url"]: record for record in records}
    assert len(records) == len(by_url) == 10
    assert set(by_url) == {site.base + article_path(a) for a in site.articles}
    for article in site.articles:
        record = by_url[site.base + article_path(article)]
        assert record["text"].split("\n\n") == expected_blocks(article)
        assert record["title"] == article["title"]
        assert record["category"] == article["category"]
        assert record["title_original"] == f"{article['category']}: {article['title']}"
        assert record["summary"] == article["teaser"]
        assert record["source_feed"] == f"{site.base}/feed.xml"
        assert record["extraction"] == "site"
        assert record["fetched_at"].endswith("+00:00")
    first = by_url[site.base + article_path(site.articles[0])]
    assert first["published"] == "2021-01-18T19:20:06+01:00"
    assert first["authors"] == ["Oleg Chirita", "Diana Stefanescu"]
    # Dead link counted, duplicate and off-site items skipped, the 503 retried, nothing sent elsewhere.
    assert result.stat("icmpd/articles/gone") == 1
    assert result.stat("icmpd/feed/skipped/duplicate") == 1
    assert result.stat("icmpd/feed/skipped/offsite") == 1
    assert result.stat("retry/reason_count/503 Service Unavailable") == 1
    assert catcher.connections == 0
    flaky = next(a for a in site.articles if "flaky_503" in a["faults"])
    assert site.count(article_path(flaky)) == 2
    agents = {headers.get("User-Agent") for _, _, headers in site.requests}
    assert len(agents) == 1 and agents.pop().startswith("icmpd-news/")
    assert site.count("/robots.txt") == 1
    # A clean run: every monitor checks and passes, none is skipped for want of a stat.
    assert result.stat("log_count/ERROR") == 0
    assert result.stat("spidermon/validation/fields/errors") == 0
    assert result.stat("icmpd/monitors/run") == 8
    assert result.stat("icmpd/monitors/skipped") == 0
    assert result.stat("icmpd/monitors/failed") == 0


def test_second_run_adds_no_duplicate(site: FixtureSite, tmp_path: Path) -> None:
    first = run_crawl(f"{site.base}/feed.xml", tmp_path)
    assert first.returncode == 0
    before = first.export.read_bytes()
    second = run_crawl(f"{site.base}/feed.xml", tmp_path)
    assert second.returncode == 0
    assert len(second.records()) == 10
    assert second.stat("icmpd/export/unchanged") == 10
    assert second.export.read_bytes() == before


def test_changed_article_replaces_its_record(site: FixtureSite, tmp_path: Path) -> None:
    assert run_crawl(f"{site.base}/feed.xml", tmp_path).returncode == 0
    site.articles[4]["blocks"].append({"type": "p", "text": "A correction added after publication."})
    site.build()
    second = run_crawl(f"{site.base}/feed.xml", tmp_path)
    records = second.records()
    assert len(records) == 10
    edited = [r for r in records if r["url"] == site.base + article_path(site.articles[4])]
    assert edited[0]["text"].endswith("A correction added after publication.")
    assert second.stat("icmpd/export/updated") == 1
    assert second.stat("icmpd/export/unchanged") == 9


def test_feed_discovered_from_news_page(site: FixtureSite, tmp_path: Path) -> None:
    result = run_crawl(f"{site.base}/news", tmp_path)
    assert result.returncode == 0
    assert len(result.records()) == 10
    assert result.stat("icmpd/feed/discovered_url") == f"{site.base}/feed.xml"


def test_the_offline_demo_run_twice_keeps_each_article_once(tmp_path: Path) -> None:
    """README "Offline demo": the same port every time, so a second run merges into the first."""
    with socket.socket() as sock:  # a free port, so that the test never collides with a demo on 8000
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo = [sys.executable, "-m", "devsite.fixture_site", "--crawl", "--port", str(port), "--output-dir", str(tmp_path)]
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)}
    for _ in range(2):
        done = subprocess.run(demo, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
    records = CrawlResult(0, "", tmp_path).records()
    titles = [record["title"] for record in records]
    assert len(titles) == len(set(titles)) == 10
    assert all(record["url"].startswith(f"http://127.0.0.1:{port}/") for record in records)
    assert " OK (exit status 0); articles requested 11, new 0, updated 0, unchanged 10, " in done.stderr
    usage = subprocess.run([sys.executable, "-m", "devsite.fixture_site", "--help"], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert "the loopback port to serve on (default 8000)" in usage.stdout
