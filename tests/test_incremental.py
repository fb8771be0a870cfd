"""Scheduled re-runs (issue 4): cheap when nothing changed, exact when something did, safe when
killed. Real `scrapy crawl` processes against the fixture site on loopback, here with ETag /
Last-Modified validators switched on."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devsite.fixture_site import LEGACY_PREFIX, FixtureSite, Route, article_path
from icmpd_news.dataset.changes import MANAGED_FIELDS
from icmpd_news.dataset.jsonl import read_records, write_atomic
from icmpd_news.loaders import content_hash
from tests.crawling import CrawlResult, run_crawl, start_crawl, validate
from tests.servers import Catcher


@pytest.fixture
def site(catcher: Catcher) -> Iterator[FixtureSite]:
    """The fixture site answering conditional requests (ETag, Last-Modified, 304)."""
    with FixtureSite(other=catcher.base, validators=True) as s:
        yield s


def wait_for(condition: Callable[[], bool], what: str, process: subprocess.Popen | None = None,
             timeout: float = 60) -> None:
    """Poll `condition` until it holds; fail if the crawl ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process is None or process.poll() is None, f"the crawl ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


def change_file(result: CrawlResult) -> list[dict]:
    """The run's change file, ICMPD_OUTPUT_DIR/runs/<run id>.jsonl."""
    path = result.output_dir / "runs" / f"{result.stat('icmpd/run/id')}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def journal_lines(output_dir: Path) -> int:
    """Lines (finished or not) in the journals of the crawl running on output_dir."""
    return sum(p.read_bytes().count(b"\n") for p in (output_dir / "runs").glob("*.journal"))


def journal_records(output_dir: Path) -> list[dict]:
    """The finished records in the journals a killed crawl left (unfinished lines skipped)."""
    journals = sorted((output_dir / "runs").glob("*.journal"))
    return [record for journal in journals for record in read_records(journal)[0]]


