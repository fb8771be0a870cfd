"""The bundled ICMPD replica: a real HTTP server on loopback serving the fixture site.

It renders devsite/fixtures/articles.json (the ten articles of the January 2021 seed feed) as a
TYPO3 tt_news feed and as detail pages in both known layouts, with realistic boilerplate,
images and PDFs, plus the faults the tests need: an old URL redirecting to a new one, a feed
item listed twice, a "//" link, a page answering 503 once, a 404, a windows-1252 page and an
item on another host. Tests can change routes while it runs and read the request log.

For scheduled re-runs it can also act like a caching-aware server: with
`validators=True` every 200 answer carries an ETag and a Last-Modified that change only when
the body changes, and a conditional request that still matches gets 304 without a body; any
route can be slowed down (`Route.delay`); `count(path, status)` tells what was answered.

Run it by hand:
    python -m devsite.fixture_site            # serve on 127.0.0.1:8000 until Ctrl-C
    python -m devsite.fixture_site --crawl    # the offline demo: serve, crawl into output/, stop
    (--port N serves on another port; the same port every time keeps the demo's records one per article)
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import os
import subprocess
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from string import Template

from devsite.crawl import PROJECT_ROOT, scrapy_command
from devsite.server import LoopbackServer

FIXTURES = Path(__file__).parent / "fixtures"
LEGACY_PREFIX = "/news-centre/news-detail/"


@dataclass
class Route:
    """What one path answers: status, headers, body; `fail_first` 503s before the real answer.

    `etag` / `last_modified` are sent as validators and honoured in If-None-Match /
    If-Modified-Since (304); `delay` holds the answer back that many seconds (lowering it
    while a request waits releases that request sooner).
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0

    def not_modified(self, if_none_match: str | None, if_modified_since: str | None) -> bool:
        """True when a conditional request still matches this route (RFC 9110 13.1: an
        If-None-Match, when present, decides alone)."""
        if self.status != 200:
            return False
        if if_none_match is not None:
            tags = {tag.strip() for tag in if_none_match.split(",")}
            return self.etag is not None and ("*" in tags or self.etag in tags)
        if if_modified_since is not None and self.last_modified is not None:
            try:
                return parsedate_to_datetime(self.last_modified) <= parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
        return False


def load_articles() -> list[dict]:
    """The fixture articles (see devsite/fixtures/articles.json)."""
    return json.loads((FIXTURES / "articles.json").read_text(encoding="utf-8"))


def article_path(article: dict) -> str:
    """Where the article's page is served: legacy pages keep their old URL, current ones moved."""
    if article["layout"] == "legacy":
        return f"{LEGACY_PREFIX}{article['slug']}/"
    return f"/news/{article['slug']}"


def feed_link(article: dict, base: str) -> str:
    """The link as the real tt_news feed wrote it: the legacy URL with a double slash."""
    return f"{base}/{LEGACY_PREFIX}{article['slug']}/"


def expected_blocks(article: dict) -> list[str]:
    """The article's text blocks as extraction must return them: spaces collapsed, list items
    one per line in one block, the byline left out (it becomes `authors`)."""
    blocks: list[str] = [" ".join(article["lead"].split())]
    previous = None
    for block in article["blocks"]:
        text = " ".join(block["text"].split())
        if block["type"] == "p" and text.startswith("By ") and len(text) < 80:
            continue
        if block["type"] == "li" and previous == "li":
            blocks[-1] += "\n" + text
        else:
            blocks.append(text)
        previous = block["type"]
    return blocks


