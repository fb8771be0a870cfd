"""The name and meaning of every stat the project sets: the one place a stat name is written.

REGISTRY maps each name to its one-line meaning. A family is registered once with its kind in
angle brackets: `articles_failed("timeout")` names one stat, `articles_failed.prefix` all. Media
stats take their `<media>` from media_stat (`media_stat(MEDIA_DOWNLOADED, MEDIA_FILES)`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Every stat name (or family pattern), with its meaning.
REGISTRY: dict[str, str] = {}


def stat(name: str, meaning: str) -> str:
    """Register a stat with its meaning (one line); return its name."""
    if name in REGISTRY:
        raise ValueError(f"stat {name} is registered twice")
    REGISTRY[name] = meaning
    return name


@dataclass(frozen=True)
class Family:
    """Stats named by a prefix and a kind: calling it with the kind gives one stat's name."""

    prefix: str

    def __call__(self, kind: str) -> str:
        return self.prefix + kind


def family(pattern: str, meaning: str) -> Family:
    """Register a family, written with its kind last in angle brackets ("icmpd/feed/skipped/<problem>")."""
    return Family(stat(pattern, meaning).rpartition("<")[0])


def media_stat(name: str, media: str) -> str:
    """One media's stat (MEDIA_IMAGES or MEDIA_FILES) from a name written with `<media>`."""
    return name.replace("<media>", media)


# --- Feed -------------------------------------------------------------------------------
FEED_PREFIX = "icmpd/feed/"
FEED_URL = stat("icmpd/feed/url", "The feed that was read, after discovery.")
FEED_DISCOVERED_URL = stat("icmpd/feed/discovered_url", "The feed advertised by the page feed_url named.")
FEED_ENTRIES = stat("icmpd/feed/entries", "Entries the feed lists.")
FEED_RECOVERED = stat("icmpd/feed/recovered", "1 when the feed was malformed XML and its entries were recovered.")
FEED_REUSED = stat(
    "icmpd/feed/reused", "1 when the feed answered 304 and its entries are those parsed from the same copy before (no parse)."
)
FEED_ERROR = stat("icmpd/feed/error", "1 when the feed could not be fetched or parsed: the run fails.")
FEED_ERROR_REASON = stat("icmpd/feed/error_reason", "Why the feed could not be read, in words.")
feed_skipped = family(
    "icmpd/feed/skipped/<problem>",
    "Feed entries not crawled, by problem: no_link, scheme (not http(s)), offsite, duplicate.",
)

# --- Listing (the archive walk) ---------------------------------------------------------
LISTING_PREFIX = "icmpd/listing/"
LISTING_PAGES = stat("icmpd/listing/pages", "Listing pages read.")
LISTING_ENTRIES = stat("icmpd/listing/entries", "Entries the listing pages list.")
listing_layout = family(
    "icmpd/listing/layout/<layout>", "Listing pages by how they were read: site (known markup) or generic."
)
LISTING_FAILED = stat("icmpd/listing/failed", "Listing pages that failed for good (after retries).")
listing_failed = family(
    "icmpd/listing/failed/<kind>",
    "Failed listing pages by kind: http_<status>, not_html, or a network error's name.",
)
LISTING_NEXT_GUESSED = stat("icmpd/listing/next_guessed", "Listing pages without a pager, followed by number.")
LISTING_SKIPPED_KNOWN = stat("icmpd/listing/skipped/known", "Listed articles the export holds already: not requested.")
listing_skipped = family(
    "icmpd/listing/skipped/<problem>",
    "Listing links not crawled, by problem: no_link, scheme, offsite (a next link too), duplicate.",
)
LISTING_END = stat("icmpd/listing/end", "Why the walk ended: one of icmpd_news.spiders.archive's END_ reasons.")


def link_skipped(where: str, problem: str) -> str:
    """A link from the feed or the listing (`where`: "feed" or "listing") not crawled."""
    return {"feed": feed_skipped, "listing": listing_skipped}[where](problem)