def dead_pid() -> int:
    """The PID of a process that has just exited."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def page_paths(site: FixtureSite) -> list[str]:
    """Where each article's page is finally served (after the legacy link's redirect)."""
    return [article_path(a) for a in site.articles]


def slow_pages(site: FixtureSite, seconds: float) -> None:
    for path in page_paths(site):
        site.routes[path].delay = seconds


def archive(base: str, count: int, sentences: int = 60) -> list[dict]:
    """Records of an earlier export: older articles no longer in the feed (schema-valid)."""
    records = []
    for number in range(count):
        text = f"Archived article number {number}.\n\n" + "An older paragraph about migration policy. " * sentences
        records.append({
            "url": f"{base}/news/archived-article-{number:05d}", "title": f"Archived article {number}",
            "title_original": f"Project News: Archived article {number}", "category": "Project News",
            "published": f"2019-{number % 12 + 1:02d}-{number % 28 + 1:02d}T10:00:00+01:00",
            "summary": "An older article.",
            "authors": [], "language": "en", "text": text, "word_count": len(text.split()), "images": [],
            "attachments": [], "links": [], "content_hash": content_hash(text),
            "fetched_at": "2020-06-01T08:00:00+00:00", "first_seen": "2020-06-01T08:00:00+00:00", "updated_at": None,
            "version": 1, "removed": False, "removed_at": None, "source_feed": f"{base}/feed.xml",
            "extraction": "site", "layout": "legacy",
        })
    return records


def test_rerun_downloads_nothing_unchanged_and_exactly_what_changed(site: FixtureSite, tmp_path: Path) -> None:
    feed = f"{site.base}/feed.xml"
    first = run_crawl(feed, tmp_path)
    assert first.returncode == 0, first.log[-3000:]
    before = first.export.read_bytes()
    first_records = {r["url"]: r for r in first.records()}
    assert len(first_records) == 10
    assert sorted(r["url"] for r in change_file(first)) == sorted(first_records)

    # Second run, nothing changed on the site, the articles confirmed minutes ago: the feed
    # answers 304 and no article is asked again (ICMPD_REVALIDATE_AFTER_SECONDS); only the withdrawn
    # link, never exported, is requested (and is still gone).
    answered_before = len(site.answers)
    quiet = run_crawl(feed, tmp_path)
    assert quiet.returncode == 0, quiet.log[-3000:]
    assert quiet.export.read_bytes() == before
    assert sorted(site.answers[answered_before:]) == sorted([
        ("/robots.txt", 200), ("/feed.xml", 304), (f"{LEGACY_PREFIX}project-news-a-withdrawn-item/", 404)])
    assert [quiet.stat(f"icmpd/run/{n}") for n in ("new", "updated", "unchanged", "failed")] == [0, 0, 10, 0]
    assert quiet.stat("icmpd/articles/fresh") == 10
    # The feed is not parsed again: its entries are those the first run parsed from the same copy.
    assert (first.stat("icmpd/feed/reused"), quiet.stat("icmpd/feed/reused")) == (None, 1)
    assert ("progress (final): 1/1 articles done (0 exported, 0 dropped, 0 failed, 1 gone, 0 not modified, 0 skipped)"
            in quiet.log)
    assert "10 confirmed recently, not requested (ICMPD_REVALIDATE_AFTER_SECONDS)" in quiet.log
    assert quiet.stat("icmpd/monitors/failed") == 0  # ten articles accounted for, though none was asked for
    assert change_file(quiet) == []

    # The same, due for revalidation (ICMPD_REVALIDATE_AFTER_SECONDS=0): every page and the feed
    # answer 304; the only body downloaded is robots.txt (images and attachments included).
    answered_before = len(site.answers)
    second = run_crawl(feed, tmp_path, "ICMPD_REVALIDATE_AFTER_SECONDS=0")
    assert second.returncode == 0, second.log[-3000:]
    assert second.export.read_bytes() == before
    for path in page_paths(site):
        assert (site.count(path, 200), site.count(path, 304)) == (1, 1), path
    assert (site.count("/feed.xml", 200), site.count("/feed.xml", 304)) == (1, 2)
    assert {path for path, status in site.answers[answered_before:] if status == 200} == {"/robots.txt"}
    assert [second.stat(f"icmpd/run/{n}") for n in ("new", "updated", "unchanged", "failed")] == [0, 0, 10, 0]
    assert second.stat("icmpd/articles/extraction/site") is None
    assert second.stat("icmpd/articles/fresh") is None
    assert ("progress (final): 11/11 articles done (0 exported, 0 dropped, 0 failed, 1 gone, 10 not modified, 0 skipped)"
            in second.log)
    assert second.stat("icmpd/monitors/failed") == 0  # ten articles accounted for, though none was exported
    assert change_file(second) == []

    # Third run: one article edited, one added.
    edited = site.articles[4]
    edited["blocks"].append({"type": "p", "text": "A correction added after publication."})
    added = copy.deepcopy(site.articles[1])
    added.update(slug="project-news-a-new-article-on-labour-mobility", title="A new article on labour mobility",
                 pubDate="Tue, 19 Jan 2021 09:30:00 +0100",
                 lead="ICMPD published a new article on labour mobility partnerships with its partner countries.")
    site.articles.insert(0, added)
    site.build()
    third = run_crawl(feed, tmp_path)
    assert third.returncode == 0, third.log[-3000:]
    records = third.records()
    for record in records:
        validate(record)
        assert set(MANAGED_FIELDS) <= record.keys()
    by_url = {r["url"]: r for r in records}
    assert len(records) == len(by_url) == 11
    edited_url, added_url = site.base + article_path(edited), site.base + article_path(added)
    assert [third.stat(f"icmpd/run/{n}") for n in ("new", "updated", "unchanged", "failed")] == [1, 1, 9, 0]
    changes = change_file(third)
    assert sorted(r["url"] for r in changes) == sorted([edited_url, added_url])
    assert all(change == by_url[change["url"]] for change in changes)

    new, updated, old = by_url[added_url], by_url[edited_url], first_records[edited_url]
    assert new["title"] == "A new article on labour mobility"
    assert (new["version"], new["first_seen"], new["updated_at"], new["removed"]) == (1, new["fetched_at"], None, False)
    assert updated["text"].endswith("A correction added after publication.")
    assert (updated["version"], updated["first_seen"]) == (2, old["first_seen"])
    assert updated["updated_at"] == updated["fetched_at"]
    assert updated["fetched_at"] > old["fetched_at"]
    # The other nine lines are byte for byte those of the first run; only the two pages were downloaded.
    unchanged_lines = [line for line in before.decode().splitlines() if json.loads(line)["url"] != edited_url]
    assert set(unchanged_lines) <= set(third.export.read_text(encoding="utf-8").splitlines())
    assert {path: site.count(path, 200) for path in page_paths(site)} == \
        {path: 2 if path == article_path(edited) else 1 for path in page_paths(site)}


def test_gone_article_is_kept_marked_removed_and_cleared_when_back(site: FixtureSite, tmp_path: Path) -> None:
    feed = f"{site.base}/feed.xml"
    first = run_crawl(feed, tmp_path)
    assert first.returncode == 0, first.log[-3000:]
    article = next(a for a in site.articles if a["layout"] == "current")
    url = site.base + article_path(article)
    original = {r["url"]: r for r in first.records()}[url]

    # The feed's link (the legacy URL, which used to redirect to the page) now answers 410.
    site.routes[f"{LEGACY_PREFIX}{article['slug']}/"] = Route(status=410, body=b"<html><body>Gone</body></html>")
    del site.routes[article_path(article)]
    # The feed is unchanged, so with the default ICMPD_REVALIDATE_AFTER_SECONDS the articles would
    # only be asked again a day later; here they are asked on every run.
    second = run_crawl(feed, tmp_path, "ICMPD_REVALIDATE_AFTER_SECONDS=0")
    assert second.returncode == 0, second.log[-3000:]
    records = second.records()
    assert len(records) == 10
    removed = {r["url"]: r for r in records}[url]
    validate(removed)
    assert removed["removed"] is True and removed["removed_at"].endswith("+00:00")
    assert removed["version"] == 2
    assert {k: v for k, v in removed.items() if k not in ("removed", "removed_at", "version")} == \
        {k: v for k, v in original.items() if k not in ("removed", "removed_at", "version")}
    assert change_file(second) == [removed]
    assert second.stat("icmpd/run/removed") == 1
    assert second.stat("icmpd/articles/gone") == 2  # this one and the never-exported withdrawn item
    assert f"article {url} answers HTTP 410: record kept, marked removed" in second.log

    # It comes back, unchanged: fetched in full (no stale 304), the mark cleared.
    site.build()
    third = run_crawl(feed, tmp_path, "ICMPD_REVALIDATE_AFTER_SECONDS=0")
    assert third.returncode == 0, third.log[-3000:]
    back = {r["url"]: r for r in third.records()}[url]
    assert (back["removed"], back["removed_at"], back["version"]) == (False, None, 3)
    assert {k: v for k, v in back.items() if k != "version"} == {k: v for k, v in original.items() if k != "version"}
    assert change_file(third) == [back]
    assert third.stat("icmpd/run/restored") == 1
    assert site.count(article_path(article), 200) == 2


# Where the crawl is killed: once it has the feed and waits for every article page; after three
# articles are finished and seven are not; while it rewrites articles.jsonl at the end.
KILL_POINTS = ("after_feed", "mid_articles", "final_write")


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_loses_nothing_and_rerun_completes(site: FixtureSite, tmp_path: Path, point: str) -> None:
    feed = f"{site.base}/feed.xml"
    export = tmp_path / "articles.jsonl"
    # An earlier export of older articles; for the kill during the final rewrite, a large one
    # (2000 long articles, 11 MB, as after an archive crawl), so that the rewrite lasts long
    # enough to be caught in the act.
    seed = archive(site.base, 2000, sentences=120) if point == "final_write" else archive(site.base, 50)
    write_atomic(export, seed)
    seed_lines = export.read_text(encoding="utf-8").splitlines()

    slow_pages(site, {"after_feed": 60, "mid_articles": 0.2, "final_write": 0}[point])

    crawl = start_crawl(feed, tmp_path, tmp_path / "killed.log", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    if point == "after_feed":
        wait_for(lambda: any(site.count(path) for path in page_paths(site)), "an article request", crawl)
    elif point == "mid_articles":
        wait_for(lambda: journal_lines(tmp_path) >= 3, "three finished articles", crawl)
        slow_pages(site, 60)  # the article being fetched now, and the rest, stay unfinished
    else:
        wait_for(lambda: journal_lines(tmp_path) == 10 and any(tmp_path.glob(".articles.jsonl.*.tmp")),
                 "the final write", crawl)
    crawl.send_signal(signal.SIGKILL)
    assert crawl.wait(timeout=30) == -signal.SIGKILL

    # articles.jsonl: valid JSON Lines, every earlier record intact.
    after = export.read_text(encoding="utf-8")
    assert after.endswith("\n")
    lines = after.splitlines()
    assert all(isinstance(json.loads(line), dict) for line in lines)
    assert set(seed_lines) <= set(lines)
    finished = journal_records(tmp_path)
    expected_finished = {"after_feed": range(1), "mid_articles": range(3, 10), "final_write": range(10, 11)}[point]
    assert len(finished) in expected_finished

    # The next run takes over the journal and finishes the job: no duplicate, nothing fetched twice as new.
    slow_pages(site, 0)
    rerun = run_crawl(feed, tmp_path)
    assert rerun.returncode == 0, rerun.log[-3000:]
    records = rerun.records()
    urls = [r["url"] for r in records]
    assert len(urls) == len(set(urls)) == len(seed) + 10
    assert set(urls) == {r["url"] for r in seed} | {site.base + path for path in page_paths(site)}
    for record in records:
        if "/archived-article-" not in record["url"]:
            validate(record)
    assert rerun.stat("icmpd/export/recovered") == (len(finished) or None)
    assert rerun.stat("icmpd/run/new") == 10 - len(finished)
    changes = sorted((tmp_path / "runs").glob("*.jsonl"))
    assert [p.name for p in changes][-1] == f"{rerun.stat('icmpd/run/id')}.jsonl"
    changed_urls = [json.loads(line)["url"] for path in changes
                    for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(changed_urls) == sorted(site.base + path for path in page_paths(site))
    assert not list((tmp_path / "runs").glob("*.journal")) and not list(tmp_path.glob(".*.tmp"))


def test_jobdir_pause_and_resume(site: FixtureSite, tmp_path: Path) -> None:
    """README "JOBDIR (pause and resume)": one Ctrl-C ends the first part like a run of its
    own; the same JOBDIR then goes on with what was still queued, fetching nothing twice.
    Scrapy pickles spider.state into JOBDIR: nothing of the spider's own may land there, so
    neither part logs an error."""
    feed, output, jobdir = f"{site.base}/feed.xml", tmp_path / "out", tmp_path / "job"

    slow_pages(site, 0.3)
    # One request at a time: Scrapy finishes whatever the downloader holds before it stops.
    first = start_crawl(feed, output, tmp_path / "first.log", "CONCURRENT_REQUESTS=1", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                        f"JOBDIR={jobdir}")
    wait_for(lambda: journal_lines(output) >= 2, "two finished articles", first)
    first.send_signal(signal.SIGINT)
    # Paused, not finished: the outcome says so (exit 1, finish reason shutdown).
    assert first.wait(timeout=60) == 1
    log = (tmp_path / "first.log").read_text(encoding="utf-8")
    assert CrawlResult(1, log, output).stat("finish_reason") == "shutdown"
    assert " ERROR: " not in log, log
    paused = {r["url"] for r in read_records(output / "articles.jsonl")[0]}
    assert 2 <= len(paused) < 10
    assert (jobdir / "requests.queue").is_dir()
    assert (output / "crawl.lock").read_text() == ""

    slow_pages(site, 0)
    resumed = run_crawl(feed, output, f"JOBDIR={jobdir}")
    assert resumed.returncode == 0, resumed.log[-3000:]
    assert " ERROR: " not in resumed.log, resumed.log
    assert resumed.stat("log_count/ERROR") == 0
    records = resumed.records()
    assert sorted(r["url"] for r in records) == sorted(site.base + path for path in page_paths(site))
    for record in records:
        validate(record)
    # Each page was fetched once in all: the resumed part skipped what the first part had requested.
    assert all(site.count(path, 200) == 1 for path in page_paths(site)), [site.count(p, 200) for p in page_paths(site)]
    assert resumed.stat("icmpd/run/new") == 10 - len(paused)
    assert sorted(r["url"] for r in change_file(resumed)) == sorted({r["url"] for r in records} - paused)


def last_line(log: str) -> str:
    return log.rstrip("\n").splitlines()[-1]


def test_sigterm_stops_the_crawl_gracefully_and_the_next_run_completes_it(site: FixtureSite, tmp_path: Path) -> None:
    feed = f"{site.base}/feed.xml"

    slow_pages(site, 0.3)
    crawl = start_crawl(feed, tmp_path, tmp_path / "stopped.log", "CONCURRENT_REQUESTS=1")
    wait_for(lambda: journal_lines(tmp_path) >= 2, "two finished articles", crawl)
    crawl.send_signal(signal.SIGTERM)
    assert crawl.wait(timeout=60) == 1
    log = (tmp_path / "stopped.log").read_text(encoding="utf-8")
    # A valid export of what was finished, and a run that says it is incomplete.
    stopped = {record["url"] for record in read_records(tmp_path / "articles.jsonl")[0]}
    assert 2 <= len(stopped) < 10
    assert "Received SIGTERM, shutting down gracefully" in log
    assert "FAILED (exit status 1): incomplete: stopped by Ctrl-C or SIGTERM; the next run completes it" in last_line(log)
    assert CrawlResult(1, log, tmp_path).stat("finish_reason") == "shutdown"

    slow_pages(site, 0)
    rerun = run_crawl(feed, tmp_path)
    assert rerun.returncode == 0, rerun.log[-3000:]
    records = rerun.records()
    assert sorted(r["url"] for r in records) == sorted(site.base + path for path in page_paths(site))
    assert rerun.stat("icmpd/run/new") == 10 - len(stopped)
    # Completed, not redone: every page was downloaded once in all.
    assert all(site.count(path, 200) == 1 for path in page_paths(site)), [site.count(p, 200) for p in page_paths(site)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c_twice", "sigterm_twice"])
def test_forced_shutdown_exits_non_zero_and_the_next_run_completes(
    site: FixtureSite, tmp_path: Path, signum: signal.Signals
) -> None:
    feed = f"{site.base}/feed.xml"
    log = tmp_path / "forced.log"
    slow_pages(site, 30)  # the graceful stop waits for the page being fetched: the second signal cuts it short
    crawl = start_crawl(feed, tmp_path, log, "CONCURRENT_REQUESTS=1")
    wait_for(lambda: any(site.count(path) for path in page_paths(site)), "an article request", crawl)
    crawl.send_signal(signum)
    wait_for(lambda: "shutting down gracefully" in log.read_text(encoding="utf-8"), "the graceful stop", crawl)
    crawl.send_signal(signum)
    assert crawl.wait(timeout=60) == 1
    text = log.read_text(encoding="utf-8")
    assert f"Received {signum.name} twice, forcing unclean shutdown" in text
    assert "FAILED (exit status 1): incomplete: forced shutdown (a second Ctrl-C or SIGTERM)" in last_line(text)
    assert CrawlResult(1, text, tmp_path).summary()["outcome"] == "failed"

    slow_pages(site, 0)
    rerun = run_crawl(feed, tmp_path)
    assert rerun.returncode == 0, rerun.log[-3000:]
    assert sorted(r["url"] for r in rerun.records()) == sorted(site.base + path for path in page_paths(site))


def test_second_crawl_on_same_output_dir_is_refused(site: FixtureSite, tmp_path: Path) -> None:
    feed = f"{site.base}/feed.xml"
    slow_pages(site, 60)
    first = start_crawl(feed, tmp_path, tmp_path / "first.log")
    lock = tmp_path / "crawl.lock"
    wait_for(lambda: lock.exists() and lock.read_text().startswith(f"pid {first.pid} "),
             "the first crawl's lock", first)

    second = run_crawl(feed, tmp_path)
    assert second.returncode == 1
    assert f"refusing to crawl: {tmp_path} is in use by another crawl (pid {first.pid} " in second.log
    assert "Spider opened" not in second.log
    assert "Traceback" not in second.log  # the one line says it all
    assert not (tmp_path / "articles.jsonl").exists() and not (tmp_path / "runs").exists()

    slow_pages(site, 0)
    assert first.wait(timeout=60) == 0
    assert len(read_records(tmp_path / "articles.jsonl")[0]) == 10
    assert lock.read_text() == ""


def test_takes_over_what_a_killed_crawl_left(site: FixtureSite, tmp_path: Path) -> None:
    """A crawl killed with SIGKILL leaves a lock naming a dead process, a journal whose last
    line it was still writing, and a half-written temporary export."""
    pid = dead_pid()
    (tmp_path / "crawl.lock").write_text(f"pid {pid} on vm since 2026-01-01T00:00:00+00:00")
    earlier = archive(site.base, 3)
    write_atomic(tmp_path / "articles.jsonl", earlier[:1])
    finished = earlier[1:]
    (tmp_path / "runs").mkdir()
    journal = "".join(json.dumps(r) + "\n" for r in finished) + json.dumps(earlier[0])[:50]
    (tmp_path / "runs" / "20260101T000000Z.journal").write_text(journal, encoding="utf-8")
    (tmp_path / ".articles.jsonl.x1y2z3.tmp").write_text(json.dumps(earlier[0])[:70], encoding="utf-8")

    result = run_crawl(f"{site.base}/feed.xml", tmp_path)
    assert result.returncode == 0, result.log[-3000:]
    assert f"stale lock taken over: {tmp_path / 'crawl.lock'} named pid {pid} " in result.log
    assert result.stat("icmpd/lock/stale_taken_over") == 1
    assert (result.stat("icmpd/export/recovered"), result.stat("icmpd/export/torn_lines")) == (2, 1)
    by_url = {r["url"]: r for r in result.records()}
    assert len(by_url) == 13
    assert all(by_url[r["url"]] == r for r in earlier)
    killed_changes = (tmp_path / "runs" / "20260101T000000Z.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["url"] for line in killed_changes) == sorted(r["url"] for r in finished)
    assert not list(tmp_path.glob(".*.tmp")) and not list((tmp_path / "runs").glob("*.journal"))
    assert (tmp_path / "crawl.lock").read_text() == ""
