"""Scrapy settings for icmpd_news, grouped by concern; every non-default says why.

Any of them can be overridden per run with `-s NAME=value` (README.md lists them all).
"""

import os

from scrapy.settings import default_settings

from icmpd_news import PROJECT_URL, __version__
from icmpd_news.schema import article_schema

BOT_NAME = "icmpd_news"
SPIDER_MODULES = ["icmpd_news.spiders"]
NEWSPIDER_MODULE = "icmpd_news.spiders"

# --- Output -----------------------------------------------------------------------------
# The folder that is the whole dataset: articles.jsonl (and, later, files and state).
# Relative paths are taken from the working directory; use an absolute path under Scrapyd.
OUTPUT_DIR = "output"
# While a crawl runs, rewrite articles.jsonl (atomically) at most this often, so a killed
# crawl keeps most of its finished work.
EXPORT_CHECKPOINT_SECONDS = 30.0

# --- Extraction -------------------------------------------------------------------------
# A page whose article text is shorter than this has no article (boilerplate only).
MIN_TEXT_CHARS = 200
# Other hosts whose document links count as the article's attachments (a CDN, say).
FILE_HOSTS: list[str] = []
# Upper bound on the HTML elements trafilatura looks at (pathological pages).
EXTRACT_MAX_TREE_SIZE = 50_000

# --- Politeness -------------------------------------------------------------------------
USER_AGENT = f"icmpd-news/{__version__} (+{PROJECT_URL})"
# robots.txt is obeyed; one that answers 5xx or 429, or nothing, means complete disallow for the
# run, as RFC 9309 says (Scrapy's own middleware crawls such a site without rules): its
# subclass icmpd_news/middlewares/robotstxt.py takes its place.
ROBOTSTXT_OBEY = True
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "icmpd_news.middlewares.robotstxt.Rfc9309RobotsTxtMiddleware": 100,
}
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4

# --- Throughput (bench/README.md has the measurements) ----------------------------------
# Under the asyncio reactor Scrapy starts CONCURRENT_ITEMS worker tasks for the output of
# every callback, however little it yields. An article page yields one item, so the default
# 100 cost about a quarter of the crawl's CPU in task churn for no parallelism at all.
# Responses are still processed in parallel with each other; 8 leaves room for callbacks
# that yield a few items each.
CONCURRENT_ITEMS = 8

# --- Memory (bench/README.md, "Memory growth") -------------------------------------------
# The scheduler holds a request for every article a feed lists from the moment the feed is
# parsed; this queue (same LIFO order as Scrapy's default) keeps each one as a compressed
# pickle, about 0.55 KB instead of ~3.5 KB of Python objects (icmpd_news/queues.py).
SCHEDULER_MEMORY_QUEUE = "icmpd_news.queues.PickledLifoMemoryQueue"

# --- Retries and timeouts ---------------------------------------------------------------
# 5xx and timeouts are retried (Scrapy's RETRY_HTTP_CODES: 500-504, 522, 524, 408, 429), by
# our BackoffRetryMiddleware (below); three tries in all before the article counts as failed.
RETRY_ENABLED = True
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5

# --- Sizes ------------------------------------------------------------------------------
# Scrapy's default maximum is 1 GiB: far too large for an HTML page or a feed.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# --- Pipelines --------------------------------------------------------------------------
ITEM_PIPELINES = {
    "icmpd_news.pipelines.dedupe.DedupePipeline": 100,
    "icmpd_news.pipelines.images.ArticleImagesPipeline": 300,
    "icmpd_news.pipelines.attachments.AttachmentsPipeline": 400,
    "icmpd_news.pipelines.pdftext.PdfTextPipeline": 500,
    "icmpd_news.pipelines.export.JsonLinesExportPipeline": 900,
}

