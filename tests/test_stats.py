"""icmpd_news.stats is the one home of the project's stat names: every name is registered there
once, with a meaning, and the stat names users rely on (the ones these tests check) are among them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from icmpd_news import stats
from icmpd_news.stats import (
    MEDIA_FAILED,
    MEDIA_FILES,
    MEDIA_IMAGES,
    REGISTRY,
    Family,
    articles_failed,
    link_skipped,
    media_failed,
    media_stat,
    stat,
)

TESTS = Path(__file__).parent
# A stat name as registered: parts of lower-case words, or a <placeholder> (a family's kind, the media).
NAME = re.compile(r"icmpd(/([a-z_]+|<[a-z]+>))+")


def registered(name: str) -> bool:
    """Whether a concrete stat name is registered, as itself or as a member of a family."""
    for pattern in REGISTRY:
        for media in (MEDIA_IMAGES, MEDIA_FILES):
            parts = re.split(r"<[a-z]+>", media_stat(pattern, media))
            if re.fullmatch("[^/]+".join(re.escape(part) for part in parts), name):
                return True
    return False


def string_constants(path: Path) -> list[str]:
    """The string literals of a module, f-strings' literal parts left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstrings]


def test_every_registered_stat_has_a_name_and_a_one_line_meaning() -> None:
    assert len(REGISTRY) > 90
    for name, meaning in REGISTRY.items():
        assert NAME.fullmatch(name), name
        assert meaning.strip() and "\n" not in meaning and meaning.endswith("."), name


def test_each_registered_stat_has_one_name_in_the_module() -> None:
    constants = [value for key, value in vars(stats).items() if key.isupper() and isinstance(value, str) and value in REGISTRY]
    families = [value.prefix for value in vars(stats).values() if isinstance(value, Family)]
    assert sorted(constants) == sorted(name for name in REGISTRY if not name.endswith(">"))
    assert sorted(families) == sorted(name.rpartition("<")[0] for name in REGISTRY if name.endswith(">"))


def test_a_stat_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="stat icmpd/feed/url is registered twice"):
        stat("icmpd/feed/url", "Again.")


def test_families_and_media_name_their_stats() -> None:
    assert articles_failed("http_500") == "icmpd/articles/failed/http_500"
    assert articles_failed.prefix == "icmpd/articles/failed/"
    assert link_skipped("feed", "offsite") == "icmpd/feed/skipped/offsite"
    assert link_skipped("listing", "no_link") == "icmpd/listing/skipped/no_link"
    assert media_stat(MEDIA_FAILED, MEDIA_FILES) == "icmpd/files/failed"
    assert media_stat(media_failed("broken"), MEDIA_IMAGES) == "icmpd/images/failed/broken"


def test_the_stats_the_tests_check_are_registered() -> None:
    """The tests spell the names users see: each one is a registered stat or a family's member."""
    checked = {value for path in TESTS.glob("test_*.py") if path.name != "test_stats.py" for value in string_constants(path)
               if value.startswith("icmpd/")}
    assert len(checked) > 80
    assert sorted(name for name in checked if not registered(name)) == []
    assert not registered("icmpd/feed/nothing") and not registered("icmpd/articles/failed/a/b")
