"""Schema validation: every record is checked against the packaged JSON Schema before export."""

from __future__ import annotations

import logging

import jsonschema_rs
from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from spidermon.contrib.scrapy.monitors import ItemValidationMonitor
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
from spidermon.contrib.validation.jsonschema.validator import JSONSchemaValidator

from icmpd_news.stats import ARTICLES_INVALID

logger = logging.getLogger(__name__)


class CompiledJSONSchemaValidator(JSONSchemaValidator):
    """Spidermon's validator, with a record jsonschema-rs accepts taken as valid at once (docs/benchmarks.md);
    a record it rejects goes through Spidermon's, which decides and says why."""

    def __init__(self, schema: dict, **kwargs: object) -> None:
        super().__init__(schema, **kwargs)
        self._compiled = jsonschema_rs.validator_for(schema)

    def _validate(self, data: dict, strict: bool = False) -> None:
        if self._compiled.is_valid(data):
            return
        super()._validate(data, strict)


class SchemaValidationPipeline(ItemValidationPipeline):
    """Spidermon's ItemValidationPipeline; a record that breaks the schema is dropped with one ERROR line."""

    def open_spider(self) -> None:
        # 0, not missing: ItemValidationMonitor checks a clean run instead of reporting SKIPPED.
        self.stats.stats.inc_value(ItemValidationMonitor.stat_name, 0)

    @classmethod
    def _load_jsonschema_validator(cls, schema: dict | str) -> JSONSchemaValidator:
        """Spidermon's loader, returning a CompiledJSONSchemaValidator."""
        loaded = super()._load_jsonschema_validator(schema)
        return CompiledJSONSchemaValidator(loaded._schema)

    def _drop_item(self, item: object, errors: dict[str, list[str]]) -> None:
        url = ItemAdapter(item).get("url")
        summary = "; ".join(f"{field or '(record)'}: {', '.join(messages)}" for field, messages in errors.items())
        self.stats.add_dropped_item()
        self.stats.stats.inc_value(ARTICLES_INVALID)
        logger.error("article %s breaks the record schema and is not exported: %s", url, summary)
        raise DropItem(f"{url} breaks the record schema: {summary}")
