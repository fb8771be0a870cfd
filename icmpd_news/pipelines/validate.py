"""Schema validation: every record is checked against the packaged JSON Schema before export."""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline

logger = logging.getLogger(__name__)


class SchemaValidationPipeline(ItemValidationPipeline):
    """Spidermon's ItemValidationPipeline, validating against SPIDERMON_VALIDATION_SCHEMAS (the
    schema of icmpd_news/schema, read with importlib.resources), with a specific log line and an
    icmpd/ stat for each record that breaks it.

    A record that breaks the schema is dropped (SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS):
    every line of the export satisfies the schema, and the article's previous record, if any,
    stays in the export. Spidermon counts the errors (spidermon/validation/...) and its
    ItemValidationMonitor (icmpd_news/monitors.py) fails the run.

    Stats: icmpd/articles/invalid, spidermon/validation/items, spidermon/validation/fields/errors/...
    """

    def _drop_item(self, item: object, errors: dict[str, list[str]]) -> None:
        url = ItemAdapter(item).get("url")
        summary = "; ".join(f"{field or '(record)'}: {', '.join(messages)}" for field, messages in errors.items())
        self.stats.add_dropped_item()
        self.stats.stats.inc_value("icmpd/articles/invalid")
        logger.error("article %s breaks the record schema and is not exported: %s", url, summary)
        raise DropItem(f"{url} breaks the record schema: {summary}")
