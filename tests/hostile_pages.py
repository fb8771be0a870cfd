"""Building blocks for the hostile-input tests: feeds and article pages served by a FaultServer.

Article pages are the fixture site's real pages (devsite/fixture_site.py) with their
rel=canonical removed, so each test path is its own article and the record's URL is the path
it was served at.
"""

from __future__ import annotations

import html
import re
from email.utils import parsedate_to_datetime

from devsite.fixture_site import expected_blocks, load_articles, render_page

ARTICLES = load_articles()
_CANONICAL = re.compile(r'<link rel="canonical" href="[^"]*">\n?')
_META_CHARSET = re.compile(r'<meta charset="[^"]*">\n?')


def page(index: int, base: str, charset: str = "utf-8", meta: bool = True) -> str:
    """Fixture article `index` as its detail page, without rel=canonical (and without <meta
    charset> when meta is False)."""
    text = _CANONICAL.sub("", render_page(ARTICLES[index], base, "http://127.0.0.2:9", charset=charset))
    return text if meta else _META_CHARSET.sub("", text)


def article_text(index: int) -> str:
    """The exact `text` field extraction must produce for fixture article `index`."""
    return "\n\n".join(expected_blocks(ARTICLES[index]))


def page_date(index: int) -> str:
    """The article's page date as a record's `published`: the current layout has the full
    timestamp (<time datetime>), the legacy one only the day (taken as 00:00 UTC)."""
    published = parsedate_to_datetime(ARTICLES[index]["pubDate"])
    if ARTICLES[index]["layout"] == "current":
        return published.isoformat()
    return f"{published.date().isoformat()}T00:00:00+00:00"


def rss(items: list[tuple[str, str | None, str | None]], prolog: str = "") -> bytes:
    """An RSS 2.0 feed of (title, link or None, pubDate or None) items."""
    parts = []
    for title, link, pub_date in items:
        parts.append("<item><title>" + html.escape(title) + "</title>"
                     + (f"<link>{html.escape(link)}</link>" if link is not None else "")
                     + "<description>A teaser...</description>"
                     + (f"<pubDate>{pub_date}</pubDate>" if pub_date is not None else "") + "</item>")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<rss version="2.0"><channel><title>Test feed</title>'
            f"<language>en</language>{''.join(parts)}</channel></rss>\n").encode()


def boilerplate_page(title: str) -> str:
    """A page of the current site after a redesign ate its article: navigation, banner, footer."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | ICMPD</title></head><body>'
        '<div class="cookie-consent"><p>This website uses cookies.</p><button>Accept all cookies</button></div>'
        '<header><nav><ul><li><a href="/our-work">Our Work</a></li><li><a href="/news">News</a></li></ul></nav></header>'
        '<main><div class="page-loading">Loading...</div></main>'
        '<footer><p>ICMPD, Gonzagagasse 1, 1010 Vienna, Austria</p><p>Subscribe to our newsletter</p></footer>'
        "</body></html>"
    )


def redesigned_page(index: int) -> str:
    """Fixture article `index` in markup no known layout matches (a future redesign)."""
    article = ARTICLES[index]
    paragraphs = "".join(f"<p>{html.escape(block)}</p>" for block in expected_blocks(article)[:6] if "\n" not in block)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(article["title"])}</title></head>'
        '<body><header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>'
        f'<div class="story-2030"><h1 class="story-2030__headline">{html.escape(article["title"])}</h1>'
        f'<div class="story-2030__copy">{paragraphs}</div></div>'
        "<footer><p>ICMPD, Gonzagagasse 1, 1010 Vienna</p></footer></body></html>"
    )
