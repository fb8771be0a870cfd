"""What a run is allowed to do, and what it says when told something it cannot honour: pages
robots.txt disallows are skipped (not failed), a robots.txt that cannot be read stops the run
(RFC 9309), and a misspelt spider argument or setting never goes unnoticed. Every crawl is the
real `scrapy crawl` against a server on loopback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devsite.crawl import scrapy_command
from devsite.fixture_site import LEGACY_PREFIX, FixtureSite, Route, article_path
from icmpd_news.spiders.feed import FeedSpider
from tests.crawling import NO_RENDER, run_crawl, run_scrapy
from tests.hostile_pages import page, rss
from tests.servers import Catcher, FaultServer, Reply


def test_robots_disallowed_item_is_a_skip_in_every_run(catcher: Catcher, tmp_path: Path) -> None:
    with FixtureSite(other=catcher.base, validators=True) as site:
        disallowed = site.articles[4]
        site.routes["/robots.txt"] = Route(body=f"User-agent: *\nDisallow: {article_path(disallowed)}\n".encode(),
                                           content_type="text/plain")
        feed = f"{site.base}/feed.xml"
        first = run_crawl(feed, tmp_path, "ICMPD_RENDER_ENABLED=False")
        # The re-run finds nothing changed: only the disallowed item (never exported, so never
        # confirmed) and the withdrawn one are asked again.
        second = run_crawl(feed, tmp_path, "ICMPD_RENDER_ENABLED=False")
        disallowed_fetched = site.count(article_path(disallowed))
    link = f"{site.base}/{LEGACY_PREFIX}{disallowed['slug']}/"
    for result in (first, second):
        assert result.returncode == 0, result.log[-3000:]
        assert result.stat("icmpd/articles/skipped/robots") == 1
        assert result.stat("icmpd/articles/failed") is None
        assert result.stat("log_count/ERROR") == 0
        assert (f"WARNING: article {link} skipped (robots): robots.txt disallows "
                f"{site.base}{article_path(disallowed)}: not fetched") in result.log
        assert "  articles skipped (not failures): robots 1" in result.log
        assert "outcome: OK (exit status 0)" in result.log
    assert first.stat("icmpd/run/new") == 9
    assert second.stat("icmpd/run/new") == 0 and second.stat("icmpd/run/unchanged") == 9
    assert second.stat("icmpd/articles/requested") == 2
    assert "progress (final): 2/2 articles done (0 exported, 0 dropped, 0 failed, 1 gone, 0 not modified, 1 skipped)" \
        in second.log
    assert site.base + article_path(disallowed) not in {record["url"] for record in second.records()}
    assert disallowed_fetched == 0


def proxied_to(catcher: Catcher) -> dict[str, str]:
    """The environment with every HTTP(S) request sent through `catcher`'s address: a crawl that
    went for the production site would reach the catcher, never leave the machine."""
    env = {name: value for name, value in os.environ.items() if name.lower() not in ("no_proxy", "all_proxy")}
    return env | {name: catcher.base for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}


def test_misspelt_spider_argument_stops_the_crawl_before_any_request(site: FixtureSite, catcher: Catcher,
                                                                      tmp_path: Path) -> None:
    output = tmp_path / "out"
    command = scrapy_command("crawl", "icmpd_news", arguments=[f"feedurl={site.base}/feed.xml"],
                             settings=[f"ICMPD_OUTPUT_DIR={output}", NO_RENDER])
    result = run_scrapy(command, output, env=proxied_to(catcher))
    assert result.returncode == 1, result.log[-3000:]
    refusal = ("the crawl could not start: unknown spider argument 'feedurl' (did you mean feed_url?); "
               "the spider takes feed_url, mode")
    assert f"ERROR: {refusal}\n" in result.log
    assert result.last_line.endswith(f"SUMMARY: FAILED (exit status 1): {refusal}")  # the run summary, last
    assert "Traceback" not in result.log
    # Neither the production default nor the misspelt feed was asked for, nothing was written.
    assert catcher.connections == 0
    assert site.requests == []
    assert not output.exists()


def test_a_setting_given_as_an_argument_is_named(catcher: Catcher, tmp_path: Path) -> None:
    command = scrapy_command("crawl", "icmpd_news", arguments=[f"ICMPD_OUTPUT_DIR={tmp_path}"])
    result = run_scrapy(command, tmp_path, env=proxied_to(catcher))
    assert result.returncode == 1
    assert result.last_line.endswith("unknown spider argument 'ICMPD_OUTPUT_DIR' (a setting: pass it with -s ICMPD_OUTPUT_DIR=...); "
                                     "the spider takes feed_url, mode")
    assert catcher.connections == 0


def test_scrapyd_arguments_are_accepted() -> None:
    spider = FeedSpider(feed_url="http://127.0.0.1:9/feed.xml", _job="0123abcd", _version="r42")
    assert (spider._job, spider._version) == ("0123abcd", "r42")


def test_misspelt_setting_is_warned_about_and_named_in_the_summary(site: FixtureSite, tmp_path: Path) -> None:
    # Run from an empty folder: the misspelt OUTPUTDIR is ignored, so the crawl writes into the
    # default, ./output, as Scrapy would; the warning and the summary say so.
    wanted = tmp_path / "wanted"
    command = scrapy_command("crawl", "icmpd_news", arguments=[f"feed_url={site.base}/feed.xml"],
                             settings=[f"OUTPUTDIR={wanted}", "retry_times=1", "SPIDERMON_SLACK_SENDER_NAME=x",
                                       "AUTOTHROTTLE_ENABLED=False", NO_RENDER])
    env = os.environ | {"SCRAPY_SETTINGS_MODULE": "icmpd_news.settings"}
    result = run_scrapy(command, tmp_path / "output", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.log[-3000:]
    assert (f"WARNING: setting OUTPUTDIR is not a setting of this project and is ignored: did you mean ICMPD_OUTPUT_DIR? "
            f"(-s ICMPD_OUTPUT_DIR={wanted})") in result.log
    assert ("WARNING: setting retry_times is not a setting of this project and is ignored: did you mean RETRY_TIMES? "
            "(-s RETRY_TIMES=1)") in result.log
    # A setting of a component the project does not list, close to no known name: left alone.
    assert "SPIDERMON_SLACK_SENDER_NAME is not" not in result.log
    assert "  settings ignored: OUTPUTDIR (did you mean ICMPD_OUTPUT_DIR?), retry_times (did you mean RETRY_TIMES?)" \
        in result.log
    assert result.stat("icmpd/settings/misspelt") == 2
    assert not wanted.exists()
    assert len(result.records()) == 10


def test_a_setting_under_its_old_name_is_read_with_a_warning(site: FixtureSite, tmp_path: Path) -> None:
    # The project's settings took the ICMPD_ prefix; their old names work for one more release.
    old = tmp_path / "old"
    command = scrapy_command("crawl", "icmpd_news", arguments=[f"feed_url={site.base}/feed.xml"],
                             settings=[f"OUTPUT_DIR={old}", "RENDER_ENABLED=False", "AUTOTHROTTLE_ENABLED=False"])
    result = run_scrapy(command, old)
    assert result.returncode == 0, result.log[-3000:]
    assert ("WARNING: setting OUTPUT_DIR is now called ICMPD_OUTPUT_DIR: read as ICMPD_OUTPUT_DIR in this release, "
            "ignored in the next") in result.log
    assert "setting RENDER_ENABLED is now called ICMPD_RENDER_ENABLED" in result.log
    assert len(result.records()) == 10
    assert "settings ignored" not in result.log


def robots_site(server: FaultServer, robots: list[Reply]) -> str:
    """A feed of one article on `server`, whose robots.txt answers `robots`; the feed's URL."""
    server.routes["/robots.txt"] = robots
    server.routes["/feed.xml"] = [Reply(body=rss([("Project News: One", "/news/one", None)]),
                                        content_type="application/rss+xml")]
    server.routes["/news/one"] = [Reply(body=page(0, server.base).encode())]
    return f"{server.base}/feed.xml"


