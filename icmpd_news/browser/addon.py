"""Browser rendering (scrapy-playwright) for article pages whose body only exists after JavaScript.

The spider decides *what* goes through the browser (a page without a body, or a link matching
ICMPD_RENDER_URL_PATTERNS); this module says *how*: the add-on that plugs the rendering download
handler in only when ICMPD_RENDER_ENABLED, the handler that starts the browser on demand, the
request meta of a rendered request, and which resources a rendered page may not load.
Extraction never knows whether its HTML came from a browser.

Nothing here imports Playwright at module level: the Playwright driver starts, and the browser
launches, only when the first request with meta playwright=True arrives (PLAYWRIGHT_CONTEXTS is
left empty so no context is created before): a crawl where every page has its body starts neither.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy_playwright.page import PageMethod

if TYPE_CHECKING:
    from playwright.async_api import Page
    from playwright.async_api import Request as PlaywrightRequest

    from icmpd_news.browser.handler import BoundedPlaywrightDownloadHandler

logger = logging.getLogger(__name__)

RENDERING_HANDLER = "icmpd_news.browser.addon.RenderingDownloadHandler"

# What a rendered page may not load: the text never needs them, and they are most of the bytes.
BLOCKED_RESOURCE_TYPES = frozenset({"image", "font", "media"})

# The browser handler of each running crawl, started by whichever scheme's handler (http,
# https) first needs it, so that one crawl never runs two Playwright drivers.
_browsers: weakref.WeakKeyDictionary[Crawler, asyncio.Future[BoundedPlaywrightDownloadHandler]] = (
    weakref.WeakKeyDictionary()
)


class RenderingDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, plus the browser for requests with meta playwright=True.

    scrapy-playwright's own handler starts a Playwright driver (a Node.js process) for each of
    http and https when the engine starts, whether or not one page is ever rendered: about 1.3 s
    of a scheduled re-run that otherwise takes three (bench/README.md). This handler sends every
    plain request straight to HTTP11DownloadHandler, and starts the browser handler
    (icmpd_news.browser.handler, scrapy-playwright's with a deadline), once per crawl, when the first
    page has to be rendered. A driver that cannot start fails the rendered requests (their
    errback says why); plain requests never notice.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler

    async def download_request(self, request: Request) -> Response:
        """Plain requests over HTTP/1.1; rendered ones through the browser handler."""
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        browser = _browsers.get(self.crawler)
        if browser is None:
            browser = _browsers[self.crawler] = asyncio.ensure_future(_start_browser(self.crawler))
        return await (await asyncio.shield(browser)).download_request(request)

    async def close(self) -> None:
        """Close the HTTP/1.1 connections, and the browser if this crawl started one."""
        await super().close()
        browser = _browsers.pop(self.crawler, None)
        if browser is None:
            return
        if not browser.done():
            browser.cancel()
        elif not browser.cancelled() and browser.exception() is None:
            await browser.result().close()


async def _start_browser(crawler: Crawler) -> BoundedPlaywrightDownloadHandler:
    from icmpd_news.browser.handler import BoundedPlaywrightDownloadHandler  # here: Playwright only on demand

    handler = BoundedPlaywrightDownloadHandler.from_crawler(crawler)
    await handler.start()
    return handler


class RenderAddon:
    """Scrapy add-on: route http(s) through RenderingDownloadHandler when ICMPD_RENDER_ENABLED.

    That handler passes every request without meta playwright=True to Scrapy's own HTTP/1.1
    handler, so plain fetches are unchanged, and the others to scrapy-playwright's (with a
    deadline: icmpd_news.browser.handler.BoundedPlaywrightDownloadHandler), started on first use.
    With ICMPD_RENDER_ENABLED=False no browser is ever used.
    ICMPD_RENDER_BROWSER_PATH (setting, or the environment variable of that name via settings.py), when
    set, becomes the browser's executable_path (the system Chromium where Playwright cannot
    download its own).
    """

    def update_settings(self, settings: BaseSettings) -> None:
        """Install the handler for http and https (unless a handler is set for them already)."""
        if not settings.getbool("ICMPD_RENDER_ENABLED"):
            return
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        for scheme in ("http", "https"):
            handlers.setdefault(scheme, RENDERING_HANDLER)
        settings.set("DOWNLOAD_HANDLERS", handlers, settings.getpriority("DOWNLOAD_HANDLERS") or "addon")
        executable = settings.get("ICMPD_RENDER_BROWSER_PATH")
        if executable:
            options = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
            options["executable_path"] = executable
            settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", options, settings.getpriority("PLAYWRIGHT_LAUNCH_OPTIONS") or "addon")


def abort_heavy_resources(request: PlaywrightRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: True for images, fonts and media, which a rendered page never loads."""
    return request.resource_type in BLOCKED_RESOURCE_TYPES


async def settle(page: Page, timeout_ms: float) -> None:
    """Give the page's scripts up to `timeout_ms` after the load event to fetch and insert content.

    Waits for network idle (no request for 500 ms), the usual sign that a script-built body has
    arrived. A page that never goes idle (polling, analytics) is taken as it is when the time is
    up rather than failed: extraction then decides whether the body is there. Any other error
    (a crashed page or browser) propagates, for scrapy-playwright's recovery and the errback.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError  # here: only in a render

    try:
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)
    except PlaywrightTimeoutError as error:
        logger.debug("%s did not go network-idle within %d ms (%s): taking the page as it is", page.url, timeout_ms, error)


def render_meta(settings: BaseSettings) -> dict[str, Any]:
    """Request meta that sends a request through the browser and lets its scripts settle."""
    timeout_ms = settings.getfloat("ICMPD_RENDER_SETTLE_SECONDS") * 1000
    return {
        "playwright": True,
        "playwright_page_goto_kwargs": {"wait_until": "load"},
        "playwright_page_methods": [PageMethod(settle, timeout_ms=timeout_ms)],
    }


def url_patterns(settings: BaseSettings) -> list[re.Pattern[str]]:
    """ICMPD_RENDER_URL_PATTERNS compiled (regular expressions searched in the article link)."""
    return [re.compile(pattern) for pattern in settings.getlist("ICMPD_RENDER_URL_PATTERNS") if pattern]
