"""Hostile and broken article pages: one real `scrapy crawl` against a FaultServer whose feed
links thirty-two articles, each with its own fault; each test asserts one case on that run.

Settings of the run: ICMPD_RETRY_BACKOFF_BASE=0.5 (retries wait 0.5 s, then 1 s), and extraction
bounds low enough to trip on test pages (ICMPD_EXTRACT_TIME_LIMIT=1.5; ICMPD_EXTRACT_MAX_ELEMENTS raised
so that the slow table reaches the time limit instead of the element cap). Everything else,
DOWNLOAD_MAXSIZE included, is the shipped default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.crawling import NO_RENDER, Crawls, MeasuredCrawl, crawl_command, validate
from tests.hostile_pages import article_text, boilerplate_page, page, redesigned_page, rss
from tests.servers import Catcher, FaultServer, Hit, Reply, compression_bomb

SECRET = "REDIRECTED-SECRET-51d0"
BOMB_SIZE = 512 * 1024 * 1024
CP1252_ARTICLE = 2  # its text ("Eržen", curly quotes) exists in windows-1252 too


@dataclass
class PagesRun:
    """The crawl's result, the server's request log, the catchers, and the site's base URL."""

    result: MeasuredCrawl
    hits: list[Hit]
    catchers: tuple[Catcher, Catcher]
    base: str
    secret_file: Path

    def times(self, case: str) -> list[float]:
        return [hit.at for hit in self.hits if hit.path == f"/news/{case}"]

    def record(self, case: str) -> dict | None:
        return next((r for r in self.result.records() if r["url"] == f"{self.base}/news/{case}"), None)

    def failed(self, kind: str) -> object:
        return self.result.stat(f"icmpd/articles/failed/{kind}")


