"""Layout-independent helpers: an article element -> text blocks, images, attachments, links (by tag
and class words, never one exact class)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse
from scrapy.utils.response import get_base_url

from icmpd_news.extract.dates import find_date
from icmpd_news.text import SPACES
from icmpd_news.urls import same_site


def page_selector(response: TextResponse) -> Selector:
    """The page parsed as `response.selector` is, but not cached on the response (freed at once)."""
    return Selector(text=response.text, type="html", base_url=get_base_url(response))


# Elements that never hold article text.
SKIP_TAGS = {
    "script", "style", "noscript", "template", "form", "nav", "aside", "button", "input",
    "select", "textarea", "iframe", "object", "embed", "svg", "canvas", "figure", "img",
    "picture", "video", "audio", "footer", "menu",
}
# Class or id words of blocks that are not the article: widgets, navigation, other articles.
BOILERPLATE_WORDS = {
    "share", "sharing", "shariff", "social", "related", "newsletter", "cookie", "cookies", "consent",
    "breadcrumb", "breadcrumbs", "backlink", "pagination", "pager", "pagebrowser", "tags", "print", "subscribe",
}
# Class or id words of the article's own download and link blocks, kept even inside "related".
FILE_BLOCK_WORDS = {"files", "downloads", "download", "attachments", "documents"}
LINK_BLOCK_WORDS = {"links"}
# Class or id words of an article's parts that are not its text: metadata, image and file blocks.
NON_TEXT_WORDS = {
    "date", "time", "timedata", "datetime", "rightbox", "category", "categories", "label", "author", "authors",
    "byline", "meta", "footer", "img", "image", "images", "media", "mediaelement", "gallery", "caption",
    "figure", "photo", "additional",
} | FILE_BLOCK_WORDS | LINK_BLOCK_WORDS
# Page chrome around the article, for telling article text from everything else.
CHROME_TAGS = {"nav", "header", "footer", "aside", "menu", "form"}
CHROME_WORDS = BOILERPLATE_WORDS | {"header", "footer", "nav", "navigation", "menu", "sidebar", "banner", "skip"}
BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "blockquote", "pre", "address", "center", "header",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd", "li", "table", "tr",
    "thead", "tbody", "tfoot", "hr", "details", "summary",
}
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
DOCUMENT_EXTENSIONS = (
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp",
    ".rtf", ".zip", ".csv", ".epub",
)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".tif", ".tiff", ".bmp")
# Link texts that say nothing about the file: the attachment takes its sentence instead.
GENERIC_LINK_TEXTS = {"here", "click here", "download", "download here", "more", "read more", "link", "this link", "pdf"}
# A short block of nearly all link text is navigation ("<- Back to the News Centre"), not prose.
LINK_DENSITY = 0.8
LINK_BLOCK_MAX_WORDS = 12
# A heading this long is prose (tt_news's subheader in an <h3>): kept even with no text after it.
HEADING_MAX_WORDS = 12
_BYLINE = re.compile(r"^By\s+(?P<names>[^.!?]{3,200})$")
_NAME_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def normalise_space(text: str) -> str:
    """Collapse runs of spaces (non-breaking ones included) per line; drop empty lines' edges."""
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def tag_of(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def class_words(el: etree._Element) -> set[str]:
    """The words of the element's class, id and role: "news-single-files" -> news, single, files."""
    marker = f"{el.get('class', '')} {el.get('id', '')} {el.get('role', '')}"
    return set(_WORD_SPLIT.split(_CAMEL.sub(r"\1 \2", marker).lower())) - {""}


def is_boilerplate(el: etree._Element) -> bool:
    """True for elements that are navigation, share widgets, related lists and the like."""
    if tag_of(el) in SKIP_TAGS:
        return True
    return bool(class_words(el) & BOILERPLATE_WORDS) or el.get("hidden") is not None


def is_chrome(el: etree._Element) -> bool:
    """True for the page's chrome around any article: header, navigation, footer, widgets."""
    if tag_of(el) in CHROME_TAGS:
        return True
    return bool(class_words(el) & CHROME_WORDS) or el.get("hidden") is not None


def is_non_text(el: etree._Element) -> bool:
    """True for an article's parts that hold no prose: metadata, image, file and link blocks, captions."""
    return bool(class_words(el) & NON_TEXT_WORDS) or is_caption(el)


def inline_text(el: etree._Element) -> str:
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


def one_line(el: etree._Element) -> str:
    """The element's inline text on one line, spaces collapsed."""
    return normalise_space(inline_text(el)).replace("\n", " ")


def link_share(el: etree._Element, text: str) -> float:
    """How much of the element's text is link text (0..1)."""
    if not text:
        return 0.0
    linked = sum(len(normalise_space(inline_text(a))) for a in el.iter("a"))
    return min(1.0, linked / len(text))


def _is_link_block(el: etree._Element, text: str) -> bool:
    return len(text.split()) <= LINK_BLOCK_MAX_WORDS and link_share(el, text) >= LINK_DENSITY


def is_date_line(text: str) -> bool:
    """A block that is only a date ("14 December 2020", "Published: 14.12.2020 10:00")."""
    return len(text) <= 40 and "\n" not in text and find_date(text) is not None and len(text.split()) <= 5


def text_blocks(el: etree._Element, skip: Callable[[etree._Element], bool] = is_boilerplate) -> list[str]:
    """The element's text as blocks (a list one block, a row one line), without what `skip` names,
    link-only blocks, date-only lines and a short heading with no text after it."""
    blocks: list[tuple[str, str]] = []  # (kind, text): kind "heading", "text" or "dropped"
    buffer: list[str] = []
    owner: list[etree._Element] = [el]

    def flush() -> None:
        text = normalise_space("".join(buffer))
        buffer.clear()
        if not text:
            return
        container = owner[-1]
        if is_date_line(text) or (tag_of(container) not in HEADING_TAGS and _is_link_block(container, text)):
            blocks.append(("dropped", text))
        else:
            blocks.append(("heading" if tag_of(container) in HEADING_TAGS else "text", text))

    def walk(node: etree._Element) -> None:
        buffer.append(node.text or "")
        for child in node:
            tag = tag_of(child)
            if not tag:
                buffer.append(child.tail or "")
                continue
            if skip(child):
                pass
            elif tag in ("ul", "ol", "dl"):
                flush()
                items = [(item, one_line(item)) for item in child.iter("li", "dt", "dd")]
                items = [(item, text) for item, text in items if text]
                if items and all(_is_link_block(item, text) for item, text in items):
                    blocks.append(("dropped", "\n".join(text for _, text in items)))
                elif items:
                    blocks.append(("text", "\n".join(text for _, text in items)))
            elif tag == "tr":
                flush()
                cells = [one_line(c) for c in child.iter("td", "th")]
                if any(cells):
                    blocks.append(("text", " | ".join(cells)))
            elif tag in BLOCK_TAGS:
                flush()
                owner.append(child)
                walk(child)
                flush()
                owner.pop()
            elif tag == "br":
                buffer.append("\n")
            else:
                buffer.append(inline_text(child))
            buffer.append(child.tail or "")

    walk(el)
    flush()
    kept: list[str] = []
    for index, (kind, text) in enumerate(blocks):
        following = next((k for k, _ in blocks[index + 1:] if k != "heading"), None)
        if kind == "text" or (kind == "heading" and (following == "text" or len(text.split()) >= HEADING_MAX_WORDS)):
            kept.append(text)
    return kept


def split_byline(blocks: list[str]) -> tuple[list[str], list[str]]:
    """Find a "By A and B" byline among the first blocks: return (authors, blocks without it)."""
    for index, block in enumerate(blocks[:3]):
        match = _BYLINE.match(block.strip())
        if match and "\n" not in block:
            return parse_authors(match.group("names")), blocks[:index] + blocks[index + 1:]
    return [], blocks


def parse_authors(names: str) -> list[str]:
    """'A, B and C' -> ['A', 'B', 'C']."""
    names = re.sub(r"^(By|Von|Par)\s+", "", names.strip(), flags=re.IGNORECASE)
    return [name.strip() for name in _NAME_SPLIT.split(names) if name.strip()]


# Class/id words (of an image or its ancestors) and URL path words of images that are not the article's.
NOT_CONTENT_IMAGE_WORDS = {
    "logo", "logos", "icon", "icons", "favicon", "emoji", "badge", "badges", "sprite", "sprites", "avatar",
    "pixel", "pixels", "spacer", "beacon", "tracking", "tracker", "analytics", "teaser", "teasers", "thumbnail",
}
# Declared at most this size in both dimensions, an image is an icon, not a figure.
ICON_MAX_PIXELS = 32
_PATH_WORDS = re.compile(r"[\s_/.\-]+")
_CSS_SIZE = re.compile(r"(?:^|;)\s*(width|height)\s*:\s*(\d+(?:\.\d+)?)\s*px", re.IGNORECASE)
_CSS_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SRCSET_ENTRY = re.compile(r"\s*(\S+)(?:\s+(\d+(?:\.\d+)?)([wx]))?\s*(?:,|$)")
_SIZE = re.compile(r"^\s*(\d+)\s*(?:px)?\s*$")


def _declared_sizes(img: etree._Element) -> list[int]:
    """The width and height the page declares for the image, attributes or inline style."""
    sizes = [int(match.group(1)) for value in (img.get("width", ""), img.get("height", ""))
             if (match := _SIZE.match(value))]
    sizes += [int(float(value)) for _, value in _CSS_SIZE.findall(img.get("style", ""))]
    return sizes


def _looks_like_pixel(img: etree._Element) -> bool:
    """A tracking pixel, spacer or icon: 2 px or less in a dimension, at most ICON_MAX_PIXELS in both, or hidden."""
    sizes = _declared_sizes(img)
    if any(size <= 2 for size in sizes) or (len(sizes) >= 2 and max(sizes) <= ICON_MAX_PIXELS):
        return True
    return bool(_CSS_HIDDEN.search(img.get("style", "")))


def _image_source(img: etree._Element) -> str:
    """The image's address: lazy-loading attributes, then src, else its largest srcset candidate."""
    for name in ("data-src", "data-lazy-src", "data-original", "src"):
        value = (img.get(name) or "").strip()
        if value and not value.startswith("data:"):
            return value
    srcsets = [img.get("data-srcset") or img.get("srcset") or ""]
    parent = img.getparent()
    if parent is not None and tag_of(parent) == "picture":
        srcsets += [source.get("srcset") or source.get("data-srcset") or "" for source in parent.iter("source")]
    for srcset in srcsets:
        candidates = [(float(size or 0), url) for url, size, _ in _SRCSET_ENTRY.findall(srcset) if url]
        if candidates:
            return max(candidates, key=lambda pair: pair[0])[1]
    return ""


def is_content_image_url(url: str) -> bool:
    """False for an address that is not http(s) or whose path names a NOT_CONTENT_IMAGE_WORDS."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and not set(_PATH_WORDS.split(parts.path.lower())) & NOT_CONTENT_IMAGE_WORDS


def _not_content_image(img: etree._Element, url: str, stop: etree._Element) -> bool:
    """True for logos, icons, badges, pixels and teaser images (see NOT_CONTENT_IMAGE_WORDS)."""
    if not is_content_image_url(url):
        return True
    for el in (img, *img.iterancestors()):
        if el is stop:
            return False
        if class_words(el) & NOT_CONTENT_IMAGE_WORDS:
            return True
    return False


def _teaser_link(img: etree._Element, stop: etree._Element, base: str, article_url: str) -> bool:
    """True when the image links to another article of the site (a related-news thumbnail)."""
    for ancestor in img.iterancestors():
        if ancestor is stop:
            return False
        if tag_of(ancestor) != "a" or not ancestor.get("href"):
            continue
        target = urljoin(base, ancestor.get("href").strip())
        path, own = urlsplit(target).path, urlsplit(article_url).path
        if path.lower().endswith(IMAGE_EXTENSIONS + DOCUMENT_EXTENSIONS) or path.rstrip("/") == own.rstrip("/"):
            return False
        section = own.strip("/").split("/")[0]
        return bool(section) and path.strip("/").split("/")[0] == section and urlsplit(target).netloc == urlsplit(article_url).netloc
    return False


def is_caption(el: etree._Element) -> bool:
    """A figcaption, or an element with a class word naming a caption (imgcaption, news-img-caption)."""
    return tag_of(el) == "figcaption" or any("caption" in word for word in class_words(el))


def _caption(img: etree._Element) -> str | None:
    """The image's <figcaption>, else the caption-classed element of this image alone."""
    for ancestor in img.iterancestors():
        if tag_of(ancestor) == "figure":
            captions = ancestor.xpath(".//figcaption")
            return (one_line(captions[0]) or None) if captions else None
    own = img
    while own.getparent() is not None and len(list(own.getparent().iter("img"))) == 1:
        own = own.getparent()
        for el in own.iter():
            if el is not img and is_caption(el):
                return one_line(el) or None
    for sibling in own.itersiblings():
        if not isinstance(sibling.tag, str) or next(sibling.iter("img"), None) is not None:
            return None
        if is_caption(sibling):
            return one_line(sibling) or None
    return None


def _inside(el: etree._Element, stop: etree._Element) -> str | None:
    """What the nearest marked ancestor of `el` below `stop` makes of it: "files", "links", "boilerplate" or None."""
    for ancestor in el.iterancestors():
        if ancestor is stop:
            return None
        words = class_words(ancestor)
        if words & FILE_BLOCK_WORDS:
            return "files"
        if words & LINK_BLOCK_WORDS:
            return "links"
        if tag_of(ancestor) not in ("figure", "picture") and is_boilerplate(ancestor):
            return "boilerplate"
    return None


def images(containers: Iterable[etree._Element], base: str, article_url: str) -> list[dict]:
    """The article's own images (url, alt, caption; no pixels, icons, logos, teasers or boilerplate)."""
    found: list[dict] = []
    seen: set[str] = set()
    for container in containers:
        for img in container.iter("img"):
            src = _image_source(img)
            if not src or _looks_like_pixel(img) or _inside(img, container) == "boilerplate":
                continue
            url = urljoin(base, src)
            if url in seen:
                continue
            if _not_content_image(img, url, container) or _teaser_link(img, container, base, article_url):
                continue
            seen.add(url)
            found.append({"url": url, "alt": normalise_space(img.get("alt") or "") or None, "caption": _caption(img)})
    return found


def is_document_url(url: str) -> bool:
    """True when the URL's path ends in a document extension (pdf, docx, xlsx, zip ...)."""
    return urlsplit(url).path.lower().endswith(DOCUMENT_EXTENSIONS)


def links_and_attachments(
    containers: Iterable[etree._Element], base: str, site: str, file_hosts: frozenset[str] = frozenset()
) -> tuple[list[dict], list[dict]]:
    """The article's links outside boilerplate: attachments (documents on the site or its file hosts:
    url, title) and other links (url, text)."""
    attachments: list[dict] = []
    links: list[dict] = []
    seen: set[str] = set()
    for container in containers:
        for anchor in container.iter("a"):
            href = (anchor.get("href") or "").strip()
            if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
                continue
            if _inside(anchor, container) == "boilerplate":
                continue
            url = urljoin(base, href)
            if url in seen or urlsplit(url).scheme not in ("http", "https"):
                continue
            seen.add(url)
            text = one_line(anchor) or None
            host = (urlsplit(url).hostname or "").lower()
            if is_document_url(url) and (same_site(url, site) or host in file_hosts):
                attachments.append({"url": url, "title": _attachment_title(anchor, text, url)})
            elif not urlsplit(url).path.lower().endswith(IMAGE_EXTENSIONS):
                links.append({"url": url, "text": text})
    return attachments, links


def _attachment_title(anchor: etree._Element, text: str | None, url: str) -> str:
    """The link text; for "here"-style links the sentence around it; else the file name."""
    if text and text.lower().strip(" .:") not in GENERIC_LINK_TEXTS:
        return text
    for ancestor in anchor.iterancestors():
        if tag_of(ancestor) in BLOCK_TAGS:
            context = one_line(ancestor)
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
