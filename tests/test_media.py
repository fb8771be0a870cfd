"""Images and attachments end to end: the real `scrapy crawl` against the fixture site, with
the files a real site serves and the ones it should not (fake, oversized, broken, shared,
lying about their type, named to escape the store, on another host)."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from devsite.fixture_site import (
    FixtureSite,
    Route,
    article_path,
    make_busy_pdf,
    make_many_pages_pdf,
    make_pdf,
    make_png,
)
from icmpd_news.media.filetypes import sniff
from tests.crawling import CrawlResult, run_crawl, validate
from tests.servers import Catcher

KNOWN_TEXT = "Talent partnerships connect migrants skills with labour market needs in 2021"
MAX_SIZE = 200_000


def encrypted_pdf(text: str) -> bytes:
    """A PDF that needs the password "secret" to open."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(text))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, "JPEG", quality=90)
    return out.getvalue()


# Path on the fixture site -> (route, the outcome the export must show).
FILES: dict[str, tuple[Route, dict]] = {
    "/fileadmin/user_upload/known.pdf": (
        Route(body=make_pdf(KNOWN_TEXT), content_type="application/pdf"),
        {"status": "downloaded", "content_type": "application/pdf", "text": KNOWN_TEXT, "page_count": 1}),
    "/fileadmin/user_upload/fake.pdf": (
        Route(body=b"<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>"),
        {"status": "failed", "error": "the server answered an HTML page, not a .pdf file"}),
    "/fileadmin/user_upload/big.zip": (
        Route(body=b"PK\x03\x04" + b"\x00" * MAX_SIZE, content_type="application/zip"),
        {"status": "failed", "error": f"larger than the size cap (ICMPD_FILES_MAX_SIZE is {MAX_SIZE} bytes): not downloaded"}),
    "/fileadmin/user_upload/broken.pdf": (
        Route(body=make_pdf("cut short")[:300], content_type="application/pdf"),
        {"status": "failed", "error_starts": "broken PDF: "}),
    "/fileadmin/user_upload/locked.pdf": (
        Route(body=encrypted_pdf("secret text"), content_type="application/pdf"),
        {"status": "downloaded", "content_type": "application/pdf", "text": None,
         "text_error": "encrypted: the PDF needs a password, no text extracted"}),
    "/fileadmin/user_upload/served-as-html.pdf": (
        Route(body=make_pdf("A PDF served as text/html"), content_type="text/html; charset=utf-8"),
        {"status": "downloaded", "content_type": "application/pdf", "text": "A PDF served as text/html"}),
    "/fileadmin/user_upload/shared.pdf": (
        Route(body=make_pdf("Shared by two articles"), content_type="application/pdf"),
        {"status": "downloaded", "content_type": "application/pdf", "text": "Shared by two articles"}),
    "/fileadmin/..%2F..%2F..%2Fescape.pdf": (
        Route(body=make_pdf("Escape attempt"), content_type="application/pdf",
              headers={"Content-Disposition": 'attachment; filename="../../../evil.pdf"'}),
        {"status": "downloaded", "content_type": "application/pdf"}),
    "/fileadmin/user_upload/moved.pdf": (
        Route(status=301, headers={"Location": "/fileadmin/user_upload/new-home.pdf"}),
        {"status": "downloaded", "content_type": "application/pdf", "text": "Moved to a new home"}),
    "/fileadmin/user_upload/away.pdf": (
        Route(status=302, headers={"Location": "{{OTHER}}/away.pdf"}),
        {"status": "failed", "error_starts": "not downloaded: Filtered offsite request"}),
    "/fileadmin/_processed_/chart.png": (
        Route(body=make_png(120, 80), content_type="image/png"),
        {"status": "downloaded", "content_type": "image/png", "width": 120, "height": 80}),
    "/fileadmin/_processed_/not-an-image.jpg": (
        Route(body=b"<html><body>Error</body></html>", content_type="image/jpeg"),
        {"status": "failed", "error": "the server answered an HTML page, not an image"}),
    "/fileadmin/_processed_/cut-short.jpg": (
        Route(body=jpeg(640, 360)[:-400], content_type="image/jpeg"),
        {"status": "failed", "error_starts": "broken image: OSError: image file is truncated"}),
}


