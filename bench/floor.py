"""The engine's floor: Scrapy alone fetching what our crawl fetches, and doing nothing else.

    python -m bench.loopback_dns icmpd.localhost scrapy runspider bench/floor.py -a feed_url=URL

`bench.run` runs it with Scrapy's default settings (not the project's), politeness off and
the same concurrency as our crawl. It requests robots.txt, the feed, every article link the
feed lists (following the legacy links' 301s) and, on each page, the article's image and
PDF (found by the bench site's folders), all through Scrapy's default middlewares; it
extracts nothing, stores nothing and yields no item. Its articles per second bound any
single-process Scrapy crawl that fetches the same resources: no extraction, pipeline or
export can make the engine itself faster.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response


class FloorSpider(scrapy.Spider):
    """Feed, pages, images and PDFs; nothing kept."""

    name = "floor"

    def __init__(self, feed_url: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.feed_url = feed_url
        # Scrapy's OffsiteMiddleware keeps the feed's item on another host unfetched, as ours does.
        self.allowed_domains = [urlsplit(feed_url).hostname]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.feed_url, callback=self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        for link in response.xpath("//item/link/text()").getall():
            yield scrapy.Request(link.strip(), callback=self.parse_page)

    def parse_page(self, response: Response) -> Iterator[scrapy.Request]:
        image = response.xpath("//img[contains(@src, '/fileadmin/_processed_/')]/@src").get()
        pdf = response.xpath("//a[contains(@href, '/fileadmin/user_upload/')]/@href").get()
        for url in (image, pdf):
            if url:
                yield response.follow(url, callback=self.fetched)

    def fetched(self, response: Response) -> None:
        """The file's bytes are dropped: only fetching them is measured."""
