"""Canonical URLs and the feed's site (loopback names only: these strings never leave the machine)."""

from __future__ import annotations

import itertools
import re

import pytest
from w3lib.url import safe_url_string

from icmpd_news import urls
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


def test_a_plain_url_is_its_own_canonical_form_exactly_as_w3lib_makes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut for plain URLs (no parsing) gives what the full canonicalisation gives, for every
    combination of the parts a plain URL can have and of the near misses it must leave to w3lib."""
    schemes = ["http://", "https://", "HTTP://"]
    hosts = ["icmpd.org", "www.icmpd.org", "127.0.0.1", "a-b.example", "ICMPD.org", "xn--bcher-kva.example"]
    ports = ["", ":80", ":443", ":080", ":8080", ":0", ":65535", ":99999"]
    paths = ["", "/", "/news", "/news/", "/news-centre/news-detail/talent-partnerships/", "/a.html", "/a/./b",
             "/a/../b", "/.x", "/a//b", "/~u/x_y", "/x.", "/A-b", "/.", "/..", "/%41", "/a b", "/ä", "/a?x=1",
             "/a?L=0&cHash=1", "/a#f", "/a;p", "/a/", "//news/x/", "/a///b//", "//", "//./a", "/a//../b"]

    def canonical(url: str) -> str:
        try:
            return urls.canonical_url.__wrapped__(url)
        except ValueError as error:
            return f"ValueError: {error}"

    combinations = [s + h + pt + pa for s, h, pt, pa in itertools.product(schemes, hosts, ports, paths)]
    shortcut = [canonical(url) for url in combinations]
    monkeypatch.setattr(urls, "_PLAIN_URL", re.compile(r"(?!)"))  # never plain: always w3lib
    assert shortcut == [canonical(url) for url in combinations]


def test_a_url_as_requested_is_w3libs_safe_form() -> None:
    combinations = [f"http://{host}{port}{path}" for host in ("icmpd.org", "127.0.0.1", "ICMPD.org")
                    for port in ("", ":80", ":8080") for path in ("", "/", "//news//x/", "/a b", "/ä", "/a?x=1#f", "/%41")]
    assert [urls.as_requested(url) for url in combinations] == [safe_url_string(url) for url in combinations]
