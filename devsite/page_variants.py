"""Metamorphic variants of article pages: the same article in markup its selectors were not
written for, with what extraction must still return.

Each family changes the page the way a template change or another TYPO3 site would, without
changing the article: the body wrapper removed, renamed or doubled; extra nesting; the body
split around the images; <base href> with relative links; a lead longer than ICMPD_MIN_TEXT_CHARS;
the date beside the item instead of in it; the classes of the article's parts renamed; an
unknown layout. Two families are fragments on purpose: the body outside the layout's root, so
that the layout explains only the lead; extraction must notice and still export everything.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from lxml import html as lxml_html
from lxml.cssselect import CSSSelector

from devsite.fixture_site import article_path, expected_blocks, render_page
from devsite.stock_pages import render_stock_page, render_txnews_page, stock_path, txnews_path


@dataclass(frozen=True)
class Markup:
    """Where a page family keeps the parts the variants move (CSS selectors)."""

    name: str
    root: str
    lead: str
    body: str | None  # the body wrapper; None when the blocks sit directly in the root
    blocks: str  # the body's blocks
    images: str
    date: str
    parts: tuple[str, ...]  # classes the layout names that a redesign could rename


FIXTURE_LEGACY = Markup("legacy", ".news-single-item", ".news-single-subheader", ".news-single-content",
                        ".news-single-content > *", ".news-single-img", ".news-single-timedata",
                        ("news-single-subheader", "news-single-content", "news-single-img", "news-single-timedata"))
FIXTURE_CURRENT = Markup("current", "article.news-detail", ".news-detail__lead", ".news-detail__body",
                         ".news-detail__body > *", "figure.news-detail__image", ".news-detail__date",
                         ("news-detail__lead", "news-detail__body", "news-detail__image", "news-detail__date",
                          "news-detail__header", "news-detail__category", "news-detail__title"))
STOCK_TTNEWS = Markup("tt_news", ".news-single-item", ".news-single-item > h3", None,
                      ".news-single-item > p, .news-single-item > h2, .news-single-item > ul", ".news-single-img",
                      ".news-single-rightbox", ("news-single-img", "news-single-rightbox", "news-single-category"))
STOCK_TXNEWS = Markup("tx_news", ".news-single .article", ".teaser-text", None, ".article > .frame-type-text",
                      ".news-img-wrap", ".news-list-date",
                      ("teaser-text", "news-img-wrap", "news-list-date", "news-text-wrap"))


@dataclass
class Variant:
    """One page and what extraction must return for it."""

    family: str
    markup: str
    url: str
    html: str
    path: str  # the extraction path it must record: site, site+generic or generic
    blocks: list[str]
    images: list[dict]
    attachments: list[str]
    links: list[str]


def _select(doc: lxml_html.HtmlElement, css: str) -> list:
    return CSSSelector(css)(doc)


def _one(doc: lxml_html.HtmlElement, css: str) -> lxml_html.HtmlElement:
    found = _select(doc, css)
    assert found, f"no {css} in the page"
    return found[0]


def _body_blocks(doc: lxml_html.HtmlElement, markup: Markup) -> list[lxml_html.HtmlElement]:
    """The body's block elements, in order."""
    return [el for el in _select(doc, markup.blocks) if not el.tag == "img"]


def _unwrap(el: lxml_html.HtmlElement) -> None:
    """Replace the element by its children (its text kept)."""
    parent = el.getparent()
    index = parent.index(el)
    children = list(el)
    if el.text and el.text.strip():
        previous = parent[index - 1] if index else None
        if previous is not None:
            previous.tail = (previous.tail or "") + el.text
        else:
            parent.text = (parent.text or "") + el.text
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    last = children[-1] if children else None
    if last is not None:
        last.tail = (last.tail or "") + (el.tail or "")
    parent.remove(el)


def _wrap(elements: list[lxml_html.HtmlElement], tag: str = "div", css: str = "") -> lxml_html.HtmlElement:
    """Put consecutive siblings into a new element at the first one's place."""
    parent = elements[0].getparent()
    wrapper = lxml_html.Element(tag, {"class": css} if css else {})
    parent.insert(parent.index(elements[0]), wrapper)
    for el in elements:
        wrapper.append(el)
    return wrapper


def wrapper_removed(doc, markup):
    _unwrap(_one(doc, markup.body))


def wrapper_renamed(doc, markup):
    _one(doc, markup.body).set("class", "article-text-area")


def wrapper_doubled(doc, markup):
    body = _one(doc, markup.body)
    _wrap([body], css=body.get("class"))


def extra_nesting(doc, markup):
    for block in _body_blocks(doc, markup):
        inner = _wrap([block], css="ce-inner")
        _wrap([inner], css="ce-frame frame-default")
    root = _one(doc, markup.root)
    _wrap(list(root), css="row")


