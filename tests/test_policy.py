"""What a run is allowed to do, and what it says when told something it cannot honour: pages
robots.txt disallows are skipped (not failed), a robots.txt that cannot be read stops the run
(RFC 9309), and a misspelt spider argument or setting never goes unnoticed. Every crawl is the
real `scrapy crawl` against a server on loopback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from icmpd_news.spiders.news import NewsSpider
from tests.conftest import Catcher, run_crawl, run_scrapy
from tests.fixture_site import LEGACY_PREFIX, FixtureSite, Route, article_path


def test_robots_disallowed_item_is_a_skip_in_every_run(catcher: Catcher, tmp_path: Path) -> None:
    with FixtureSite(other=catcher.base, validators=True) as site:
        disallowed = site.articles[4]
        site.routes["/robots.txt"] = Route(body=f"User-agent: *\nDisallow: {article_path(disallowed)}\n".encode(),
                                           content_type="text/plain")
        feed = f"{site.base}/feed.xml"
        first = run_crawl(feed, tmp_path, "RENDER_ENABLED=False")
        # The re-run finds nothing changed: only the disallowed item (never exported, so never
        # confirmed) and the withdrawn one are asked again.
        second = run_crawl(feed, tmp_path, "RENDER_ENABLED=False")
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
    command = [sys.executable, "-m", "scrapy", "crawl", "icmpd_news", "-a", f"feedurl={site.base}/feed.xml",
               "-s", f"OUTPUT_DIR={output}", "-s", "RENDER_ENABLED=False"]
    result = run_scrapy(command, output, env=proxied_to(catcher))
    assert result.returncode == 1, result.log[-3000:]
    assert result.last_line.endswith(
        "ERROR: the crawl could not start: unknown spider argument 'feedurl' (did you mean feed_url?); "
        "the spider takes feed_url, mode, listing_url, incremental")
    assert "Traceback" not in result.log
    # Neither the production default nor the misspelt feed was asked for, nothing was written.
    assert catcher.connections == 0
    assert site.requests == []
    assert not output.exists()


def test_a_setting_given_as_an_argument_is_named(catcher: Catcher, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "scrapy", "crawl", "icmpd_news", "-a", f"OUTPUT_DIR={tmp_path}"]
    result = run_scrapy(command, tmp_path, env=proxied_to(catcher))
    assert result.returncode == 1
    assert result.last_line.endswith("unknown spider argument 'OUTPUT_DIR' (a setting: pass it with -s OUTPUT_DIR=...); "
                                     "the spider takes feed_url, mode, listing_url, incremental")
    assert catcher.connections == 0


def test_scrapyd_arguments_are_accepted() -> None:
    spider = NewsSpider(feed_url="http://127.0.0.1:9/feed.xml", _job="0123abcd", _version="r42")
    assert (spider._job, spider._version) == ("0123abcd", "r42")


def test_misspelt_setting_is_warned_about_and_named_in_the_summary(site: FixtureSite, tmp_path: Path) -> None:
    # Run from an empty folder: the misspelt OUTPUTDIR is ignored, so the crawl writes into the
    # default, ./output, as Scrapy would; the warning and the summary say so.
    wanted = tmp_path / "wanted"
    command = [sys.executable, "-m", "scrapy", "crawl", "icmpd_news", "-a", f"feed_url={site.base}/feed.xml",
               "-s", f"OUTPUTDIR={wanted}", "-s", "retry_times=1", "-s", "SPIDERMON_SLACK_SENDER_NAME=x",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RENDER_ENABLED=False"]
    env = os.environ | {"SCRAPY_SETTINGS_MODULE": "icmpd_news.settings"}
    result = run_scrapy(command, tmp_path / "output", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.log[-3000:]
    assert (f"WARNING: setting OUTPUTDIR is not a setting of this project and is ignored: did you mean OUTPUT_DIR? "
            f"(-s OUTPUT_DIR={wanted})") in result.log
    assert ("WARNING: setting retry_times is not a setting of this project and is ignored: did you mean RETRY_TIMES? "
            "(-s RETRY_TIMES=1)") in result.log
    # A setting of a component the project does not list, close to no known name: left alone.
    assert "SPIDERMON_SLACK_SENDER_NAME is not" not in result.log
    assert "  settings ignored: OUTPUTDIR (did you mean OUTPUT_DIR?), retry_times (did you mean RETRY_TIMES?)" \
        in result.log
    assert result.stat("icmpd/settings/misspelt") == 2
    assert not wanted.exists()
    assert len(result.records()) == 10
