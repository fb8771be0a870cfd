"""Settings of the icmpd_news project, by concern, each with one line of why; the project's own
start with ICMPD_. docs/settings.md lists them with their defaults.
"""

import os

from scrapy.settings import default_settings

from icmpd_news import PROJECT_URL, __version__
from icmpd_news.schema import article_schema

BOT_NAME = "icmpd_news"
SPIDER_MODULES = ["icmpd_news.spiders"]
NEWSPIDER_MODULE = "icmpd_news.spiders"
# Our `crawl`: Scrapy's, with the run summary printed last and an exit status that says whether the run did its job.
COMMANDS_MODULE = "icmpd_news.commands"

# --- The dataset ------------------------------------------------------------------------
# The folder that is the whole dataset; relative to the working directory (absolute under Scrapyd).
ICMPD_OUTPUT_DIR = "output"
# Seconds between atomic rewrites of articles.jsonl during a crawl (the journal keeps the rest).
ICMPD_EXPORT_CHECKPOINT_SECONDS = 30.0
# When the feed answers 304, articles confirmed less than this many seconds ago are not asked (0: all are).
ICMPD_REVALIDATE_AFTER_SECONDS = 86400.0

# --- The web archive (dataset/web_archive.py) -------------------------------------------
# Every response the crawl relies on is kept as WARC records in ICMPD_OUTPUT_DIR/warc/ (provenance, and
# re-extraction without the network); False: none is written (records then name no archived page).
ICMPD_WARC_ENABLED = True
# A file is closed and a new one begun past this size (1 GB, the usual WARC file size).
ICMPD_WARC_MAX_FILE_BYTES = 1_000_000_000
# zlib level of each record's gzip member: 3 costs a third of warcio's 9 on the crawl's thread, files ~10% larger.
ICMPD_WARC_GZIP_LEVEL = 3
# Images and attachments are in files/ already: archived as well only when True.
ICMPD_WARC_INCLUDE_FILES = False
# Archive files older than this many days that no current record names are deleted; 0: keep every file.
ICMPD_WARC_KEEP_DAYS = 0
# True: answer every request from the archive and send none (the re-extraction spider sets it).
ICMPD_WARC_OFFLINE = False

# --- Extraction -------------------------------------------------------------------------
# Shorter article text is no article: the page fails extraction.
ICMPD_MIN_TEXT_CHARS = 200
# Other hosts whose document links count as the article's attachments (a CDN, say); they are fetched too.
ICMPD_FILE_HOSTS: list[str] = []
# Bounds per page (an article page is ~100 KB, a few thousand elements): too_complex, extraction_timeout.
ICMPD_EXTRACT_MAX_BYTES = 2 * 1024 * 1024
ICMPD_EXTRACT_MAX_ELEMENTS = 20_000
ICMPD_EXTRACT_MAX_DEPTH = 512
ICMPD_EXTRACT_TIME_LIMIT = 10.0
# Article pages are extracted in the worker processes (ICMPD_WORKERS), in parallel with the crawl; False: in its thread.
ICMPD_EXTRACT_IN_WORKERS = True
# The most HTML elements trafilatura looks at (the generic path).
ICMPD_EXTRACT_MAX_TREE_SIZE = 50_000

# --- Worker processes (workers.py) ------------------------------------------------------
# Processes for the CPU work (pages, PDFs); None: the CPUs the crawl may use minus one, 1 to 4; 0: none,
# all in the crawl's process (PDFs without a deadline).
ICMPD_WORKERS = None

# --- The archive walk (scrapy crawl icmpd_news_archive) ------------------------------------
# Most listing pages one walk requests: the real archive had 34 pages in 2024; 500 leave room for decades.
ICMPD_ARCHIVE_MAX_PAGES = 500
# The walk stops after this many listing pages in a row failed: guessing further numbers would be blind.
ICMPD_ARCHIVE_MAX_FAILED_PAGES = 3

# --- Images and attachments ------------------------------------------------------------
# True: fetch no image or attachment (the records list them without files; files a full crawl stored stay).
ICMPD_TEXT_ONLY = False
# FILES_STORE and IMAGES_STORE default to ICMPD_OUTPUT_DIR/files, so the folder stays the dataset.
# Largest file downloaded, in bytes (DOWNLOAD_MAXSIZE below is for pages).
ICMPD_FILES_MAX_SIZE = 50 * 1024 * 1024
# Days before a stored file that still matches its recorded checksum is fetched again (Scrapy's default).
FILES_EXPIRES = 90
IMAGES_EXPIRES = 90
# Smaller decoded images are pixels or icons that slipped through extraction: failed, not kept.
IMAGES_MIN_WIDTH = 10
IMAGES_MIN_HEIGHT = 10
# Files move (http -> https, old paths): follow redirects, still through OffsiteMiddleware.
MEDIA_ALLOW_REDIRECTS = True
# Text is taken from at most this many pages of a PDF (page_count is always the real count).
ICMPD_PDF_TEXT_MAX_PAGES = 500
# Seconds one reading of a PDF may take before its worker is stopped (a 300-page report takes a few); 0: no deadline.
ICMPD_PDF_TEXT_TIMEOUT = 120

