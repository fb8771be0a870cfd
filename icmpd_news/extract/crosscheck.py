"""Does the site layout's text explain the page? Word 3-grams of its text against the page's prose
and the generic extractor's, and the merge (docs/extraction.md, "The page check and the comparison")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from icmpd_news.extract.dom import (
    BLOCK_TAGS,
    HEADING_TAGS,
    LINK_DENSITY,
    SKIP_TAGS,
    is_boilerplate,
    is_caption,
    is_chrome,
    is_non_text,
    link_share,
    one_line,
    tag_of,
)

# A page element counts as prose when it holds at least this many words.
PROSE_MIN_WORDS = 8
# Prose words outside the site text from which the generic extractor is run.
CHECK_WORDS = 20
# A block of three words or more is contained in a text holding this share of its 3-grams.
CONTAINED = 0.8
# The share of the generic text's words the site text may lack before the match is partial.
PARTIAL_SHARE = 0.1
PROSE_TAGS = {"p", "li", "blockquote", "dd", "td", "pre", "div"}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Agreement:
    """How much of a reference text (generic extractor or page prose) the site text holds."""

    reference_words: int
    missing_words: int
    missing_blocks: tuple[int, ...] = ()

    @property
    def share(self) -> float:
        """The share of the reference's words found in the site text, 0..1 (1 for no reference)."""
        if not self.reference_words:
            return 1.0
        return round(1 - self.missing_words / self.reference_words, 3)

    @property
    def missing_share(self) -> float:
        return round(1 - self.share, 3)


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def shingles(tokens: list[str]) -> set[tuple[str, ...]]:
    """Word 3-grams (the words themselves for shorter texts)."""
    if len(tokens) < 3:
        return {(token,) for token in tokens}
    return {tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)}


class Reference:
    """A text to look blocks up in: a block holds when CONTAINED of its 3-grams occur (short ones: in a row)."""

    def __init__(self, text: str) -> None:
        tokens = words(text)
        self.shingles = shingles(tokens)
        self.joined = f" {' '.join(tokens)} "

    def holds(self, block: str) -> bool:
        tokens = words(block)
        if len(tokens) < 3:
            return f" {' '.join(tokens)} " in self.joined
        own = shingles(tokens)
        return len(own & self.shingles) / len(own) >= CONTAINED


