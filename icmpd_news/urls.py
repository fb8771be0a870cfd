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


# A URL of a lower-case host, a port and path segments of unreserved characters alone is its own
# canonical form but for duplicate slashes (the usual feed link): no need for w3lib's parsing and quoting.
_PLAIN_URL = re.compile(
    r"(?P<origin>https?://[a-z0-9.-]+(?::(?P<port>[0-9]{1,5}))?)(?P<path>(?:/+[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/*)"
)


def as_requested(url: str) -> str:
    """The URL as Scrapy requests it, and the state store keeps it: w3lib's safe_url_string (a plain URL as it is)."""
    return url if _PLAIN_URL.fullmatch(url) else safe_url_string(url)


def _kept_port(port: str) -> bool:
    """A port the canonical form keeps as written: valid, not a scheme's default, no leading zero."""
    return not port.startswith("0") and int(port) <= 65535 and port not in ("80", "443")


# Canonicalised a dozen times per article: a bounded cache of a pure function.
@functools.lru_cache(maxsize=4096)
def canonical_url(url: str) -> str:
    """Normalise an article URL so that every spelling of one article gives one string: w3lib's
    canonical form, with duplicate slashes collapsed and without the NON_IDENTIFYING parameters
    nor the default port."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain and (plain["port"] is None or _kept_port(plain["port"])):
        return plain["origin"] + (_MULTI_SLASH.sub("/", plain["path"]) or "/")
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
