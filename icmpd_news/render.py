"""Browser rendering (scrapy-playwright) for article pages whose body only exists after JavaScript.

The spider decides *what* goes through the browser (a page without a body, or a link matching
RENDER_URL_PATTERNS); this module says *how*: the add-on that plugs scrapy-playwright's download
handler in only when RENDER_ENABLED, the request meta of a rendered request, and which resources
a rendered page may not load. Extraction never knows whether its HTML came from a browser.

scrapy-playwright starts its Playwright driver when the engine starts, but launches the browser
only when the first request with meta playwright=True arrives (PLAYWRIGHT_CONTEXTS is left empty
so no context is created at start-up): a crawl where every page has its body never starts one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from playwright.async_api import Page
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

logger = logging.getLogger(__name__)

PLAYWRIGHT_HANDLER = "icmpd_news.render.BoundedPlaywrightDownloadHandler"

# What a rendered page may not load: the text never needs them, and they are most of the bytes.
BLOCKED_RESOURCE_TYPES = frozenset({"image", "font", "media"})


class RenderTimeout(Exception):
    """A rendered request took longer than RENDER_TIMEOUT_SECONDS in all."""


class BoundedPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler with a deadline on each rendered request.

    scrapy-playwright bounds the navigation but not the whole render, and Scrapy has no
    download timeout of its own for this handler: a request waiting on a browser that has just
    died can wait forever (a crawl hung once in about twenty browser-crash tests). After
    RENDER_TIMEOUT_SECONDS the request fails with RenderTimeout; the render itself is not
    cancelled but left to finish or fail, so scrapy-playwright still closes its page and frees
    its slot. Renders still running when the crawl ends are cancelled before the browser closes
    (else scrapy-playwright would retry them in a new browser). Needs Scrapy's async
    download-handler API (Scrapy 2.14 or later).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.render_timeout = crawler.settings.getfloat("RENDER_TIMEOUT_SECONDS")
        self.late_renders: set[asyncio.Future] = set()

    async def download_request(self, request: Request) -> Response:
        """Plain requests as usual; rendered ones bounded by RENDER_TIMEOUT_SECONDS."""
        if not request.meta.get("playwright") or self.render_timeout <= 0:
            return await super().download_request(request)
        render = asyncio.ensure_future(super().download_request(request))
        try:
            return await asyncio.wait_for(asyncio.shield(render), self.render_timeout)
        except asyncio.TimeoutError:
            self.late_renders.add(render)
            render.add_done_callback(self._late_render_done)
            raise RenderTimeout(f"no rendered page after {self.render_timeout:g} s") from None

    def _late_render_done(self, render: asyncio.Future) -> None:
        """A render that outlived its deadline ended: retrieve its outcome (nobody awaits it)."""
        self.late_renders.discard(render)
        if not render.cancelled() and render.exception() is not None:
            logger.debug("a render that had timed out ended with %r", render.exception())

    async def close(self) -> None:
        """Cancel renders still running past their deadline, then close as scrapy-playwright does."""
        for render in list(self.late_renders):
            render.cancel()
        await super().close()


class RenderAddon:
    """Scrapy add-on: route http(s) through scrapy-playwright's handler when RENDER_ENABLED.

    The handler (scrapy-playwright's, with a deadline: BoundedPlaywrightDownloadHandler)
    passes every request without meta playwright=True to Scrapy's own HTTP handler,
    so plain fetches are unchanged. With RENDER_ENABLED=False no Playwright driver is started.
    RENDER_BROWSER_PATH (setting, or the environment variable of that name via settings.py), when
    set, becomes the browser's executable_path (the system Chromium where Playwright cannot
    download its own).
    """

    def update_settings(self, settings: BaseSettings) -> None:
        """Install the handler for http and https (unless a handler is set for them already)."""
        if not settings.getbool("RENDER_ENABLED"):
            return
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        for scheme in ("http", "https"):
            handlers.setdefault(scheme, PLAYWRIGHT_HANDLER)
        settings.set("DOWNLOAD_HANDLERS", handlers, settings.getpriority("DOWNLOAD_HANDLERS") or "addon")
        executable = settings.get("RENDER_BROWSER_PATH")
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
    try:
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)
    except PlaywrightTimeoutError as error:
        logger.debug("%s did not go network-idle within %d ms (%s): taking the page as it is", page.url, timeout_ms, error)


def render_meta(settings: BaseSettings) -> dict[str, Any]:
    """Request meta that sends a request through the browser and lets its scripts settle."""
    timeout_ms = settings.getfloat("RENDER_SETTLE_SECONDS") * 1000
    return {
        "playwright": True,
        "playwright_page_goto_kwargs": {"wait_until": "load"},
        "playwright_page_methods": [PageMethod(settle, timeout_ms=timeout_ms)],
    }


def url_patterns(settings: BaseSettings) -> list[re.Pattern[str]]:
    """RENDER_URL_PATTERNS compiled (regular expressions searched in the article link)."""
    return [re.compile(pattern) for pattern in settings.getlist("RENDER_URL_PATTERNS") if pattern]
