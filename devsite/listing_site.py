"""A paginated news listing for the archive-mode tests: ListingSite = FixtureSite + /news?page=N.

The listing holds the ten real fixture articles (newest) followed by `synthetic` generated
ones, `per_page` entries a page, newest first, in the current site's markup (category label,
title link, date "08 April 2022", the teaser twice as the real page has it for two screen
sizes, a sidebar teaser that is not an entry). Like the real site, page 1 is /news (which
also advertises the feed) and the pager's links carry TYPO3 parameters (L, cHash,
tx_ttnews[...]), as do many entry links.

Faults, all on by default:
- the last entry of page 5 is listed again at the top of page 6, spelled differently;
- page `broken_page` is truncated: no pager, no closing tags, an entry without a link, an
  entry without a teaser and one with an unreadable date;
- every seventh generated article's page shows neither category nor date (only the listing
  does), every fifth is in the legacy layout.
Options: `pager=False` serves pages without a pager (the crawler must number them itself),
`past_end` says what pages after the last answer ("404", "empty" or "repeat"), `fail_pages`
answer HTTP 500 every time, `publish(n)` puts n new articles at the top.

Run it by hand: python -m devsite.listing_site [--port 8000]
"""

from __future__ import annotations

import argparse
import hashlib
import html
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from devsite.fixture_site import FixtureSite, Route, article_path, render_page

CATEGORIES = ("Project News", "Press Release", "In Focus", "Expert Voice Series")
TOPICS = ("border management", "labour migration", "return and reintegration", "anti-trafficking",
          "migration dialogues", "capacity building", "legal pathways", "migration data")
CET = timezone(timedelta(hours=1))


def _hex(*parts: object) -> str:
    return hashlib.md5("/".join(map(str, parts)).encode()).hexdigest()[:16]  # a fake cHash


def synthetic_article(index: int, fresh: bool = False) -> dict:
    """A generated article in the fixture format (devsite/fixtures/articles.json): older ones go
    back three days each from December 2020; `fresh` ones are newer than the real ten."""
    if fresh:
        published = datetime(2021, 2, 1, 11, 0, tzinfo=CET) + timedelta(days=index)
    else:
        published = datetime(2020, 12, 5, 10, 15, tzinfo=CET) - timedelta(days=3 * index, minutes=7 * index)
    layout = "legacy" if index % 5 == 4 else "current"
    topic = TOPICS[index % len(TOPICS)]
    name = f"{'new' if fresh else 'archive'} story {index}"
    return {
        "slug": f"{'fresh' if fresh else 'archive'}-{index:03d}-{topic.replace(' ', '-')}",
        "category": CATEGORIES[index % len(CATEGORIES)],
        "title": f"The {name} on {topic}",
        "pubDate": format_datetime(published),
        "teaser": f"Teaser of the {name}, as the listing shows it",
        "lead": f"The lead paragraph of the {name}, which opens the article about {topic}.",
        "blocks": [
            {"type": "p", "text": f"The first body paragraph of the {name} explains what ICMPD and its partners did about "
                                  f"{topic}, where the activity took place and who took part in it."},
            {"type": "h3", "text": "Next steps"},
            {"type": "p", "text": f"The second body paragraph of the {name} says what comes next and where to learn more."},
        ],
        "inline_links": [], "images": [], "downloads": [], "layout": layout,
        "faults": ["bare"] if index % 7 == 3 and layout == "current" else [],
    }


def _bare(page: str) -> str:
    """The page without its category label and date (only the listing shows them)."""
    page = re.sub(r'<span class="news-detail__category[^"]*">.*?</span>', "", page)
    return re.sub(r'<time class="news-detail__date".*?</time>', "", page)


def listing_date(article: dict) -> datetime:
    """The day the listing shows for the article, as the crawler reads it (00:00 UTC)."""
    published = parsedate_to_datetime(article["pubDate"])
    return datetime(published.year, published.month, published.day, tzinfo=timezone.utc)


