"""The Article item: one exported record. What each field means, and what every record
satisfies: icmpd_news/schema/article.schema.json (docs/record.md shows it as a table)."""

from __future__ import annotations

import scrapy


class Article(scrapy.Item):
    """One ICMPD news article, as exported to articles.jsonl."""

    url = scrapy.Field()
    title = scrapy.Field()
    title_original = scrapy.Field()
    category = scrapy.Field()
    published = scrapy.Field()
    summary = scrapy.Field()
    text = scrapy.Field()
    authors = scrapy.Field()
    language = scrapy.Field()
    word_count = scrapy.Field()
    images = scrapy.Field()
    attachments = scrapy.Field()
    links = scrapy.Field()
    content_hash = scrapy.Field()
    fetched_at = scrapy.Field()
    # Set by the export pipeline from the record's history (icmpd_news/dataset/changes.py).
    first_seen = scrapy.Field()
    updated_at = scrapy.Field()
    version = scrapy.Field()
    removed = scrapy.Field()
    removed_at = scrapy.Field()
    source_feed = scrapy.Field()
    extraction = scrapy.Field()
    extraction_agreement = scrapy.Field()
    layout = scrapy.Field()
    rendered = scrapy.Field()
    extractor_version = scrapy.Field()
    archive = scrapy.Field()
