"""Hostile and broken feeds, and the run outcome: real `scrapy crawl` runs on loopback.

Every case is its own crawl of its own feed on one FaultServer; the crawls run side by side
(tests/crawl_runner.py) so the module costs a few seconds, and each test asserts one case.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from devsite.crawl import scrapy_command
from tests.crawling import NO_RENDER, Crawls, MeasuredCrawl, crawl_command
from tests.hostile_pages import article_text, page, page_date, rss
from tests.servers import Catcher, FaultServer, Reply

SECRET = "XXE-SECRET-7f3a9c"
LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


def _ok_routes(server: FaultServer, count: int) -> list[tuple[str, str, str]]:
    """`count` good articles at /news/ok-<n>; returns their feed items."""
    items = []
    for n in range(count):
        server.routes[f"/news/ok-{n}"] = [Reply(body=page(n, server.base).encode())]
        items.append((f"Project News: ok {n}", f"{server.base}/news/ok-{n}", "Mon, 18 Jan 2021 19:20:06 +0100"))
    return items


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, MeasuredCrawl]]:
    """Start one crawl per feed case at once; yield their results by case name."""
    root = tmp_path_factory.mktemp("hostile_feeds")
    secret_file = root / "secret.txt"
    secret_file.write_text(SECRET)
    other, private = Catcher("127.0.0.2"), Catcher("127.0.0.3")
    with FaultServer() as server:
        base = server.base
        ok = _ok_routes(server, 5)
        feeds = {
            # Bare "&", undefined HTML entities, a Latin-1 byte in UTF-8, no closing tags.
            "recovered": (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t&nbsp;x</title>'
                          b"<item><title>Migration & Asylum: caf\xe9 &nbsp;</title><link>/news/ok-0</link>"
                          b"<description>teaser &eacute;...</description></item>"
                          b"<item><title>B</title><link>/news/ok-1</link></item>"),
            "unrecoverable": b"<<<\x00 this is not XML >>>",
            "xxe": rss([("A &xxe; B", "/news/ok-0", None)],
                       prolog=f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret_file}">]>').replace(b"&amp;xxe;", b"&xxe;"),
            "laughs": rss([("&lol9;", "/news/ok-0", None)], prolog=LAUGHS).replace(b"&amp;lol9;", b"&lol9;"),
            "empty_feed": rss([]),
            "items": rss([
                ("No link at all", None, "Mon, 18 Jan 2021 19:20:06 +0100"),
                ("Relative link", "/news/relative", "Mon, 18 Jan 2021 19:20:06 +0100"),
                ("Odd date", "/news/odd-date", "Thursday, the 31st of Smarch"),
                ("No date", "/news/no-date", None),
                ("A local file", f"file://{secret_file}", None),
                ("Inline data", "data:text/html,<p>inline</p>", None),
                ("FTP", f"ftp://{other.base.split('//')[1]}/news.txt", None),
                ("Another host", f"{other.base}/news/elsewhere", None),
                ("A private address", f"{private.base}/latest/meta-data/", None),
                ("IPv6 loopback", f"http://[::1]:{server.base.rsplit(':', 1)[1]}/news/ok-0", None),
            ]),
            "one_in_five_fails": rss(ok[1:5] + [("Slow", "/news/slow", None)]),
        }
        for name, body in feeds.items():
            server.routes[f"/feeds/{name}.xml"] = [Reply(body=body, content_type="application/rss+xml")]
        server.routes["/feeds/html.xml"] = [Reply(body=b"<!DOCTYPE html><html><head><title>News</title></head>"
                                                       b"<body><h1>News</h1><p>No feed here.</p></body></html>")]
        server.routes["/feeds/advertised_offsite.xml"] = [Reply(body=(
            f'<html><head><link rel="alternate" type="application/rss+xml" href="{other.base}/feed.xml"></head>'
            "<body><h1>News</h1></body></html>").encode())]
        server.routes["/feeds/redirect_offsite.xml"] = [Reply(status=302, headers=[("Location", f"{private.base}/feed.xml")])]
        server.routes["/feeds/empty_body.xml"] = [Reply(body=b"", content_type="application/rss+xml")]
        server.routes["/feeds/json.xml"] = [Reply(body=b'{"items": []}', content_type="application/json")]
        server.routes["/news/relative"] = [Reply(body=page(5, base).encode())]
        server.routes["/news/odd-date"] = [Reply(body=page(6, base).encode())]
        server.routes["/news/no-date"] = [Reply(body=page(7, base).encode())]
        # Far longer than the 1 s timeout, so that even a reactor stalled by a busy machine times out.
        server.routes["/news/slow"] = [Reply(body=page(8, base).encode(), delay=60)]
        runner = Crawls(timeout=300)  # a hang guard only: the machine may be busy
        for name in [*feeds, "html", "empty_body", "json", "missing", "advertised_offsite", "redirect_offsite"]:
            extra = ["DOWNLOAD_TIMEOUT=1", "ICMPD_RETRY_BACKOFF_BASE=0.5"] if name == "one_in_five_fails" else []
            runner.start(name, crawl_command(f"{base}/feeds/{name}.xml", root / name, NO_RENDER, *extra), root / name)
        # A memory limit no crawl can meet: MemoryUsage stops the crawl at its first check.
        runner.start("memory_limit", crawl_command(f"{base}/feeds/recovered.xml", root / "memory_limit",
                                                   NO_RENDER, "MEMUSAGE_LIMIT_MB=1"), root / "memory_limit")
        # Scrapyd runs `python -m scrapyd.runner crawl <spider> ...` with SCRAPY_PROJECT set, and
        # SCRAPY_SETTINGS_MODULE from the deployed egg's entry point (scrapyd.runner.activate_egg).
        command = scrapy_command("crawl", "icmpd_news", arguments=[f"feed_url={base}/feeds/empty_body.xml"],
                                 settings=[f"ICMPD_OUTPUT_DIR={root / 'scrapyd'}"],
                                 scrapy=(sys.executable, "-m", "scrapyd.runner"))
        runner.start("scrapyd", command, root / "scrapyd",
                     env={"SCRAPY_PROJECT": "icmpd_news", "SCRAPY_SETTINGS_MODULE": "icmpd_news.settings"})
        results = runner.results()
        results["_hits"] = server.hits  # type: ignore[assignment]
        results["_catchers"] = (other.connections, private.connections)  # type: ignore[assignment]
        yield results
    other.close()
    private.close()


def _error_lines(result: MeasuredCrawl) -> list[str]:
    # The spider's own error lines (the run summary and Spidermon's monitors report the same failure).
    return [line for line in result.log.splitlines() if "[icmpd_news] ERROR:" in line and "[Spidermon]" not in line]


def _everything_written(result: MeasuredCrawl) -> str:
    return result.log + "".join(p.read_text(errors="replace") for p in result.output_dir.rglob("*") if p.is_file())


def test_malformed_feed_is_recovered(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["recovered"]
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("icmpd/feed/recovered") == 1
    assert "is malformed XML; recovered 2 entries" in result.log
    assert sorted(r["text"] for r in result.records()) == sorted([article_text(0), article_text(1)])


def test_unrecoverable_feed_fails_with_one_clear_error(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["unrecoverable"]
    assert result.returncode == 1
    errors = _error_lines(result)
    assert len(errors) == 1 and "is unusable: not well-formed XML" in errors[0]
    assert result.records() == []


def test_external_entity_never_leaks_the_file(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["xxe"]
    assert result.returncode == 1
    assert "declares 1 XML entities (xxe)" in result.log
    assert SECRET not in _everything_written(result)
    assert result.stat("icmpd/run/outcome") == "failed"


def test_entity_expansion_is_refused_with_bounded_memory(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["laughs"]
    assert result.returncode == 1
    assert "declares 10 XML entities (lol, lol1, lol2, lol3, lol4, ...)" in result.log
    assert "lollollol" not in result.log
    # Expanded, the ten levels would be 3 GB of "lol"; a crawl of nothing stays near 100 MiB.
    assert result.max_rss_mib < 300


@pytest.mark.parametrize(("case", "reason"), [
    ("html", "not a feed: the document's root element is <html>"),
    ("empty_body", "empty body"),
    ("json", "not a feed: the body looks like JSON"),
])
def test_not_a_feed_fails_the_run(crawls: dict[str, MeasuredCrawl], case: str, reason: str) -> None:
    result = crawls[case]
    assert result.returncode == 1
    errors = _error_lines(result)
    assert len(errors) == 1 and "is unusable: " + reason in errors[0]
    assert result.stat("icmpd/feed/error") == 1


def test_unreachable_feed_fails_the_run(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["missing"]
    assert result.returncode == 1
    assert "could not be fetched: answered HTTP 404" in result.log
    assert "outcome: FAILED (exit status 1): feed " in result.log


def test_feed_advertised_or_redirected_off_the_site_is_not_followed(crawls: dict[str, MeasuredCrawl]) -> None:
    advertised, redirected = crawls["advertised_offsite"], crawls["redirect_offsite"]
    assert advertised.returncode == 1 and redirected.returncode == 1
    assert "advertises a feed off the site, http://127.0.0.2:" in advertised.log
    assert "/feeds/redirect_offsite.xml redirected off the site to http://127.0.0.3:" in redirected.log
    assert crawls["_catchers"] == (0, 0)


def test_crawl_stopped_by_the_memory_limit_fails_the_run(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["memory_limit"]
    assert result.returncode == 1
    assert result.stat("finish_reason") == "memusage_exceeded"
    assert "outcome: FAILED (exit status 1): the crawl stopped before finishing (memusage_exceeded)" in result.log


def test_empty_feed_warns_and_succeeds(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["empty_feed"]
    assert result.returncode == 0
    assert "lists no entries: nothing to crawl" in result.log
    assert result.stat("icmpd/feed/entries") == 0
    assert result.records() == []


def test_items_without_link_are_skipped_and_relative_links_resolved(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["items"]
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("icmpd/feed/skipped/no_link") == 1
    assert "feed entry 'No link at all' has no link: skipped" in result.log
    urls = {r["url"] for r in result.records()}
    base = result.stat("icmpd/feed/url").rsplit("/feeds/", 1)[0]
    assert urls == {f"{base}/news/relative", f"{base}/news/odd-date", f"{base}/news/no-date"}


def test_odd_or_missing_dates_fall_back_to_the_page(crawls: dict[str, MeasuredCrawl]) -> None:
    by_url = {r["url"].rsplit("/", 1)[1]: r for r in crawls["items"].records()}
    assert by_url["odd-date"]["published"] == page_date(6)
    assert by_url["no-date"]["published"] == page_date(7)
    assert by_url["relative"]["published"] == "2021-01-18T19:20:06+01:00"


def test_links_to_other_schemes_hosts_and_addresses_are_never_fetched(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["items"]
    assert result.stat("icmpd/feed/skipped/scheme") == 3
    assert result.stat("icmpd/feed/skipped/offsite") == 3
    for scheme in ("file", "data", "ftp"):
        assert f"is a {scheme}: URL, not http(s): never fetched" in result.log
    assert "[::1]" in result.log and "127.0.0.3" in result.log
    assert crawls["_catchers"] == (0, 0)
    assert SECRET not in _everything_written(result)
    assert result.stat("icmpd/articles/requested") == 3


def test_timeouts_are_retried_then_failed_within_share(crawls: dict[str, MeasuredCrawl]) -> None:
    result = crawls["one_in_five_fails"]
    # Three tries in all (RETRY_TIMES 2); the backoff between them is asserted on 5xx answers,
    # which come back at once (tests/test_hostile_pages.py).
    assert [hit.path for hit in crawls["_hits"]].count("/news/slow") == 3
    assert result.stat("icmpd/articles/failed/timeout") == 1
    assert len(result.records()) == 4
    # One failure in five is 20 %: not more than ICMPD_MAX_FAILED_SHARE, so the run succeeds.
    assert result.returncode == 0
    assert "outcome: OK (exit status 0): 1 of 5 articles failed (20%), within ICMPD_MAX_FAILED_SHARE" in result.log


def test_scrapyd_runner_gets_the_same_exit_status(crawls: dict[str, MeasuredCrawl]) -> None:
    # Scrapyd logs a job whose process exits non-zero as "Process died: exitstatus=1".
    result = crawls["scrapyd"]
    assert result.returncode == 1, result.log[-2000:]
    assert "is unusable: empty body" in result.log
    assert "outcome: FAILED (exit status 1)" in result.log
