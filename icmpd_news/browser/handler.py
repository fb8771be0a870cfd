"""The browser itself: scrapy-playwright's download handler, with a deadline per render."""

from __future__ import annotations

import asyncio
import logging
import shutil

from playwright.async_api import Browser
from playwright.async_api import Error as PlaywrightError
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy_playwright.handler import Config, ScrapyPlaywrightDownloadHandler
from scrapy_playwright.provider import PlaywrightBrowserProvider

from icmpd_news.stats import RENDER_RETRIED_AFTER_CRASH

logger = logging.getLogger(__name__)

# The system Chromium's names on PATH (Debian: chromium; Ubuntu and others: chromium-browser).
SYSTEM_CHROMIUM = ("chromium", "chromium-browser")


class BrowserNotFound(Exception):
    """No browser could be launched: every rendered request fails with this one line."""


class LocatingBrowserProvider(PlaywrightBrowserProvider):
    """scrapy-playwright's browser provider: the configured executable_path, else Playwright's own
    Chromium, else SYSTEM_CHROMIUM on PATH, else BrowserNotFound (docs/running.md, "Which browser")."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.not_found: str | None = None
        self.announced = False

    async def launch_browser(self) -> Browser:
        if self.config.cdp_url or self.config.connect_url:
            return await super().launch_browser()
        if self.not_found:
            raise BrowserNotFound(self.not_found)
        options = self.config.launch_options
        if options.get("executable_path"):
            browser = await super().launch_browser()
            self._announce(browser, f"{options['executable_path']} (ICMPD_RENDER_BROWSER_PATH)")
            return browser
        try:
            browser = await super().launch_browser()
        except PlaywrightError as error:
            own = str(error).strip().splitlines()[0]
            found = next(filter(None, map(shutil.which, SYSTEM_CHROMIUM)), None)
            if found is None or self.browser_type.name != "chromium":
                self.not_found = (f"no browser to render pages with: Playwright's own {self.browser_type.name} "
                                  f"cannot be launched ({own}) and neither {' nor '.join(SYSTEM_CHROMIUM)} is on "
                                  "PATH; install one or set ICMPD_RENDER_BROWSER_PATH")
                raise BrowserNotFound(self.not_found) from None
            options["executable_path"] = found
            browser = await super().launch_browser()
            self._announce(browser, f"{found} (found on PATH; Playwright's own Chromium: {own})")
            return browser
        self._announce(browser, f"Playwright's own {self.browser_type.name}")
        return browser

    def _announce(self, browser: Browser, which: str) -> None:
        if not self.announced:
            self.announced = True
            logger.info("rendering pages with %s, version %s", which, browser.version)


class RenderTimeout(Exception):
    """A rendered request took longer than ICMPD_RENDER_TIMEOUT_SECONDS in all."""


class BoundedPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler, a rendered request failing with RenderTimeout after
    ICMPD_RENDER_TIMEOUT_SECONDS (the render left to finish). Needs Scrapy 2.14's async handler API."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.render_timeout = crawler.settings.getfloat("ICMPD_RENDER_TIMEOUT_SECONDS")
        self.late_renders: set[asyncio.Future] = set()

    async def download_request(self, request: Request) -> Response:
        """A rendered request, bounded, is tried once more when the browser was launched again meanwhile."""
        if not request.meta.get("playwright") or self.render_timeout <= 0:
            return await super().download_request(request)
        launches = self._launches()
        try:
            return await self._bounded_render(request)
        except RenderTimeout:
            # Not launched again since this render began (the first launch does not count).
            if self._launches() <= max(launches, 1):
                raise
        self.stats.inc_value(RENDER_RETRIED_AFTER_CRASH)
        logger.warning("the browser crashed during the render of %s and was launched again: "
                       "rendering it once more in the new browser", request.url)
        return await self._bounded_render(request)

    def _launches(self) -> int:
        return self.stats.get_value("playwright/browser_count", 0)

    async def _bounded_render(self, request: Request) -> Response:
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

    async def start(self) -> None:
        """Start the Playwright driver (not yet the browser), as scrapy-playwright does on engine_started."""
        await self._maybe_launch_in_thread()
