"""Spidermon monitors, run when the crawl closes: the failed ones get one WARNING line and their
stats. They alert; they do not change the exit status (docs/operations.md, "Validation and monitors").
"""

from __future__ import annotations

import logging
import warnings

from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon import MonitorSuite, monitors, settings
from spidermon.contrib.scrapy.monitors import (
    BaseScrapyMonitor,
    ErrorCountMonitor,
    FinishReasonMonitor,
    ItemValidationMonitor,
)
from spidermon.core.actions import Action

from icmpd_news.extract import EXTRACTION_PATHS
from icmpd_news.stats import (
    ARTICLES_FAILED,
    ARTICLES_FRESH,
    ARTICLES_REQUESTED,
    CONDITIONAL_NOT_MODIFIED_ARTICLE,
    FEED_ERROR,
    FEED_ERROR_REASON,
    LISTING_SKIPPED_KNOWN,
    MONITORS_FAILED,
    MONITORS_RUN,
    MONITORS_SKIPPED,
    articles_extraction,
    articles_failed,
    monitors_failed,
    monitors_skipped,
)

logger = logging.getLogger(__name__)

# Spidermon 1.x still logs through the deprecated Spider.log(): only that warning, only from Spidermon.
warnings.filterwarnings("ignore", message=r"Spider\.log\(\) is deprecated", category=ScrapyDeprecationWarning,
                        module=r"spidermon\.")


@monitors.name("Feed Monitor")
class FeedMonitor(BaseScrapyMonitor):
    """The feed was fetched and parsed (no FEED_ERROR)."""

    @monitors.name("The feed was read")
    def test_feed_was_read(self) -> None:
        reason = self.stats.get(FEED_ERROR_REASON)
        self.assertFalse(self.stats.get(FEED_ERROR), msg=f"the feed could not be read: {reason}")


# Articles a run confirmed as already exported without fetching them.
ALREADY_EXPORTED_STATS = (LISTING_SKIPPED_KNOWN, CONDITIONAL_NOT_MODIFIED_ARTICLE, ARTICLES_FRESH)


@monitors.name("Article Count Monitor")
class ArticleCountMonitor(BaseScrapyMonitor):
    """At least ICMPD_MONITOR_MIN_ARTICLES articles were accounted for: passed every pipeline
    (item_scraped_count) or were seen to be in the export already (ALREADY_EXPORTED_STATS)."""

    @monitors.name("Enough articles reached the export")
    def test_minimum_articles(self) -> None:
        minimum = self.crawler.settings.getint("ICMPD_MONITOR_MIN_ARTICLES")
        exported = self.stats.get("item_scraped_count", 0)
        known = sum(self.stats.get(name, 0) for name in ALREADY_EXPORTED_STATS)
        requested = self.stats.get(ARTICLES_REQUESTED, 0)
        self.assertGreaterEqual(
            exported + known, minimum,
            msg=(f"{exported} articles reached the export and {known} were known already (minimum {minimum}); "
                 f"{requested} were requested"),
        )


@monitors.name("Failed Articles Monitor")
class FailedArticlesMonitor(BaseScrapyMonitor):
    """At most ICMPD_MONITOR_MAX_FAILED_ARTICLES articles failed (ARTICLES_FAILED)."""

    @monitors.name("Few enough articles failed")
    def test_failed_articles(self) -> None:
        maximum = self.crawler.settings.getint("ICMPD_MONITOR_MAX_FAILED_ARTICLES")
        failed = self.stats.get(ARTICLES_FAILED, 0)
        kinds = {
            key.removeprefix(articles_failed.prefix): value
            for key, value in self.stats.items() if key.startswith(articles_failed.prefix)
        }
        self.assertLessEqual(failed, maximum, msg=f"{failed} articles failed (maximum {maximum}): {kinds}")


def extracted_by(stats: dict, path: str) -> tuple[int, int]:
    """(articles extracted by `path`, articles extracted at all)."""
    counts = {name: stats.get(articles_extraction(name), 0) for name in EXTRACTION_PATHS}
    return counts[path], sum(counts.values())


@monitors.name("Generic Extraction Monitor")
class GenericExtractionMonitor(BaseScrapyMonitor):
    """The redesign alarm: at most ICMPD_MONITOR_MAX_GENERIC_SHARE of the extracted articles came
    from the generic fallback rather than a known layout."""

    @monitors.name("Known layouts extracted the articles")
    def test_generic_share(self) -> None:
        generic, extracted = extracted_by(self.stats, "generic")
        if not extracted:
            self.skipTest("no article was extracted")
        maximum = self.crawler.settings.getfloat("ICMPD_MONITOR_MAX_GENERIC_SHARE")
        self.assertLessEqual(
            generic / extracted, maximum,
            msg=(f"{generic} of {extracted} articles ({generic / extracted:.0%}) were extracted by the generic "
                 f"fallback (maximum {maximum:.0%}): the site's layout has probably changed, see icmpd_news/extract/"),
        )


@monitors.name("Partial Extraction Monitor")
class PartialExtractionMonitor(BaseScrapyMonitor):
    """The fragment alarm: at most ICMPD_MONITOR_MAX_PARTIAL_SHARE of the extracted articles had
    a known layout that explained only part of the page (extraction site+generic)."""

    @monitors.name("Known layouts explained their pages")
    def test_partial_share(self) -> None:
        partial, extracted = extracted_by(self.stats, "site+generic")
        if not extracted:
            self.skipTest("no article was extracted")
        maximum = self.crawler.settings.getfloat("ICMPD_MONITOR_MAX_PARTIAL_SHARE")
        self.assertLessEqual(
            partial / extracted, maximum,
            msg=(f"{partial} of {extracted} articles ({partial / extracted:.0%}) were only partly explained by their "
                 f"layout (maximum {maximum:.0%}): the site's markup has probably changed, see icmpd_news/extract/"),
        )


class MonitorResultsToStats(Action):
    """Record the suite's outcome in the crawl's stats and sum up the failed monitors in one WARNING line."""

    def run_action(self) -> None:
        stats = self.data.crawler.stats
        failed = self.result.monitors_failed_results
        skipped = [r for r in self.result.monitor_results if r.status == settings.MONITOR.STATUS.SKIPPED]
        stats.set_value(MONITORS_RUN, len(self.result.monitor_results))
        stats.set_value(MONITORS_FAILED, len(failed))
        stats.set_value(MONITORS_SKIPPED, len(skipped))
        for family, results in ((monitors_failed, failed), (monitors_skipped, skipped)):
            for result in results:
                name = result.monitor.monitor_name.lower().replace(" ", "_")
                stats.set_value(family(name), result.reason or result.status)
        if failed:
            # WARNING, like the run summary of a failed run: the errors themselves have their own lines.
            logger.warning(
                "%d of %d monitors failed: %s", len(failed), len(self.result.monitor_results),
                "; ".join(f"{r.monitor.monitor_name}: {r.reason or r.status}" for r in failed),
            )


class CloseMonitorSuite(MonitorSuite):
    """The monitors run when the spider closes (SPIDERMON_SPIDER_CLOSE_MONITORS)."""

    monitors = [  # noqa: RUF012 (spidermon's declared interface)
        FinishReasonMonitor,
        FeedMonitor,
        ArticleCountMonitor,
        FailedArticlesMonitor,
        ErrorCountMonitor,
        ItemValidationMonitor,
        GenericExtractionMonitor,
        PartialExtractionMonitor,
    ]
    monitors_finished_actions = [MonitorResultsToStats]  # noqa: RUF012