# --- Pages that need JavaScript (scrapy-playwright, browser/) ----------------------------
# False: never use a browser (a page without a body is then a failed extraction).
ICMPD_RENDER_ENABLED = True
# Regular expressions: article links matching one are rendered straight away (no static fetch).
ICMPD_RENDER_URL_PATTERNS: list[str] = []
# The browser executable; unset: Playwright's own Chromium when installed, else chromium on PATH.
ICMPD_RENDER_BROWSER_PATH = os.environ.get("ICMPD_RENDER_BROWSER_PATH") or os.environ.get("RENDER_BROWSER_PATH") or None
# After the load event, how long a page's scripts may take to go network-idle.
ICMPD_RENDER_SETTLE_SECONDS = 5.0
# Deadline for one rendered request in all (slot, launch, navigation, settling): scrapy-playwright has none; 0: none.
ICMPD_RENDER_TIMEOUT_SECONDS = 90.0
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# Finds the browser (browser/handler.py) when ICMPD_RENDER_BROWSER_PATH is unset.
PLAYWRIGHT_BROWSER_PROVIDER = "icmpd_news.browser.handler.LocatingBrowserProvider"
# No traffic of Chromium's own to Google, and every fetch on TCP (docs/design.md, "The browser").
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "headless": True,
    "timeout": 30_000,
    "args": [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP *.google.com ~NOTFOUND, MAP *.googleapis.com ~NOTFOUND, MAP *.gvt1.com ~NOTFOUND",
    ],
}
# No start-up contexts: the browser is launched on the first rendered request, never before.
PLAYWRIGHT_CONTEXTS: dict = {}
# Bound the cost: one browser context with at most two pages open at a time.
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
# Milliseconds a navigation (up to the load event) may take before the article fails.
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 20_000
# Images, fonts and media are never loaded in a rendered page.
PLAYWRIGHT_ABORT_REQUEST = "icmpd_news.browser.addon.abort_heavy_resources"
# A crashed or disconnected browser is relaunched on the next rendered request.
PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER = True

# --- Politeness, retries and sizes ------------------------------------------------------
USER_AGENT = f"icmpd-news/{__version__} (+{PROJECT_URL})"
# robots.txt is obeyed; one that cannot be read means complete disallow (RFC 9309, middlewares/robotstxt.py).
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# 5xx, 408, 429 and timeouts: three tries in all before the article counts as failed.
RETRY_ENABLED = True
RETRY_TIMES = 2
# A retry waits BASE * 2**(retry - 1) s up to MAX, or a 429/503's Retry-After up to ICMPD_RETRY_AFTER_MAX.
ICMPD_RETRY_BACKOFF_BASE = 1.0
ICMPD_RETRY_BACKOFF_MAX = 30.0
ICMPD_RETRY_AFTER_MAX = 120.0
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5
# Scrapy's default maximum is 1 GiB: far too large for an HTML page or a feed.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# A body cut short is an error, retried, never parsed as a shorter article (Scrapy's default, relied on).
DOWNLOAD_FAIL_ON_DATALOSS = True
# Public pages need no session: with cookies off, nothing a site sets can travel anywhere.
COOKIES_ENABLED = False
# Fetch only what an article can live on: no file://, data:, ftp:// or s3:// requests.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

# --- The run's outcome and its monitors -------------------------------------------------
# A run fails when more than this share of its articles failed, from ICMPD_MIN_FAILED_FOR_SHARE failures on.
ICMPD_MAX_FAILED_SHARE = 0.2
ICMPD_MIN_FAILED_FOR_SHARE = 3
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["icmpd_news.monitors.CloseMonitorSuite"]
# Every record is checked against the packaged JSON Schema just before export; one that breaks it is not exported.
SPIDERMON_VALIDATION_SCHEMAS = [article_schema()]
SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS = True
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
# A good run logs no ERROR line and exports no invalid record.
SPIDERMON_MAX_ERRORS = 0
SPIDERMON_MAX_ITEM_VALIDATION_ERRORS = 0
# Fewest articles accounted for (exported, or confirmed unchanged) in a good run.
ICMPD_MONITOR_MIN_ARTICLES = 1
# Most articles that may fail (after retries) in a good run.
ICMPD_MONITOR_MAX_FAILED_ARTICLES = 0
# Redesign alarm: largest share of articles the generic fallback may extract (normally none).
ICMPD_MONITOR_MAX_GENERIC_SHARE = 0.2
# Fragment alarm: largest share of articles a known layout explained only partly (extraction "site+generic").
ICMPD_MONITOR_MAX_PARTIAL_SHARE = 0.1
# Stop the crawl (exit status 1) before the machine suffers; several times a normal run's peak.
MEMUSAGE_ENABLED = True
MEMUSAGE_LIMIT_MB = 1024
MEMUSAGE_WARNING_MB = 512

