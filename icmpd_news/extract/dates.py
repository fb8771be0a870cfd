"""Dates as feeds and article pages give them, day before month, UTC without a zone (docs/extraction.md)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

_MONTHS = {
    name: number
    for number, names in enumerate((
        ("january", "jan", "januar", "janvier"), ("february", "feb", "februar", "février", "fevrier"),
        ("march", "mar", "märz", "maerz", "mars"), ("april", "apr", "avril"), ("may", "mai"),
        ("june", "jun", "juni", "juin"), ("july", "jul", "juli", "juillet"),
        ("august", "aug", "août", "aout"), ("september", "sep", "sept", "septembre"),
        ("october", "oct", "oktober", "octobre"), ("november", "nov", "novembre"),
        ("december", "dec", "dezember", "décembre", "decembre"),
    ), start=1)
    for name in names
}
_MONTH = r"(?P<month>[^\W\d_]{3,10})\.?"
_TIME = r"(?:,?\s+(?:at\s+)?(?P<hour>\d{1,2})[:.h](?P<minute>\d{2}))?"
# A date ends where its digits end, not at a word boundary ("Published 08 April 2022The teaser").
_PATTERNS = (
    # ISO 8601: 2020-12-14, 2020-12-14T10:00:00+01:00
    re.compile(r"(?<!\d)(?P<iso>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)(?!\d)"),
    # 14.12.2020, 14.12.20, 14/12/2020 (day first, as in Europe)
    re.compile(r"(?<!\d)(?<!\d\.)(?P<day>\d{1,2})[./](?P<month>\d{1,2})[./](?P<year>\d{4}|\d{2})(?!\d|\.\d)" + _TIME),
    # 14 December 2020, 14. Dezember 2020
    re.compile(r"(?<!\d)(?P<day>\d{1,2})\.?\s+" + _MONTH + r",?\s+(?P<year>\d{4})(?!\d)" + _TIME),
    # December 14, 2020
    re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})(?!\d)" + _TIME),
)
EARLIEST_YEAR = 1990


def find_date(text: str | None) -> datetime | None:
    """The first plausible date in `text`, also inside a line ("14.12.20 10:00 Category: News"), or None."""
    if not text:
        return None
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            parsed = _parse(match)
            if parsed is not None and EARLIEST_YEAR <= parsed.year <= datetime.now(timezone.utc).year + 1:
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def _parse(match: re.Match[str]) -> datetime | None:
    fields = match.groupdict()
    if fields.get("iso"):
        try:
            return datetime.fromisoformat(fields["iso"].replace("Z", "+00:00"))
        except ValueError:
            return None
    month = fields["month"]
    number = int(month) if month.isdigit() else _MONTHS.get(month.lower())
    year = int(fields["year"])
    if year < 100:
        year += 2000 if year < 70 else 1900
    try:
        return datetime(year, number or 0, int(fields["day"]), int(fields.get("hour") or 0),
                        int(fields.get("minute") or 0))
    except ValueError:
        return None


def parse_date(value: str | None) -> datetime | None:
    """A feed's date: RFC 822, ISO 8601, find_date's forms, else dateutil's reading; None when unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = find_date(value)
        if parsed is None:
            try:
                parsed = dateutil_parser.parse(value)
            except (ValueError, OverflowError):
                return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
