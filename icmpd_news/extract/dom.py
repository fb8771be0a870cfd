"""Layout-independent helpers: a page -> its selector; an article element -> text blocks,
images, attachments, links.

The layout modules find *where* the article is; this module decides *what* of it is text,
which images are the article's own and which links are attachments.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse
from scrapy.utils.response import get_base_url

from icmpd_news.text import SPACES
from icmpd_news.urls import same_site


def page_selector(response: TextResponse) -> Selector:
    """The page parsed as Scrapy's `response.selector` parses it (the response's text as HTML,
    the page's base URL), but not kept on the response.

    Scrapy's cached selector and its response refer to each other (scrapy/scrapy#2977), so a
    page, its decoded text and its lxml tree outlive the callback until Python's cycle
    collector runs: 180 to 230 finished pages at any moment of a benchmark crawl
    (bench/README.md). This one is freed with the callback's last reference to it.
    """
    return Selector(text=response.text, type="html", base_url=get_base_url(response))


# Elements that never hold article text.
SKIP_TAGS = {
    "script", "style", "noscript", "template", "form", "nav", "aside", "button", "input",
    "select", "textarea", "iframe", "object", "embed", "svg", "canvas", "figure", "img",
    "picture", "video", "audio", "header", "footer", "menu",
}
# Class or id words that mark boilerplate inside an article container.
BOILERPLATE_MARKERS = re.compile(
    r"(^|[\s_-])(share|sharing|social|related|newsletter|cookie|consent|breadcrumb|"
    r"backlink|pagination|pager|tags|print|subscribe)([\s_-]|$)",
    re.IGNORECASE,
)
BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "blockquote", "pre", "address", "center",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd", "li", "table", "tr",
    "thead", "tbody", "tfoot", "hr", "details", "summary",
}
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
DOCUMENT_EXTENSIONS = (
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp",
    ".rtf", ".zip", ".csv", ".epub",
)
# Link texts that say nothing about the file: the attachment takes its sentence instead.
GENERIC_LINK_TEXTS = {"here", "click here", "download", "download here", "more", "read more", "link", "this link", "pdf"}
_BYLINE = re.compile(r"^By\s+(?P<names>[^.!?]{3,200})$")
_NAME_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")


def normalise_space(text: str) -> str:
    """Collapse runs of spaces (non-breaking ones included) per line; drop empty lines' edges."""
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def tag_of(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def is_boilerplate(el: etree._Element) -> bool:
    """True for elements that are navigation, share widgets, related lists and the like."""
    if tag_of(el) in SKIP_TAGS:
        return True
    marker = f"{el.get('class', '')} {el.get('id', '')} {el.get('role', '')}"
    return bool(BOILERPLATE_MARKERS.search(marker)) or el.get("hidden") is not None


def _inline_text(el: etree._Element) -> str:
    """Text of an inline run, with <br> kept as a line break."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if tag_of(node) == "br":
            parts.append("\n")
        elif tag_of(node) in SKIP_TAGS or (tag_of(node) and is_boilerplate(node)):
            pass
        elif isinstance(node.tag, str):
            parts.append(node.text or "")
            for child in node:
                walk(child)
                parts.append(child.tail or "")

    walk(el)
    return "".join(parts)


def text_blocks(el: etree._Element) -> list[str]:
    """The element's text as blocks: paragraphs and headings one each, a list one block with
    one item per line. Boilerplate descendants are left out."""
    blocks: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = normalise_space("".join(buffer))
        buffer.clear()
        if text:
            blocks.append(text)

    def walk(node: etree._Element) -> None:
        buffer.append(node.text or "")
        for child in node:
            tag = tag_of(child)
            if not tag:
                buffer.append(child.tail or "")
                continue
            if is_boilerplate(child):
                pass
            elif tag in ("ul", "ol", "dl"):
                flush()
                items = [normalise_space(_inline_text(li)).replace("\n", " ")
                         for li in child.iter("li", "dt", "dd")]
                if any(items):
                    blocks.append("\n".join(item for item in items if item))
            elif tag == "tr":
                flush()
                cells = [normalise_space(_inline_text(c)).replace("\n", " ") for c in child.iter("td", "th")]
                if any(cells):
                    blocks.append(" | ".join(cells))
            elif tag in BLOCK_TAGS:
                flush()
                walk(child)
                flush()
            elif tag == "br":
                buffer.append("\n")
            else:
                buffer.append(_inline_text(child))
            buffer.append(child.tail or "")

    walk(el)
    flush()
    return blocks


def split_byline(blocks: list[str]) -> tuple[list[str], list[str]]:
    """Find a "By A and B" byline among the first blocks: return (authors, blocks without it)."""
    for index, block in enumerate(blocks[:3]):
        match = _BYLINE.match(block.strip())
        if match and "\n" not in block:
            return parse_authors(match.group("names")), blocks[:index] + blocks[index + 1:]
    return [], blocks


def parse_authors(names: str) -> list[str]:
    """'A, B and C' -> ['A', 'B', 'C']."""
    names = re.sub(r"^By\s+", "", names.strip())
    return [name.strip() for name in _NAME_SPLIT.split(names) if name.strip()]


# Images that are not the article's: logos, icons, badges, emoji, tracking pixels and
# spacers, and teasers of other articles. Matched on class/id words of the image and its
# ancestors inside the article, and on the words of the image's URL path.
NOT_CONTENT_IMAGE_MARKERS = re.compile(
    r"(^|[\s_/.-])(logos?|icons?|favicon|emoji|badges?|sprites?|avatar|pixels?|spacer|beacon|"
    r"tracking|tracker|analytics|teasers?)([\s_/.-]|$)",
    re.IGNORECASE,
)
_CSS_SIZE = re.compile(r"(?:^|;)\s*(width|height)\s*:\s*(\d+(?:\.\d+)?)\s*px", re.IGNORECASE)
_CSS_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _looks_like_pixel(img: etree._Element) -> bool:
    """A tracking pixel or spacer: 2 px or less by attribute or inline style, or hidden."""
    sizes = [img.get("width", ""), img.get("height", "")]
    if any(size.strip().rstrip("px").isdigit() and int(size.strip().rstrip("px")) <= 2 for size in sizes):
        return True
    style = img.get("style", "")
    return bool(_CSS_HIDDEN.search(style)) or any(float(value) <= 2 for _, value in _CSS_SIZE.findall(style))


def _not_content_image(img: etree._Element, url: str, stop: etree._Element) -> bool:
    """True for logos, icons, badges, pixels and teaser images (see NOT_CONTENT_IMAGE_MARKERS)."""
    if NOT_CONTENT_IMAGE_MARKERS.search(urlsplit(url).path):
        return True
    for el in (img, *img.iterancestors()):
        if el is stop:
            return False
        if NOT_CONTENT_IMAGE_MARKERS.search(f"{el.get('class', '')} {el.get('id', '')}"):
            return True
    return False


def _caption(img: etree._Element) -> str | None:
    for ancestor in img.iterancestors():
        if tag_of(ancestor) == "figure":
            captions = ancestor.xpath(".//figcaption")
            if captions:
                return normalise_space(_inline_text(captions[0])).replace("\n", " ") or None
            return None
    return None


def _inside_boilerplate(el: etree._Element, stop: etree._Element) -> bool:
    for ancestor in el.iterancestors():
        if ancestor is stop:
            return False
        if tag_of(ancestor) not in ("figure", "picture") and is_boilerplate(ancestor):
            return True
    return False


def images(containers: list[etree._Element], base_url: str) -> list[dict]:
    """The article's own images in document order: no pixels, logos, icons or teasers, no
    data: URIs, nothing inside share, related or other boilerplate blocks. Each: url, alt,
    caption."""
    found: list[dict] = []
    seen: set[str] = set()
    for container in containers:
        for img in container.iter("img"):
            src = img.get("data-src") or img.get("src") or ""
            if not src.strip() or src.startswith("data:") or _looks_like_pixel(img):
                continue
            if _inside_boilerplate(img, container):
                continue
            url = urljoin(base_url, src.strip())
            if url in seen or urlsplit(url).scheme not in ("http", "https") or _not_content_image(img, url, container):
                continue
            seen.add(url)
            alt = normalise_space(img.get("alt") or "") or None
            found.append({"url": url, "alt": alt, "caption": _caption(img)})
    return found


def is_document_url(url: str) -> bool:
    """True when the URL's path ends in a document extension (pdf, docx, xlsx, zip ...)."""
    return urlsplit(url).path.lower().endswith(DOCUMENT_EXTENSIONS)


def links_and_attachments(
    containers: list[etree._Element], base_url: str, site: str, file_hosts: frozenset[str] = frozenset()
) -> tuple[list[dict], list[dict]]:
    """Split the article's links into attachments (documents on the site or its file hosts:
    url, title) and other links (url, text). Boilerplate blocks are ignored."""
    attachments: list[dict] = []
    links: list[dict] = []
    seen: set[str] = set()
    for container in containers:
        for anchor in container.iter("a"):
            href = (anchor.get("href") or "").strip()
            if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
                continue
            if _inside_boilerplate(anchor, container):
                continue
            url = urljoin(base_url, href)
            if url in seen or urlsplit(url).scheme not in ("http", "https"):
                continue
            seen.add(url)
            text = normalise_space(_inline_text(anchor)).replace("\n", " ") or None
            host = (urlsplit(url).hostname or "").lower()
            if is_document_url(url) and (same_site(url, site) or host in file_hosts):
                attachments.append({"url": url, "title": _attachment_title(anchor, text, url)})
            else:
                links.append({"url": url, "text": text})
    return attachments, links


def _attachment_title(anchor: etree._Element, text: str | None, url: str) -> str:
    """The link text; for "here"-style links the sentence around it; else the file name."""
    if text and text.lower().strip(" .:") not in GENERIC_LINK_TEXTS:
        return text
    for ancestor in anchor.iterancestors():
        if tag_of(ancestor) in BLOCK_TAGS:
            context = normalise_space(_inline_text(ancestor)).replace("\n", " ")
            if context and len(context) <= 300:
                return context
            break
    return text or urlsplit(url).path.rsplit("/", 1)[-1]


def first(sel: Selector, *queries: str) -> Selector | None:
    """The first element matched by any of the CSS queries, in the order given."""
    for query in queries:
        found = sel.css(query)
        if found:
            return found[0]
    return None
