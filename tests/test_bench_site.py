"""The benchmark's site (bench/site.py) is reproducible: the same inputs give the same bytes,
and a site restarted with the same seed on the same port is, to our crawler, the site it has
already crawled (a scheduled re-run fetches no article, image or PDF again)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.site import build_site
from devsite.crawl import PROJECT_ROOT
from tests.crawling import NO_RENDER, run_crawl

ARTICLES = 12
BASE = "http://127.0.0.1:8000"


def test_same_inputs_give_the_same_bytes_on_every_path() -> None:
    first, again = build_site(ARTICLES, BASE, seed=7), build_site(ARTICLES, BASE, seed=7)
    assert first.keys() == again.keys()
    assert len(first) == 2 + ARTICLES * 3 + ARTICLES // 2  # robots, feed; page, image, PDF each; the 301s
    for path, resource in first.items():
        assert resource == again[path], path
    page = first["/robots.txt"].response.decode()
    assert '\r\nETag: "' in page and "\r\nLast-Modified: " in page


def test_another_seed_gives_other_pages() -> None:
    zero, one = build_site(ARTICLES, BASE, seed=0), build_site(ARTICLES, BASE, seed=1)
    assert zero.keys() == one.keys()  # the same articles, slugs and files
    pages = [path for path, resource in zero.items() if resource.kind in ("page", "feed")]
    assert len(pages) == ARTICLES + 1
    for path in pages:
        assert zero[path].response != one[path].response, path
        assert zero[path].etag != one[path].etag, path


@contextmanager
def bench_site(seed: int, port: int = 0) -> Iterator[tuple[str, int]]:
    """bench/site.py in its own process on 127.0.0.1, its URLs naming 127.0.0.1: (feed URL, port)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.site", "--articles", str(ARTICLES), "--seed", str(seed),
         "--host", "127.0.0.1", "--port", str(port), "--name", "127.0.0.1"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        ready = process.stdout.readline().split()
        assert ready and ready[0] == "READY", "bench/site.py did not start"
        yield f"{ready[1]}/feed.xml", int(ready[1].rsplit(":", 1)[1])
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def served(feed_url: str) -> dict[str, int]:
    """The site's requests so far, by kind of resource."""
    with urllib.request.urlopen(feed_url.replace("/feed.xml", "/_bench/stats"), timeout=10) as answer:
        return json.load(answer)["requests"]


def test_a_restarted_site_is_the_site_already_crawled(tmp_path: Path) -> None:
    with bench_site(seed=3) as (feed, port):
        first = run_crawl(feed, tmp_path, NO_RENDER)
        counts = served(feed)
    assert first.returncode == 0, first.log[-2000:]
    assert len(first.records()) == ARTICLES
    assert (counts["page"], counts["image"], counts["pdf"]) == (ARTICLES, ARTICLES, ARTICLES)

    with bench_site(seed=3, port=port) as (again, _):
        assert again == feed
        second = run_crawl(feed, tmp_path, NO_RENDER)
        counts = served(feed)
    assert second.returncode == 0, second.log[-2000:]
    assert {kind: counts[kind] for kind in ("page", "redirect", "image", "pdf")} == dict.fromkeys(
        ("page", "redirect", "image", "pdf"), 0)
    assert counts["not_modified"] == 1  # the feed
    assert second.stat("icmpd/run/unchanged") == ARTICLES
    assert [second.stat(f"icmpd/run/{name}") for name in ("new", "updated", "failed")] == [0, 0, 0]
