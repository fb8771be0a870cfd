"""Shared fixtures: the replica site on loopback, and a catcher for "another host".

Helpers live beside them: tests/crawling.py runs the real `scrapy crawl`, tests/servers.py
holds the scripted fault server and the catcher, devsite/ the replica site.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devsite.fixture_site import FixtureSite
from tests.servers import Catcher


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    """A listener on 127.0.0.2 that counts connections (should stay at zero)."""
    with Catcher() as c:
        yield c


@pytest.fixture
def site(catcher: Catcher) -> Iterator[FixtureSite]:
    """The bundled fixture site, serving on 127.0.0.1, its "other host" links at the catcher."""
    with FixtureSite(other=catcher.base) as s:
        yield s
