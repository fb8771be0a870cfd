"""A synthetic ICMPD site of N articles, served fast on loopback, for the benchmark.

The articles are the ten fixture articles (devsite/fixtures/articles.json) repeated with new
slugs, titles, dates and one extra sentence each, alternating between the two page layouts;
every article has one image and one PDF of its own, and the tt_news feed lists all N (plus
the fixture feed's realistic faults: a repeated item, a withdrawn item, an item on another
host). Pages, feed, images and PDFs come from devsite/fixture_site.py, so the benchmark crawls
exactly what the tests crawl, only more of it.

The site is a pure function of (articles, seed, feed_bodies, base URL): the same inputs give
byte-identical answers, ETag and Last-Modified included, so a site restarted with the same seed
on the same port is the same site to a crawler that has seen it. The seed varies the synthetic
content (the first article's date and the extra sentence); seed 0 is the site the published
figures were measured on.

The server is an asyncio protocol answering from responses rendered once into memory, in a
process of its own. The test suite's ThreadingHTTPServer costs a thread and a Python-level
header parse per request: about four times the CPU per request (bench/README.md, "Method"), taken from
the two cores the crawler and trafilatura are measured on; http.server, twisted.web and
aiohttp all do more per request than a static in-memory site needs. It speaks just enough HTTP/1.1:
GET and HEAD, keep-alive, and conditional requests (ETag / If-None-Match, Last-Modified /
If-Modified-Since answered 304) so that scheduled re-runs can be measured.

It runs in its own process (`python -m bench.site --articles N [--seed S] [--port P]`), prints
`READY <site URL> <listening URL>` once it listens, and counts requests and bytes per kind of resource; GET /_bench/stats returns
the counters and its own CPU time as JSON, GET /_bench/reset zeroes the counters.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import ipaddress
import json
import re
import resource
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devsite.fixture_site import (
    LEGACY_PREFIX,
    article_path,
    load_articles,
    make_pdf,
    make_png,
    render_feed,
    render_page,
)

# The site's host name: trafilatura's feed mode refuses IP addresses (see bench/loopback_dns.py).
SITE_NAME = "icmpd.localhost"
# Links to "another host" point at a loopback address nothing listens on: never fetched.
OTHER_HOST = "http://127.0.0.2:9"
FIRST_DATE = datetime(2021, 1, 18, 19, 20, 6, tzinfo=timezone(timedelta(hours=1)))
KINDS = ("feed", "page", "redirect", "image", "pdf", "robots", "other", "not_modified")


def first_date(seed: int) -> datetime:
    """The newest article's date: FIRST_DATE for seed 0, `seed` days earlier for the others."""
    return FIRST_DATE - timedelta(days=seed)


def extra_sentence(index: int, seed: int) -> str:
    """The sentence added to article `index`'s lead; it names the seed unless the seed is 0."""
    series = "" if seed == 0 else f" of series {seed}"
    return f"This is benchmark article number {index}{series}."


def synthetic_articles(count: int, seed: int = 0) -> list[dict]:
    """`count` articles in the fixture format, derived from the ten fixture articles.

    Layouts alternate (legacy, current, ...); dates go back six hours per article from
    first_date(seed); each gets one image and one PDF download of its own; inline links to the
    fixture's shared PDFs are dropped (they would be the same file for every tenth article).
    """
    templates = load_articles()
    start = first_date(seed)
    articles = []
    for index in range(count):
        template = templates[index % len(templates)]
        image = (template["images"] or [{"alt": "ICMPD event", "caption": None}])[0]
        slug = f"{template['slug'][:70].rstrip('-')}-{index}"
        articles.append(template | {
            "slug": slug,
            "title": f"{template['title']} ({index})",
            "layout": "legacy" if index % 2 == 0 else "current",
            "pubDate": format_datetime(start - timedelta(hours=6 * index)),
            "lead": f"{template['lead']} {extra_sentence(index, seed)}",
            "faults": [],
            "images": [{"src": f"/fileadmin/_processed_/{slug}.jpg", "alt": image["alt"], "caption": image["caption"]}],
            "downloads": [{"href": f"/fileadmin/user_upload/{slug}.pdf", "title": f"Full report ({index})"}],
            "inline_links": [link for link in template["inline_links"] if not link["href"].startswith("/fileadmin/")],
        })
    return articles


