"""File types (icmpd_news/media/filetypes.py): what downloaded bytes are, whatever their name or
Content-Type says, and the extension a stored file gets."""

from __future__ import annotations

import pytest

from devsite.fixture_site import make_pdf, make_png
from icmpd_news.media.filetypes import WrongType, check_document, check_image, file_extension, sniff

BASE = "http://127.0.0.1:8000"


def test_types_by_bytes_not_by_name() -> None:
    pdf = make_pdf("x")
    assert sniff(pdf) == "application/pdf"
    assert check_document(pdf, f"{BASE}/a.pdf") == "application/pdf"
    assert check_document(b"PK\x05\x06" + b"\x00" * 18, f"{BASE}/a.docx") == "application/zip"
    assert check_document(b"year,arrivals\n2020,10\n", f"{BASE}/a.csv") == "text/plain"
    with pytest.raises(WrongType, match="HTML page, not a .pdf file") as html:
        check_document(b"\xef\xbb\xbf\n  <!DOCTYPE html><html><body>Not found</body></html>", f"{BASE}/a.pdf")
    assert html.value.kind == "html"
    with pytest.raises(WrongType, match="the bytes are image/png, not a .pdf file") as png:
        check_document(make_png(4, 4), f"{BASE}/a.pdf")
    assert png.value.kind == "wrong_type"
    assert check_image(make_png(4, 4)) == "image/png"
    with pytest.raises(WrongType, match="HTML page, not an image"):
        check_image(b"<html><body>Error</body></html>")
    with pytest.raises(WrongType, match="application/pdf, not an image"):
        check_image(pdf)


def test_stored_extension_tells_the_truth() -> None:
    assert file_extension("image/png", f"{BASE}/photo.jpg") == ".png"
    assert file_extension("image/jpeg", f"{BASE}/photo.JPEG") == ".jpeg"
    assert file_extension("application/zip", f"{BASE}/factsheet.docx") == ".docx"
    assert file_extension("application/pdf", f"{BASE}/download.php?id=3") == ".pdf"
    assert file_extension("text/plain", f"{BASE}/..%2F..%2Fevil") == ""
