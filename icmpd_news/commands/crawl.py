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

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from icmpd_news.outcome import run_outcome


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
        super().run(args, opts)
        if self.exitcode:
            return
        for crawler in self.crawlers:
            if crawler.stats is None:
                continue
            outcome = run_outcome(crawler.stats.get_stats(), crawler.settings.getfloat("MAX_FAILED_SHARE"))
            self.exitcode = max(self.exitcode, outcome.exit_code)
