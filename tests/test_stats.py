"""icmpd_news.stats is the one home of the project's stat names: each is registered there once,
with its meaning; no other module writes one; every one is used; and the names the tests check
(the ones users see) are all registered."""

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
PACKAGE = TESTS.parent / "icmpd_news"
# A registered name: lower-case words, or a <placeholder> (a family's kind, the media).
NAME = re.compile(r"icmpd(/([a-z_]+|<[a-z]+>))+")


def registered(name: str) -> bool:
    """Whether a concrete stat name is registered, as itself or as a member of a family."""
    for pattern in REGISTRY:
        for media in (MEDIA_IMAGES, MEDIA_FILES):
            parts = re.split(r"<[a-z]+>", media_stat(pattern, media))
            if re.fullmatch("[^/]+".join(re.escape(part) for part in parts), name):
                return True
    return False


def string_literals(path: Path) -> list[ast.Constant]:
    """A module's string literals (f-strings' parts too), its docstrings left out: prose may name a stat."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    definitions = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
    prose = {id(node.body[0].value) for node in ast.walk(tree)
             if isinstance(node, definitions) and ast.get_docstring(node, clean=False) is not None}
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose]


def stat_names_written(path: Path) -> list[tuple[int, str]]:
    """(line, string) wherever a module writes a stat name or part of one."""
    return [(node.lineno, node.value) for node in string_literals(path) if "icmpd/" in node.value]


# --- The registry -----------------------------------------------------------------------

def test_every_registered_stat_has_a_name_and_a_one_line_meaning() -> None:
    assert len(REGISTRY) > 90
    for name, meaning in REGISTRY.items():
        assert NAME.fullmatch(name), name
        assert meaning.strip() and "\n" not in meaning and meaning.endswith("."), name


def test_each_registered_stat_has_one_name_in_the_module() -> None:
    constants = [value for key, value in vars(stats).items()
                 if key.isupper() and isinstance(value, str) and value in REGISTRY]
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
    """The tests spell the names users see: each is a registered stat or a family's member
    (f-strings' parts, such as "icmpd/run/" in f"icmpd/run/{name}", end with a slash)."""
    checked = {node.value for path in TESTS.glob("test_*.py") if path.name != "test_stats.py"
               for node in string_literals(path) if node.value.startswith("icmpd/") and not node.value.endswith("/")}
    assert len(checked) > 80
    assert sorted(name for name in checked if not registered(name)) == []
    assert not registered("icmpd/feed/nothing") and not registered("icmpd/articles/failed/a/b")


# --- The package's source ---------------------------------------------------------------

def test_no_module_but_stats_writes_a_stat_name() -> None:
    modules = [path for path in sorted(PACKAGE.rglob("*.py")) if path != PACKAGE / "stats.py"]
    assert len(modules) > 50
    written = [(str(path.relative_to(PACKAGE)), *found) for path in modules for found in stat_names_written(path)]
    assert written == []


def test_the_check_finds_a_stat_name_in_code_but_not_in_a_docstring(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text('"""Counts icmpd/x/y."""\nNAME = "icmpd/x/y"\nKIND = f"icmpd/x/{1}"\n', encoding="utf-8")
    assert stat_names_written(module) == [(2, "icmpd/x/y"), (3, "icmpd/x/")]


def test_every_name_of_the_module_is_used() -> None:
    """No registered stat that nothing counts: each name of the module is read somewhere."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in PACKAGE.rglob("*.py")]
    used = {node.id for tree in trees for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    defined = [key for key, value in vars(stats).items()
               if isinstance(value, str | Family | dict) and not key.startswith("_") and key != "REGISTRY"]
    assert len(defined) > 100
    assert [name for name in defined if name not in used] == []
    prefixes = [value for key, value in vars(stats).items() if key.endswith("_PREFIX")]
    assert prefixes and all(any(name.startswith(prefix) for name in REGISTRY) for prefix in prefixes)
