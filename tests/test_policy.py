"""What a run is allowed to do, and what it says when told something it cannot honour: pages
robots.txt disallows are skipped (not failed), a robots.txt that cannot be read stops the run
(RFC 9309), and a misspelt spider argument or setting never goes unnoticed. Every crawl is the
real `scrapy crawl` against a server on loopback."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Catcher, run_crawl
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