# --- Articles ---------------------------------------------------------------------------
ARTICLES_REQUESTED = stat("icmpd/articles/requested", "Article pages requested.")
ARTICLES_FRESH = stat(
    "icmpd/articles/fresh", "Articles of an unchanged feed the site confirmed recently: not requested again."
)
ARTICLES_GONE = stat(
    "icmpd/articles/gone", "Articles answering 404 or 410: no record (an exported one is marked removed)."
)
ARTICLES_FAILED = stat("icmpd/articles/failed", "Articles that failed for good: no record from this run.")
articles_failed = family(
    "icmpd/articles/failed/<kind>",
    "Failed articles by kind: extraction, render, not_html, http_<status>, timeout, data_loss, too_large, dns, "
    "connection_refused, robots_txt_unreachable, redirect_loop, offsite_redirect, redirect_refused, too_complex, "
    "extraction_timeout, worker_lost (the worker process extracting the page died), or a network error's name.",
)
ARTICLES_SKIPPED = stat(
    "icmpd/articles/skipped", "Articles not fetched by the site's decision: a warning, not a failure."
)
articles_skipped = family(
    "icmpd/articles/skipped/<kind>", "Skipped articles by kind: robots (robots.txt disallows the page)."
)
ARTICLES_REDIRECT_DUPLICATE = stat(
    "icmpd/articles/redirect_duplicate", "Articles redirecting to one requested anyway: its record comes from there."
)
ARTICLES_NO_DATE = stat("icmpd/articles/no_date", "Articles exported with published null: no source gave a date.")

# --- Extraction -------------------------------------------------------------------------
articles_extraction = family(
    "icmpd/articles/extraction/<path>",
    "Articles by extraction path (the record's `extraction`): site, site+generic, generic.",
)
EXTRACTION_CROSSCHECKED = stat(
    "icmpd/extraction/crosschecked", "Pages whose check ran the generic extractor beside a known layout."
)
metadata_mismatch = family(
    "icmpd/metadata/mismatch/<field>",
    "Pages whose layout and metadata disagree on a field (title, published): the layout's is kept.",
)

# --- Browser ----------------------------------------------------------------------------
RENDER_REQUESTED = stat("icmpd/render/requested", "Pages requested through the browser.")
render_requested = family(
    "icmpd/render/requested/<reason>",
    "Rendered pages by reason: no_body (the static page had none), pattern (the link matched a render pattern).",
)
RENDER_NO_BODY = stat("icmpd/render/no_body", "Rendered pages still without an article body: failed as extraction.")
RENDER_RETRIED_AFTER_CRASH = stat(
    "icmpd/render/retried_after_crash", "Renders that outlived a crashed browser, tried once more in the new one."
)
ARTICLES_RENDERED = stat("icmpd/articles/rendered", "Records extracted from a rendered page.")

# --- Requests ---------------------------------------------------------------------------
CONDITIONAL_SENT = stat("icmpd/conditional/sent", "Requests that carried validators (ETag, Last-Modified).")
CONDITIONAL_NOT_MODIFIED_ARTICLE = stat(
    "icmpd/conditional/not_modified/article", "Article pages answered 304: the exported record is current."
)
CONDITIONAL_NOT_MODIFIED_FEED = stat(
    "icmpd/conditional/not_modified/feed", "Feeds answered 304: read from the stored copy."
)
RETRY_AFTER = stat("icmpd/retry/retry_after", "Retries that waited as a Retry-After asked.")
RETRY_AFTER_TOO_LONG = stat(
    "icmpd/retry/retry_after_too_long", "Requests not retried: their Retry-After was longer than the most allowed."
)
CHARSET_CORRECTED = stat("icmpd/charset/corrected", "Pages decoded by what their bytes are, not by their declaration.")
ROBOTSTXT_UNREACHABLE = stat(
    "icmpd/robotstxt/unreachable", "Hosts of the site whose robots.txt could not be read: nothing fetched, run failed."
)
ROBOTSTXT_UNREACHABLE_REASON = stat("icmpd/robotstxt/unreachable_reason", "The first such host's failure, in words.")
ROBOTSTXT_UNREACHABLE_OTHER = stat(
    "icmpd/robotstxt/unreachable_other", "Other hosts (file hosts) whose robots.txt could not be read: a warning."
)

