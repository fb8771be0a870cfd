"""Scrapy's own minimal crawl: one request to the site, then stop.

    python -m bench.loopback_dns icmpd.localhost scrapy runspider bench/minimal.py -a feed_url=URL

`bench.run` starts it as it starts the floor (bench/floor.py): through the loopback launcher,
with Scrapy's default settings rather than the project's. It asks the site's robots.txt, a
few bytes whatever the site's size, and yields nothing: its wall time is what any Scrapy crawl
costs to start, make one request and stop, the reference an unchanged scheduled run of ours is
judged against (bench/README.md, "Method").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response


class MinimalSpider(scrapy.Spider):
    """robots.txt of the feed's site; nothing kept."""

    name = "minimal"

    def __init__(self, feed_url: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.url = urljoin(feed_url, "/robots.txt")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, callback=self.fetched)

    def fetched(self, response: Response) -> None:
        """The answer is dropped: only starting, one request and stopping are measured."""
