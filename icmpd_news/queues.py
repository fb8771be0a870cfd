"""The scheduler's in-memory queue, holding each waiting request as one compressed pickle
(docs/benchmarks.md, "Memory"). The bytes never leave this process, so unpickling them is safe.
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
    """SCHEDULER_MEMORY_QUEUE: Scrapy's LIFO memory queue, each request held as the zlib-compressed
    pickle of Request.to_dict() (as JOBDIR's disk queues keep it); one pickle refuses is kept as is."""

    def __init__(self, spider: Spider | None) -> None:
        super().__init__()
        self.spider = spider

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        return cls(crawler.spider)

    def push(self, request: Request) -> None:
        try:
            stored: bytes | Request = zlib.compress(
                pickle.dumps(self._as_dict(request), protocol=pickle.HIGHEST_PROTOCOL), level=1)
        except (ValueError, pickle.PicklingError, AttributeError, TypeError):
            # The exceptions Scrapy's disk queues treat as "not serialisable" (scrapy.squeues).
            stored = request
        super().push(stored)

    def _as_dict(self, request: Request) -> dict[str, Any]:
        """Request.to_dict(spider=self.spider), equal to it; a callback or errback that is a
        spider method under its own name is named directly, where to_dict searches the spider's
        members with inspect for every request."""
        names = [self._own_method_name(function) for function in (request.callback, request.errback)]
        if None in names:
            return request.to_dict(spider=self.spider)
        as_dict = {"url": request.url, "callback": names[0] or None, "errback": names[1] or None,
                   "headers": dict(request.headers)}
        for attribute in request.attributes:
            as_dict.setdefault(attribute, getattr(request, attribute))
        if type(request) is not Request:
            as_dict["_class"] = f"{type(request).__module__}.{type(request).__name__}"
        return as_dict

    def _own_method_name(self, function: Any) -> str | None:
        """"" for no function, its name for a method of the spider under that name, else None."""
        if function is None:
            return ""
        name = getattr(function, "__name__", None)
        bound = getattr(self.spider, name, None) if name and getattr(function, "__self__", None) is self.spider else None
        return name if getattr(bound, "__func__", None) is getattr(function, "__func__", object()) else None

    def pop(self) -> Request | None:
        return self._request(super().pop())

    def peek(self) -> Request | None:
        return self._request(super().peek())

    def _request(self, stored: bytes | Request | None) -> Request | None:
        if isinstance(stored, bytes):
            return request_from_dict(pickle.loads(zlib.decompress(stored)), spider=self.spider)
        return stored
