"""How a page goes through the browser (scrapy-playwright), which starts on the first rendered
request. Nothing here imports Playwright (docs/design.md, "The browser")."""

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

# The browser handler of each running crawl, shared by http and https: one Playwright driver per crawl.
_browsers: weakref.WeakKeyDictionary[Crawler, asyncio.Future[BoundedPlaywrightDownloadHandler]] = (
    weakref.WeakKeyDictionary()
)


class RenderingDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, plus the browser for requests with meta playwright=True,
    started once per crawl on the first of them (failing them alone if it cannot start)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler

    async def download_request(self, request: Request) -> Response:
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
    """Scrapy add-on: route http(s) through RenderingDownloadHandler when ICMPD_RENDER_ENABLED;
    ICMPD_RENDER_BROWSER_PATH, when set, becomes the browser's executable_path."""

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
    """Wait up to `timeout_ms` after the load event for network idle, then take the page as it is."""
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
