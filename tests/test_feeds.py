"""Feed parsing: the real tt_news feed shape, Atom, dates, teasers, and no entity resolution."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from devsite.fixture_site import load_articles, render_feed
from icmpd_news.extract import EXTRACTOR_VERSION
from icmpd_news.extract.feeds import (
    NAMESPACES,
    FeedEntry,
    FeedError,
    clean_teaser,
    feed_from_rows,
    feed_to_rows,
    parse_date,
    parse_feed,
)
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


def test_a_parsed_feed_is_kept_as_json_exactly() -> None:
    body = render_feed(load_articles(), BASE, "http://127.0.0.2:9").encode()
    for with_content in (True, False):
        feed = parse_feed(body, BASE + "/feed.xml", with_content=with_content)
        facts, entries = feed_to_rows(feed)
        assert feed_from_rows(facts, list(entries)) == feed
    assert feed.entries[0].published.utcoffset() == timedelta(hours=1)
    # Entries another extraction version parsed are not reused: the stored copy is parsed again.
    facts, entries = feed_to_rows(feed)
    older = json.loads(facts) | {"extractor_version": EXTRACTOR_VERSION - 1}
    assert feed_from_rows(json.dumps(older), entries) is None


def test_kept_entries_the_run_will_not_request_are_read_as_their_link_alone() -> None:
    feed = parse_feed(render_feed(load_articles(), BASE, "http://127.0.0.2:9").encode(), BASE + "/feed.xml")
    brief = {feed.entries[0].link, feed.entries[2].link}
    facts, entries = feed_to_rows(feed)
    read = feed_from_rows(facts, list(entries), brief=lambda link: link in brief)
    assert read.entries == [FeedEntry(entry.link) if entry.link in brief else entry for entry in feed.entries]
    assert read.entries[0].title is None and read.entries[1].title == feed.entries[1].title


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


def test_a_large_feed_is_read_entry_by_entry_in_order() -> None:
    """A feed of many full articles (several times the stream parser's 64 KiB piece): every
    entry, in order, with its content; only /rss/channel/item elements are entries."""
    body = "<p>" + "A paragraph of the article. " * 40 + "</p>"
    items = "".join(f"<item><title>Article {n}</title><link>/news/{n}</link><content:encoded><![CDATA[{body}]]>"
                    f"</content:encoded><pubDate>Mon, 18 Jan 2021 10:00:{n % 60:02d} +0100</pubDate></item>"
                    for n in range(300))
    rss = (f'<?xml version="1.0"?><rss version="2.0" xmlns:content="{NAMESPACES["content"]}"><channel>'
           f"<title>Big</title><language>de</language>{items}<extra><item><title>Not an entry</title></item></extra>"
           "</channel></rss>").encode()
    assert len(rss) > 5 * 65536
    feed = parse_feed(rss, BASE + "/feed.xml")
    assert (feed.kind, feed.title, feed.language, feed.recovered) == ("rss", "Big", "de", False)
    assert [entry.title for entry in feed.entries] == [f"Article {n}" for n in range(300)]
    assert [entry.link for entry in feed.entries[:2]] == [BASE + "/news/0", BASE + "/news/1"]
    assert all(entry.content_html == body for entry in feed.entries)
    assert feed.entries[-1].published == datetime(2021, 1, 18, 10, 0, 59, tzinfo=timezone(timedelta(hours=1)))


def test_a_malformed_feed_is_recovered_and_says_so() -> None:
    broken = (b'<rss version="2.0"><channel><title>Broken & co</title><language>en</language>'
              b"<item><title>A</title><link>/news/a</link><category> Press Release </category></item>"
              b"<item><title>B</title><link>/news/b</link></item></channel>")
    feed = parse_feed(broken, BASE + "/feed.xml")
    assert (feed.kind, feed.language, feed.recovered) == ("rss", "en", True)
    assert [(entry.title, entry.link) for entry in feed.entries] == [("A", BASE + "/news/a"), ("B", BASE + "/news/b")]
    assert feed.entries[0].categories == ["Press Release"]
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom & co</title>'
            b'<entry><title>A</title><link href="/news/a"/></entry>')
    recovered = parse_feed(atom, BASE + "/atom.xml")
    assert (recovered.kind, recovered.recovered, [e.link for e in recovered.entries]) == ("atom", True, [BASE + "/news/a"])
    with pytest.raises(FeedError, match="^not well-formed XML: StartTag: invalid element name, line 1, column 23 "):
        parse_feed(b'<?xml version="1.0"?><', BASE + "/feed.xml")


def test_rss_item_fields_from_guid_categories_and_creators() -> None:
    rss = b"""<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
<item><title>Permalink</title><guid>/news/from-guid</guid><category>In Focus</category><category> </category>
<author>press@127.0.0.1 (Press Office)</author><dc:creator>Oleg Chirita</dc:creator></item>
<item><title>Not a permalink</title><guid isPermaLink="false">tt_news-4711</guid></item></channel></rss>"""
    permalink, opaque = parse_feed(rss, BASE + "/feed.xml").entries
    assert (permalink.link, permalink.categories, permalink.authors) == (
        BASE + "/news/from-guid", ["In Focus"], ["press@127.0.0.1 (Press Office)", "Oleg Chirita"])
    assert (opaque.link, opaque.categories, opaque.authors) == (None, [], [])


def test_atom_without_content_or_link() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom feed</title>
<entry><title>A</title><content type="html">&lt;p&gt;Body&lt;/p&gt;</content></entry></feed>"""
    [entry] = parse_feed(atom, BASE + "/atom.xml").entries
    assert (entry.link, entry.content_html) == (None, "<p>Body</p>")
    assert parse_feed(atom, BASE + "/atom.xml", with_content=False).entries[0].content_html is None
    assert parse_feed(atom, BASE + "/atom.xml").title == "Atom feed"
    with pytest.raises(FeedError, match=r"^not a feed: the document's root element is <feed>, not <rss> or <feed>$"):
        parse_feed(b"<feed><entry><title>No namespace</title></entry></feed>", BASE + "/atom.xml")


@pytest.mark.parametrize(("count", "shown"), [(5, "e0, e1, e2, e3, e4"), (6, "e0, e1, e2, e3, e4, ...")])
def test_a_refusal_names_the_first_five_entities(count: int, shown: str) -> None:
    entities = "".join(f'<!ENTITY e{n} "x">' for n in range(count))
    body = f'<!DOCTYPE rss [{entities}]><rss version="2.0"><channel><title>t</title></channel></rss>'.encode()
    with pytest.raises(FeedError, match=rf"^refused: the document declares {count} XML entities \({re.escape(shown)}\); "):
        parse_feed(body, BASE + "/feed.xml")
