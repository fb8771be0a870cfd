"""The scheduler queue that keeps waiting requests pickled (icmpd_news/queues.py): what the
scheduler pops is the request the spider made, in Scrapy's LIFO order. Every crawl in the
suite goes through it too (settings.py SCHEDULER_MEMORY_QUEUE)."""

from __future__ import annotations

import types
from datetime import datetime, timezone

import pytest
from scrapy import FormRequest, Request
from scrapy.utils.test import get_crawler

from icmpd_news import settings
from icmpd_news.extract.feeds import FeedEntry
from icmpd_news.middlewares.conditional import CONDITIONAL, SKIP
from icmpd_news.queues import PickledLifoMemoryQueue
from icmpd_news.spiders.feed import FeedSpider

FEED = "http://127.0.0.1:8000/feed.xml"


def _spider() -> FeedSpider:
    return FeedSpider.from_crawler(get_crawler(FeedSpider), feed_url=FEED)


def _article_request(spider: FeedSpider, slug: str) -> Request:
    url = f"http://127.0.0.1:8000/news/{slug}"
    entry = FeedEntry(link=url, title=f"Title of {slug}", summary="Teaser …", categories=["News"],
                      published=datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc), authors=["ICMPD"])
    request = spider.article_page_request(url, {"entry": entry, "feed_language": "en", "feed_url": FEED})
    request.headers[b"Referer"] = FEED.encode()
    request.meta["depth"] = 1
    return request


def test_the_project_uses_it() -> None:
    assert settings.SCHEDULER_MEMORY_QUEUE == "icmpd_news.queues.PickledLifoMemoryQueue"


def test_popped_requests_are_the_ones_pushed_in_lifo_order() -> None:
    spider = _spider()
    queue = PickledLifoMemoryQueue(spider)
    pushed = [_article_request(spider, slug) for slug in ("first", "second", "third")]
    for request in pushed:
        queue.push(request)
    assert len(queue) == 3
    assert queue.peek().url == pushed[-1].url
    popped = [queue.pop() for _ in pushed]
    assert queue.pop() is None and len(queue) == 0
    for before, after in zip(reversed(pushed), popped):
        assert after is not before
        assert after.url == before.url
        assert after.callback == spider.parse_article and after.errback == spider.article_failed
        assert after.cb_kwargs == before.cb_kwargs
        assert after.cb_kwargs["entry"].published == datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
        assert after.meta == {CONDITIONAL: SKIP, "handle_httpstatus_list": [304], "depth": 1}
        assert after.headers.getlist(b"Referer") == [FEED.encode()]
        assert (after.priority, after.dont_filter, after.method) == (before.priority, before.dont_filter, "GET")


def test_a_request_pickle_refuses_is_kept_as_it_is() -> None:
    spider = _spider()
    queue = PickledLifoMemoryQueue(spider)
    not_a_spider_method = Request("http://127.0.0.1:8000/other", callback=lambda response: None)
    queue.push(not_a_spider_method)
    queue.push(_article_request(spider, "article"))
    assert queue.pop().url.endswith("/news/article")
    assert queue.pop() is not_a_spider_method


def test_each_request_is_kept_as_request_to_dict_gives_it() -> None:
    spider = _spider()
    queue = PickledLifoMemoryQueue(spider)
    article = _article_request(spider, "article")
    rendered = spider._render_request(article.url, article.cb_kwargs, reason="pattern")
    requests = [
        article, rendered, spider._feed_request(FEED, discovered=False),
        Request("http://127.0.0.1:8000/robots.txt"),
        Request("http://127.0.0.1:8000/image.png", errback=spider.article_failed),
        FormRequest("http://127.0.0.1:8000/form", formdata={"q": "a"}, callback=spider.parse_article),
    ]
    for request in requests:
        assert queue._as_dict(request) == request.to_dict(spider=spider)
    assert queue._as_dict(requests[-1])["_class"] == "scrapy.http.request.form.FormRequest"


class _Elsewhere:
    def parse_article(self, response: object) -> None:
        """Named as the spider's method, but not one of its methods."""


def test_a_callback_that_is_no_method_of_the_spider_is_kept_as_the_object() -> None:
    spider = _spider()
    impostor = types.MethodType(_Elsewhere.parse_article, spider)
    for callback in (_Elsewhere().parse_article, impostor):
        request = Request("http://127.0.0.1:8000/news/article", callback=callback)
        with pytest.raises(ValueError, match="not an instance method"):
            request.to_dict(spider=spider)
        queue = PickledLifoMemoryQueue(spider)
        with pytest.raises(ValueError, match="not an instance method"):
            queue._as_dict(request)
        queue.push(request)
        assert queue.pop() is request
