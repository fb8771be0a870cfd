"""`scrapy crawl`, its exit status saying whether the run did its job, the run summary last
(docs/design.md, "The run's verdict"); `-a help=1` lists the spider's arguments."""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import logging
import sys

from scrapy import signals
from scrapy.commands import ScrapyHelpFormatter
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.spiders import Spider

from icmpd_news.dataset.lock import OutputDirLocked
from icmpd_news.dataset.write_failures import OutputDirUnusable, write_failure
from icmpd_news.extensions.run_summary import finish_run
from icmpd_news.run import console
from icmpd_news.spiders.arguments import SpiderArgumentError

logger = logging.getLogger(__name__)

HELP_ARGUMENT = "help"


class _HelpFormatter(ScrapyHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Scrapy's help layout, with the spider arguments (the epilog) as written."""


def spider_arguments_help(spidercls: type[Spider]) -> str:
    """The "Spider arguments" section of the spider's docstring, where they are documented."""
    lines = inspect.getdoc(spidercls).splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Spider arguments")), None)
    if start is None:
        return f"{spidercls.name} documents no spider arguments.\n"
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()), len(lines))
    return "\n".join(lines[start:end]).rstrip() + "\n"


def _wants_help(spargs: dict[str, str]) -> bool:
    return str(spargs.get(HELP_ARGUMENT, "")).strip().lower() in ("1", "true", "yes", "on")


class Command(ScrapyCrawlCommand):
    """Run a spider; log the run summary last; exit 1 when the run failed, 0 otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.crawlers: list[Crawler] = []
        self.refusal: str | None = None

    def short_desc(self) -> str:
        return "Run a spider of the project; exit status 1 when the run failed its job"

    def long_desc(self) -> str:
        return ("Run a spider of the project. The run summary is the last thing it prints (also in\n"
                "ICMPD_OUTPUT_DIR/runs/<run-id>.summary.json); the exit status is 1 when the run failed its\n"
                "job (docs/operations.md, \"Run outcome and exit status\"), else 0. `-a help=1` lists the\n"
                "spider arguments (below) without crawling.")

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        from icmpd_news.spiders.archive import ArchiveSpider
        from icmpd_news.spiders.feed import FeedSpider

        parser.formatter_class = _HelpFormatter
        parser.epilog = "\n".join(f"{spider.name}: {spider_arguments_help(spider)}" for spider in (FeedSpider, ArchiveSpider))

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        console.install()
        if _wants_help(opts.spargs):
            # No crawl: Scrapy's start-up lines would only bury the answer.
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        # Kept to read its stats afterwards (CrawlerProcess forgets finished crawlers).
        crawler = super()._create_crawler(spidercls)
        self.crawlers.append(crawler)
        # Once the crawl has set up Scrapy's logging for the last time (root at NOTSET, "scrapy" at DEBUG).
        crawler.signals.connect(console.build_only_handled_records, signal=signals.engine_started)
        return crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # Scrapy's run (scrapy.commands.crawl), plus help, the _refused callback and finish_run.
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl icmpd_news [-a name=value] [-s NAME=value]")
        assert self.crawler_process
        if _wants_help(opts.spargs):
            # The help is this command's output, like argparse's -h: written to stdout.
            sys.stdout.write(spider_arguments_help(self.crawler_process.spider_loader.load(args[0])))
            return
        task = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        if isinstance(task, asyncio.Future):
            task.add_done_callback(self._refused)
        self.crawler_process.start()
        for crawler in self.crawlers:
            self.exitcode = max(self.exitcode, finish_run(crawler, self.refusal))
        if self.crawler_process.bootstrap_failed:
            self.exitcode = max(self.exitcode, 1)
        # Spare the interpreter's final collections over every object (0.3-0.4 s); exit handlers still run.
        gc.freeze()

    def _refused(self, task: asyncio.Future) -> None:
        """A crawl that could not start: note why (CrawlRun has logged a lock or unwritable folder);
        a refused spider argument or a failed write gets one line, any other error its traceback.
        Retrieving the exception keeps asyncio from printing it again."""
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        if isinstance(error, (OutputDirLocked, OutputDirUnusable)):
            self.refusal = str(error)
        elif isinstance(error, SpiderArgumentError):
            self.refusal = f"the crawl could not start: {error}"
            logger.error("%s", self.refusal)
        elif isinstance(error, OSError):
            self.refusal = f"the crawl could not start: {write_failure(error, error.filename or '?')}"
            logger.error("%s", self.refusal, exc_info=error)
        else:
            self.refusal = f"the crawl could not start: {type(error).__name__}: {error}"
            logger.error("%s", self.refusal, exc_info=error)
