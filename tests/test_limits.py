"""Extraction bounds (icmpd_news/extract/limits.py): a page too large to read is refused before
extraction, and a time limit interrupts extraction and leaves no alarm behind."""

from __future__ import annotations

import time

import pytest
from scrapy.http import HtmlResponse

from icmpd_news.extract import ExtractionFailed, extract_article
from icmpd_news.extract.limits import ExtractionTimeout, time_limit
from tests.hostile_pages import article_text, page

BASE = "http://127.0.0.1:8000"


def _response(html: str) -> HtmlResponse:
    return HtmlResponse(url=f"{BASE}/news/x", body=html.encode(), encoding="utf-8")


def test_element_cap_refuses_before_extracting() -> None:
    html = page(0, BASE)
    assert extract_article(_response(html), site="127.0.0.1", max_elements=100).text == article_text(0)
    with pytest.raises(ExtractionFailed, match=r"more than 50 elements \(ICMPD_EXTRACT_MAX_ELEMENTS\)") as failed:
        extract_article(_response(html), site="127.0.0.1", max_elements=50)
    assert failed.value.kind == "too_complex"


def test_time_limit_interrupts_and_disarms() -> None:
    with pytest.raises(ExtractionTimeout, match=r"^extraction took longer than 0.2 s \(ICMPD_EXTRACT_TIME_LIMIT\)$"), time_limit(0.2):
        while True:
            time.sleep(0.01)
    with time_limit(0.2):
        pass
    time.sleep(0.3)  # an alarm left armed would raise here
