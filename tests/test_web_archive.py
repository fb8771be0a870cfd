"""The web archive: every response kept as WARC, records traced to it, a killed write recovered,
extraction again from the archive (after a version bump, and offline), retention."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from devsite.crawl import PROJECT_ROOT, scrapy_command
from devsite.fixture_site import FixtureSite, article_path, expected_blocks
from icmpd_news.dataset.web_archive import OPEN_SUFFIX, WarcRef, WebArchiveWriter, read_response, recover_open_files
from icmpd_news.extract import EXTRACTOR_VERSION
from icmpd_news.urls import canonical_url
from tests.crawling import NO_RENDER, CrawlResult, run_crawl, start_crawl, validate

WARCIO = Path(sys.executable).with_name("warcio")


def warcio_check(paths: list[Path]) -> subprocess.CompletedProcess:
    """warcio's own checker over the files (every record's digests)."""
    return subprocess.run([str(WARCIO), "check", *map(str, paths)], capture_output=True, text=True, check=False)


def responses(path: Path) -> list[tuple[str, int]]:
    """(target URL, status) of every response record of a WARC file."""
    with path.open("rb") as handle:
        return [(record.rec_headers.get_header("WARC-Target-URI"), int(record.http_headers.get_statuscode()))
                for record in ArchiveIterator(handle) if record.rec_type == "response"]


def warc_files(output: Path) -> list[Path]:
    return sorted((output / "warc").glob("*.warc.gz"))


def test_a_crawl_keeps_every_response_and_each_record_names_its_page(site: FixtureSite, tmp_path: Path) -> None:
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, NO_RENDER)
    assert result.returncode == 0, result.log[-3000:]
    files = warc_files(tmp_path)
    assert len(files) == 1 and not list((tmp_path / "warc").glob(f"*{OPEN_SUFFIX}"))
    assert warcio_check(files).returncode == 0
    archived = responses(files[0])
    # Every exchange, as answered: robots.txt, the feed, each article page, the 301s of the
    # moved articles, the 503 before a retry and the 404 of the withdrawn item; no file.
    assert len(archived) == len(site.answers) - 14  # the 7 images and 7 attachments are in files/ only
    fetched = {(canonical_url(url), status) for url, status in archived}
    assert {(f"{site.base}/robots.txt", 200), (f"{site.base}/feed.xml", 200)} <= fetched
    statuses = [status for _, status in archived]
    assert (statuses.count(301), statuses.count(503), statuses.count(404)) == (5, 1, 1)
    for article in site.articles:
        assert (site.base + article_path(article), 200) in fetched
    records = result.records()
    assert len(records) == 10
    for record in records:
        validate(record)
        assert record["extractor_version"] == EXTRACTOR_VERSION
        ref = WarcRef.from_dict(record["archive"])
        page = read_response(tmp_path, ref)
        assert (canonical_url(page.url), page.status) == (record["url"], 200)
        assert page.metadata["kind"] == "article" and page.metadata["cb_kwargs"]["source"] == f"{site.base}/feed.xml"
        assert record["title"].encode() in page.body or record["title"].encode("cp1252") in page.body
    assert result.stat("icmpd/warc/exchanges") == len(archived)
    assert result.stat("icmpd/warc/files") == 1 and result.stat("icmpd/warc/size") == files[0].stat().st_size
    assert f"web archive: 1 files, {files[0].stat().st_size / 2**20:.1f} MiB; this run wrote {len(archived)} responses" \
        in result.log


def test_a_write_cut_short_is_cut_back_to_its_last_record(tmp_path: Path) -> None:
    writer = WebArchiveWriter(tmp_path, "20261204T000000Z", max_file_bytes=10**9, gzip_level=3)

    def write(n: int) -> WarcRef:
        return writer.write(f"http://127.0.0.1/news/{n}", "GET", [("User-Agent", "t")], 200,
                            [(b"Content-Type", b"text/html")], f"<p>page {n}</p>".encode() * 50, {"kind": "article"})

    refs = [write(n) for n in range(3)]
    assert writer.file is not None and writer.path is not None
    complete = writer.file.tell()
    write(3)
    writer.file.truncate(complete + 100)  # the process died while writing the fourth exchange
    writer.file.flush()
    left_open = [writer.path]
    assert warcio_check(left_open).returncode != 0
    closed = recover_open_files(tmp_path)
    assert [(path.name, cut) for path, cut in closed] == [("20261204T000000Z-00001.warc.gz", 100)]
    assert not left_open[0].exists()
    assert warcio_check(warc_files(tmp_path)).returncode == 0
    assert [read_response(tmp_path, ref).body for ref in refs] == [f"<p>page {n}</p>".encode() * 50 for n in range(3)]


def test_each_record_is_a_gzip_member_of_its_own_at_the_level_set(tmp_path: Path) -> None:
    """warcinfo, then response, request and metadata per exchange: one member each (what lets a
    reader seek to a record, and a killed run's file be cut back to its last whole record)."""
    sizes = {}
    for level in (1, 9):
        writer = WebArchiveWriter(tmp_path / str(level), "20261204T000000Z", max_file_bytes=10**9, gzip_level=level)
        refs = [writer.write(f"http://127.0.0.1/news/{n}", "GET", [("User-Agent", "t")], 200, [(b"Content-Type", b"text/html")],
                             " ".join(f"<p>word {i * n}</p>" for i in range(2000)).encode(), {"kind": "article"})
                for n in range(3)]
        writer.close()
        [path] = warc_files(tmp_path / str(level))
        data, members, offset = path.read_bytes(), [], 0
        while offset < len(data):
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            inflater.decompress(data[offset:])
            assert inflater.eof
            members.append(offset)
            offset = len(data) - len(inflater.unused_data)
        assert len(members) == 1 + 3 * 3
        assert [ref.offset for ref in refs] == members[1::3]
        assert warcio_check([path]).returncode == 0
        sizes[level] = len(data)
    assert sizes[1] > sizes[9]


def test_a_killed_crawl_leaves_a_readable_archive_and_the_next_run_a_new_file(site: FixtureSite, tmp_path: Path) -> None:
    output = tmp_path / "out"
    for article in site.articles:
        site.routes[article_path(article)].delay = 0.5
    process = start_crawl(f"{site.base}/feed.xml", output, tmp_path / "crawl.log", NO_RENDER,
                          "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(1 for _, status in site.answers if status == 200) < 5:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    left_open = list((output / "warc").glob(f"*{OPEN_SUFFIX}"))
    assert len(left_open) == 1
    with left_open[0].open("rb") as handle:
        kept = [record.rec_type for record in ArchiveIterator(handle)]
    assert kept[0] == "warcinfo" and kept.count("response") >= 3
    for article in site.articles:
        site.routes[article_path(article)].delay = 0
    result = run_crawl(f"{site.base}/feed.xml", output, NO_RENDER)
    assert result.returncode == 0, result.log[-3000:]
    files = warc_files(output)
    assert len(files) == 2 and not list((output / "warc").glob(f"*{OPEN_SUFFIX}"))
    assert warcio_check(files).returncode == 0
    assert result.stat("icmpd/warc/recovered") == 1
    assert "was left open by a killed run" in result.log
    for record in result.records():
        assert canonical_url(read_response(output, WarcRef.from_dict(record["archive"])).url) == record["url"]


def _make_outdated(export: Path) -> bytes:
    """Mark every record of the export as produced by extraction version 1; the new bytes."""
    records = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    export.write_text("".join(json.dumps(record | {"extractor_version": 1}, ensure_ascii=False) + "\n"
                              for record in records), encoding="utf-8")
    return export.read_bytes()


def test_an_older_extraction_is_redone_from_the_archive_without_a_request(tmp_path: Path) -> None:
    with FixtureSite(validators=True) as site:
        first = run_crawl(f"{site.base}/feed.xml", tmp_path, NO_RENDER)
        assert first.returncode == 0, first.log[-3000:]
        before = {record["url"]: record for record in first.records()}
        _make_outdated(first.export)
        since = len(site.requests)
        second = run_crawl(f"{site.base}/feed.xml", tmp_path, NO_RENDER)
        assert second.returncode == 0, second.log[-3000:]
        asked = [path for _, path, _ in site.requests[since:]]
    # Only robots.txt, the feed (answered 304) and the withdrawn item (no record, asked again every
    # run) reached the site: every exported article came from the archive.
    assert asked == ["/robots.txt", "/feed.xml", "/news-centre/news-detail/project-news-a-withdrawn-item/"]
    assert second.stat("icmpd/reextract/from_archive") == 10
    assert second.stat("icmpd/warc/replayed") == 10
    after = second.records()
    assert {record["url"] for record in after} == set(before)
    for record in after:
        assert record["extractor_version"] == EXTRACTOR_VERSION
        # The same text: no new version, no change-file line, only the extraction's version is new.
        assert record | {"extractor_version": 1} == before[record["url"]] | {"extractor_version": 1}
    assert (tmp_path / "runs" / f"{second.stat('icmpd/run/id')}.jsonl").read_text() == ""


CHANGED_EXTRACTION = '''
import icmpd_news.extract as extract

_original = extract.extract_article


def _changed(*args, **kwargs):
    page = _original(*args, **kwargs)
    page.text += "\\n\\nA paragraph the improved extraction finds."
    return page


extract.EXTRACTOR_VERSION += 1
extract.extract_article = _changed
'''


def reextract(output: Path, env_path: str = str(PROJECT_ROOT)) -> CrawlResult:
    """`scrapy crawl icmpd_news_reextract` on `output`, with PYTHONPATH `env_path`."""
    command = scrapy_command("crawl", "icmpd_news_reextract", settings=[f"ICMPD_OUTPUT_DIR={output}"])
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=os.environ | {"PYTHONPATH": env_path},
                          capture_output=True, text=True, timeout=120, check=False)
    return CrawlResult(done.returncode, done.stderr + done.stdout, output)


def test_reextract_rebuilds_the_export_from_the_archive_with_the_site_off(tmp_path: Path) -> None:
    output = tmp_path / "out"
    with FixtureSite() as site:
        crawl = run_crawl(f"{site.base}/feed.xml", output, NO_RENDER)
        assert crawl.returncode == 0, crawl.log[-3000:]
        articles, base = site.articles, site.base
    before = crawl.export.read_bytes()
    # The site is gone (its server closed): nothing can be fetched, nothing is tried.
    same = reextract(output)
    assert same.returncode == 0, same.log[-3000:]
    assert crawl.export.read_bytes() == before
    assert same.stat("icmpd/reextract/from_archive") == 10
    assert same.stat("icmpd/warc/replayed") == 10  # each answered from the archive
    assert same.stat("icmpd/offline/refused") is None and same.stat("icmpd/run/unchanged") == 10
    # With a changed extraction: every record is a new version of itself, with the new extractor_version.
    changed_code = tmp_path / "changed"
    changed_code.mkdir()
    (changed_code / "sitecustomize.py").write_text(CHANGED_EXTRACTION)
    changed = reextract(output, f"{changed_code}{os.pathsep}{PROJECT_ROOT}")
    assert changed.returncode == 0, changed.log[-3000:]
    records = {record["url"]: record for record in changed.records()}
    assert len(records) == 10
    for article in articles:
        record = records[base + article_path(article)]
        assert record["text"].split("\n\n") == [*expected_blocks(article), "A paragraph the improved extraction finds."]
        assert (record["version"], record["extractor_version"]) == (2, EXTRACTOR_VERSION + 1)
        assert record["updated_at"] == record["fetched_at"] and record["first_seen"] != record["fetched_at"]
    change_file = output / "runs" / f"{changed.stat('icmpd/run/id')}.jsonl"
    assert len(change_file.read_text().splitlines()) == 10
    assert changed.stat("icmpd/export/updated") == 10


def test_retention_deletes_old_files_no_record_names(tmp_path: Path) -> None:
    with FixtureSite(validators=True) as site:
        assert run_crawl(f"{site.base}/feed.xml", tmp_path, NO_RENDER).returncode == 0
        # An unchanged re-run: its file holds robots.txt, the feed's 304 and no article page.
        assert run_crawl(f"{site.base}/feed.xml", tmp_path, NO_RENDER).returncode == 0
        first, second = warc_files(tmp_path)
        old = time.time() - 10 * 86400
        for path in (first, second):
            os.utime(path, (old, old))
        third = run_crawl(f"{site.base}/feed.xml", tmp_path, NO_RENDER, "ICMPD_WARC_KEEP_DAYS=1")
        assert third.returncode == 0, third.log[-3000:]
    assert first.exists() and not second.exists()
    assert third.stat("icmpd/warc/pruned") == 1
    for record in third.records():
        assert (tmp_path / record["archive"]["file"]).exists()
