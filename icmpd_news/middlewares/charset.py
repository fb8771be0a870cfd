"""Decode pages by what their bytes are when their declared charset is wrong (docs/design.md, "Requests")."""

from __future__ import annotations

import codecs
import logging

from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.statscollectors import StatsCollector
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from icmpd_news.stats import CHARSET_CORRECTED

logger = logging.getLogger(__name__)

WESTERN_FALLBACK = "cp1252"


_DECODE_CHUNK = 1 << 20


def _decodes(body: bytes, encoding: str) -> bool:
    """Whether `body` is valid in `encoding`, checked a megabyte at a time (never as one large string)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        for start in range(0, len(body), _DECODE_CHUNK):
            decoder.decode(body[start:start + _DECODE_CHUNK])
        decoder.decode(b"", final=True)
    except (UnicodeError, LookupError):  # UTF-16 without a BOM raises UnicodeError itself
        return False
    return True


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    except LookupError:
        return False


def corrected_encoding(content_type: str, body: bytes) -> str | None:
    """The encoding to use instead of the declared one, or None when the declaration holds: a BOM
    is right; valid non-ASCII UTF-8 is UTF-8; a declaration the bytes do not decode in gives way
    to the other one (<meta> or header), else windows-1252."""
    if read_bom(body)[0] or body.isascii():
        return None
    header = http_content_type_encoding(content_type)
    meta = html_body_declared_encoding(body)
    declared = header or meta
    if not declared:
        return None  # Scrapy's own detection (UTF-8, else charset-normalizer) decides
    if _decodes(body, "utf-8"):
        return None if _is_utf8(declared) else "utf-8"
    if declared and not _decodes(body, declared):
        other = meta if declared == header and meta != header else None
        for candidate in (other, WESTERN_FALLBACK):
            if candidate and _decodes(body, candidate):
                return candidate
    return None


class CharsetMiddleware:
    """Re-decode HTML/text responses whose declared charset the bytes contradict."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        encoding = corrected_encoding(content_type, response.body)
        if encoding is None:
            return response
        self.stats.inc_value(CHARSET_CORRECTED)
        logger.info("%s declares charset %s but its bytes are %s: decoded as %s",
                    response.url, response.encoding, encoding, encoding)
        return response.replace(encoding=encoding)
