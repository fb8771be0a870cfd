"""Item pipelines, one concern each, in the order settings.ITEM_PIPELINES runs them."""