def prose_elements(body: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """PROSE_TAGS elements of PROSE_MIN_WORDS or more, not mostly a link, outside chrome, with their text."""
    chrome: dict[etree._Element, bool] = {}

    def in_chrome(el: etree._Element) -> bool:
        if el not in chrome:
            parent = el.getparent()
            chrome[el] = is_chrome(el) or tag_of(el) in SKIP_TAGS or is_caption(el) or (parent is not None and in_chrome(parent))
        return chrome[el]

    for el in body.iter(*PROSE_TAGS):
        if tag_of(el) == "div" and any(tag_of(child) in BLOCK_TAGS for child in el):
            continue
        if in_chrome(el):
            continue
        text = one_line(el)
        if len(text.split()) >= PROSE_MIN_WORDS and link_share(el, text) < LINK_DENSITY:
            yield el, text


def page_check(body: etree._Element, site_text: str) -> Agreement:
    """The page's prose against the site text: how many of its words the site text lacks."""
    site = Reference(site_text)
    total = missing = 0
    for _, text in prose_elements(body):
        count = len(text.split())
        total += count
        if not site.holds(text):
            missing += count
    return Agreement(total, missing)


def compare(site_blocks: list[str], generic_blocks: list[str]) -> Agreement:
    """The generic extractor's blocks against the site text: which of them it lacks."""
    site = Reference("\n".join(site_blocks))
    total = missing = 0
    lacking = []
    for index, block in enumerate(generic_blocks):
        count = len(words(block))
        total += count
        if not site.holds(block):
            missing += count
            lacking.append(index)
    return Agreement(total, missing, tuple(lacking))


def merge(body: etree._Element, site_blocks: list[str], generic_blocks: list[str], lacking: Iterable[int]) -> list[str]:
    """The site blocks and the generic blocks they lack, in the order the page shows them."""
    added = [generic_blocks[index] for index in sorted(lacking)]
    elements = [(el, shingles(words(text))) for el, text in text_elements(body)]
    placed = [(position, 0, index, block) for index, (block, position) in enumerate(zip(site_blocks, positions(site_blocks, elements)))]
    placed += [(position, 1, index, block) for index, (block, position) in enumerate(zip(added, positions(added, elements)))]
    return [block for *_, block in sorted(placed)]


def text_elements(body: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """Every element of the page that holds text of its own, in document order."""
    for el in body.iter():
        if isinstance(el.tag, str) and (el.text or "").strip():
            yield el, one_line(el)


def positions(blocks: list[str], elements: list[tuple[etree._Element, set[tuple[str, ...]]]]) -> list[int]:
    """Where each block starts: the first element after the previous block's sharing most of either text
    (three 3-grams at least); a block not found takes its predecessor's place."""
    found: list[int] = []
    start = 0
    for block in blocks:
        own = shingles(words(block))
        index = next((i for i in range(start, len(elements)) if _starts(elements[i][1], own)), None)
        if index is not None:
            start = index
        found.append(start)
    return found


def region(body: etree._Element, blocks: list[str]) -> etree._Element:
    """The largest element holding every prose element `blocks` contain and no other prose or chrome."""
    text = Reference("\n".join(blocks))
    prose = list(prose_elements(body))
    found = [el for el, paragraph in prose if text.holds(paragraph)]
    if not found:
        return body
    foreign = {el for el, paragraph in prose if not text.holds(paragraph)}
    area = _common_ancestor(found)
    while area is not body and area.getparent() is not None:
        others = [sibling for sibling in area.getparent() if sibling is not area and isinstance(sibling.tag, str)]
        if any(el in foreign or is_chrome(el) for sibling in others for el in sibling.iter()):
            break
        area = area.getparent()
    return area


def _up_to(el: etree._Element, top: etree._Element) -> Iterator[etree._Element]:
    while el is not None and el is not top:
        yield el
        el = el.getparent()


def complete(body: etree._Element, blocks: list[str], title: str | None) -> list[str]:
    """The generic blocks with the prose and subheadings trafilatura left out between title and last
    paragraph (leads in teasers, subheadings in <header>), in page order."""
    text = Reference("\n".join(blocks))
    prose = dict(prose_elements(body))
    found = [el for el, paragraph in prose.items() if text.holds(paragraph)]
    heading = next((el for el in body.iter("h1", "h2") if _same_text(one_line(el), title)), None)
    if not found:
        return blocks
    area = _common_ancestor([*found, heading] if heading is not None else found)
    elements = list(text_elements(area))
    start = next((index for index, (el, _) in enumerate(elements) if el is heading), -1)
    kept = set(found)
    end = max(index for index, (el, _) in enumerate(elements) if el in kept or any(a in kept for a in el.iterancestors()))
    added: list[str] = []
    for index, (el, line) in enumerate(elements[start + 1:end], start + 1):
        if text.holds(line) or any(is_non_text(a) or is_boilerplate(a) for a in _up_to(el, area)):
            continue
        followed = index + 1 < len(elements) and elements[index + 1][0] in prose
        if el in prose or (tag_of(el) in HEADING_TAGS and followed):
            added.append(line)
    return merge(body, blocks, added, range(len(added))) if added else blocks


def _same_text(a: str, b: str | None) -> bool:
    return b is not None and " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _common_ancestor(elements: list[etree._Element]) -> etree._Element:
    """The deepest element holding all of `elements` (themselves included)."""
    common = [elements[0], *elements[0].iterancestors()]
    for el in elements[1:]:
        chain = {id(ancestor) for ancestor in (el, *el.iterancestors())}
        while len(common) > 1 and id(common[0]) not in chain:
            common.pop(0)
    return common[0]


def _starts(element: set[tuple[str, ...]], block: set[tuple[str, ...]]) -> bool:
    shared = len(element & block)
    return bool(element) and shared >= CONTAINED * min(len(element), len(block)) and shared >= min(3, len(block))


def heading_before(body: etree._Element, blocks: list[str]) -> str | None:
    """The last h1 or h2 before the first prose block of `blocks`: the title, when nothing declares it."""
    elements = list(text_elements(body))
    prose = [block for block in blocks if len(block.split()) >= PROSE_MIN_WORDS]
    if not prose or not elements:
        return None
    start = positions(prose[:1], [(el, shingles(words(text))) for el, text in elements])[0]
    for el, text in reversed(elements[:start + 1]):
        if tag_of(el) in ("h1", "h2") and text:
            return text
    return None