def _routes(base: str, other: Catcher, private: Catcher, secret_file: Path) -> dict[str, list[Reply]]:
    def html(index: int, **kwargs: object) -> Reply:
        return Reply(body=page(index, base).encode(), **kwargs)

    utf8 = page(CP1252_ARTICLE, base).encode("utf-8")
    cp1252_meta = page(CP1252_ARTICLE, base, charset="windows-1252").encode("cp1252")
    cp1252_bare = page(CP1252_ARTICLE, base, meta=False).encode("cp1252")
    chain = {f"redirect-chain-{n}": [Reply(status=302, headers=[("Location", f"/news/redirect-chain-{n + 1}")])]
             for n in range(8)}
    full = page(6, base).encode()
    cut = page(7, base).encode()
    para = "<p>" + "Migration policy needs data, and data needs careful reading. " * 4 + "</p>"
    return {
        "ok-a": [html(0)],
        "ok-b": [html(1)],
        "gone-410": [Reply(status=410, body=b"<html><body>Gone</body></html>")],
        "error-500": [Reply(status=500, body=b"<html><body>Oops</body></html>")],
        "flaky-503": [Reply(status=503, body=b"busy"), html(3)],
        "rate-limited": [Reply(status=429, body=b"slow down", headers=[("Retry-After", "2")]), html(4)],
        "maintenance": [Reply(status=503, body=b"maintenance", headers=[("Retry-After", "1")]), html(9)],
        "rate-limited-long": [Reply(status=429, body=b"come back tomorrow", headers=[("Retry-After", "3600")])],
        "redirect-loop": [Reply(status=302, headers=[("Location", "/news/redirect-loop")])],
        **chain,
        "redirect-offsite": [Reply(status=302, headers=[("Location", f"{other.base}/steal"),
                                                        ("Set-Cookie", "session=S3CR3T; Path=/")])],
        "redirect-private": [Reply(status=301, headers=[("Location", f"{private.base}/latest/meta-data/")])],
        "redirect-file": [Reply(status=302, headers=[("Location", f"file://{secret_file}")])],
        "bomb-gzip": [Reply(body=compression_bomb("gzip", BOMB_SIZE), headers=[("Content-Encoding", "gzip")])],
        "bomb-deflate": [Reply(body=compression_bomb("deflate", BOMB_SIZE), headers=[("Content-Encoding", "deflate")])],
        "bomb-br": [Reply(body=compression_bomb("br", BOMB_SIZE), headers=[("Content-Encoding", "br")])],
        "bomb-zstd": [Reply(body=compression_bomb("zstd", BOMB_SIZE), headers=[("Content-Encoding", "zstd")])],
        "too-large": [Reply(body=b"<html><body>" + b"<p>x</p>" * (20 * 1024 * 1024 // 8) + b"</body></html>")],
        # Header says ISO-8859-1 (a server default), the page and its <meta> are UTF-8.
        "charset-header-wrong": [Reply(body=utf8, content_type="text/html; charset=iso-8859-1")],
        # Header says UTF-8, <meta> and bytes are windows-1252.
        "charset-meta-right": [Reply(body=cp1252_meta, content_type="text/html; charset=utf-8")],
        # Header says UTF-8, no <meta>, bytes are windows-1252.
        "charset-undeclared-legacy": [Reply(body=cp1252_bare, content_type="text/html; charset=utf-8")],
        # A UTF-8 BOM, while header and <meta> say windows-1252.
        "charset-bom": [Reply(body=b"\xef\xbb\xbf" + page(CP1252_ARTICLE, base, charset="windows-1252").encode(),
                              content_type="text/html; charset=windows-1252")],
        # No charset anywhere.
        "charset-missing": [Reply(body=page(CP1252_ARTICLE, base, meta=False).encode(), content_type="text/html")],
        "lost-article": [Reply(body=boilerplate_page("Project News: Lost").encode())],
        "redesigned": [Reply(body=redesigned_page(5).encode())],
        "truncated-once": [Reply(body=full, content_length=len(full), cut_after=len(full) // 2), Reply(body=full)],
        "truncated-always": [Reply(body=cut, content_length=len(cut), cut_after=len(cut) // 2)],
        "chunked-dropped": [Reply(body=page(8, base).encode(), chunked=True, cut_after=3000)],
        "huge-table": [Reply(body=("<html><body><article><h1>Table</h1>" + para
                                   + "<table>" + "<tr><td>a</td><td>b</td></tr>" * 110_000 + "</table></article></body></html>").encode())],
        "deep-nesting": [Reply(body=("<html><body><h1>Deep</h1>" + "<div>" * 3000 + para * 3 + "</div>" * 3000
                                     + "</body></html>").encode())],
        "slow-table": [Reply(body=("<html><body><article><h1>Slow</h1>" + para * 3 + "<table>"
                                   + "<tr><td>cell a</td><td>cell b</td><td>cell c</td></tr>" * 12_000
                                   + "</table></article></body></html>").encode())],
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesRun]:
    root = tmp_path_factory.mktemp("hostile_pages")
    secret_file = root / "secret.txt"
    secret_file.write_text(SECRET)
    other, private = Catcher("127.0.0.2"), Catcher("127.0.0.3")
    with FaultServer() as server:
        routes = _routes(server.base, other, private, secret_file)
        cases = [case for case in routes if not case.startswith("redirect-chain-")] + ["redirect-chain-0", "gone-404"]
        server.routes = {f"/news/{case}": replies for case, replies in routes.items()}
        server.routes["/feed.xml"] = [Reply(body=rss([(f"Project News: {c}", f"/news/{c}", None) for c in cases]),
                                            content_type="application/rss+xml",
                                            headers=[("Set-Cookie", "session=S3CR3T; Path=/")])]
        crawls = Crawls(timeout=300)  # a hang guard only: the machine may be busy
        settings = ("ICMPD_RETRY_BACKOFF_BASE=0.5", "ICMPD_EXTRACT_TIME_LIMIT=1.5", "ICMPD_EXTRACT_MAX_ELEMENTS=100000")
        crawls.start("pages", crawl_command(f"{server.base}/feed.xml", root / "out", NO_RENDER, *settings), root / "out")
        result = crawls.results()["pages"]
        yield PagesRun(result, list(server.hits), (other, private), server.base, secret_file)
    other.close()
    private.close()


def test_controls_are_exported_complete(run: PagesRun) -> None:
    for case, index in (("ok-a", 0), ("ok-b", 1)):
        record = run.record(case)
        assert record is not None, run.result.log[-4000:]
        validate(record)
        assert record["text"] == article_text(index)


def test_gone_pages_leave_no_record_and_are_counted(run: PagesRun) -> None:
    assert run.result.stat("icmpd/articles/gone") == 2
    assert run.record("gone-404") is None and run.record("gone-410") is None
    assert "/news/gone-410 is gone: HTTP 410" in run.result.log


def test_server_errors_are_retried_with_backoff_then_failed(run: PagesRun) -> None:
    tries = run.times("error-500")
    assert len(tries) == 3
    # Without backoff the tries come milliseconds apart; with it, 0.5 s then 1 s at least.
    assert tries[1] - tries[0] >= 0.5 and tries[2] - tries[1] >= 1.0
    assert run.failed("http_500") == 1 and run.record("error-500") is None


def test_a_transient_503_is_retried_and_exported(run: PagesRun) -> None:
    tries = run.times("flaky-503")
    assert len(tries) == 2 and tries[1] - tries[0] >= 0.5
    assert run.record("flaky-503")["text"] == article_text(3)


def test_retry_after_is_honoured(run: PagesRun) -> None:
    tries = run.times("rate-limited")
    assert len(tries) == 2 and tries[1] - tries[0] >= 2.0
    assert run.record("rate-limited")["text"] == article_text(4)
    tries = run.times("maintenance")
    assert len(tries) == 2 and tries[1] - tries[0] >= 1.0
    assert run.record("maintenance")["text"] == article_text(9)
    assert run.result.stat("icmpd/retry/retry_after") == 2


def test_retry_after_beyond_the_limit_is_not_waited_for(run: PagesRun) -> None:
    assert len(run.times("rate-limited-long")) == 1
    assert run.result.stat("icmpd/retry/retry_after_too_long") == 1
    assert "asked to wait 3600 s (Retry-After), more than ICMPD_RETRY_AFTER_MAX 120 s: not retried" in run.result.log
    assert run.failed("http_429") == 1


def test_redirect_loops_are_stopped_and_counted(run: PagesRun) -> None:
    assert run.failed("redirect_loop") == 2
    assert len(run.times("redirect-loop")) == 1
    assert "/news/redirect-chain-0 failed (redirect_loop): IgnoreRequest: max redirections reached" in run.result.log
    # REDIRECT_MAX_TIMES is 5: the chain is followed five times, then dropped.
    assert [hit.path for hit in run.hits if hit.path.startswith("/news/redirect-chain-")] == [
        f"/news/redirect-chain-{n}" for n in range(6)]


def test_redirects_to_other_hosts_are_not_followed(run: PagesRun) -> None:
    assert run.failed("offsite_redirect") == 2
    assert [c.connections for c in run.catchers] == [0, 0]
    assert "redirected off the site to http://127.0.0.2:" in run.result.log
    assert run.record("redirect-offsite") is None and run.record("redirect-private") is None


def test_no_cookie_is_ever_sent(run: PagesRun) -> None:
    assert not [hit for hit in run.hits if "Cookie" in hit.headers or "Authorization" in hit.headers]


def test_redirect_to_a_local_file_is_refused(run: PagesRun) -> None:
    assert run.failed("redirect_refused") == 1
    assert SECRET not in run.result.log
    assert SECRET not in run.result.export.read_text()


@pytest.mark.parametrize("case", ["bomb-gzip", "bomb-deflate", "bomb-br", "bomb-zstd"])
def test_compression_bombs_stop_at_the_size_limit(run: PagesRun, case: str) -> None:
    assert f"Ignored response <200 {run.base}/news/{case}>" in run.result.log
    assert "exceeded DOWNLOAD_MAXSIZE (16777216 B) during decompression" in run.result.log
    assert run.record(case) is None


def test_compression_bombs_keep_memory_bounded(run: PagesRun) -> None:
    # Four 512 MiB bombs: decompressed in full, any one of them would pass this bound.
    assert run.result.max_rss_mib < 400
    assert run.failed("too_large") == 5


def test_over_large_page_is_cancelled(run: PagesRun) -> None:
    assert "larger than download max size (16777216)" in run.result.log
    assert run.record("too-large") is None


@pytest.mark.parametrize("case", [
    "charset-header-wrong", "charset-meta-right", "charset-undeclared-legacy", "charset-bom", "charset-missing",
])
def test_wrong_or_missing_charset_gives_the_right_text(run: PagesRun, case: str) -> None:
    record = run.record(case)
    assert record is not None
    assert record["text"] == article_text(CP1252_ARTICLE)
    assert "Eržen" in record["text"] or "“" in record["text"]


def test_charset_corrections_are_counted(run: PagesRun) -> None:
    assert run.result.stat("icmpd/charset/corrected") == 3


def test_page_without_its_article_fails_extraction(run: PagesRun) -> None:
    assert run.record("lost-article") is None
    assert run.failed("extraction") == 1
    assert "/news/lost-article failed (extraction)" in run.result.log


def test_redesigned_page_falls_back_to_generic(run: PagesRun) -> None:
    record = run.record("redesigned")
    assert record is not None
    validate(record)
    assert record["extraction"] == "generic" and record["layout"] == "generic"
    assert record["text"].startswith(article_text(5).split("\n\n")[0])
    assert run.result.stat("icmpd/articles/extraction/generic") == 1


def test_cut_response_is_retried_and_exported_whole(run: PagesRun) -> None:
    assert len(run.times("truncated-once")) == 2
    assert run.record("truncated-once")["text"] == article_text(6)


@pytest.mark.parametrize("case", ["truncated-always", "chunked-dropped"])
def test_always_cut_response_is_never_exported(run: PagesRun, case: str) -> None:
    assert len(run.times(case)) == 3
    assert run.record(case) is None


def test_data_loss_is_counted(run: PagesRun) -> None:
    assert run.failed("data_loss") == 2


@pytest.mark.parametrize(("case", "message"), [
    ("huge-table", "more than 2097152 (ICMPD_EXTRACT_MAX_BYTES)"),
    ("deep-nesting", "deeper than 512 levels (ICMPD_EXTRACT_MAX_DEPTH)"),
    ("slow-table", "extraction took longer than 1.5 s (ICMPD_EXTRACT_TIME_LIMIT)"),
])
def test_pathological_html_is_bounded_and_reported(run: PagesRun, case: str, message: str) -> None:
    assert run.record(case) is None
    line = next(line for line in run.result.log.splitlines() if f"/news/{case} failed" in line)
    assert message in line


def test_pathological_pages_are_counted(run: PagesRun) -> None:
    assert run.failed("too_complex") == 2 and run.failed("extraction_timeout") == 1


def test_run_summary_and_exit_status(run: PagesRun) -> None:
    result = run.result
    summary = result.log.split("Run summary (finished):\n", 1)[1].split("\n20", 1)[0].splitlines()
    assert len(summary) <= 10
    assert "  articles: requested 32, new 12, updated 0, unchanged 0, gone 2, failed 18" in summary
    assert ("  articles failed by kind: too_large 5, data_loss 2, offsite_redirect 2, redirect_loop 2, "
            "too_complex 2, extraction 1, extraction_timeout 1, http_429 1, http_500 1, redirect_refused 1") in summary
    assert summary[-1] == ("  outcome: FAILED (exit status 1): 18 of 32 articles failed "
                           "(56%, more than ICMPD_MAX_FAILED_SHARE 20%)")
    assert result.returncode == 1
    assert result.stat("icmpd/run/outcome") == "failed" and result.stat("icmpd/run/exit_code") == 1
    assert len(result.records()) == 12