# --- Export -----------------------------------------------------------------------------
EXPORT_NEW = stat("icmpd/export/new", "Articles exported for the first time.")
EXPORT_UPDATED = stat("icmpd/export/updated", "Exported articles whose record changed.")
EXPORT_UNCHANGED = stat("icmpd/export/unchanged", "Exported articles fetched again, their record unchanged.")
EXPORT_RESTORED = stat("icmpd/export/restored", "Removed articles that are back.")
EXPORT_REMOVED = stat("icmpd/export/removed", "Exported articles now gone: kept and marked removed.")
# The export's counts by change (icmpd_news.dataset.changes.merge, and removed).
EXPORT_CHANGES = {
    "new": EXPORT_NEW, "updated": EXPORT_UPDATED, "unchanged": EXPORT_UNCHANGED,
    "restored": EXPORT_RESTORED, "removed": EXPORT_REMOVED,
}
EXPORT_RECORDS = stat("icmpd/export/records", "Records in articles.jsonl when the export closed.")
EXPORT_INDEXED = stat(
    "icmpd/export/indexed",
    "1 when articles.jsonl was the file this crawler last wrote and was read through its index in the state store (no parse).",
)
EXPORT_INVALID_LINES = stat(
    "icmpd/export/invalid_lines", "Lines of the export or of a killed run's journal that are no record: set aside."
)
EXPORT_TRANSIENT_HOLES = stat(
    "icmpd/export/transient_holes", "Exported articles requested again for a file that failed for a passing reason."
)
EXPORT_RECOVERED = stat("icmpd/export/recovered", "Records taken over from killed runs' journals.")
EXPORT_TORN_LINES = stat("icmpd/export/torn_lines", "Unfinished lines of killed runs' journals: skipped.")
DEDUPE_UNIQUE = stat("icmpd/dedupe/unique", "Articles seen once in this run.")
DEDUPE_DUPLICATES = stat("icmpd/dedupe/duplicates", "Articles dropped as a repeat of one exported in this run.")

# --- Run --------------------------------------------------------------------------------
RUN_ID = stat("icmpd/run/id", "The run's id: its start time in UTC; it names the run's files.")
RUN_NEW = stat("icmpd/run/new", "The run's new articles.")
RUN_UPDATED = stat("icmpd/run/updated", "The run's updated articles.")
RUN_UNCHANGED = stat("icmpd/run/unchanged", "The run's unchanged articles, those answered 304 and fresh ones included.")
RUN_REMOVED = stat("icmpd/run/removed", "The run's removed articles.")
RUN_RESTORED = stat("icmpd/run/restored", "The run's restored articles.")
RUN_FAILED = stat("icmpd/run/failed", "The run's failed articles.")
# The run's counts by name, as the run summary shows them.
RUN_COUNTS = {
    "new": RUN_NEW, "updated": RUN_UPDATED, "unchanged": RUN_UNCHANGED,
    "removed": RUN_REMOVED, "restored": RUN_RESTORED, "failed": RUN_FAILED,
}
RUN_OUTCOME = stat("icmpd/run/outcome", "The run's verdict: ok or failed.")
RUN_EXIT_CODE = stat("icmpd/run/exit_code", "The crawl command's exit status: 0 or 1.")
RUN_REASON = stat("icmpd/run/reason", "Why the run failed, in one line (ok when it did not).")
RUN_FAILED_SHARE = stat(
    "icmpd/run/failed_share", "Failed articles over the articles accounted for; absent when none were."
)
LOCK_STALE_TAKEN_OVER = stat("icmpd/lock/stale_taken_over", "1 when the lock of a crawl that died was taken over.")
STATE_RESET = stat("icmpd/state/reset", "1 when a corrupt state store was moved aside and started afresh.")
WRITE_ERROR = stat("icmpd/write/error", "The first failed write to the dataset, in words: the run fails and stops.")
WRITES_FAILED = stat("icmpd/write/failed", "Failed writes to the dataset.")

# --- Web archive and re-extraction ------------------------------------------------------
WARC_EXCHANGES = stat("icmpd/warc/exchanges", "Responses written to the web archive (each with its request and metadata).")
WARC_BYTES = stat("icmpd/warc/bytes", "Bytes this run added to the web archive.")
WARC_FILES = stat("icmpd/warc/files", "Files in the web archive when the run closed.")
WARC_SIZE = stat("icmpd/warc/size", "Bytes in the web archive when the run closed.")
WARC_RECOVERED = stat("icmpd/warc/recovered", "Archive files a killed run left open: cut back to their last record, closed.")
WARC_PRUNED = stat("icmpd/warc/pruned", "Archive files deleted by ICMPD_WARC_KEEP_DAYS (no current record names them).")
WARC_REPLAYED = stat("icmpd/warc/replayed", "Responses answered from the web archive instead of the network.")
REEXTRACT_FROM_ARCHIVE = stat(
    "icmpd/reextract/from_archive", "Records of an older extractor version extracted again from the archive (no request).",
)
REEXTRACT_REFETCHED = stat(
    "icmpd/reextract/refetched",
    "Records of an older extractor version whose page the archive lacks: fetched again, unconditionally, when listed.",
)
REEXTRACT_NOT_IN_ARCHIVE = stat(
    "icmpd/reextract/not_in_archive", "Records the re-extraction run left as they are: the archive holds no page of theirs.",
)
OFFLINE_REFUSED = stat("icmpd/offline/refused", "Requests a run that reads the archive only did not send.")

