"""Write every exchange into the web archive; answer a request from it when asked to.

At 650 the middleware sees each request as it is sent (validators and Accept-Encoding set) and
each response as it came, before redirects (600), decompression (590) and retries (550): 3xx,
304 and 5xx answers are archived too, bodies as received.

- request.meta[REPLAY] (a WarcRef's dict): the response is read from the archive instead of
  fetched (flag "archived") and then goes through every other middleware as a fetched one.
- ICMPD_WARC_OFFLINE (the re-extraction spider's): any other request is refused.
- Images and attachments are archived only with ICMPD_WARC_INCLUDE_FILES.
The response's WarcRef goes into request.meta[WARC_REF], for the record to name it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.statscollectors import StatsCollector

from icmpd_news.dataset.web_archive import WarcRef, read_response
from icmpd_news.extensions.crawl_run import CrawlRun
from icmpd_news.stats import OFFLINE_REFUSED, WARC_EXCHANGES, WARC_REPLAYED

REPLAY = "icmpd_replay"
WARC_REF = "icmpd_warc"
ARCHIVED_FLAG = "archived"
# What each callback's responses are, for the metadata record.
_KINDS = {"parse_article": "article", "parse_feed": "feed", "parse_listing": "listing"}


class OfflineRefused(IgnoreRequest):
    """The request was not sent: the run reads the archive only (ICMPD_WARC_OFFLINE)."""


class WebArchiveMiddleware:
    """See the module docstring. Needs CrawlRun, which owns the archive's writer."""

    def __init__(self, run: CrawlRun, stats: StatsCollector, include_files: bool, offline: bool) -> None:
        self.run = run
        self.stats = stats
        self.include_files = include_files
        self.offline = offline

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WebArchiveMiddleware:
        run = crawler.get_extension(CrawlRun)
        if run is None:
            raise NotConfigured("WebArchiveMiddleware needs the CrawlRun extension")
        settings = crawler.settings
        if run.web_archive is None and not settings.getbool("ICMPD_WARC_OFFLINE"):
            raise NotConfigured("the web archive is off (ICMPD_WARC_ENABLED)")
        return cls(run, crawler.stats, settings.getbool("ICMPD_WARC_INCLUDE_FILES"), settings.getbool("ICMPD_WARC_OFFLINE"))

    def process_request(self, request: Request) -> Response | None:
        ref = WarcRef.from_dict(request.meta.get(REPLAY))
        if ref is None:
            if self.offline:
                self.stats.inc_value(OFFLINE_REFUSED)
                raise OfflineRefused(f"{request.url} is not in the web archive, and this run reads the archive only")
            return None
        try:
            archived = read_response(self.run.output_dir, ref)
        except (OSError, ValueError) as error:
            raise IgnoreRequest(f"{request.url} could not be read from the web archive: {error}") from error
        self.stats.inc_value(WARC_REPLAYED)
        headers = Headers(archived.headers)
        cls = responsetypes.from_args(headers=headers, url=archived.url, body=archived.body)
        return cls(url=archived.url, status=archived.status, headers=headers, body=archived.body,
                   request=request, flags=[ARCHIVED_FLAG])

    def process_response(self, request: Request, response: Response) -> Response:
        if ARCHIVED_FLAG in response.flags:
            request.meta[WARC_REF] = request.meta[REPLAY]
            return response
        writer = self.run.web_archive
        kind = _kind(request)
        if writer is None or (kind == "file" and not self.include_files):
            return response
        try:
            ref = writer.write(
                response.url, request.method,
                [(name.decode("latin-1"), value.decode("latin-1")) for name, values in request.headers.items()
                 for value in values],
                response.status, [(name, value) for name, values in response.headers.items() for value in values],
                response.body, _metadata(request, response, kind),
            )
        except OSError as error:
            self.run.write_failed(error, writer.path or writer.folder)
            return response
        self.stats.inc_value(WARC_EXCHANGES)
        request.meta[WARC_REF] = ref.as_dict()
        return response


def _kind(request: Request) -> str:
    """article, feed, listing, robots or file (what media pipelines and robots.txt ask for)."""
    name = getattr(request.callback, "__name__", None)
    if name in _KINDS:
        return _KINDS[name]
    return "robots" if request.url.split("?", 1)[0].endswith("/robots.txt") else "file"


def _metadata(request: Request, response: Response, kind: str) -> dict[str, Any]:
    """The metadata record: what the crawl knew of the exchange (for an article, what its
    parse_article was given, so the archive alone can rebuild its record)."""
    metadata: dict[str, Any] = {
        "kind": kind, "status": response.status, "rendered": bool(request.meta.get("playwright")),
        "redirected_from": request.meta.get("redirect_urls", []),
    }
    if kind == "article":
        metadata["cb_kwargs"] = {name: _plain(value) for name, value in request.cb_kwargs.items()}
    return metadata


def _plain(value: Any) -> Any:
    """A callback argument as JSON: dataclasses as dicts, datetimes as ISO 8601."""
    if dataclasses.is_dataclass(value):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
