"""The record's JSON Schema, packaged so it can be read under Scrapyd (no working-directory paths)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files


@cache
def article_schema() -> dict:
    """The JSON Schema every exported record satisfies."""
    return json.loads(files(__package__).joinpath("article.schema.json").read_text(encoding="utf-8"))
