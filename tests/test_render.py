"""Browser fallback: pages whose body a script builds are rendered in a real headless Chromium.

Every crawl here is the real `scrapy crawl` against the fixture site on loopback. The browser
is started through a small wrapper script that appends its process id to a file before it
execs the real Chromium, so a test can tell exactly how many browsers a crawl launched.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.settings import Settings

from devsite.fixture_site import FixtureSite, Route, article_path, expected_blocks, render_page
from icmpd_news.browser.addon import (
    BLOCKED_RESOURCE_TYPES,
    RENDERING_HANDLER,
    RenderAddon,
    abort_heavy_resources,
    render_meta,
    settle,
    url_patterns,
)
from tests.crawling import run_crawl, validate
from tests.servers import Catcher

# Small bounds so the failing pages cost seconds, not the production defaults' tens of seconds.
FAST = ("ICMPD_RENDER_SETTLE_SECONDS=1", "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT=4000")
# Crawls of two or three articles that fail one or two on purpose: more than ICMPD_MAX_FAILED_SHARE,
# which would make the run's exit status 1 (README "Run outcome"); exit status 0 here says
# the crawl itself went through.
FAILURES_EXPECTED = "ICMPD_MAX_FAILED_SHARE=1"


def real_browser() -> str:
    """The Chromium to run: ICMPD_RENDER_BROWSER_PATH, else the system's, else Playwright's own download."""
    found = os.environ.get("ICMPD_RENDER_BROWSER_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    if not Path(path).exists():
        pytest.fail("no Chromium: install the chromium package or run `playwright install chromium`")
    return path


class Browser:
    """A wrapper executable around the real Chromium that logs each launch (its pid)."""

    def __init__(self, folder: Path) -> None:
        self.log = folder / "browser-launches.log"
        self.path = folder / "chromium-wrapper"
        self.path.write_text(f'#!/bin/sh\necho $$ >> "{self.log}"\nexec "{real_browser()}" "$@"\n')
        self.path.chmod(0o755)

    def launches(self) -> list[int]:
        """Process ids of every browser launched so far."""
        return [int(line) for line in self.log.read_text().split()] if self.log.exists() else []

    @property
    def setting(self) -> str:
        return f"ICMPD_RENDER_BROWSER_PATH={self.path}"


@pytest.fixture
def browser(tmp_path: Path) -> Browser:
    folder = tmp_path / "browser"
    folder.mkdir()
    return Browser(folder)


def serve_script_page(site: FixtureSite, article: dict, script: str) -> None:
    """Serve the article as a script-driven page: the static HTML keeps the site's chrome but
    no <article>, and `script` may fetch the article markup from /api/news/<slug>."""
    page = render_page(article, site.base, site.other)
    start, end = page.index("<article"), page.index("</article>") + len("</article>")
    shell = (page[:start] + '<div id="app"><noscript>Please enable JavaScript to read this article.</noscript></div>\n'
             f"<script>{script}</script>\n" + page[end:])
    site.routes[article_path(article)] = Route(body=shell.encode("utf-8"))
    site.routes[f"/api/news/{article['slug']}"] = Route(body=page[start:end].encode("utf-8"))


def inserts_article(article: dict) -> str:
    return (f"fetch('/api/news/{article['slug']}').then(r => r.text())"
            ".then(html => { document.getElementById('app').innerHTML = html; });")


# Keeps the network busy (never idle) and never inserts anything.
NEVER_INSERTS = "setInterval(() => fetch('/api/ping'), 150);"
# Blocks the page's main thread: the load event never comes.
SPINS_FOREVER = "while (true) {}"


def use_articles(site: FixtureSite, indexes: list[int]) -> list[dict]:
    """Reduce the fixture site (and its feed) to these articles, to keep crawls short."""
    site.articles = [site.articles[i] for i in indexes]
    site.build()
    site.routes["/api/ping"] = Route(body=b"{}", content_type="application/json")
    return site.articles


def headers_of(site: FixtureSite, name: str) -> set[str]:
    """Every value the site received for request header `name` (any case)."""
    with site.lock:
        return {value for _, _, headers in site.requests for key, value in headers.items() if key.lower() == name}


def test_script_built_article_is_rendered(site: FixtureSite, catcher: Catcher, browser: Browser, tmp_path: Path) -> None:
    static, scripted, forced = use_articles(site, [0, 1, 4])
    serve_script_page(site, scripted, inserts_article(scripted))
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, browser.setting,
                       f"ICMPD_RENDER_URL_PATTERNS=/{re.escape(forced['slug'])}/", *FAST)
    assert result.returncode == 0, result.log[-3000:]
    records = {record["url"]: record for record in result.records()}
    assert len(records) == 3
    for article, rendered in ((static, False), (scripted, True), (forced, True)):
        record = records[site.base + article_path(article)]
        validate(record)
        assert record["text"].split("\n\n") == expected_blocks(article)
        assert record["title"] == article["title"]
        assert record["extraction"] == "site"
        assert record["rendered"] is rendered
    # The scripted page: fetched statically (no body), then once in the browser, which ran the
    # script. The forced one: straight to the browser, never fetched statically.
    assert result.stat("icmpd/render/requested/no_body") == 1
    assert result.stat("icmpd/render/requested/pattern") == 1
    assert result.stat("icmpd/articles/rendered") == 2
    assert result.stat("icmpd/articles/failed") is None
    assert site.count(article_path(scripted)) == 2
    assert site.count(f"/api/news/{scripted['slug']}") == 1
    assert site.count(article_path(forced)) == 1
    assert f"no article body in the static page {site.base}{article_path(scripted)}" in result.log
    # Playwright's driver started once, on the first rendered page, and served both renders.
    assert result.log.count("[scrapy-playwright] INFO: Starting download handler") == 1
    assert result.stat("playwright/browser_count") == 1
    # One browser for the whole crawl; it loaded scripts but no image ever reached the site.
    assert len(browser.launches()) == 1
    destinations = headers_of(site, "sec-fetch-dest")
    assert {"document", "empty"} <= destinations
    assert "image" not in destinations and "font" not in destinations
    assert result.stat("playwright/request_count/aborted") >= len(scripted["images"]) + 1
    # The browser identified itself as the crawler and went nowhere but the site.
    assert {ua.split("/")[0] for ua in headers_of(site, "user-agent")} == {"icmpd-news"}
    assert catcher.connections == 0


def test_pages_the_browser_cannot_fix_fail_cleanly(site: FixtureSite, browser: Browser, tmp_path: Path) -> None:
    static, empty, spinning = use_articles(site, [0, 1, 4])
    serve_script_page(site, empty, NEVER_INSERTS)
    serve_script_page(site, spinning, SPINS_FOREVER)
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, browser.setting, *FAST, FAILURES_EXPECTED, timeout=90)
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("finish_reason") == "finished"
    records = result.records()
    assert [record["url"] for record in records] == [site.base + article_path(static)]
    assert records[0]["rendered"] is False
    assert result.stat("icmpd/render/requested/no_body") == 2
    assert result.stat("icmpd/articles/failed") == 2
    # Rendered but still no body: a failed extraction. Never loaded: a failed render.
    assert result.stat("icmpd/articles/failed/extraction") == 1
    assert result.stat("icmpd/render/no_body") == 1
    assert f"article {site.base}{article_path(empty)} failed (extraction):" in result.log
    assert "even after rendering in the browser" in result.log
    assert result.stat("icmpd/articles/failed/render") == 1
    assert re.search(rf"article {re.escape(site.base + article_path(spinning))} failed \(render\): \w*TimeoutError", result.log)
    assert len(browser.launches()) == 1


def test_crawl_without_script_pages_launches_no_browser(site: FixtureSite, browser: Browser, tmp_path: Path) -> None:
    articles = use_articles(site, [0, 1, 2])
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, browser.setting)
    assert result.returncode == 0, result.log[-3000:]
    records = result.records()
    assert len(records) == len(articles)
    assert all(record["rendered"] is False for record in records)
    # Rendering was on (the same settings render in the tests above) yet neither Playwright's
    # driver (its handler logs this line as it starts it) nor a browser started: the wrapper
    # that logs every launch was never run.
    assert "[scrapy-playwright] INFO: Starting download handler" not in result.log
    assert browser.launches() == []
    assert result.stat("playwright/browser_count") is None
    assert result.stat("icmpd/render/requested") is None
    assert headers_of(site, "sec-fetch-dest") == set()


def test_rendering_disabled(site: FixtureSite, browser: Browser, tmp_path: Path) -> None:
    static, scripted = use_articles(site, [0, 1])
    serve_script_page(site, scripted, inserts_article(scripted))
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, browser.setting, "ICMPD_RENDER_ENABLED=False", FAILURES_EXPECTED)
    assert result.returncode == 0, result.log[-3000:]
    assert [record["url"] for record in result.records()] == [site.base + article_path(static)]
    assert result.stat("icmpd/articles/failed/extraction") == 1
    assert result.stat("icmpd/render/requested") is None
    assert "scrapy-playwright" not in result.log
    assert browser.launches() == []
    assert site.count(f"/api/news/{scripted['slug']}") == 0


def test_missing_browser_fails_the_article_not_the_crawl(site: FixtureSite, tmp_path: Path) -> None:
    static, scripted = use_articles(site, [0, 1])
    serve_script_page(site, scripted, inserts_article(scripted))
    missing = tmp_path / "no-such-browser"
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, f"ICMPD_RENDER_BROWSER_PATH={missing}", FAILURES_EXPECTED)
    assert result.returncode == 0, result.log[-3000:]
    assert [record["url"] for record in result.records()] == [site.base + article_path(static)]
    assert result.stat("icmpd/articles/failed/render") == 1
    assert f"article {site.base}{article_path(scripted)} failed (render):" in result.log
    assert str(missing) in result.log


def kill_browser_on_request(site: FixtureSite, browser: Browser, path: str) -> threading.Thread:
    """Kill the first browser (SIGKILL, like a crash) as soon as one of its pages asks for `path`."""
    def watch() -> None:
        deadline = time.monotonic() + 60
        while site.count(path) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        if site.count(path):
            os.kill(browser.launches()[0], signal.SIGKILL)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_crashed_browser_is_relaunched(site: FixtureSite, browser: Browser, tmp_path: Path) -> None:
    static, victim, other = use_articles(site, [0, 1, 4])
    # The victim's page inserts its article, asks for the trigger (the test then kills the
    # browser) and keeps the network busy so it is still open when the kill comes.
    serve_script_page(site, victim, inserts_article(victim) + "fetch('/api/trigger');" + NEVER_INSERTS)
    serve_script_page(site, other, inserts_article(other))
    site.routes["/api/trigger"] = Route(body=b"{}", content_type="application/json")
    watcher = kill_browser_on_request(site, browser, "/api/trigger")
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, browser.setting, "ICMPD_RENDER_SETTLE_SECONDS=3",
                       "ICMPD_RENDER_TIMEOUT_SECONDS=40", timeout=90)
    watcher.join(timeout=5)
    assert result.returncode == 0, result.log[-3000:]
    records = {record["url"]: record for record in result.records()}
    # Killed once, launched again; the pages open at the kill were rendered in the new one.
    assert len(browser.launches()) == 2
    assert result.stat("playwright/browser_count") == 2
    assert result.stat("icmpd/articles/failed") is None
    assert records[site.base + article_path(static)]["rendered"] is False
    for article in (victim, other):
        record = records[site.base + article_path(article)]
        assert record["rendered"] is True
        assert record["text"].split("\n\n") == expected_blocks(article)


def test_render_deadline_ends_a_render_that_never_returns(site: FixtureSite, browser: Browser, tmp_path: Path) -> None:
    static, spinning = use_articles(site, [0, 1])
    serve_script_page(site, spinning, SPINS_FOREVER)
    # Navigation may take two minutes: only ICMPD_RENDER_TIMEOUT_SECONDS can end this render.
    result = run_crawl(f"{site.base}/feed.xml", tmp_path, browser.setting, "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT=120000",
                       "ICMPD_RENDER_TIMEOUT_SECONDS=3", FAILURES_EXPECTED, timeout=90)
    assert result.returncode == 0, result.log[-3000:]
    assert [record["url"] for record in result.records()] == [site.base + article_path(static)]
    assert result.stat("icmpd/articles/failed/render") == 1
    assert f"article {site.base}{article_path(spinning)} failed (render): RenderTimeout: no rendered page after 3 s" in result.log
    # The abandoned render was cancelled at shutdown, not retried in a second browser.
    assert len(browser.launches()) == 1


def system_chromium() -> str:
    """The Chromium on PATH (Debian's /usr/bin/chromium in CI): these tests are about finding it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("no chromium or chromium-browser on PATH: install Debian's chromium package (.ci/install)")
    return found


def without_configured_browser(browsers: Path, path: str) -> dict[str, str]:
    """The environment with ICMPD_RENDER_BROWSER_PATH unset, Playwright looking for its own browsers in
    `browsers` (none unless a test puts one there) and PATH set to `path`."""
    env = {name: value for name, value in os.environ.items() if name != "ICMPD_RENDER_BROWSER_PATH"}
    return env | {"PLAYWRIGHT_BROWSERS_PATH": str(browsers), "PATH": path}


def test_chromium_on_path_is_used_when_no_browser_is_configured(site: FixtureSite, tmp_path: Path) -> None:
    static, scripted = use_articles(site, [0, 1])
    serve_script_page(site, scripted, inserts_article(scripted))
    chromium = system_chromium()
    (tmp_path / "no-playwright-browsers").mkdir()
    env = without_configured_browser(tmp_path / "no-playwright-browsers", os.environ["PATH"])
    result = run_crawl(f"{site.base}/feed.xml", tmp_path / "out", *FAST, env=env)
    assert result.returncode == 0, result.log[-3000:]
    records = {record["url"]: record for record in result.records()}
    record = records[site.base + article_path(scripted)]
    assert record["rendered"] is True
    assert record["text"].split("\n\n") == expected_blocks(scripted)
    assert records[site.base + article_path(static)]["rendered"] is False
    launched = [line for line in result.log.splitlines() if "rendering pages with" in line]
    assert len(launched) == 1
    assert f"INFO: rendering pages with {chromium} (found on PATH; Playwright's own Chromium: BrowserType.launch: " \
           "Executable doesn't exist at " in launched[0]
    assert result.stat("playwright/browser_count") == 1
    assert result.stat("icmpd/articles/failed") is None


def test_no_browser_is_one_clear_line_and_playwright_own_comes_first(site: FixtureSite, tmp_path: Path) -> None:
    static, scripted = use_articles(site, [0, 1])
    serve_script_page(site, scripted, inserts_article(scripted))
    browsers, empty_path = tmp_path / "playwright-browsers", tmp_path / "empty-path"
    browsers.mkdir()
    empty_path.mkdir()
    # No Playwright browser, nothing on PATH: the rendered page fails with one line saying so.
    result = run_crawl(f"{site.base}/feed.xml", tmp_path / "none", *FAST, FAILURES_EXPECTED,
                       env=without_configured_browser(browsers, str(empty_path)))
    assert result.returncode == 0, result.log[-3000:]
    assert [record["url"] for record in result.records()] == [site.base + article_path(static)]
    assert result.stat("icmpd/articles/failed/render") == 1
    lines = [line for line in result.log.splitlines() if "no browser to render pages with" in line]
    assert len(lines) == 1
    match = re.search(
        rf"ERROR: article {re.escape(site.base + article_path(scripted))} failed \(render\): BrowserNotFound: no "
        r"browser to render pages with: Playwright's own chromium cannot be launched \(BrowserType\.launch: "
        rf"Executable doesn't exist at ({re.escape(str(browsers))}/\S+)\) and neither chromium nor chromium-browser "
        r"is on PATH; install one or set ICMPD_RENDER_BROWSER_PATH$", lines[0])
    assert match, lines[0]
    # Playwright's own browser where it looks for it (a wrapper around the system Chromium that
    # logs its launches), and a Chromium on PATH too: Playwright's own is the one used.
    own = Path(match.group(1))
    own.parent.mkdir(parents=True)
    own.write_text(f'#!/bin/sh\necho $$ >> "{tmp_path / "own-launches.log"}"\nexec "{system_chromium()}" "$@"\n')
    own.chmod(0o755)
    result = run_crawl(f"{site.base}/feed.xml", tmp_path / "own", *FAST,
                       env=without_configured_browser(browsers, os.environ["PATH"]))
    assert result.returncode == 0, result.log[-3000:]
    assert {record["url"]: record["rendered"] for record in result.records()} == {
        site.base + article_path(static): False, site.base + article_path(scripted): True}
    assert "INFO: rendering pages with Playwright's own chromium, version " in result.log
    assert len((tmp_path / "own-launches.log").read_text().split()) == 1


# The pieces of the browser fallback that need no browser (icmpd_news/browser/addon.py).

def test_the_addon_installs_the_rendering_handler_only_when_enabled() -> None:
    settings = Settings({"ICMPD_RENDER_ENABLED": True, "ICMPD_RENDER_BROWSER_PATH": "/usr/bin/chromium",
                         "DOWNLOAD_HANDLERS": {"https": "my.Handler"}, "PLAYWRIGHT_LAUNCH_OPTIONS": {"headless": True}})
    RenderAddon().update_settings(settings)
    assert settings.getdict("DOWNLOAD_HANDLERS") == {"http": RENDERING_HANDLER, "https": "my.Handler"}
    assert settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") == {"headless": True, "executable_path": "/usr/bin/chromium"}
    off = Settings({"ICMPD_RENDER_ENABLED": False, "ICMPD_RENDER_BROWSER_PATH": "/usr/bin/chromium"})
    RenderAddon().update_settings(off)
    assert (off.getdict("DOWNLOAD_HANDLERS"), off.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")) == ({}, {})
    own = Settings({"ICMPD_RENDER_ENABLED": True})
    RenderAddon().update_settings(own)
    assert "executable_path" not in own.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")


def test_a_rendered_request_waits_for_the_page_to_settle_and_loads_no_media() -> None:
    meta = render_meta(Settings({"ICMPD_RENDER_SETTLE_SECONDS": 2.5}))
    assert (meta["playwright"], meta["playwright_page_goto_kwargs"]) == (True, {"wait_until": "load"})
    [method] = meta["playwright_page_methods"]
    assert (method.method, method.kwargs) == (settle, {"timeout_ms": 2500.0})
    kinds = {kind: abort_heavy_resources(SimpleNamespace(resource_type=kind))
             for kind in ("image", "font", "media", "document", "script", "xhr", "fetch", "stylesheet")}
    assert {kind for kind, aborted in kinds.items() if aborted} == set(BLOCKED_RESOURCE_TYPES)
    assert not kinds["document"] and not kinds["script"] and not kinds["xhr"]


def test_render_url_patterns() -> None:
    patterns = url_patterns(Settings({"ICMPD_RENDER_URL_PATTERNS": ["/news/app-", "", r"\?spa=1"]}))
    assert [bool(p.search("http://127.0.0.1:8000/news/app-story")) for p in patterns] == [True, False]
    assert url_patterns(Settings({"ICMPD_RENDER_URL_PATTERNS": []})) == []