# --- Archive mode (-a mode=archive: the paginated news listing) --------------------------
# Most listing pages one walk requests: a guard against a listing that never ends (the real
# archive had 34 pages of 10 in 2024; 500 pages leave room for decades).
ARCHIVE_MAX_PAGES = 500
# Stop the walk when this many listing pages in a row failed (after retries): the site is
# down or the pagination is broken, and guessing further page numbers would be blind.
ARCHIVE_MAX_FAILED_PAGES = 3

# --- Progress ---------------------------------------------------------------------------
# A long crawl (a backfill of thousands of articles) logs done/total, rate and failures this
# often, in seconds, and once more at the end (icmpd_news/extensions/progress.py); 0 turns it off.
PROGRESS_LOG_INTERVAL = 30.0
EXTENSIONS = {
    "icmpd_news.extensions.progress.ProgressLog": 500,
}

# --- Images and attachments ------------------------------------------------------------
# FILES_STORE (attachments) and IMAGES_STORE (images) default to OUTPUT_DIR/files when unset
# (icmpd_news/dataset/files.py), so the output folder stays the whole dataset.
# Largest image or attachment downloaded, in bytes: a per-request download_maxsize, so the
# 16 MiB page cap above does not apply to files and nothing larger is ever buffered.
FILES_MAX_SIZE = 50 * 1024 * 1024
# Days before a stored file is fetched again (Scrapy's default, stated on purpose): a file
# that is younger, and whose checksum is still the one the export recorded, is not downloaded.
FILES_EXPIRES = 90
IMAGES_EXPIRES = 90
# Smaller decoded images are pixels or icons that slipped through extraction: failed, not kept.
IMAGES_MIN_WIDTH = 10
IMAGES_MIN_HEIGHT = 10
# Files move (http -> https, old paths): follow redirects, still through OffsiteMiddleware.
MEDIA_ALLOW_REDIRECTS = True
# Text is taken from at most this many pages of a PDF (page_count is always the real count).
PDF_TEXT_MAX_PAGES = 500
# PDFs are read (the structure check before storing, then the text) in this many worker
# processes (icmpd_news/media/pdf_pool.py), one pool for the crawl (PdfWorkersExtension); None: one
# per CPU the crawl may use, minus one, between 1 and 4. 0: in a thread of the crawl, with
# no deadline.
PDF_TEXT_WORKERS = None
# Seconds one reading of a PDF may take; past them its worker is stopped: a structure check
# fails the file (not stored, error "timeout: ..."), a text extraction leaves it without text
# (text_error "timeout: ..."). A 300-page report takes a few seconds. 0: no deadline.
PDF_TEXT_TIMEOUT = 120
EXTENSIONS["icmpd_news.extensions.pdf_workers.PdfWorkersExtension"] = 100

# --- Scheduled re-runs -------------------------------------------------------------------
# CrawlRun holds OUTPUT_DIR for the crawl: its lock (one crawl per folder), its state store
# (state.sqlite3: validators of the last run) and the run's id and counts.
EXTENSIONS["icmpd_news.extensions.crawl_run.CrawlRun"] = 10
# Conditional requests with the stored validators; at 585 it sees responses after
# HttpCompressionMiddleware (590) has decoded them.
DOWNLOADER_MIDDLEWARES["icmpd_news.middlewares.conditional.ConditionalRequestMiddleware"] = 585
# When the feed answers 304 (it lists what it listed last run), articles the site confirmed
# (exported, or answered 304) less than this many seconds ago are not requested again: an
# hourly run on a quiet day costs the feed's 304 alone. Past it, or whenever the feed changed,
# every article is revalidated (a conditional request each). 0: always revalidate.
REVALIDATE_AFTER_SECONDS = 86400.0

# --- Surface ----------------------------------------------------------------------------
# Nobody needs a remote shell or a remote-control port into a crawler.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Not even imported. Scrapy imports every component of the *_BASE settings to build its list,
# even one set to None in EXTENSIONS, and the remote control's aiohttp plus the cookies
# middleware's tldextract are 0.3 s of every run's start, a tenth of a quiet re-run
# (bench/README.md). So they are left out of the bases, which otherwise stay Scrapy's own.
EXTENSIONS_BASE = {
    name: order for name, order in default_settings.EXTENSIONS_BASE.items()
    if name not in ("scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl")
}
# Fetch only what an article can live on: no file://, data:, ftp:// or s3:// requests.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

