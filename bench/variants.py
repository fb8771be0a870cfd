"""Extraction on every variant family (devsite/page_variants.py): paragraph recall, figures and
attachments found, the path taken, fragments caught, and the time per page.

    python -m bench.variants

Recall is the share of the expected paragraphs the text holds; figures and attachments are
counted found when the record lists exactly the expected ones.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from scrapy.http import HtmlResponse

import icmpd_news.extract
from devsite.fixture_site import load_articles
from devsite.page_variants import variants
from icmpd_news.extract import ExtractionFailed, extract_article, generic

logger = logging.getLogger("bench.variants")
BASE = "http://127.0.0.1:8000"
OTHER = "http://127.0.0.2:8000"


@dataclass
class Tally:
    pages: int = 0
    paragraphs: int = 0
    found: int = 0
    exact: int = 0
    path: int = 0
    figures: int = 0
    figures_found: int = 0
    attachments: int = 0
    attachments_found: int = 0
    fragments: int = 0
    caught: int = 0
    crosschecked: int = 0
    seconds: float = 0.0


@contextmanager
def timed(module: object, name: str, spent: list[float]) -> Iterator[None]:
    """Add the time every call of module.name takes to `spent` while the block runs."""
    original: Callable = getattr(module, name)

    def wrapper(*args: object, **kwargs: object) -> object:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    setattr(module, name, wrapper)
    try:
        yield
    finally:
        setattr(module, name, original)


def measure() -> dict[tuple[str, str], Tally]:
    """Extract every variant of every fixture article; tally by (markup, family)."""
    generic.warm_up()
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for article in load_articles():
        for variant in variants(article, BASE, OTHER):
            tally = tallies[variant.markup, variant.family]
            tally.pages += 1
            tally.paragraphs += len(variant.blocks)
            tally.figures += len(variant.images)
            tally.attachments += len(variant.attachments)
            tally.fragments += variant.path == "site+generic"
            started = time.perf_counter()
            try:
                page = extract_article(HtmlResponse(url=variant.url, body=variant.html.encode(), encoding="utf-8"),
                                       site="127.0.0.1")
            except ExtractionFailed as error:
                logger.warning("%s %s %s: %s", variant.markup, variant.family, variant.url, error)
                continue
            finally:
                tally.seconds += time.perf_counter() - started
            blocks = page.text.split("\n\n")
            tally.found += sum(block in blocks for block in variant.blocks)
            tally.exact += blocks == variant.blocks
            tally.path += page.extraction == variant.path
            tally.figures_found += sum(image in page.images for image in variant.images)
            urls = {attachment["url"] for attachment in page.attachments}
            tally.attachments_found += sum(url in urls for url in variant.attachments)
            tally.caught += variant.path == "site+generic" and page.extraction == "site+generic"
            tally.crosschecked += page.crosschecked
    return tallies


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tallies = measure()
    logger.info("%-8s %-24s %5s %8s %7s %6s %9s %11s %8s %9s %7s",
                "markup", "family", "pages", "recall", "exact", "path", "figures", "attachments",
                "caught", "checked", "ms/page")
    total = Tally()
    for (markup, family), t in sorted(tallies.items()):
        logger.info("%-8s %-24s %5d %8.3f %4d/%-2d %3d/%-2d %4d/%-4d %5d/%-5d %4d/%-3d %4d/%-4d %7.1f",
                    markup, family, t.pages, t.found / t.paragraphs, t.exact, t.pages, t.path, t.pages,
                    t.figures_found, t.figures, t.attachments_found, t.attachments, t.caught, t.fragments,
                    t.crosschecked, t.pages, 1000 * t.seconds / t.pages)
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(t, name))
    logger.info("all: %d pages, paragraph recall %.3f, %d/%d exact, figures %d/%d, attachments %d/%d, "
                "fragments caught %d/%d, generic extractor run on %d, %.1f ms/page",
                total.pages, total.found / total.paragraphs, total.exact, total.pages, total.figures_found,
                total.figures, total.attachments_found, total.attachments, total.caught, total.fragments,
                total.crosschecked, 1000 * total.seconds / total.pages)
    checks: list[float] = []
    crosschecks: list[float] = []
    with timed(icmpd_news.extract, "page_check", checks), timed(icmpd_news.extract, "_cross_check", crosschecks):
        extracted = measure()
    pages = sum(t.pages for t in extracted.values())
    logger.info("cost of the check, per page extracted by a layout: page check %.2f ms on every one (%d); "
                "generic cross-check %.1f ms on the %d it ran on; %.2f ms per page on average",
                1000 * sum(checks) / len(checks), len(checks), 1000 * sum(crosschecks) / max(len(crosschecks), 1),
                len(crosschecks), 1000 * (sum(checks) + sum(crosschecks)) / pages)


if __name__ == "__main__":
    main()
