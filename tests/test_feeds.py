"""Feed parsing: the real tt_news feed shape, Atom, dates, teasers, and no entity resolution."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from devsite.fixture_site import load_articles, render_feed
from icmpd_news.extract.feeds import FeedError, clean_teaser, parse_date, parse_feed
from tests.servers import Catcher

BASE = "http://127.0.0.1:8000"


def test_fixture_feed_entries() -> None:
    articles = load_articles()
    feed = parse_feed(render_feed(articles, BASE, "http://127.0.0.2:9").encode(), BASE + "/feed.xml")
    assert feed.kind == "rss" and feed.title == "www.icmpd.org" and feed.language == "en"
    assert len(feed.entries) == len(articles) + 3
    first = feed.entries[0]
    assert first.title == "Expert Voice Series: TAPPING INTO GLOBAL TALENT - Putting Talent Partnerships in motion"
    assert first.link == BASE + "//news-centre/news-detail/" + articles[0]["slug"] + "/"
    assert first.summary == "One of the innovative tools proposed by the EU’s New Pact on Migration and Asylum is the Talent"
    assert first.published == datetime(2021, 1, 18, 19, 20, 6, tzinfo=timezone(timedelta(hours=1)))
    assert "Learning from the first generation" in first.content_html


def test_feed_without_content_keeps_everything_else() -> None:
    body = render_feed(load_articles(), BASE, "http://127.0.0.2:9").encode()
    full, lean = parse_feed(body, BASE + "/feed.xml"), parse_feed(body, BASE + "/feed.xml", with_content=False)
    assert all(entry.content_html is None for entry in lean.entries)
    assert [replace(entry, content_html=None) for entry in full.entries] == lean.entries


def test_atom_feed() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>ICMPD</title>
<entry><title>Press Release: A</title><link rel="alternate" href="/news/a"/><link rel="enclosure" href="/x.pdf"/>
<summary type="html">&lt;p&gt;Teaser of A&lt;/p&gt;...</summary><published>2024-09-26T10:00:00+02:00</published>
<author><name>Jane Doe</name></author><category term="Press Release"/></entry>
<entry><title>B</title><link href="http://127.0.0.1:8000/news/b"/><updated>2024-09-25T08:00:00Z</updated></entry>
</feed>"""
    feed = parse_feed(atom, BASE + "/atom.xml")
    assert feed.kind == "atom" and feed.language == "en"
    a, b = feed.entries
    assert (a.link, a.title, a.summary, a.authors, a.categories) == (
        BASE + "/news/a", "Press Release: A", "Teaser of A", ["Jane Doe"], ["Press Release"])
    assert a.published.isoformat() == "2024-09-26T10:00:00+02:00"
    assert b.link == BASE + "/news/b" and b.published.isoformat() == "2024-09-25T08:00:00+00:00"


@pytest.mark.parametrize(("value", "expected"), [
    ("Mon, 18 Jan 2021 19:20:06 +0100", "2021-01-18T19:20:06+01:00"),
    ("Mon, 18 Jan 2021 19:20:06 GMT", "2021-01-18T19:20:06+00:00"),
    ("2021-01-18T19:20:06Z", "2021-01-18T19:20:06+00:00"),
    ("2021-01-18", "2021-01-18T00:00:00+00:00"),
    ("2021-01-18T19:20:06+01:00", "2021-01-18T19:20:06+01:00"),
    ("18 January 2021", "2021-01-18T00:00:00+00:00"),
    ("14 december 2020", "2020-12-14T00:00:00+00:00"),
    ("December 14, 2020", "2020-12-14T00:00:00+00:00"),
    ("not a date", None),
    ("", None),
    (None, None),
])
def test_parse_date(value: str | None, expected: str | None) -> None:
    parsed = parse_date(value)
    assert (parsed.isoformat() if parsed else None) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("One of the tools is the Talent...", "One of the tools is the Talent"),
    ("Ends with an ellipsis …", "Ends with an ellipsis"),
    ("<p>Markup &amp; entities</p> [...]", "Markup & entities"),
    ("   ", None),
])
def test_clean_teaser(value: str, expected: str | None) -> None:
    assert clean_teaser(value) == expected


def test_an_item_dated_only_by_dublin_core_keeps_its_date() -> None:
    rss = b"""<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
<item><title>A</title><link>/news/a</link><dc:date>2021-01-18T19:20:06+01:00</dc:date></item>
<item><title>B</title><link>/news/b</link><pubDate>Mon, 18 Jan 2021 10:00:00 +0100</pubDate>
<dc:date>2020-01-01T00:00:00Z</dc:date></item></channel></rss>"""
    a, b = parse_feed(rss, BASE + "/feed.xml").entries
    assert a.published == datetime(2021, 1, 18, 19, 20, 6, tzinfo=timezone(timedelta(hours=1)))
    assert b.published == datetime(2021, 1, 18, 10, 0, tzinfo=timezone(timedelta(hours=1)))  # pubDate first


def test_relative_links_resolve_and_missing_links_stay_none() -> None:
    rss = b"""<rss version="2.0"><channel><title>t</title>
<item><title>Relative</title><link>/news/relative</link></item>
<item><title>No link</title><description>x</description></item></channel></rss>"""
    relative, missing = parse_feed(rss, BASE + "/feed.xml").entries
    assert relative.link == BASE + "/news/relative"
    assert missing.link is None


def test_external_entities_are_never_resolved(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    rss = f"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><title>t</title><item><title>A &xxe; B</title><link>/a</link>
<description>&xxe;</description></item></channel></rss>""".encode()
    with pytest.raises(FeedError, match="declares 1 XML entities") as refused:
        parse_feed(rss, BASE + "/feed.xml")
    assert "TOP-SECRET" not in str(refused.value)


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty body"),
    (b"   ", "empty body"),
    (b"<html><body>Not a feed</body></html>", "not a feed: the document's root element is <html>, not <rss> or <feed>"),
    (b'{"items": []}', "not a feed: the body looks like JSON, not RSS or Atom XML"),
])
def test_not_a_feed(body: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=f"^{re.escape(reason)}$"):
        parse_feed(body, BASE + "/feed.xml")


def test_json_and_entity_declarations_are_refused() -> None:
    with pytest.raises(FeedError, match="looks like JSON"):
        parse_feed(b'  [{"title": "x"}]', f"{BASE}/feed.xml")
    internal = b'<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]><rss version="2.0"><channel><title>a&nbsp;b</title></channel></rss>'
    with pytest.raises(FeedError, match=r"declares 1 XML entities \(nbsp\)"):
        parse_feed(internal, f"{BASE}/feed.xml")


def test_external_dtd_reference_alone_is_accepted_and_not_loaded(catcher: Catcher) -> None:
    rss091 = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
              + f'"{catcher.base}/rss-0.91.dtd"><rss version="0.91"><channel><title>t</title>'.encode()
              + b"<item><title>A</title><link>/news/a</link></item></channel></rss>")
    feed = parse_feed(rss091, f"{BASE}/feed.xml")
    assert [entry.link for entry in feed.entries] == [f"{BASE}/news/a"]
    assert catcher.connections == 0
