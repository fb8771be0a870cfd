"""Plain-text normalisation shared by the item loader, extraction and the PDF reader (standard
library only: the PDF workers import it)."""

from __future__ import annotations

import re
import unicodedata

# Every kind of space a page or a PDF uses between words, the non-breaking ones included.
SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2007\u202f\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_line(value: str) -> str | None:
    """One-line text: Unicode NFC, every kind of space collapsed; None when empty."""
    value = SPACES.sub(" ", unicodedata.normalize("NFC", value).replace("\n", " ")).strip()
    return value or None


def clean_text(value: str) -> str | None:
    """Multi-line text: NFC, spaces collapsed per line, blocks separated by exactly one blank line."""
    lines = [SPACES.sub(" ", line).strip() for line in unicodedata.normalize("NFC", value).split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text or None
