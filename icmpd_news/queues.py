"""The scheduler's in-memory queue, holding each waiting request as one compressed pickle.

A feed lists every article at once, so the scheduler holds a request for each of them from
the moment the feed is parsed until the page is fetched: at 5000 articles, 5000 Request
objects, each with its cb_kwargs and FeedEntry, meta, a Headers object (Referer) and
Scrapy's per-request caches (fingerprint, parsed URL), about 3.5 KB of small Python objects
per request (bench/README.md, "Memory growth").

This queue keeps the LIFO order of Scrapy's default (scrapy.squeues.LifoMemoryQueue) but
stores each request as the pickle of `Request.to_dict()`, the serialisation Scrapy's own
JOBDIR disk queues use (callbacks by name, cb_kwargs and meta as they are), compressed
with zlib (the URL is in it twice, as the request's and as its feed entry's link): about
0.55 KB for an article request (1 KB uncompressed; 27 µs to compress and read back). It
rebuilds the request with `request_from_dict` when the scheduler pops it. Nothing is
written to disk and the crawl is the same: the same requests come out, in the same order. A
request that cannot be serialised (a callback that is not a spider method, a meta value
pickle refuses) is kept as the object itself.

The bytes are made and read by this process only, never taken from outside, so unpickling
them is safe.
"""

from __future__ import annotations

import pickle
import zlib
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.squeues import LifoMemoryQueue
from scrapy.utils.request import request_from_dict

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from typing_extensions import Self


class PickledLifoMemoryQueue(LifoMemoryQueue):
    """SCHEDULER_MEMORY_QUEUE: Scrapy's LIFO memory queue, each request held as a compressed pickle."""

    def __init__(self, spider: Spider | None) -> None:
        super().__init__()
        self.spider = spider

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        return cls(crawler.spider)

    def push(self, request: Request) -> None:
        try:
            stored: bytes | Request = zlib.compress(
                pickle.dumps(request.to_dict(spider=self.spider), protocol=pickle.HIGHEST_PROTOCOL), level=1)
        except (ValueError, pickle.PicklingError, AttributeError, TypeError):
            # The exceptions Scrapy's disk queues treat as "not serialisable" (scrapy.squeues).
            stored = request
        super().push(stored)

    def pop(self) -> Request | None:
        return self._request(super().pop())

    def peek(self) -> Request | None:
        return self._request(super().peek())

    def _request(self, stored: bytes | Request | None) -> Request | None:
        if isinstance(stored, bytes):
            return request_from_dict(pickle.loads(zlib.decompress(stored)), spider=self.spider)
        return stored