# --- Images and attachments: the same stats under each <media> ----------------------------
MEDIA_IMAGES = "images"
MEDIA_FILES = "files"
MEDIA_PREFIX = "icmpd/<media>/"
MEDIA_DOWNLOADED = stat("icmpd/<media>/downloaded", "Files downloaded, verified and stored.")
MEDIA_UPTODATE = stat("icmpd/<media>/uptodate", "Files stored earlier and still matching their record: not downloaded.")
MEDIA_EXPIRED = stat("icmpd/<media>/expired", "Stored files older than their expiry: fetched again.")
media_refetched = family(
    "icmpd/<media>/refetched/<reason>",
    "Stored files fetched again, by reason: missing (from the store), corrupt (checksum differs from the record).",
)
MEDIA_FAILED = stat("icmpd/<media>/failed", "Files that failed (one per file, not per entry).")
media_failed = family(
    "icmpd/<media>/failed/<kind>",
    "Failed files by kind: http_<status>, html, wrong_type, broken, timeout, worker_lost, too_small, too_large, "
    "empty, not_downloaded, not_stored, invalid_url, error, or a network error's name.",
)
MEDIA_CONTENT_TYPE_MISMATCH = stat(
    "icmpd/<media>/content_type_mismatch", "Files served as another type than their bytes are: recorded by the bytes."
)
MEDIA_HEALED = stat("icmpd/<media>/healed", "Files stored after a transient failure in an earlier run.")

# --- PDF text ---------------------------------------------------------------------------
PDF_TEXT = stat("icmpd/pdf/text", "PDFs whose text was read.")
PDF_PAGES = stat("icmpd/pdf/pages", "PDF pages read.")
PDF_PAGES_CAPPED = stat("icmpd/pdf/pages_capped", "PDFs longer than the page cap: text of their first pages only.")
pdf_no_text = family(
    "icmpd/pdf/no_text/<reason>",
    "PDFs without text, by reason: encrypted, broken, no_text_layer, unreadable, timeout, worker_lost.",
)
WORKERS_RESTARTED = stat("icmpd/workers/restarted", "Worker pools that broke as a whole and were replaced.")
WORKERS_UNAVAILABLE = stat(
    "icmpd/workers/unavailable",
    "Why worker processes could not start: pages were extracted and PDFs read in the crawl's process, PDFs without a deadline."
)

# --- Validation and monitors ------------------------------------------------------------
ARTICLES_INVALID = stat("icmpd/articles/invalid", "Records that broke the JSON Schema: not exported.")
MONITORS_RUN = stat("icmpd/monitors/run", "Monitors run when the spider closed.")
MONITORS_FAILED = stat("icmpd/monitors/failed", "Monitors that failed: 0 when every one passed.")
MONITORS_SKIPPED = stat("icmpd/monitors/skipped", "Monitors that had nothing to check.")
monitors_failed = family(
    "icmpd/monitors/failed/<monitor>", "A failed monitor's message (<monitor> as in generic_extraction_monitor)."
)
monitors_skipped = family("icmpd/monitors/skipped/<monitor>", "A skipped monitor's message.")

# --- Settings and Scrapyd ---------------------------------------------------------------
SETTINGS_MISSPELT = stat("icmpd/settings/misspelt", "Command-line settings that look like a misspelt one: ignored.")
settings_misspelt = family("icmpd/settings/misspelt/<given>", "The setting a misspelt one probably meant.")
SCRAPYD_JOB = stat("icmpd/scrapyd/job", "The Scrapyd job's id.")
SCRAPYD_RELATIVE_PATHS = stat(
    "icmpd/scrapyd/relative_paths", "Relative state paths under Scrapyd: they depend on where Scrapyd started."
)
SCRAPYD_FEEDS = stat(
    "icmpd/scrapyd/feeds", "FEEDS set under Scrapyd (its items_dir): a copy of the items beside the export."
)