# --- Browser rendering (scrapy-playwright) ----------------------------------------------
# Pages whose static HTML has no article body are fetched again through a headless Chromium
# (icmpd_news/browser/addon.py; README "Pages that need JavaScript"). The add-on installs
# scrapy-playwright's download handler for http/https only when RENDER_ENABLED; requests
# without meta playwright=True still go through Scrapy's own HTTP handler.
ADDONS = {"icmpd_news.browser.addon.RenderAddon": 0}
# False: never use a browser (a page without a body is then a failed extraction).
RENDER_ENABLED = True
# Regular expressions: article links matching one are rendered straight away (no static fetch).
RENDER_URL_PATTERNS: list[str] = []
# The browser executable. Unset: Playwright's own Chromium (`playwright install chromium`) when
# it is installed, else `chromium` or `chromium-browser` on PATH (icmpd_news.browser.handler's provider).
RENDER_BROWSER_PATH = os.environ.get("RENDER_BROWSER_PATH") or None
PLAYWRIGHT_BROWSER_PROVIDER = "icmpd_news.browser.handler.LocatingBrowserProvider"
# After the load event, how long a page's scripts may take to go network-idle.
RENDER_SETTLE_SECONDS = 5.0
# Deadline for one rendered request in all (waiting for a page slot, browser launch,
# navigation, settling); 0 disables it. scrapy-playwright has none of its own.
RENDER_TIMEOUT_SECONDS = 90.0
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# The background-networking flags stop most of Chromium's own calls to Google (updates, sync,
# field trials); even with them it still looked up update.googleapis.com and
# accounts.google.com (seen with strace), so its resolver answers "not found" for Google's
# service domains, which an article's text never needs. QUIC off keeps every fetch on TCP.
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

# --- Runtime ----------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# The console (icmpd_news/run/console.py): the stats dump at DEBUG (the stats are in the run's
# summary file), dropped or failed items named by URL instead of dumped whole.
STATS_CLASS = "icmpd_news.run.console.DebugDumpStatsCollector"
LOG_FORMATTER = "icmpd_news.run.console.ConsoleLogFormatter"
# A request that failed after its retries is reported once, by what asked for it (the article's
# or the feed's ERROR line, a file's warning, robots.txt's line): Scrapy's own "Gave up
# retrying" would be a second line for the same failure.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"

# --- Validation and monitoring (Spidermon; icmpd_news/monitors.py) ----------------------
SPIDERMON_ENABLED = True
# Spidermon late (900): its close monitors read the stats other extensions finish on close.
EXTENSIONS["spidermon.contrib.scrapy.extensions.Spidermon"] = 900
# Under Scrapyd, warn when a state path (OUTPUT_DIR, ...) is relative, or FEEDS is set.
EXTENSIONS["icmpd_news.extensions.scrapyd_paths.ScrapydPathsCheck"] = 510
# A -s NAME=value whose NAME is close to a known setting's (OUTPUTDIR) is warned about first
# of all, before the crawl takes OUTPUT_DIR (CrawlRun, 10); icmpd_news/spiders/arguments.py.
EXTENSIONS["icmpd_news.extensions.settings_check.MisspeltSettingsCheck"] = 5
# Every record is validated against the packaged JSON Schema (a dict, read with
# importlib.resources, so it works from Scrapyd's egg) just before export: it sees the final
# record. A record that breaks the schema is dropped, so the export only holds valid lines.
ITEM_PIPELINES["icmpd_news.pipelines.validate.SchemaValidationPipeline"] = 800
SPIDERMON_VALIDATION_SCHEMAS = [article_schema()]
SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["icmpd_news.monitors.CloseMonitorSuite"]
# Thresholds. Results: `[Spidermon]` lines in the log, stats icmpd/monitors/{run,failed}.
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
# Fewest articles that must pass every pipeline (the feed lists the latest ten).
ICMPD_MONITOR_MIN_ARTICLES = 1
# Most articles that may fail (after retries) before the run counts as failed.
ICMPD_MONITOR_MAX_FAILED_ARTICLES = 0
# Most ERROR log lines, and most schema errors, in a good run.
SPIDERMON_MAX_ERRORS = 0
SPIDERMON_MAX_ITEM_VALIDATION_ERRORS = 0
# Redesign alarm: largest share of articles the generic fallback may extract (normally none).
ICMPD_MONITOR_MAX_GENERIC_SHARE = 0.2
# Fragment alarm: largest share of articles whose known layout explained only part of the page
# (extraction "site+generic"); each one is already logged as a warning.
ICMPD_MONITOR_MAX_PARTIAL_SHARE = 0.1

