"""Canonical URLs and the feed's site (loopback names only: these strings never leave the machine)."""

from __future__ import annotations

import pytest

from icmpd_news.urls import canonical_url, same_site, site_host

SLUG = "https://www.localhost/news-centre/news-detail/project-news-expansion-of-enhancer-project/"


@pytest.mark.parametrize("variant", [
    "https://www.localhost//news-centre/news-detail/project-news-expansion-of-enhancer-project/",
    "HTTPS://WWW.LOCALHOST/news-centre/news-detail/project-news-expansion-of-enhancer-project/",
    "https://www.localhost:443/news-centre/news-detail/project-news-expansion-of-enhancer-project/#top",
    "https://www.localhost/news-centre/news-detail/project-news-expansion-of-enhancer-project/?L=0&cHash=abc123",
    "https://www.localhost/news-centre/news-detail/project-news-expansion-of-enhancer-project/?tx_ttnews[tt_news]=123&L=1",
    "https://www.localhost/news-centre/news-detail/project-news-expansion-of-enhancer-project/?tx_ttnews%5BbackPid%5D=7",
    "https://www.localhost/news-centre/news-detail/project-news-expansion-of-enhancer-project/?utm_source=rss",
    "https://www.localhost/news-centre/news-detail/project-news-expansion-of-enhancer-project/?fbclid=IwAR0xYz",
    "https://www.localhost/news-centre/news-detail/project-news-expansion-of-enhancer-project/?gclid=Cj0KCQ&utm_medium=ad",
    "https://www.localhost/news-centre/news-detail/project-news-expansion-of-enhancer-project/?no_cache=1&cHash=9",
])
def test_variants_share_one_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == SLUG


def test_identifying_query_is_kept_and_sorted() -> None:
    assert canonical_url("https://www.localhost/news?page=2&L=0&cHash=x") == "https://www.localhost/news?page=2"
    assert canonical_url("http://127.0.0.1:8000/a?b=2&a=1") == "http://127.0.0.1:8000/a?a=1&b=2"


def test_site_hosts() -> None:
    assert site_host("WWW.LOCALHOST") == site_host("localhost") == "localhost"
    assert same_site("https://localhost/news/a", "localhost")
    assert same_site("https://www.localhost/news/a", "localhost")
    assert not same_site("https://www.localhost.test/news/a", "localhost")
    assert not same_site("https://sub.localhost/news/a", "localhost")
    assert not same_site("ftp://www.localhost/news/a", "localhost")
    assert not same_site("http://127.0.0.2:8000/a", "127.0.0.1")