# --- The console ------------------------------------------------------------------------
LOG_LEVEL = "INFO"
# The stats dump goes to DEBUG (the stats are in the run's summary file); items are named by URL, not dumped whole.
STATS_CLASS = "icmpd_news.run.console.DebugDumpStatsCollector"
LOG_FORMATTER = "icmpd_news.run.console.ConsoleLogFormatter"
# A request that failed after its retries is reported once, by what asked for it: Scrapy's line would be a second.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# Seconds between progress lines (done/total articles, rate, failures); 0: none. Used by the progress extension.
ICMPD_PROGRESS_LOG_INTERVAL = 30.0

# --- Throughput and memory (docs/benchmarks.md) -----------------------------------------
# Scrapy starts CONCURRENT_ITEMS tasks per callback output; an article page yields one item, so 100 was task churn.
CONCURRENT_ITEMS = 8
# Waiting requests kept as compressed pickles, a fraction of their objects' memory (docs/benchmarks.md).
SCHEDULER_MEMORY_QUEUE = "icmpd_news.queues.PickledLifoMemoryQueue"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# --- Components -------------------------------------------------------------------------
# No remote shell or control port into a crawler; nor imported (with the cookies middleware, 0.3 s per start).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
EXTENSIONS_BASE = {
    name: order for name, order in default_settings.EXTENSIONS_BASE.items()
    if name not in ("scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl")
}
DOWNLOADER_MIDDLEWARES_BASE = {
    name: order for name, order in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items()
    if name != "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
}
ADDONS = {
    # The old names of ICMPD_ settings, read for one more release (with a warning).
    "icmpd_news.extensions.settings_check.OldSettingNames": 0,
    # The rendering download handler, installed only when ICMPD_RENDER_ENABLED.
    "icmpd_news.browser.addon.RenderAddon": 10,
    # The media pipelines, switched off when ICMPD_TEXT_ONLY.
    "icmpd_news.media.text_only.TextOnlyAddon": 20,
}
DOWNLOADER_MIDDLEWARES = {
    # RFC 9309's robots.txt in place of Scrapy's (which crawls a site whose robots.txt is down without rules).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "icmpd_news.middlewares.robotstxt.Rfc9309RobotsTxtMiddleware": 100,
    # Backoff and Retry-After for the whole host, in place of Scrapy's retries.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "icmpd_news.middlewares.retry.BackoffRetryMiddleware": 550,
    # Pages whose bytes contradict their declared charset are re-decoded (after decompression, 590).
    "icmpd_news.middlewares.charset.CharsetMiddleware": 570,
    # Conditional requests with the stored validators (after decompression, 590).
    "icmpd_news.middlewares.conditional.ConditionalRequestMiddleware": 585,
    # Every exchange into the web archive, as it came (before redirects, 600); replays from it.
    "icmpd_news.middlewares.web_archive.WebArchiveMiddleware": 650,
}
ITEM_PIPELINES = {
    "icmpd_news.pipelines.dedupe.DedupePipeline": 100,
    "icmpd_news.pipelines.images.ArticleImagesPipeline": 300,
    "icmpd_news.pipelines.attachments.AttachmentsPipeline": 400,
    "icmpd_news.pipelines.pdftext.PdfTextPipeline": 500,
    # Just before export, so it sees the final record.
    "icmpd_news.pipelines.validate.SchemaValidationPipeline": 800,
    "icmpd_news.pipelines.export.JsonLinesExportPipeline": 900,
}
EXTENSIONS = {
    # A -s NAME close to a known setting's (OUTPUTDIR) is warned about first of all.
    "icmpd_news.extensions.settings_check.MisspeltSettingsCheck": 5,
    # The crawl's hold on ICMPD_OUTPUT_DIR: lock, recovery, state store, run id and counts.
    "icmpd_news.extensions.crawl_run.CrawlRun": 10,
    # One pool of PDF worker processes for the crawl.
    "icmpd_news.extensions.workers.WorkersExtension": 100,
    "icmpd_news.extensions.progress.ProgressLog": 500,
    # Under Scrapyd: warn about relative state paths and Scrapyd's own items feed.
    "icmpd_news.extensions.scrapyd_paths.ScrapydPathsCheck": 510,
    # Late: its close monitors read the stats other extensions finish on close.
    "spidermon.contrib.scrapy.extensions.Spidermon": 900,
    # After Spidermon, so the summary reports the monitors' results.
    "icmpd_news.extensions.run_summary.RunSummary": 950,
}
