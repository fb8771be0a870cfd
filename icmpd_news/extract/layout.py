"""What a known-layout module reports: where the parts of an article are on its page."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree


@dataclass
class LayoutMatch:
    """The raw parts one layout found; extract_article turns them into record fields."""

    name: str
    title: str | None
    date_text: str | None
    label: str | None
    lead_blocks: list[str]
    body_blocks: list[str]
    author_names: list[str] = field(default_factory=list)
    media_containers: list[etree._Element] = field(default_factory=list)
    file_containers: list[etree._Element] = field(default_factory=list)
