"""PDF attachments, with pypdf: check that bytes are a readable PDF, and take their text and page count.
pdf_problem and read_pdf_text are module level: the worker processes are sent them by name."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from icmpd_news.text import clean_text

if TYPE_CHECKING:
    from pypdf import PdfReader


@functools.cache
def _pypdf() -> ModuleType:
    """pypdf, imported when the first PDF is read (a quiet re-run does not pay its import)."""
    import pypdf  # here: see the docstring

    # Not a warning per repaired defect: a broken file gets one line of our own.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return pypdf


def _pdf_errors() -> tuple[type[Exception], ...]:
    """What pypdf raises on malformed input: its own errors and the Python errors bad objects provoke."""
    return (_pypdf().errors.PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError)


def _not_decrypted() -> type[Exception]:
    return _pypdf().errors.FileNotDecryptedError


class BrokenPdf(Exception):
    """The bytes start like a PDF but pypdf cannot read them (truncated, corrupt)."""


@dataclass
class PdfText:
    """page_count and text, or why there is no text (`error`, and `kind` for stats)."""

    page_count: int | None
    text: str | None
    error: str | None = None
    kind: str | None = None
    pages_read: int = 0


def _open(data: bytes) -> PdfReader:
    """A reader with the document decrypted when its user password is empty."""
    try:
        reader = _pypdf().PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        return reader
    except _pdf_errors() as error:
        raise BrokenPdf(f"{type(error).__name__}: {error}") from error


def check_pdf(data: bytes) -> None:
    """Raise BrokenPdf unless pypdf can read the document's structure (an encrypted PDF is not broken)."""
    reader = _open(data)
    try:
        len(reader.pages)
    except _not_decrypted():
        return
    except _pdf_errors() as error:
        raise BrokenPdf(f"{type(error).__name__}: {error}") from error


def pdf_problem(data: bytes) -> str | None:
    """Why the bytes are not a readable PDF ("broken PDF: ..."), or None; never raises."""
    try:
        check_pdf(data)
    except BrokenPdf as error:
        return f"broken PDF: {error}"
    except Exception as error:  # noqa: BLE001 (pypdf on untrusted bytes: whatever fails is this file's, not the crawl's)
        return f"broken PDF: {type(error).__name__}: {error}"
    return None


def pdf_text(data: bytes, max_pages: int) -> PdfText:
    """Text of the first `max_pages` pages (a blank line apart) and the page count; a bad document's reason in `error`."""
    try:
        reader = _open(data)
        page_count = len(reader.pages)
    except _not_decrypted():
        return PdfText(None, None, "encrypted: the PDF needs a password, no text extracted", "encrypted")
    except BrokenPdf as error:
        return PdfText(None, None, f"broken PDF: {error}", "broken")
    except _pdf_errors() as error:
        return PdfText(None, None, f"broken PDF: {type(error).__name__}: {error}", "broken")
    pages: list[str] = []
    try:
        for page in reader.pages[:max_pages]:
            pages.append(page.extract_text() or "")
    except _pdf_errors() as error:
        return PdfText(page_count, None, f"broken PDF: page {len(pages) + 1}: {type(error).__name__}: {error}", "broken")
    text = clean_text("\n\n".join(pages))
    if not text:
        return PdfText(page_count, None, "no text layer: the pages are images (a scan?)", "no_text_layer", len(pages))
    return PdfText(page_count, text, pages_read=len(pages))


def read_pdf_text(path: str, max_pages: int) -> PdfText:
    """pdf_text of the file at `path`; never raises (kind "unreadable" or "broken")."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return PdfText(None, None, f"unreadable: {error}", "unreadable")
    try:
        return pdf_text(data, max_pages)
    except Exception as error:  # noqa: BLE001 (pypdf on untrusted bytes: whatever fails is this file's, not the crawl's)
        return PdfText(None, None, f"broken PDF: {type(error).__name__}: {error}", "broken")
