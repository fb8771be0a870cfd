"""Bounds on the work extraction may do on one page: an input cap and a time limit.

A hostile or broken page (a table of a million cells, ten thousand nested divs) must cost one
failed article, not the crawl: measured on this machine, trafilatura needs ~8 s and ~120 MB
for a 20 000-row table and ~60 s and ~400 MB for 60 000 rows. Two bounds, both reported as
a failed extraction:

- the input cap: a page with more bytes or elements, or deeper nesting, than any article
  page needs is refused before any extraction runs (browsers stop the DOM at 512 levels,
  so do we); the byte cap keeps even the HTML parse short (10 MB of table: 2.4 s, 300 MB);
- the time limit: extraction is interrupted when it runs longer than allowed. Python cannot
  stop a thread, and a process per page would cost more than the extraction itself, so we
  use a SIGALRM timer (main thread only, where Scrapy runs callbacks); the cap above keeps
  each uninterruptible C call short enough for the timer to fire soon after the limit.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from lxml import etree


class PageTooComplex(Exception):
    """The page is larger or deeper than the input cap; the message says which and by how much."""


class ExtractionTimeout(BaseException):
    """Extraction ran past its time limit.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` inside a library
    swallows it and carries on with the slow work.
    """


def check_tree(root: etree._Element, max_elements: int | None, max_depth: int | None) -> None:
    """Raise PageTooComplex when the tree has more than max_elements elements or is nested
    deeper than max_depth (None: no bound). Stops at the first excess, so it is cheap."""
    elements = 0
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        elements += 1
        depth += 1
        if max_elements and elements > max_elements:
            raise PageTooComplex(f"page has more than {max_elements} elements (ICMPD_EXTRACT_MAX_ELEMENTS)")
        if max_depth and depth > max_depth:
            raise PageTooComplex(f"page nests elements deeper than {max_depth} levels (ICMPD_EXTRACT_MAX_DEPTH)")


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ExtractionTimeout in the block when it runs longer than `seconds`.

    No limit when seconds is None or 0, or outside the main thread (signals only reach it).
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    armed = True

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if armed:
            raise ExtractionTimeout(f"extraction took longer than {seconds:g} s (ICMPD_EXTRACT_TIME_LIMIT)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
