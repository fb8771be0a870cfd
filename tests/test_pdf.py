"""PDF reading (icmpd_news/media/pdf.py): a PDF's text and page count, and why a PDF gives none."""

from __future__ import annotations

import io

import pypdf
import pytest

from devsite.fixture_site import make_pdf
from icmpd_news.media.pdf import BrokenPdf, check_pdf, pdf_text


def encrypted(text: str, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(text))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_text_and_its_failures() -> None:
    found = pdf_text(make_pdf("Known words on page one"), max_pages=10)
    assert (found.text, found.page_count, found.error) == ("Known words on page one", 1, None)
    # "Protected" with an empty user password: opens, text extracted.
    assert pdf_text(encrypted("Only printing is restricted", ""), max_pages=10).text == "Only printing is restricted"
    locked = pdf_text(encrypted("Secret", "secret"), max_pages=10)
    assert (locked.text, locked.kind) == (None, "encrypted")
    check_pdf(encrypted("Secret", "secret"))  # a valid PDF, just locked
    broken = pdf_text(make_pdf("Cut short")[:300], max_pages=10)
    assert (broken.text, broken.kind) == (None, "broken") and broken.error.startswith("broken PDF: ")
    for bad, reason in ((make_pdf("Cut short")[:300], "PdfStreamError: Stream has ended unexpectedly"),
                        (b"%PDF-1.4\ngarbage\n%%EOF\n", "PdfReadError: startxref not found")):
        with pytest.raises(BrokenPdf, match=f"^{reason}$"):
            check_pdf(bad)
    writer = pypdf.PdfWriter()
    for number in (1, 2, 3):
        writer.append(pypdf.PdfReader(io.BytesIO(make_pdf(f"Page {number}"))))
    three_pages = io.BytesIO()
    writer.write(three_pages)
    capped = pdf_text(three_pages.getvalue(), max_pages=2)
    assert (capped.text, capped.page_count, capped.pages_read) == ("Page 1\n\nPage 2", 3, 2)
    scan = pypdf.PdfWriter()
    scan.add_blank_page(595, 842)
    blank = io.BytesIO()
    scan.write(blank)
    assert pdf_text(blank.getvalue(), max_pages=10).kind == "no_text_layer"