@dataclass
class Resource:
    """One path's pre-rendered answer: the full 200 response, its validators and its kind."""

    kind: str
    response: bytes
    head_length: int
    etag: str | None = None
    last_modified: datetime | None = None


def _response(status: str, content_type: str, body: bytes, extra: dict[str, str] | None = None) -> tuple[bytes, int]:
    headers = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    headers += [f"{name}: {value}" for name, value in (extra or {}).items()]
    head = ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1")
    return head + body, len(head)


def _resource(kind: str, content_type: str, body: bytes, modified: datetime) -> Resource:
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    extra = {"ETag": etag, "Last-Modified": format_datetime(modified.astimezone(timezone.utc), usegmt=True)}
    response, head_length = _response("200 OK", content_type, body, extra)
    return Resource(kind, response, head_length, etag, modified.replace(microsecond=0))


# A feed item's full body, for --no-feed-bodies (CDATA, as render_feed writes it).
_FEED_BODY = re.compile(r"<content:encoded><!\[CDATA\[.*?\]\]></content:encoded>", re.DOTALL)


def build_site(count: int, base: str, feed_bodies: bool = True, seed: int = 0) -> dict[str, Resource]:
    """Every path of the synthetic site, rendered once; nothing but the arguments decides a byte
    of it. `feed_bodies=False` leaves out the feed items' content:encoded (title, link, teaser
    and date only, as many feeds do)."""
    articles = synthetic_articles(count, seed)
    modified = first_date(seed)
    image = make_png(800, 450)
    site = {
        "/robots.txt": _resource("robots", "text/plain", b"User-agent: *\nAllow: /\n", modified),
        "/feed.xml": _resource("feed", "application/rss+xml; charset=utf-8",
                               feed_text(articles, base, feed_bodies).encode("utf-8"), modified),
    }
    for article in articles:
        published = parsedate_to_datetime(article["pubDate"])
        path = article_path(article)
        page = render_page(article, base, OTHER_HOST).encode("utf-8")
        site[path] = _resource("page", "text/html; charset=utf-8", page, published)
        if article["layout"] == "current":
            response, head_length = _response("301 Moved Permanently", "text/html", b"",
                                              {"Location": f"{base}{path}"})
            site[f"{LEGACY_PREFIX}{article['slug']}/"] = Resource("redirect", response, head_length)
        site[article["images"][0]["src"]] = _resource("image", "image/png", image, published)
        pdf = make_pdf(f"{article['title']} - full report")
        site[article["downloads"][0]["href"]] = _resource("pdf", "application/pdf", pdf, published)
    return site


def feed_text(articles: list[dict], base: str, bodies: bool) -> str:
    """The feed listing every article, with or without the items' full bodies."""
    text = render_feed(articles, base, OTHER_HOST)
    return text if bodies else _FEED_BODY.sub("", text)


