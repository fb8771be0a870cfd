"""An article page to its item: extraction, then the loader with what the crawl knows of the page
(the work a worker process does for each page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from icmpd_news.extract import EXTRACTOR_VERSION, PageArticle, extract_page, split_category
from icmpd_news.extract.feeds import FeedEntry
from icmpd_news.extract.listing import ListingEntry
from icmpd_news.items import Article
from icmpd_news.loaders import ArticleLoader
from icmpd_news.urls import canonical_url


@dataclass(frozen=True)
class PageContext:
    """What the crawl knows of a page besides its bytes: the feed or listing that led to it, and
    how it was fetched (rendered, its archived response)."""

    source: str
    entry: FeedEntry | None = None
    listing: ListingEntry | None = None
    language: str | None = None
    rendered: bool = False
    archive: dict | None = None


def article_from_page(url: str, body: bytes, encoding: str, options: dict, context: PageContext) -> tuple[PageArticle, Article]:
    """extract_page, then load_article; ExtractionFailed as extract_page raises it."""
    page = extract_page(url, body, encoding, **options)
    return page, load_article(page, url, context)


def load_article(page: PageArticle, url: str, context: PageContext) -> Article:
    """The item: each field keeps the first value added below (the sources per field: the JSON Schema)."""
    feed_title = context.entry.title if context.entry else None
    feed_category, feed_title_clean = split_category(feed_title)
    loader = ArticleLoader()
    loader.add_value("url", canonical_url(page.canonical_url or url))
    loader.add_value("title", page.title)
    loader.add_value("title", feed_title_clean)
    loader.add_value("title", context.listing.title if context.listing else None)
    loader.add_value("title_original", feed_title)
    loader.add_value("title_original", page.title_original)
    loader.add_value("category", page.category)
    loader.add_value("category", feed_category)
    loader.add_value("category", context.entry.categories if context.entry else None)
    loader.add_value("category", context.listing.category if context.listing else None)
    loader.add_value("published", context.entry.published if context.entry else None)
    loader.add_value("published", page.published)
    loader.add_value("published", context.listing.published if context.listing else None)
    loader.add_value("summary", context.entry.summary if context.entry else None)
    loader.add_value("summary", context.listing.teaser if context.listing else None)
    loader.add_value("summary", page.text.split("\n\n", 1)[0])
    loader.add_value("text", page.text)
    loader.add_value("authors", page.authors or (context.entry.authors if context.entry else None))
    loader.add_value("language", page.language)
    loader.add_value("language", context.language)
    loader.add_value("images", page.images)
    loader.add_value("attachments", page.attachments)
    loader.add_value("links", page.links)
    loader.add_value("fetched_at", datetime.now(timezone.utc))
    loader.add_value("source_feed", context.source)
    loader.add_value("extraction", page.extraction)
    loader.add_value("extraction_agreement", page.agreement)
    loader.add_value("layout", page.layout)
    loader.add_value("rendered", context.rendered)
    loader.add_value("extractor_version", EXTRACTOR_VERSION)
    loader.add_value("archive", context.archive)
    return loader.load_item()