def closed_port(host: str) -> int:
    """A port on `host` where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def install(site: FixtureSite, host_site: FixtureSite, catcher: Catcher) -> None:
    """Link the files from two current-layout articles and serve them."""
    first, second = site.articles[4], site.articles[9]
    first["images"] += [
        {"src": "/fileadmin/_processed_/chart.png", "alt": "A chart", "caption": "Arrivals by month."},
        {"src": "/fileadmin/_processed_/not-an-image.jpg", "alt": "Broken", "caption": None},
        {"src": "/fileadmin/_processed_/cut-short.jpg", "alt": "Cut short", "caption": None},
        {"src": f"{catcher.base}/remote.jpg", "alt": "Elsewhere", "caption": None},
    ]
    first["downloads"] += [{"href": path, "title": f"File {path.rsplit('/', 1)[-1]}"}
                           for path in FILES if not path.startswith("/fileadmin/_processed_/")]
    first["downloads"].append({"href": f"{host_site.base}/docs/hosted.pdf", "title": "On the file host"})
    first["downloads"].append({"href": f"http://127.0.0.3:{closed_port('127.0.0.3')}/docs/gone.pdf", "title": "Down"})
    second["downloads"].append({"href": "/fileadmin/user_upload/shared.pdf", "title": "The shared file"})
    site.build()
    serve_files(site)


def serve_files(site: FixtureSite) -> None:
    for path, (route, _) in FILES.items():
        if "Location" in route.headers:
            route.headers["Location"] = route.headers["Location"].replace("{{OTHER}}", site.other)
        site.routes[path] = route
    site.routes["/fileadmin/user_upload/new-home.pdf"] = Route(body=make_pdf("Moved to a new home"), content_type="application/pdf")


@pytest.fixture
def host_site() -> Iterator[FixtureSite]:
    """A file host (ICMPD_FILE_HOSTS) on 127.0.0.3."""
    with FixtureSite(host="127.0.0.3") as other:
        other.routes["/docs/hosted.pdf"] = Route(body=make_pdf("Hosted on the file host"), content_type="application/pdf")
        yield other


def crawl(site: FixtureSite, output: Path) -> CrawlResult:
    result = run_crawl(f"{site.base}/feed.xml", output, f"ICMPD_FILES_MAX_SIZE={MAX_SIZE}", "ICMPD_FILE_HOSTS=127.0.0.3")
    assert result.returncode == 0, result.log[-3000:]
    # Every bad file is one clear line of ours and a stat: no error (and no traceback) from
    # Scrapy's media pipelines. (A file host that refuses connections has an unreachable
    # robots.txt: one warning, nothing fetched from it, its files failed.)
    assert "[scrapy.pipelines" not in result.log, result.log
    assert "Error downloading" not in result.log
    assert result.stat("icmpd/robotstxt/unreachable_other") == 1
    assert not [line for line in result.log.splitlines() if "[icmpd_news.pipelines" in line and "ERROR" in line]
    return result


def entries(records: list[dict]) -> Iterator[tuple[dict, dict]]:
    for record in records:
        for entry in record["images"] + record["attachments"]:
            yield record, entry


def check_store(output: Path, records: list[dict]) -> set[Path]:
    """Every stored entry's file matches its checksum, size, type (and dimensions), and the
    store holds nothing else: no temporary file, nothing of a failed download."""
    store = (output / "files").resolve()
    recorded: set[Path] = set()
    for _, entry in entries(records):
        if entry["status"] == "failed":
            assert entry["path"] is None and entry["checksum"] is None and entry["error"]
            continue
        assert entry["error"] is None
        path = (store / entry["path"]).resolve()
        assert path.is_relative_to(store)
        data = path.read_bytes()
        assert hashlib.md5(data).hexdigest() == entry["checksum"]
        assert len(data) == entry["size"]
        assert sniff(data) == entry["content_type"]
        if "width" in entry:
            assert Image.open(path).size == (entry["width"], entry["height"])
        recorded.add(path)
    on_disk = {p.resolve() for p in store.rglob("*") if p.is_file()}
    assert on_disk == recorded
    return recorded


def by_path(records: list[dict]) -> dict[str, dict]:
    """Entries keyed by the path of their URL."""
    return {entry["url"].split("/", 3)[3].join(["/", ""]): entry for _, entry in entries(records)}


def test_files_downloaded_verified_and_never_twice(
    site: FixtureSite, host_site: FixtureSite, catcher: Catcher, tmp_path: Path
) -> None:
    install(site, host_site, catcher)
    first = crawl(site, tmp_path)
    records = first.records()
    assert len(records) == 10
    for record in records:
        validate(record)
    stored = check_store(tmp_path, records)
    found = by_path(records)
    for path, (_, expected) in FILES.items():
        entry = found[path]
        for key, value in expected.items():
            if key == "error_starts":
                assert entry["error"].startswith(value), entry
            else:
                assert entry[key] == value, (path, key, entry)
    # The article's own images and files all made it, whatever happened to the others.
    article = next(r for r in records if r["url"] == site.base + article_path(site.articles[4]))
    assert [i["url"].rsplit("/", 1)[-1] for i in article["images"]] == [
        "spindelegger-2nd-term.jpg", "chart.png", "not-an-image.jpg", "cut-short.jpg", "remote.jpg"]
    assert article["images"][0]["status"] == "downloaded" and article["images"][0]["path"].endswith(".png")
    remote = article["images"][4]
    assert remote["status"] == "failed" and remote["error"].startswith("not downloaded: Filtered offsite request")
    hosted = found["/docs/hosted.pdf"]
    assert hosted["status"] == "downloaded" and hosted["text"] == "Hosted on the file host"
    assert len(article["attachments"]) == len([path for path in FILES if not path.startswith("/fileadmin/_processed_/")]) + 2
    gone = found["/docs/gone.pdf"]
    assert gone["status"] == "failed" and "refused" in gone["error"].lower()
    # A shared file is fetched and stored once, and both articles point at it.
    shared = [e for _, e in entries(records) if e["url"].endswith("/shared.pdf")]
    assert len(shared) == 2 and shared[0]["path"] == shared[1]["path"] and shared[0]["checksum"] == shared[1]["checksum"]
    assert site.count("/fileadmin/user_upload/shared.pdf") == 1
    # Nothing escaped the store, whatever the URL or the server's file name said.
    assert not list(tmp_path.parent.rglob("evil.pdf")) and not list(tmp_path.parent.rglob("escape.pdf"))
    assert catcher.connections == 0
    assert first.stat("icmpd/files/failed/html") == 1
    assert first.stat("icmpd/files/failed/too_large") == 1
    assert first.stat("icmpd/files/failed/broken") == 1
    assert first.stat("icmpd/files/content_type_mismatch") == 1
    assert first.stat("icmpd/images/failed/not_downloaded") == 1
    assert first.stat("icmpd/images/failed/broken") == 1
    assert first.stat("icmpd/pdf/no_text/encrypted") == 1
    # 14 files stored: the site's own 6 PDFs and 1 .docx, and known, locked, served-as-html,
    # shared, escape, moved and hosted; 13 entries with PDF text (shared twice; locked has none).
    assert first.stat("icmpd/files/downloaded") == 14
    assert first.stat("icmpd/pdf/text") == 13
    files_before = {path: site.count(path) for path in found if path.startswith("/fileadmin/")}
    export_before = first.export.read_bytes()

    # Second run: every stored file is up to date, none is requested again, the export is unchanged.
    second = crawl(site, tmp_path)
    assert second.stat("icmpd/files/downloaded") is None and second.stat("icmpd/images/downloaded") is None
    assert second.stat("icmpd/files/uptodate") + second.stat("icmpd/images/uptodate") == len(stored)
    for path, count in files_before.items():
        if found[path]["status"] != "failed":
            assert site.count(path) == count, path
    assert host_site.count("/docs/hosted.pdf") == 1
    assert second.export.read_bytes() == export_before
    assert check_store(tmp_path, second.records()) == stored

    # A file cut short (a killed run, a full disk), a deleted one and one older than
    # FILES_EXPIRES are fetched again; a new article linking a stored file finds it "uptodate".
    known = tmp_path / "files" / found["/fileadmin/user_upload/known.pdf"]["path"]
    known.write_bytes(known.read_bytes()[:200])
    (tmp_path / "files" / found["/fileadmin/_processed_/chart.png"]["path"]).unlink()
    old = time.time() - 91 * 86400
    os.utime(tmp_path / "files" / found["/fileadmin/user_upload/served-as-html.pdf"]["path"], (old, old))
    site.articles[1]["downloads"].append({"href": "/fileadmin/user_upload/shared.pdf", "title": "The shared file"})
    site.build()
    serve_files(site)
    third = crawl(site, tmp_path)
    assert third.stat("icmpd/files/refetched/corrupt") == 1
    assert third.stat("icmpd/images/refetched/missing") == 1
    assert third.stat("icmpd/files/expired") == 1
    assert site.count("/fileadmin/user_upload/known.pdf") == 2
    assert site.count("/fileadmin/user_upload/served-as-html.pdf") == 2
    assert site.count("/fileadmin/_processed_/chart.png") == 2
    assert site.count("/fileadmin/user_upload/shared.pdf") == 1
    records = third.records()
    check_store(tmp_path, records)
    third_article = next(r for r in records if r["url"] == site.base + article_path(site.articles[1]))
    assert third_article["attachments"][-1]["status"] == "uptodate"
    assert third_article["attachments"][-1]["text"] == "Shared by two articles"
    assert by_path(records)["/fileadmin/user_upload/known.pdf"]["text"] == KNOWN_TEXT


def test_pdfs_that_keep_the_parser_busy_are_stopped_and_the_crawl_goes_on(site: FixtureSite, tmp_path: Path) -> None:
    """Two crafted PDFs, each of which would hold pypdf for many seconds: one in its text
    (a minute), one in its structure (100,000 pages to count, 13 s). Their workers are
    stopped at ICMPD_PDF_TEXT_TIMEOUT: the first is stored without text, the second fails its check
    and is not stored; the article is exported with both reasons, and the other PDFs keep
    their text."""
    article = site.articles[4]
    article["downloads"] += [{"href": "/fileadmin/user_upload/busy.pdf", "title": "Busy"},
                             {"href": "/fileadmin/user_upload/pages.pdf", "title": "Pages"},
                             {"href": "/fileadmin/user_upload/known.pdf", "title": "Known"}]
    site.build()
    site.routes["/fileadmin/user_upload/busy.pdf"] = Route(body=make_busy_pdf(1_000_000), content_type="application/pdf")
    site.routes["/fileadmin/user_upload/pages.pdf"] = Route(body=make_many_pages_pdf(100_000),
                                                            content_type="application/pdf")
    site.routes["/fileadmin/user_upload/known.pdf"] = Route(body=make_pdf(KNOWN_TEXT), content_type="application/pdf")
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, "ICMPD_PDF_TEXT_TIMEOUT=2", "ICMPD_WORKERS=1")
    assert result.returncode == 0, result.log[-3000:]
    records = result.records()
    assert len(records) == 10
    found = by_path(records)
    busy = found["/fileadmin/user_upload/busy.pdf"]
    assert (busy["status"], busy["content_type"], busy["text"], busy["page_count"]) == (
        "downloaded", "application/pdf", None, None)
    reason = "timeout: text extraction took longer than ICMPD_PDF_TEXT_TIMEOUT (2 s); the worker was stopped"
    assert busy["text_error"] == reason
    assert f"PDF {site.base}/fileadmin/user_upload/busy.pdf: no text: {reason}" in result.log
    assert result.stat("icmpd/pdf/no_text/timeout") == 1
    pages = found["/fileadmin/user_upload/pages.pdf"]
    assert (pages["status"], pages["path"], pages["text"]) == ("failed", None, None)
    assert pages["error"] == ("timeout: the structure check took longer than ICMPD_PDF_TEXT_TIMEOUT (2 s); "
                              "the worker was stopped")
    assert result.stat("icmpd/files/failed/timeout") == 1
    assert found["/fileadmin/user_upload/known.pdf"]["text"] == KNOWN_TEXT
    # The site's own six PDFs and known.pdf.
    assert result.stat("icmpd/pdf/text") == 7
    check_store(tmp_path, records)


def test_with_images_thumbs_the_image_is_kept_as_served_beside_its_thumbnails(site: FixtureSite, tmp_path: Path) -> None:
    site.articles[4]["images"].append({"src": "/fileadmin/_processed_/chart.png", "alt": "A chart", "caption": None})
    site.build()
    site.routes["/fileadmin/_processed_/chart.png"] = FILES["/fileadmin/_processed_/chart.png"][0]
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, 'IMAGES_THUMBS={"small": [50, 50]}')
    assert result.returncode == 0, result.log[-3000:]
    images = [entry for record in result.records() for entry in record["images"] if entry["status"] == "downloaded"]
    assert "image/png" in {entry["content_type"] for entry in images} and len(images) == result.stat("icmpd/images/downloaded")
    for entry in images:
        stored = (tmp_path / "files" / entry["path"]).read_bytes()
        assert (hashlib.md5(stored).hexdigest(), len(stored), sniff(stored)) == \
            (entry["checksum"], entry["size"], entry["content_type"])
        thumbnail = tmp_path / "files" / "thumbs" / "small" / f"{hashlib.sha1(entry['url'].encode()).hexdigest()}.jpg"
        with Image.open(thumbnail) as thumb:
            assert thumb.format == "JPEG" and max(thumb.size) <= 50
