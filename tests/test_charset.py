"""Charset repair (icmpd_news/middlewares/charset.py): which encoding a page really uses when its
header and its bytes disagree."""

from __future__ import annotations

import pytest

from icmpd_news.middlewares.charset import corrected_encoding


@pytest.mark.parametrize(("content_type", "body", "expected"), [
    ("text/html; charset=iso-8859-1", '<meta charset="utf-8"><p>Eržen</p>'.encode(), "utf-8"),
    ("text/html; charset=utf-8", '<meta charset="windows-1252"><p>“Eržen”</p>'.encode("cp1252"), "cp1252"),
    ("text/html; charset=utf-8", "<p>“Eržen”</p>".encode("cp1252"), "cp1252"),
    ("text/html; charset=utf-8", "<p>“Eržen”</p>".encode(), None),
    ("text/html; charset=windows-1252", "<p>“Eržen”</p>".encode("cp1252"), None),
    ("text/html; charset=windows-1252", b"\xef\xbb\xbf" + "<p>Eržen</p>".encode(), None),
    ("text/html", "<p>“Eržen”</p>".encode(), None),
    ("text/html; charset=utf-8", b"<p>plain ASCII</p>", None),
])
def test_corrected_encoding(content_type: str, body: bytes, expected: str | None) -> None:
    assert corrected_encoding(content_type, body) == expected