def body_html(article: dict, other: str) -> str:
    """The article's body blocks as the site's rich-text editor writes them (links included)."""
    links = {link["block"]: link for link in article["inline_links"]}
    parts: list[str] = []
    in_list = False
    for index, block in enumerate(article["blocks"]):
        text = html.escape(block["text"], quote=False)
        link = links.get(index)
        if link:
            anchor = html.escape(link["anchor"], quote=False)
            href = html.escape(link["href"].replace("{{OTHER}}", other))
            head, sep, tail = text.rpartition(anchor)
            text = f'{head}<a href="{href}">{anchor}</a>{tail}' if sep else text
        if block["type"] == "li":
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"  <li>{text}</li>")
            continue
        if in_list:
            parts.append("</ul>")
            in_list = False
        if block["type"] == "h3":
            parts.append(f"<h3>{text}</h3>")
        else:
            # Real TYPO3 bodies are full of non-breaking spaces and stray whitespace.
            parts.append(f"<p>{text.replace('  ', '&nbsp; ')}</p>")
    if in_list:
        parts.append("</ul>")
    return "\n".join(parts)


def _images_html(article: dict, layout: str) -> str:
    figures = []
    for image in article["images"]:
        caption = f"<figcaption>{html.escape(image['caption'])}</figcaption>" if image["caption"] else ""
        css = ' class="news-detail__image"' if layout == "current" else ""
        figures.append(f'<figure{css}><img src="{image["src"]}" alt="{html.escape(image["alt"])}" width="800" height="450">{caption}</figure>')
    return "\n".join(figures)


def _downloads_html(article: dict, layout: str) -> str:
    if not article["downloads"]:
        return ""
    items = "".join(f'<li><a href="{d["href"]}">{html.escape(d["title"])}</a></li>' for d in article["downloads"])
    css = "news-single-files" if layout == "legacy" else "news-detail__downloads"
    return f'<div class="{css}"><h3>Downloads</h3><ul>{items}</ul></div>'


def render_page(article: dict, base: str, other: str, charset: str = "utf-8") -> str:
    """One article's detail page in its layout, boilerplate included."""
    layout = article["layout"]
    published = parsedate_to_datetime(article["pubDate"])
    template = Template((FIXTURES / "templates" / f"{layout}.html").read_text(encoding="utf-8"))
    escape = html.escape
    return template.substitute(
        charset=charset,
        canonical=f"{base}{article_path(article)}",
        title=escape(article["title"]),
        title_original=escape(f"{article['category']}: {article['title']}"),
        category=escape(article["category"]),
        date_iso=published.isoformat(),
        date_text=f"{published.day} {published:%B %Y}",
        authors="",
        lead=escape(article["lead"]),
        images=_images_html(article, layout),
        body=body_html(article, other),
        downloads=_downloads_html(article, layout),
    )


def render_feed(articles: list[dict], base: str, other: str) -> str:
    """The tt_news RSS 2.0 feed: teaser descriptions, bodies without the lead, // links, plus
    a duplicate item, a dead link and an item on another host."""
    def item(title: str, link: str, description: str, content: str, pub_date: str) -> str:
        return (
            f"<item><title>{html.escape(title)}</title><link>{html.escape(link)}</link>"
            f"<description>{html.escape(description)}</description>"
            f"<content:encoded><![CDATA[{content}]]></content:encoded><pubDate>{pub_date}</pubDate></item>"
        )

    items = [
        item(f"{a['category']}: {a['title']}", feed_link(a, base), a["teaser"] + "...",
             body_html(a, other), a["pubDate"])
        for a in articles
    ]
    first = articles[0]
    items.insert(3, item(f"{first['category']}: {first['title']}",
                         f"{base}{LEGACY_PREFIX}{first['slug']}/?L=0&cHash=0123456789abcdef",
                         first["teaser"] + "...", body_html(first, other), first["pubDate"]))
    items.append(item("Project News: A withdrawn item", f"{base}{LEGACY_PREFIX}project-news-a-withdrawn-item/",
                      "This item was withdrawn...", "<p>Withdrawn.</p>", "Thu, 10 Dec 2020 10:00:00 +0100"))
    items.append(item("Project News: Hosted elsewhere", f"{other}/news/hosted-elsewhere",
                      "An article on another host...", "<p>Elsewhere.</p>", "Wed, 09 Dec 2020 10:00:00 +0100"))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel>'
        f"<title>www.icmpd.org</title><link>{base}/</link><description>NEWS CENTRE</description>"
        f"<language>en</language><image><title>www.icmpd.org</title><url>{base}/typo3conf/ext/tt_news/ext_icon.gif</url>"
        f"<link>{base}/</link><width>18</width><height>16</height><description>NEWS CENTRE</description></image>"
        "<generator>TYPO3 - get.content.right</generator><docs>http://blogs.law.harvard.edu/tech/rss</docs>"
        f"<lastBuildDate>{articles[0]['pubDate']}</lastBuildDate>\n" + "\n".join(items) + "\n</channel>\n</rss>\n"
    )