@pytest.mark.parametrize(("robots", "tries", "why"), [
    ([Reply(status=503, body=b"<html><body>Maintenance</body></html>")], 3, "answered HTTP 503"),
    # A rate limit is no answer about the rules either (Google reads 429 as 5xx).
    ([Reply(status=429, body=b"slow down")], 3, "answered HTTP 429"),
    ([Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain", delay=3)], 2,
     "DownloadTimeoutError: Getting {base}/robots.txt took longer than 1.0 seconds"),
], ids=["503", "429", "timeout"])
def test_unreachable_robots_txt_is_complete_disallow(tmp_path: Path, robots: list[Reply], tries: int, why: str) -> None:
    with FaultServer() as server:
        feed = robots_site(server, robots)
        result = run_crawl(feed, tmp_path, "ICMPD_RETRY_BACKOFF_BASE=0.1", "DOWNLOAD_TIMEOUT=1", f"RETRY_TIMES={tries - 1}",
                           "ICMPD_RENDER_ENABLED=False")
        asked = [hit.path for hit in server.hits]
    host = server.base.removeprefix("http://")
    reason = (f"robots.txt of {host} could not be read ({why.format(base=server.base)}): RFC 9309 says to assume "
              f"complete disallow, so nothing is fetched from {host} in this run")
    assert result.returncode == 1, result.log[-3000:]
    # robots.txt was tried as often as any request is; nothing else was fetched.
    assert asked == ["/robots.txt"] * tries
    assert f"[icmpd_news.middlewares.robotstxt] ERROR: {reason}" in result.log
    assert f"  outcome: FAILED (exit status 1): {reason}" in result.log
    assert result.stat("icmpd/robotstxt/unreachable") == 1
    # Scrapy's own middleware would log the download error again, with a traceback.
    assert "Error downloading" not in result.log
    assert result.records() == []


def test_robots_txt_answering_404_allows_everything(tmp_path: Path) -> None:
    with FaultServer() as server:
        # The error page is not read as rules (it would disallow nothing here anyway, but a
        # 4xx body is never parsed).
        feed = robots_site(server, [Reply(status=404, body=b"User-agent: *\nDisallow: /\n", content_type="text/plain")])
        result = run_crawl(feed, tmp_path, "ICMPD_RENDER_ENABLED=False")
        asked = [hit.path for hit in server.hits]
    assert result.returncode == 0, result.log[-3000:]
    assert asked[:3] == ["/robots.txt", "/feed.xml", "/news/one"]
    assert [record["url"] for record in result.records()] == [f"{server.base}/news/one"]
    assert result.stat("icmpd/robotstxt/unreachable") is None
    assert "outcome: OK (exit status 0)" in result.log
