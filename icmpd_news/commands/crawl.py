"""`scrapy crawl` whose exit status says whether the run did its job.

Scrapy's own `crawl` exits 0 whenever the crawler started, even when the feed was unreadable or
every article failed, so cron and Scrapyd cannot tell a failed run from a good one. This command
is Scrapy's, plus one step: after the crawl it judges the final stats with
`icmpd_news.outcome.run_outcome` (the same judgement the run summary logs) and sets the exit
status to 1 when the run failed. Scrapyd runs jobs through `scrapy.cmdline.execute()` (see
scrapyd.runner), which loads COMMANDS_MODULE, so scheduled jobs get the same exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.spiders import Spider

from icmpd_news.arguments import SpiderArgumentError
from icmpd_news.lock import OutputDirLocked
from icmpd_news.outcome import run_outcome

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    """Run a spider; exit 1 when the run failed (see icmpd_news.outcome), 0 otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.crawlers: list[Crawler] = []

    def short_desc(self) -> str:
        return "Run a spider of the project; exit status 1 when the run failed its job"

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        # The base command builds its one crawler here; keep it to read its stats afterwards
        # (CrawlerProcess forgets finished crawlers).
        crawler = super()._create_crawler(spidercls)
        self.crawlers.append(crawler)
        return crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # Scrapy's run (scrapy.commands.crawl), plus the _quiet_refusal callback on its task.
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl icmpd_news [-a name=value] [-s NAME=value]")
        assert self.crawler_process
        task = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        if isinstance(task, asyncio.Future):
            task.add_done_callback(_quiet_refusal)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        for crawler in self.crawlers:
            if crawler.stats is None:
                continue
            settings = crawler.settings
            outcome = run_outcome(crawler.stats.get_stats(), settings.getfloat("MAX_FAILED_SHARE"),
                                  min_failed=settings.getint("MIN_FAILED_FOR_SHARE"))
            self.exitcode = max(self.exitcode, outcome.exit_code)
        # The crawl is over and its files are closed: spare the interpreter's final garbage
        # collections over every object Scrapy and its imports made. They cost 0.3-0.4 s at
        # exit, a sixth of a quiet scheduled run (bench/README.md). Exit handlers still run.
        gc.freeze()


def _quiet_refusal(task: asyncio.Future) -> None:
    """A crawl refused because another holds OUTPUT_DIR has said so in one clear line
    (CrawlRun); retrieving its exception here keeps asyncio from printing it again as a
    "Task exception was never retrieved" traceback. A spider argument the spider refused
    gets one line here, without a traceback (it is the user's input, not a bug). Any other
    start-up error is logged here, with its traceback, as asyncio would have."""
    if task.cancelled():
        return
    error = task.exception()
    if isinstance(error, SpiderArgumentError):
        logger.error("the crawl could not start: %s", error)
    elif error is not None and not isinstance(error, OutputDirLocked):
        logger.error("the crawl could not start: %s: %s", type(error).__name__, error, exc_info=error)
