"""ArticleLoader: the input/output processors that clean every field, and the derived fields."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime, timezone

from itemloaders.processors import Identity, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from icmpd_news.items import Article
from icmpd_news.text import clean_line, clean_text

LIST_FIELDS = ("authors", "images", "attachments", "links")
# Fields every record carries, null when no source gives a value.
NULLABLE_FIELDS = ("published", "extraction_agreement", "archive")


def iso_datetime(value: datetime | str) -> str:
    """An aware datetime as ISO 8601 with its UTC offset, to the second."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.replace(microsecond=0).isoformat()


def content_hash(text: str) -> str:
    """sha256 of the text with all whitespace folded: layout-only changes do not count as edits."""
    normalised = " ".join(unicodedata.normalize("NFC", text).split())
    return "sha256:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _clean_scalar(value: object) -> object:
    return clean_line(value) if isinstance(value, str) else value


def _unique(values: list) -> list:
    seen: list = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _clean_media(entry: dict) -> dict:
    return {key: clean_line(value) if isinstance(value, str) and key != "url" else value for key, value in entry.items()}


class ArticleLoader(ItemLoader):
    """Cleans what the spider and extraction found into an Article with derived fields set."""

    default_item_class = Article
    default_input_processor = MapCompose(_clean_scalar)
    default_output_processor = TakeFirst()

    text_in = MapCompose(clean_text)
    published_in = MapCompose(iso_datetime)
    fetched_at_in = MapCompose(iso_datetime)
    authors_in = MapCompose(clean_line)
    authors_out = _unique
    images_in = MapCompose(_clean_media)
    images_out = Identity()
    attachments_in = MapCompose(_clean_media)
    attachments_out = Identity()
    links_in = MapCompose(_clean_media)
    links_out = Identity()

    def load_item(self) -> Article:
        """Load the item, give list fields [] and nullable fields None when empty, and derive
        content_hash and word_count."""
        item = super().load_item()
        for name in LIST_FIELDS:
            item.setdefault(name, [])
        for name in NULLABLE_FIELDS:
            item.setdefault(name, None)
        text = item.get("text") or ""
        item["content_hash"] = content_hash(text)
        item["word_count"] = len(text.split())
        return item