def split_around_figures(doc, markup):
    blocks = _body_blocks(doc, markup)
    half = blocks[len(blocks) // 2:]
    figures = _select(doc, markup.images)
    anchor = half[0]
    if markup.body:
        body = _one(doc, markup.body)
        second = lxml_html.Element("div", {"class": body.get("class")})
        body.addnext(second)
        for el in half:
            second.append(el)
        anchor = second
    for figure in figures:
        anchor.addprevious(figure)


def base_href(doc, markup, base):
    for el in doc.iter():
        if el.tag == "base":
            continue
        for name in ("href", "src"):
            value = el.get(name)
            if value and value.startswith("/") and not value.startswith("//"):
                el.set(name, value[1:])
            elif value and value.startswith(base + "/"):
                el.set(name, value[len(base) + 1:])
    if not _select(doc, "base"):
        doc.find("head").insert(0, lxml_html.Element("base", {"href": base + "/"}))


def date_moved(doc, markup):
    date = _one(doc, markup.date)
    _one(doc, markup.root).addprevious(date)


def classes_renamed(doc, markup):
    for el in doc.iter():
        classes = (el.get("class") or "").split()
        if any(name in markup.parts for name in classes):
            el.set("class", " ".join(f"x{index}-{name[::-1][:6]}" if name in markup.parts else name
                                     for index, name in enumerate(classes)))


def unknown_layout(doc, markup):
    for el in doc.iter():
        classes = (el.get("class") or "").split()
        renamed = [f"r2030-{name.replace('__', '-').split('-')[-1]}" if name.startswith(("news-single", "news-detail"))
                   else name for name in classes]
        if classes:
            el.set("class", " ".join(renamed))
        if el.tag == "article":
            el.tag = "div"
        for name in ("itemscope", "itemtype", "itemprop"):
            el.attrib.pop(name, None)


def body_outside(doc, markup):
    """The fragment: the body (and the images) in a sibling after the root, the lead alone in it."""
    blocks = _body_blocks(doc, markup)
    root = _one(doc, markup.root)
    outside = lxml_html.Element("div", {"class": "content-main"})
    root.addnext(outside)
    for el in [*_select(doc, markup.images), *blocks]:
        outside.append(el)
    if markup.body:
        body = _one(doc, markup.body)
        body.getparent().remove(body)


def _long_lead(doc, markup, article):
    lead = _one(doc, markup.lead)
    text = " ".join(article["lead"].split())
    longer = f"{text} {text}"
    for child in list(lead):
        lead.remove(child)
    if lead.tag == "div":
        paragraph = lxml_html.Element("p")
        paragraph.text = longer
        lead.append(paragraph)
        lead.text = None
    else:
        lead.text = longer
    return longer


FAMILIES: dict[str, tuple[Callable, str]] = {
    "original": (lambda doc, markup: None, "site"),
    "wrapper_removed": (wrapper_removed, "site"),
    "wrapper_renamed": (wrapper_renamed, "site"),
    "wrapper_doubled": (wrapper_doubled, "site"),
    "extra_nesting": (extra_nesting, "site"),
    "split_around_figures": (split_around_figures, "site"),
    "base_href": (base_href, "site"),
    "long_lead": (lambda doc, markup: None, "site"),
    "date_moved": (date_moved, "site"),
    "classes_renamed": (classes_renamed, "site"),
    "unknown_layout": (unknown_layout, "generic"),
    "body_outside": (body_outside, "site+generic"),
    "long_lead_body_outside": (body_outside, "site+generic"),
}
WRAPPER_FAMILIES = {"wrapper_removed", "wrapper_renamed", "wrapper_doubled"}


def variants(article: dict, base: str, other: str) -> list[Variant]:
    """Every family of variants of the article's page (its fixture layout and the stock tt_news
    markup), with the paragraphs, images, attachments and links extraction must return."""
    pages = [(FIXTURE_LEGACY if article["layout"] == "legacy" else FIXTURE_CURRENT,
              base + article_path(article), render_page(article, base, other)),
             (STOCK_TTNEWS, base + stock_path(article), render_stock_page(article, base, other)),
             (STOCK_TXNEWS, base + txnews_path(article), render_txnews_page(article, base, other))]
    documents = [href for href in (link["href"] for link in article["inline_links"] + article["downloads"])
                 if href.startswith("/fileadmin/")]
    links = [link["href"].replace("{{OTHER}}", other) for link in article["inline_links"]
             if not link["href"].startswith("/fileadmin/")]
    found: list[Variant] = []
    for markup, url, page in pages:
        for family, (change, path) in FAMILIES.items():
            if family in WRAPPER_FAMILIES and markup.body is None:
                continue
            doc = lxml_html.document_fromstring(page)
            blocks = expected_blocks(article)
            if family.startswith("long_lead"):
                blocks[0] = _long_lead(doc, markup, article)
            if family == "base_href":
                change(doc, markup, base)
            else:
                change(doc, markup)
            found.append(Variant(
                family=family, markup=markup.name, url=url,
                html=lxml_html.tostring(copy.deepcopy(doc), encoding="unicode", doctype="<!DOCTYPE html>"),
                path=path, blocks=blocks,
                images=[{"url": base + image["src"], "alt": image["alt"] or None, "caption": image["caption"]}
                        for image in article["images"]],
                attachments=sorted(base + href for href in documents),
                links=[href if href.startswith("http") else base + href for href in links],
            ))
    return found
