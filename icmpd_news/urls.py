"""URL rules: the canonical form of an article URL and which hosts count as the feed's own site."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string, url_query_cleaner

# TYPO3's link parameters and tracking parameters: they never identify content.
NON_IDENTIFYING_PARAMS = ("L", "cHash", "no_cache", "fbclid", "gclid")
NON_IDENTIFYING_PREFIXES = ("tx_ttnews[", "tx_ttnews%5B", "utm_")

_MULTI_SLASH = re.compile(r"/{2,}")


def site_host(host: str | None) -> str:
    """The host without a leading "www." and without case: icmpd.org and www.icmpd.org are one site."""
    host = (host or "").lower().rstrip(".")
    return host.removeprefix("www.")


def same_site(url: str, site: str) -> bool:
    """True when `url` is on the site `site` (a host as returned by site_host)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and site_host(parts.hostname) == site


def _identifying(key: str) -> bool:
    return key not in NON_IDENTIFYING_PARAMS and not key.startswith(NON_IDENTIFYING_PREFIXES)


# Canonicalised a dozen times per article: a bounded cache of a pure function.
@functools.lru_cache(maxsize=4096)
def canonical_url(url: str) -> str:
    """Normalise an article URL so that every spelling of one article gives one string: w3lib's
    canonical form, with duplicate slashes collapsed and without the NON_IDENTIFYING parameters
    nor the default port."""
    url = safe_url_string(url.strip())
    parts = urlsplit(url)
    path = _MULTI_SLASH.sub("/", parts.path) or "/"
    netloc = parts.netloc.lower()
    if (parts.scheme, parts.port) in (("http", 80), ("https", 443)):
        netloc = netloc.rsplit(":", 1)[0]
    url = urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))
    if parts.query:
        keys = [pair.split("=", 1)[0] for pair in parts.query.split("&") if pair]
        keep = [key for key in keys if _identifying(key)]
        url = url_query_cleaner(url, keep, keep_fragments=False) if keep else url.split("?", 1)[0]
    return canonicalize_url(url)
