"""The item loader (icmpd_news/loaders.py) and the text cleaning it applies (icmpd_news/text.py):
every field cleaned, the derived fields (word_count, content_hash) computed as the record's
contract says."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

import pytest

from icmpd_news.loaders import ArticleLoader, content_hash, iso_datetime
from icmpd_news.text import clean_line, clean_text

# sha256 of "Pınar said: the partnership works. Next steps", the text's words joined by single spaces.
HASH = "sha256:b94fe0e74c6e4a16509c135a522e60b4a3ebd484444e2509936f50210aa26441"


def test_content_hash_is_of_the_words_alone() -> None:
    # Decomposed "ı" stays "ı"; "P" + combining marks are composed (NFC) before hashing.
    text = "P\u0131nar said:\u00a0the partnership works.\n\n  Next\tsteps "
    assert content_hash(text) == HASH
    assert content_hash(unicodedata.normalize("NFD", text)) == HASH
    assert content_hash("Pınar said: the partnership works. Next steps.") != HASH  # a full stop is an edit


@pytest.mark.parametrize(("value", "expected"), [
    ("  Pınar\u00a0 Yapanoğlu\n and\u202fBorut ", "Pınar Yapanoğlu and Borut"),
    ("e\u0301", "é"),  # NFC
    (" \u200b\t ", None),
])
def test_clean_line(value: str, expected: str | None) -> None:
    assert clean_line(value) == expected


def test_clean_text_keeps_blocks_apart_by_exactly_one_blank_line() -> None:
    assert clean_text("  First\u00a0 block.  \n\n\n\n Second\n line \n\n") == "First block.\n\nSecond\nline"
    assert clean_text(" \n \n") is None


@pytest.mark.parametrize(("value", "expected"), [
    (datetime(2021, 1, 18, 19, 20, 6, 123456, tzinfo=timezone(timedelta(hours=1))), "2021-01-18T19:20:06+01:00"),
    (datetime(2021, 1, 18, 19, 20, 6), "2021-01-18T19:20:06+00:00"),  # naive: taken as UTC
    ("2021-01-18T19:20:06+01:00", "2021-01-18T19:20:06+01:00"),
])
def test_iso_datetime(value: datetime | str, expected: str) -> None:
    assert iso_datetime(value) == expected


def test_the_loader_cleans_every_field_and_derives_the_counts() -> None:
    loader = ArticleLoader()
    loader.add_value("url", "http://127.0.0.1:8000/news/a ")
    loader.add_value("title", "  Talent\u00a0Partnerships ")
    loader.add_value("text", "P\u0131nar said:\u00a0the partnership works.\n\n\n  Next\tsteps ")
    loader.add_value("authors", ["Oleg Chirita", " Oleg\u00a0Chirita", "Diana Stefanescu"])
    loader.add_value("published", datetime(2021, 1, 18, 19, 20, 6, tzinfo=timezone.utc))
    loader.add_value("images", [{"url": "http://127.0.0.1:8000/a b.png ", "alt": " A\u00a0map ", "caption": None}])
    loader.add_value("summary", "   ")
    item = loader.load_item()
    assert dict(item) == {
        "url": "http://127.0.0.1:8000/news/a",
        "title": "Talent Partnerships",
        "text": "Pınar said: the partnership works.\n\nNext steps",
        "authors": ["Oleg Chirita", "Diana Stefanescu"],
        "published": "2021-01-18T19:20:06+00:00",
        "images": [{"url": "http://127.0.0.1:8000/a b.png ", "alt": "A map", "caption": None}],  # URLs as found
        "attachments": [],
        "links": [],
        "extraction_agreement": None,
        "archive": None,
        "word_count": 7,
        "content_hash": HASH,
    }


def test_an_article_without_text_has_no_words() -> None:
    item = ArticleLoader().load_item()
    assert (item["word_count"], item["content_hash"], item["published"]) == (0, content_hash(""), None)
    assert item["content_hash"] == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
