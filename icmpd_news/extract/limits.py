"""Bounds on the work extraction may do on one page: an input cap and a SIGALRM time limit
(docs/design.md, "Extraction")."""

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
    """Extraction ran past its time limit (a BaseException: no library's `except Exception` swallows it)."""


def check_tree(root: etree._Element, max_elements: int | None, max_depth: int | None) -> None:
    """Raise PageTooComplex when the tree has more than max_elements or is deeper than max_depth."""
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
    """Raise ExtractionTimeout in the block after `seconds` (no limit for 0 or outside the main thread)."""
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
