"""The one place a `scrapy` command line is built: the demo, the tests and the bench all run
the crawler through scrapy_command, so a new option or launcher is added once."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

PROJECT_ROOT = Path(__file__).parent.parent
# This Python's Scrapy; the bench puts its loopback-DNS launcher in front of it.
SCRAPY = (sys.executable, "-m", "scrapy")


def scrapy_command(*words: str, arguments: Iterable[str] = (), settings: Iterable[str] = (),
                   scrapy: Iterable[str] = SCRAPY) -> list[str]:
    """`scrapy <words> -a <argument> ... -s <setting> ...`: e.g. words ("crawl", "icmpd_news"),
    arguments ["feed_url=..."], settings ["ICMPD_OUTPUT_DIR=..."]."""
    command = [*scrapy, *words]
    for argument in arguments:
        command += ["-a", argument]
    for setting in settings:
        command += ["-s", setting]
    return command
