"""Charset repair (icmpd_news/middlewares/charset.py): which encoding a page really uses when its
header and its bytes disagree."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response

from icmpd_news.middlewares.charset import CharsetMiddleware, corrected_encoding
from tests.crawling import project_crawler


@pytest.mark.parametrize(("content_type", "body", "expected"), [
    ("text/html; charset=iso-8859-1", '<meta charset="utf-8"><p>Eržen</p>'.encode(), "utf-8"),
    ("text/html; charset=utf-8", '<meta charset="windows-1252"><p>“Eržen”</p>'.encode("cp1252"), "cp1252"),
    ("text/html; charset=utf-8", "<p>“Eržen”</p>".encode("cp1252"), "cp1252"),
    ("text/html; charset=utf-8", "<p>“Eržen”</p>".encode(), None),
    ("text/html; charset=windows-1252", "<p>“Eržen”</p>".encode("cp1252"), None),
    ("text/html; charset=windows-1252", b"\xef\xbb\xbf" + "<p>Eržen</p>".encode(), None),
    ("text/html", "<p>“Eržen”</p>".encode(), None),
    ("text/html; charset=utf-8", b"<p>plain ASCII</p>", None),
    # The header is wrong, the page's own declaration right: the declaration, not the fallback.
    ("text/html; charset=euc-jp", '<meta charset="iso-8859-2"><p>Eržen</p>'.encode("iso-8859-2"), "iso8859-2"),
    # A header naming UTF-16 over bytes without a byte-order mark: not UTF-16.
    ("text/html; charset=utf-16", "<p>“Eržen”</p>".encode("cp1252"), "cp1252"),
])
def test_corrected_encoding(content_type: str, body: bytes, expected: str | None) -> None:
    assert corrected_encoding(content_type, body) == expected


def test_a_page_whose_bytes_contradict_its_charset_is_decoded_as_they_are(tmp_path: Path,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    middleware = CharsetMiddleware.from_crawler(project_crawler(tmp_path))
    url = "http://127.0.0.1:8000/news/a"
    body = "<p>“Eržen”</p>".encode("cp1252")
    lying = HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    fixed = middleware.process_response(Request(url), lying)
    assert (fixed.encoding, fixed.text) == ("cp1252", "<p>“Eržen”</p>")
    assert middleware.stats.get_value("icmpd/charset/corrected") == 1
    assert f"{url} declares charset utf-8 but its bytes are cp1252: decoded as cp1252" in caplog.text
    honest = HtmlResponse(url, body="<p>“Eržen”</p>".encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    assert middleware.process_response(Request(url), honest) is honest
    binary = Response(url, body=body, headers={"Content-Type": "application/pdf"})
    assert middleware.process_response(Request(url), binary) is binary
    assert middleware.stats.get_value("icmpd/charset/corrected") == 1