class Counters:
    """Requests and bytes sent, per kind of resource."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = dict.fromkeys(KINDS, 0)
        self.bytes = dict.fromkeys(KINDS, 0)

    def add(self, kind: str, sent: int) -> None:
        self.requests[kind] += 1
        self.bytes[kind] += sent


NOT_FOUND, _ = _response("404 Not Found", "text/html", b"<html><body><h1>Page not found</h1></body></html>")


def _not_modified(resource: Resource, headers: dict[bytes, bytes]) -> bool:
    """RFC 9110 13.1: If-None-Match wins over If-Modified-Since."""
    if resource.etag is None:
        return False
    if b"if-none-match" in headers:
        tags = [tag.strip() for tag in headers[b"if-none-match"].decode("latin-1").split(",")]
        return resource.etag in tags or "*" in tags
    if b"if-modified-since" in headers and resource.last_modified is not None:
        try:
            since = parsedate_to_datetime(headers[b"if-modified-since"].decode("latin-1"))
        except (TypeError, ValueError):
            return False
        return since is not None and since.tzinfo is not None and resource.last_modified <= since
    return False


class SiteProtocol(asyncio.Protocol):
    """One keep-alive connection: parse request heads, write pre-rendered answers."""

    def __init__(self, site: dict[str, Resource], counters: Counters) -> None:
        self.site = site
        self.counters = counters
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            if not self._answer(head):
                self.transport.close()
                return

    def _answer(self, head: bytes) -> bool:
        lines = head.split(b"\r\n")
        try:
            method, target, version = lines[0].split(b" ", 2)
        except ValueError:
            return False
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        # Like http.server (and so the test suite's fixture site): "//x" is the path "/x".
        # The real feed links "//news-centre/...".
        path = "/" + target.decode("latin-1").lstrip("/")
        if path.startswith("/_bench/"):
            self._control(path)
            return True
        resource = self.site.get(path) or self.site.get(path.split("?", 1)[0])
        if resource is None:
            response, kind, head_length = NOT_FOUND, "other", len(NOT_FOUND)
        elif _not_modified(resource, headers):
            response = f"HTTP/1.1 304 Not Modified\r\nETag: {resource.etag}\r\n\r\n".encode("latin-1")
            kind, head_length = "not_modified", len(response)
        else:
            response, kind, head_length = resource.response, resource.kind, resource.head_length
        if method == b"HEAD":
            response = response[:head_length]
        self.transport.write(response)
        self.counters.add(kind, len(response))
        return headers.get(b"connection", b"").lower() != b"close" and version == b"HTTP/1.1"

    def _control(self, path: str) -> None:
        if path == "/_bench/reset":
            self.counters.reset()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        body = json.dumps({
            "requests": self.counters.requests, "bytes": self.counters.bytes,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "max_rss_kib": usage.ru_maxrss,
        }).encode()
        self.transport.write(_response("200 OK", "application/json", body)[0])


async def serve(count: int, host: str, port: int, name: str, feed_bodies: bool = True, seed: int = 0) -> None:
    """Listen on host:port, build the site as http://name:PORT, announce READY, serve until killed."""
    loop = asyncio.get_running_loop()
    counters = Counters()
    site: dict[str, Resource] = {}
    server = await loop.create_server(lambda: SiteProtocol(site, counters), host, port, backlog=512)
    bound = server.sockets[0].getsockname()[1]
    site.update(build_site(count, f"http://{name}:{bound}", feed_bodies, seed))
    sys.stdout.write(f"READY http://{name}:{bound} http://{host}:{bound}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="the port to listen on (default: a free one)")
    parser.add_argument("--seed", type=int, default=0, help="varies the synthetic content deterministically (default 0)")
    parser.add_argument("--feed-bodies", action=argparse.BooleanOptionalAction, default=True,
                        help="the feed items carry each article's full body (content:encoded), as ICMPD's do (default)")
    parser.add_argument("--name", default=SITE_NAME,
                        help="the host in the site's URLs: a name under .localhost (see bench/loopback_dns.py) "
                             "or a loopback address, for crawlers that need no launcher")
    args = parser.parse_args()
    if not _is_loopback(args.host) or not (args.name.endswith(".localhost") or _is_loopback(args.name)):
        parser.error("the benchmark site serves on loopback only, named under .localhost or by a loopback address")
    asyncio.run(serve(args.articles, args.host, args.port, args.name, args.feed_bodies, args.seed))


if __name__ == "__main__":
    main()
