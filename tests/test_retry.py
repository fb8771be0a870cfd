"""Retries (icmpd_news/middlewares/retry.py): how long a Retry-After asks to wait."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from icmpd_news.middlewares.retry import retry_after_seconds


@pytest.mark.parametrize(("value", "expected"), [
    (b"120", 120.0),
    (b" 0 ", 0.0),
    ("Sat, 28 Nov 2026 06:00:30 GMT", 30.0),
    (b"Sat, 28 Nov 2026 05:00:00 GMT", 0.0),
    (b"soon", None),
    (None, None),
])
def test_retry_after_seconds(value: bytes | str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 28, 6, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(value, now=now) == expected
