"""Decode pages by what their bytes are when their declared charset is wrong.

Scrapy (w3lib) decodes a page as browsers do: byte-order mark, then the Content-Type header,
then the page's <meta charset>. Servers often send a site-wide default charset in the header
(ISO-8859-1, say) for pages that are really UTF-8, or a stale <meta> disagrees with the
header; decoding by the declaration then turns "Eržen" into "ErÅ¾en" or into U+FFFD. This
middleware overrides the declaration only when the bytes prove it wrong:

1. a BOM is always right (Scrapy already honours it);
2. non-ASCII bytes that form valid UTF-8 are UTF-8: legacy 8-bit text practically never is;
3. a declared charset the bytes do not decode in is wrong: the <meta> declaration is used
   when it disagrees with the header and the bytes decode in it, else windows-1252 (the
   WHATWG default for legacy Western pages, which ICMPD's are).

Otherwise Scrapy's choice stands. w3lib provides the parts (BOM, header and meta readers);
the rule above is ours because no library decides between conflicting declarations.
Stat: icmpd/charset/corrected.
"""

from __future__ import annotations

import codecs
import logging

from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.statscollectors import StatsCollector
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

logger = logging.getLogger(__name__)

WESTERN_FALLBACK = "cp1252"


# _decodes checks a body this many bytes at a time.
_DECODE_CHUNK = 1 << 20


def _decodes(body: bytes, encoding: str) -> bool:
    """Whether `body` is valid in `encoding`, checked a megabyte at a time: decoding a large
    body whole makes a string of up to four times its size (a 19 MB feed with one curly quote
    is a 38 MB string), a peak the crawl's memory kept long after (bench/README.md)."""
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
    """The encoding to use instead of the declared one, or None when the declaration holds."""
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
        self.stats.inc_value("icmpd/charset/corrected")
        logger.info("%s declares charset %s but its bytes are %s: decoded as %s",
                    response.url, response.encoding, encoding, encoding)
        return response.replace(encoding=encoding)