class ListingSite(FixtureSite):
    """FixtureSite with the paginated listing at /news (see the module docstring)."""

    def __init__(self, synthetic: int = 300, per_page: int = 10, pager: bool = True, past_end: str = "404",
                 broken_page: int | None = 17, fail_pages: frozenset[int] = frozenset(), **kwargs: object) -> None:
        self.synthetic = [synthetic_article(index) for index in range(synthetic)]
        self.fresh: list[dict] = []
        self.per_page = per_page
        self.pager = pager
        self.past_end = past_end
        self.broken_page = broken_page
        self.fail_pages = fail_pages
        self.pages: list[list[dict]] = []
        self.listing_routes: dict[int, Route] = {}
        super().__init__(**kwargs)

    @property
    def archive(self) -> list[dict]:
        """Every listed article once, newest first."""
        return self.fresh + self.articles + self.synthetic

    def url_of(self, article: dict) -> str:
        """The record URL the crawler must give the article."""
        return self.base + article_path(article)

    def publish(self, count: int) -> list[dict]:
        """Put `count` new articles at the top of the listing (everything else moves down)."""
        new = [synthetic_article(len(self.fresh) + index, fresh=True) for index in range(count)]
        self.fresh = list(reversed(new)) + self.fresh
        self.build()
        return new

    def _entries(self) -> list[dict]:
        entries = []
        for position, article in enumerate(self.archive):
            spelling = position % 3
            href = article_path(article)
            if spelling == 1:
                href += f"?L=0&cHash={_hex(position)}"
            elif spelling == 2:
                href += f"?tx_ttnews%5Btt_news%5D={position + 100}&cHash={_hex(position)}"
            article["listing_teaser"] = article["teaser"]
            article["listing_date"] = listing_date(article)
            entries.append({"article": article, "href": href})
        if len(entries) > 5 * self.per_page:
            repeated = entries[5 * self.per_page - 1]
            entries.insert(5 * self.per_page, {"article": repeated["article"],
                                               "href": self.base + article_path(repeated["article"]) + "?L=0"})
        return entries

    def build(self) -> None:
        """(Re)build the article routes and the listing pages."""
        super().build()
        for article in self.synthetic + self.fresh:
            page = render_page(article, self.base, self.other)
            self.routes[article_path(article)] = Route(body=(_bare(page) if "bare" in article["faults"] else page).encode())
        entries = self._entries()
        self.pages = [entries[start:start + self.per_page] for start in range(0, len(entries), self.per_page)]
        if self.broken_page and self.broken_page <= len(self.pages):
            page = self.pages[self.broken_page - 1]
            page[4]["article"]["listing_teaser"] = None
            garbled = next(e for e in page[5:] if "bare" not in e["article"]["faults"])
            garbled["article"]["listing_date"] = None
        self.listing_routes = {number: Route(body=self.render_listing(number).encode())
                               for number in range(1, len(self.pages) + 1)}

    def page_href(self, number: int) -> str:
        """A pager link as TYPO3 writes it: parameters around the page number, in any order."""
        if number == 1:
            return "/news"
        if number % 2:
            return f"/news?tx_ttnews%5Btt_news%5D={number * 7}&cHash={_hex('page', number)}&page={number}"
        return f"/news?L=0&cHash={_hex('page', number)}&page={number}"

    def _entry_html(self, entry: dict, broken: bool) -> str:
        article = entry["article"]
        escape = html.escape
        published = parsedate_to_datetime(article["pubDate"])
        date = f"{published.day:02d} {published:%B %Y}"
        if article["listing_date"] is None:
            date = f"{published.day:02d} Febtember {published:%Y}"
        teaser = ""
        if article["listing_teaser"] is not None:
            teaser = "".join(f'<p class="news-teaser__text {css}">{escape(article["listing_teaser"])}</p>'
                             for css in ("d-none d-md-block", "d-md-none"))
        return (f'<article class="news-teaser"><span class="news-teaser__category label">{escape(article["category"])}</span>'
                f'<h3 class="news-teaser__title"><a href="{escape(entry["href"])}">{escape(article["title"])}</a></h3>'
                f'<span class="news-teaser__date">{date}</span>{teaser}' + ("" if broken else "</article>\n"))

    def render_listing(self, number: int) -> str:
        """Listing page `number` (1-based); an empty listing past the last page."""
        entries = self.pages[number - 1] if number <= len(self.pages) else []
        broken = number == self.broken_page
        items = [self._entry_html(entry, broken) for entry in entries]
        if broken:
            items.insert(3, '<article class="news-teaser"><span class="news-teaser__category label">Event</span>'
                            '<h3 class="news-teaser__title">An event without its own page</h3>'
                            '<span class="news-teaser__date">01 January 2020</span>')
        head = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>News | ICMPD</title>'
                '<link rel="alternate" type="application/rss+xml" title="ICMPD News" href="/feed.xml"></head><body>'
                '<header class="site-header"><nav class="site-nav"><ul><li><a href="/news">News</a></li>'
                '<li><a href="/news/older-news-one">Featured</a></li></ul></nav></header>'
                '<main id="main"><h1>News</h1><div class="news-list">\n')
        if broken:
            return head + "<div>" + "\n".join(items)
        if not entries:
            return head + '<p class="news-list__empty">No news found.</p></div></main></body></html>'
        pager = ""
        if self.pager:
            links = []
            if number > 1:
                links.append(f'<li class="pagination__item pagination__item--prev"><a href="{html.escape(self.page_href(number - 1))}">‹ Previous</a></li>')
            for other in range(max(1, number - 2), min(len(self.pages), number + 2) + 1):
                links.append(f'<li class="pagination__item"><a href="{html.escape(self.page_href(other))}">{other}</a></li>')
            if number < len(self.pages):
                links.append(f'<li class="pagination__item pagination__item--next"><a href="{html.escape(self.page_href(number + 1))}">Next ›</a></li>')
            pager = f'<nav class="pagination" aria-label="Pagination"><ul>{"".join(links)}</ul></nav>'
        newest = self.archive[0]
        sidebar = ('<aside class="sidebar"><h2>Latest</h2><article class="news-teaser"><span class="label">'
                   f'{html.escape(newest["category"])}</span><h3 class="news-teaser__title">'
                   f'<a href="{article_path(newest)}">{html.escape(newest["title"])}</a></h3></article></aside>')
        return (head + "".join(items) + "</div>" + pager + "</main>" + sidebar
                + '<footer class="site-footer"><a href="/imprint">Imprint</a></footer></body></html>')

    def route_for(self, path: str) -> Route | None:
        parts = urlsplit(path)
        if parts.path != "/news":
            return super().route_for(path)
        value = parse_qs(parts.query).get("page", ["1"])[0]
        number = int(value) if value.isdigit() else 0
        if number in self.fail_pages:
            return Route(status=500, body=b"<html><body>Internal Server Error</body></html>")
        if number in self.listing_routes:
            return self.listing_routes[number]
        if number > len(self.pages) and self.past_end == "empty":
            return Route(body=self.render_listing(number).encode())
        if number > len(self.pages) and self.past_end == "repeat":
            return self.listing_routes[len(self.pages)]
        return None

    def listing_requests(self, since: int = 0) -> list[int]:
        """The listing page numbers requested (in order) since request number `since`."""
        numbers = []
        with self.lock:
            for _, path, _ in self.requests[since:]:
                parts = urlsplit(path)
                if parts.path == "/news":
                    numbers.append(int(parse_qs(parts.query).get("page", ["1"])[0]))
        return numbers

    def article_requests(self, since: int = 0) -> list[str]:
        """The article paths (query dropped) requested since request number `since`."""
        paths = {article_path(article) for article in self.archive}
        with self.lock:
            return [path.split("?", 1)[0] for _, path, _ in self.requests[since:] if path.split("?", 1)[0] in paths]


def main() -> int:
    """Serve the listing site until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    with ListingSite(port=args.port) as site:
        return site.serve_until_interrupted(f"serving the listing site at {site.base}/news ({len(site.pages)} pages)")


if __name__ == "__main__":
    raise SystemExit(main())