# --- Hostile and broken input (issue 5; README "Hostile and broken input") --------------
# The run outcome: `scrapy crawl` is replaced by icmpd_news/commands/crawl.py, which exits 1
# when the run failed (feed unreadable, a spider bug, the crawl cut short, or too many
# articles failed, see below); the RunSummary extension logs the
# one-screen summary and the verdict (icmpd/run/*) at the end of every run.
COMMANDS_MODULE = "icmpd_news.commands"
# After Spidermon (900), so the summary can report the monitors' results.
EXTENSIONS["icmpd_news.extensions.run_summary.RunSummary"] = 950
# A few broken pages are normal on a real site; a fifth failing means the site or we broke.
# The share is taken over the articles the run accounted for (exported, unchanged, answered
# 304, confirmed recently, gone, failed: icmpd_news/run/outcome.py), and judged only from
# MIN_FAILED_FOR_SHARE failures on: one failure in a quiet re-run of three articles is noise,
# not a broken site. A run in which every accounted article failed fails whatever the count.
MAX_FAILED_SHARE = 0.2
MIN_FAILED_FOR_SHARE = 3
# Retries wait: RETRY_BACKOFF_BASE * 2**(retry - 1) s (at most RETRY_BACKOFF_MAX), or the
# server's Retry-After on 429/503 for the whole host, unless it asks more than RETRY_AFTER_MAX
# (then the article fails in this run). Pages whose declared charset their bytes contradict
# are re-decoded (after decompression, hence below HttpCompressionMiddleware's 590).
DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.retry.RetryMiddleware"] = None
DOWNLOADER_MIDDLEWARES["icmpd_news.middlewares.retry.BackoffRetryMiddleware"] = 550
DOWNLOADER_MIDDLEWARES["icmpd_news.middlewares.charset.CharsetMiddleware"] = 570
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 120.0
# A body cut short (fewer bytes than Content-Length, a chunked body never ended) is an error,
# retried, never parsed as a shorter article (Scrapy's default, stated because we rely on it).
DOWNLOAD_FAIL_ON_DATALOSS = True
# The crawler reads public pages and needs no session: with cookies off, nothing a site sets
# can travel anywhere, and Scrapy already drops Authorization on cross-host redirects (2.11.1).
COOKIES_ENABLED = False
# Not imported either (see EXTENSIONS_BASE above).
DOWNLOADER_MIDDLEWARES_BASE = {
    name: order for name, order in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items()
    if name != "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
}
# Stop the crawl (finish_reason memusage_exceeded, exit status 1) before the machine suffers;
# a normal run stays near 150 MB.
MEMUSAGE_ENABLED = True
MEMUSAGE_LIMIT_MB = 1024
MEMUSAGE_WARNING_MB = 512
# Extraction bounds per page (icmpd_news/extract/limits.py): an article page is ~100 KB with
# a few thousand elements; a page beyond these is reported as failed, never extracted.
EXTRACT_MAX_BYTES = 2 * 1024 * 1024
EXTRACT_MAX_ELEMENTS = 20_000
EXTRACT_MAX_DEPTH = 512
EXTRACT_TIME_LIMIT = 10.0