def make_pdf(text: str) -> bytes:
    """A valid one-page PDF whose text layer says `text` (for attachment tests)."""
    return _one_page_pdf(f"BT /F1 12 Tf 72 720 Td ({text.replace('(', '[').replace(')', ']')}) Tj ET".encode("latin-1"))


def make_busy_pdf(operators: int) -> bytes:
    """A valid one-page PDF of a few KB whose page shows `operators` one-letter strings, each
    moved along: pypdf's text extraction works through every operator (about 5 s per 100,000
    here), as it would on a crafted file meant to keep a parser busy."""
    return _one_page_pdf(zlib.compress(b"BT /F1 12 Tf 72 720 Td " + b"(x) Tj 1 0 Td " * operators + b"ET", 9),
                         b" /Filter /FlateDecode")


def make_many_pages_pdf(pages: int) -> bytes:
    """A valid PDF of `pages` empty pages, about 100 bytes each: pypdf has to resolve every
    page object just to count them (about 13 s per 100,000 here), as it would on a crafted
    file meant to keep the structure check busy."""
    kids = b" ".join(b"%d 0 R" % (number + 3) for number in range(pages))
    return _write_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
                       *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * pages])


def _one_page_pdf(stream: bytes, stream_options: bytes = b"") -> bytes:
    return _write_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), stream_options) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def _write_pdf(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (numbered from 1, the first is the catalog) with its xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def make_png(width: int, height: int, rgb: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    """A valid solid-colour PNG of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    row = b"\x00" + bytes(rgb) * width
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")


class FixtureSite(LoopbackServer):
    """The fixture site on 127.0.0.1:<free port>, in background threads.

    `routes` maps a path (with query, if any) to a Route and can be changed while serving;
    `requests` logs (method, path, headers) of every request received, `answers` (path, status)
    of every answer sent. With `validators=True`, build() gives every 200 route an ETag and a
    Last-Modified that change only when its body changes.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, other: str = "http://127.0.0.2:9",
                 validators: bool = False) -> None:
        super().__init__(self._handler(), host, port)
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.answers: list[tuple[str, int]] = []
        self.validators = validators
        self.versions: dict[str, tuple[str, datetime]] = {}
        self.lock = threading.Lock()
        self.other = other
        self.articles = load_articles()
        self.build()

    def build(self) -> None:
        """(Re)build every route from self.articles."""
        routes: dict[str, Route] = {
            "/robots.txt": Route(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
            "/feed.xml": Route(body=render_feed(self.articles, self.base, self.other).encode("utf-8"),
                               content_type="application/rss+xml; charset=utf-8"),
            "/news": Route(body=('<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
                                 "</head><body><h1>News</h1></body></html>").encode()),
        }
        for article in self.articles:
            path = article_path(article)
            charset = "windows-1252" if "cp1252" in article["faults"] else "utf-8"
            page = render_page(article, self.base, self.other, charset=charset)
            routes[path] = Route(
                body=page.encode("cp1252" if charset == "windows-1252" else "utf-8"),
                content_type=f"text/html; charset={charset}",
                fail_first=1 if "flaky_503" in article["faults"] else 0,
            )
            if article["layout"] == "current":
                routes[f"{LEGACY_PREFIX}{article['slug']}/"] = Route(status=301, headers={"Location": f"{self.base}{path}"})
            for image in article["images"]:
                routes[image["src"]] = Route(body=make_png(64, 36), content_type="image/png")
            for link in article["inline_links"] + article["downloads"]:
                href = link["href"]
                if href.startswith("/fileadmin/") and href.endswith(".pdf"):
                    routes[href] = Route(body=make_pdf(f"{article['title']} - {href.rsplit('/', 1)[1]}"), content_type="application/pdf")
                elif href.startswith("/fileadmin/"):
                    routes[href] = Route(body=b"PK\x05\x06" + b"\x00" * 18, content_type="application/octet-stream")
        if self.validators:
            for path, route in routes.items():
                self._set_validators(path, route)
        self.routes = routes

    def _set_validators(self, path: str, route: Route) -> None:
        """ETag from the body; Last-Modified moves one day forward each time the body changes."""
        if route.status != 200:
            return
        digest = hashlib.sha256(route.body).hexdigest()[:20]
        previous = self.versions.get(path)
        if previous is None:
            modified = datetime(2021, 1, 1, tzinfo=timezone.utc)
        elif previous[0] != digest:
            modified = previous[1] + timedelta(days=1)
        else:
            modified = previous[1]
        self.versions[path] = (digest, modified)
        route.etag = f'"{digest}"'
        route.last_modified = format_datetime(modified, usegmt=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer(send_body=True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(send_body=False)

            def _answer(self, send_body: bool) -> None:
                with site.lock:
                    site.requests.append((self.command, self.path, dict(self.headers)))
                    route = site.route_for(self.path)
                    failing = route is not None and route.fail_first > 0
                    if failing:
                        route.fail_first -= 1
                if route is None:
                    route = Route(status=404, body=b"<html><body><h1>Page not found</h1></body></html>")
                elif failing:
                    route = Route(status=503, body=b"<html><body>Service temporarily unavailable</body></html>")
                started = time.monotonic()
                while time.monotonic() - started < route.delay:  # re-read: a test may shorten it
                    time.sleep(0.02)
                status = 304 if route.not_modified(self.headers.get("If-None-Match"),
                                                   self.headers.get("If-Modified-Since")) else route.status
                self.send_response(status)
                if status != 304:
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body)))
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                self.end_headers()
                if send_body and status != 304:
                    self.wfile.write(route.body)
                with site.lock:
                    site.answers.append((self.path, status))

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def route_for(self, path: str) -> Route | None:
        """The route answering `path`: an exact match (query included), else its path alone.
        Subclasses (devsite/listing_site.py) route on the query too."""
        return self.routes.get(path) or self.routes.get(path.split("?", 1)[0])

    def count(self, path: str, status: int | None = None) -> int:
        """How many requests asked for `path` (query ignored); with `status`, how many were
        answered with that status (an answer is logged once it has been sent)."""
        with self.lock:
            if status is None:
                return sum(1 for _, requested, _ in self.requests if requested.split("?", 1)[0] == path)
            return sum(1 for answered, code in self.answers if answered.split("?", 1)[0] == path and code == status)


def main() -> int:
    """Serve the fixture site; with --crawl, run the main job against it into ICMPD_OUTPUT_DIR.

    The port is part of every article's URL, and so of its record's identity: the demo serves
    on the same port every time (--port, default 8000), so that running it again merges into
    the same records instead of adding a second copy of each."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000, help="the loopback port to serve on (default 8000)")
    parser.add_argument("--crawl", action="store_true", help="crawl the site into --output-dir, then stop")
    parser.add_argument("--output-dir", default=str(PROJECT_ROOT / "output"))
    args = parser.parse_args()
    try:
        site = FixtureSite(port=args.port)
    except OSError as error:
        parser.exit(2, f"cannot serve on 127.0.0.1:{args.port} ({error.strerror}): choose another port with --port\n")
    with site:
        if not args.crawl:
            return site.serve_until_interrupted(f"serving the fixture site at {site.base}/ (feed: {site.base}/feed.xml)")
        command = scrapy_command("crawl", "icmpd_news", arguments=[f"feed_url={site.base}/feed.xml"],
                                 settings=[f"ICMPD_OUTPUT_DIR={args.output_dir}", "AUTOTHROTTLE_ENABLED=False"])
        return subprocess.call(command, cwd=PROJECT_ROOT, env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)})


if __name__ == "__main__":
    raise SystemExit(main())
