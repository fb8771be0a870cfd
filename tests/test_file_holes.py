"""Transient holes heal: an image or attachment whose download failed for a reason that may pass
(here a 503 on every try) is fetched again by the next run, in feed mode and in archive mode,
while a lasting failure (404) is not asked again. Real crawls against the fixture sites."""

from __future__ import annotations

from pathlib import Path

from devsite.fixture_site import FixtureSite, Route, article_path
from devsite.listing_site import ListingSite
from tests.crawling import CrawlResult, run_archive, run_crawl, validate
from tests.servers import Catcher

BUSY = Route(status=503, body=b"<html><body>Service temporarily unavailable</body></html>")
# Three tries of a 503 without the production backoff's three seconds.
QUICK = ("ICMPD_RETRY_BACKOFF_BASE=0.1", "ICMPD_RENDER_ENABLED=False")


def by_url(result: CrawlResult) -> dict[str, dict]:
    """The export as it is now (read it before the next run rewrites it), each record validated."""
    records = result.records()
    for record in records:
        validate(record)
    return {record["url"]: record for record in records}


def file_entry(record: dict, url_end: str) -> dict:
    return next(entry for entry in record["images"] + record["attachments"] if entry["url"].endswith(url_end))


def answered_since(site: FixtureSite, since: int) -> list[tuple[str, int]]:
    with site.lock:
        return list(site.answers[since:])


def assert_hole(entry: dict, transient: bool, error: str) -> None:
    assert (entry["status"], entry["path"], entry["error"], entry["transient"]) == ("failed", None, error, transient)


def assert_stored(entry: dict, output: Path) -> None:
    assert entry["status"] == "downloaded" and entry["error"] is None and entry["transient"] is None
    assert (output / "files" / entry["path"]).stat().st_size == entry["size"]


def test_transient_holes_heal_in_feed_mode(catcher: Catcher, tmp_path: Path) -> None:
    with FixtureSite(other=catcher.base, validators=True) as site:
        pictured, documented, lasting = site.articles[4], site.articles[5], site.articles[1]
        image, document = pictured["images"][0]["src"], documented["downloads"][1]["href"]
        missing = lasting["downloads"][0]["href"]
        good = {path: site.routes[path] for path in (image, document)}
        site.routes.update({image: BUSY, document: BUSY})
        del site.routes[missing]
        feed = f"{site.base}/feed.xml"
        first = run_crawl(feed, tmp_path, *QUICK)
        first_records = by_url(first)
        # The site is back: the next run asks both articles in full (an unchanged feed and
        # validators would otherwise let it skip them) and stores their files.
        site.routes.update(good)
        since = len(site.answers)
        second = run_crawl(feed, tmp_path, *QUICK)
        second_answers = answered_since(site, since)
        since = len(site.answers)
        third = run_crawl(feed, tmp_path, *QUICK)
        third_answers = answered_since(site, since)
    for result in (first, second, third):
        assert result.returncode == 0, result.log[-3000:]
    records = first_records
    assert_hole(file_entry(records[site.base + article_path(pictured)], image), True, "answered HTTP 503")
    assert_hole(file_entry(records[site.base + article_path(documented)], document), True, "answered HTTP 503")
    assert_hole(file_entry(records[site.base + article_path(lasting)], missing), False, "answered HTTP 404")
    assert site.base + image in first.log and "failed (http_503): answered HTTP 503; the next run tries it again" \
        in first.log

    assert (article_path(pictured), 200) in second_answers and (article_path(documented), 200) in second_answers
    assert (image, 200) in second_answers and (document, 200) in second_answers
    # The lasting hole is not asked again: its article was confirmed recently and is not requested.
    assert not [path for path, _ in second_answers if path in (article_path(lasting), missing)]
    assert second.stat("icmpd/export/transient_holes") == 2
    assert second.stat("icmpd/images/healed") == 1 and second.stat("icmpd/files/healed") == 1
    assert second.stat("icmpd/run/updated") == 2 and second.stat("icmpd/run/new") == 0
    records = by_url(second)
    for article, path in ((pictured, image), (documented, document)):
        record = records[site.base + article_path(article)]
        assert record["version"] == 2 and record["updated_at"] == record["fetched_at"]
        assert_stored(file_entry(record, path), tmp_path)
    assert_hole(file_entry(records[site.base + article_path(lasting)], missing), False, "answered HTTP 404")
    assert records[site.base + article_path(lasting)]["version"] == 1

    # Healed: the next run asks neither article again.
    assert third.stat("icmpd/export/transient_holes") is None
    assert not [path for path, _ in third_answers if path.startswith(("/news/", "/fileadmin/"))]
    assert third.stat("icmpd/run/updated") == 0


def test_transient_holes_heal_in_archive_mode(tmp_path: Path) -> None:
    with ListingSite(synthetic=5, broken_page=None) as site:
        documented, lasting = site.articles[5], site.articles[4]
        document, missing = documented["downloads"][0]["href"], lasting["images"][0]["src"]
        good = site.routes[document]
        site.routes[document] = BUSY
        del site.routes[missing]
        listing = f"{site.base}/news"
        first = run_archive(listing, tmp_path, settings=QUICK)
        first_records = by_url(first)
        site.routes[document] = good
        since = len(site.requests)
        # An archive re-run requests no exported article again, except the one with a hole.
        second = run_archive(listing, tmp_path, settings=QUICK)
        requested = site.article_requests(since)
        fetched_files = [path for _, path, _ in site.requests[since:] if path.startswith("/fileadmin/")]
    for result in (first, second):
        assert result.returncode == 0, result.log[-3000:]
    records = first_records
    assert len(records) == 15
    assert_hole(file_entry(records[site.url_of(documented)], document), True, "answered HTTP 503")
    assert_hole(file_entry(records[site.url_of(lasting)], missing), False, "answered HTTP 404")

    assert requested == [article_path(documented)]
    assert document in fetched_files and missing not in fetched_files
    assert "(1 of them requested again where listed: files that failed for a reason that may pass)" in second.log
    assert second.stat("icmpd/files/healed") == 1 and second.stat("icmpd/images/healed") is None
    assert second.stat("icmpd/export/updated") == 1 and second.stat("icmpd/listing/skipped/known") == 14
    records = by_url(second)
    assert len(records) == 15
    record = records[site.url_of(documented)]
    assert record["version"] == 2
    assert_stored(file_entry(record, document), tmp_path)
    assert record["source_feed"] == listing
    assert_hole(file_entry(records[site.url_of(lasting)], missing), False, "answered HTTP 404")
