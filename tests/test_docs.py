"""The docs against the code they describe: the record's field tables are generated from the
JSON Schema, the settings tables are checked against settings.py, every relative link leads to
a file of the repository, and the README's example record is a valid record.

`python -m tests.test_docs --write` rewrites the generated tables of docs/record.md after a
change to the schema's descriptions.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
from scrapy.settings import default_settings

from icmpd_news.dataset.jsonl import ordered
from icmpd_news.extensions.settings_check import OLD_NAMES, PREFIX, RENAMED
from icmpd_news.schema import article_schema

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RECORD_DOC = ROOT / "docs" / "record.md"
SETTINGS_DOC = ROOT / "docs" / "settings.md"
SETTINGS_PY = ROOT / "icmpd_news" / "settings.py"
DOCS = [README, ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# The generated blocks of docs/record.md: name -> the function that renders it.
BEGIN = "<!-- generated from icmpd_news/schema/article.schema.json by tests/test_docs.py: {name} -->"
END = "<!-- end of generated {name} -->"


# --- The record, from the schema ----------------------------------------------------------
def _resolve(node: dict, schema: dict) -> dict:
    """A property's schema with a local $ref merged in (the property's own keys win)."""
    if "$ref" not in node:
        return node
    target = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return {**target, **{key: value for key, value in node.items() if key != "$ref"}}


def _type(node: dict) -> str:
    if "enum" in node:
        values = [f'"{value}"' for value in node["enum"]]
        return ", ".join(values[:-1]) + " or " + values[-1]
    names = []
    for name in [node["type"]] if isinstance(node["type"], str) else node["type"]:
        if name == "array":
            names.append(f"list of {node['items']['type']}s")
        else:
            names.append(name)
    return " or ".join(names)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def fields_table(schema: dict) -> str:
    """The record's fields, in the order of the schema's properties."""
    lines = [_row("field", "type", "meaning"), "|---|---|---|"]
    for name, node in schema["properties"].items():
        node = _resolve(node, schema)
        lines.append(_row(f"`{name}`", _type(node), node["description"]))
    return "\n".join(lines)


def entries_table(schema: dict) -> str:
    """The keys of images[] and attachments[] entries: those both have, then each one's own."""
    images = {key: _resolve(node, schema) for key, node in schema["properties"]["images"]["items"]["properties"].items()}
    files = {key: _resolve(node, schema) for key, node in schema["properties"]["attachments"]["items"]["properties"].items()}
    groups = [
        ("Both", {key: node for key, node in images.items() if files.get(key) == node}),
        ("Images only", {key: node for key, node in images.items() if files.get(key) != node}),
        ("Attachments only", {key: node for key, node in files.items() if images.get(key) != node}),
    ]
    parts = []
    for title, keys in groups:
        lines = [f"{title}:", "", _row("key", "type", "meaning"), "|---|---|---|"]
        lines += [_row(f"`{key}`", _type(node), node["description"]) for key, node in keys.items()]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


GENERATED = {"fields": fields_table, "entries": entries_table}


def _block(text: str, name: str) -> str:
    begin, end = BEGIN.format(name=name), END.format(name=name)
    assert text.count(begin) == 1 and text.count(end) == 1, f"docs/record.md lacks the markers of its {name} table"
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n")


def write_generated() -> None:
    """Rewrite the generated tables of docs/record.md from the schema."""
    text = RECORD_DOC.read_text(encoding="utf-8")
    for name, render in GENERATED.items():
        _block(text, name)
        before, rest = text.split(BEGIN.format(name=name), 1)
        after = rest.split(END.format(name=name), 1)[1]
        text = f"{before}{BEGIN.format(name=name)}\n{render(article_schema())}\n{END.format(name=name)}{after}"
    RECORD_DOC.write_text(text, encoding="utf-8")


def test_schema_lists_the_fields_in_the_order_of_the_exported_keys() -> None:
    properties = list(article_schema()["properties"])
    assert properties == list(ordered(dict.fromkeys(properties)))


def test_every_field_and_file_key_has_a_description() -> None:
    schema = article_schema()
    nodes = {name: node for name, node in schema["properties"].items()}
    for media in ("images", "attachments"):
        nodes |= {f"{media}[].{key}": node for key, node in schema["properties"][media]["items"]["properties"].items()}
    missing = [name for name, node in nodes.items() if not _resolve(node, schema).get("description")]
    assert missing == []


def test_record_doc_tables_are_generated_from_the_schema() -> None:
    text = RECORD_DOC.read_text(encoding="utf-8")
    for name, render in GENERATED.items():
        assert _block(text, name) == render(article_schema()), (
            f"docs/record.md's {name} table is out of date: run `python -m tests.test_docs --write`")


# --- Settings, against settings.py -------------------------------------------------------
# Component dicts: docs/settings.md gives each a table of its own (component, order).
COMPONENT_SETTINGS = ("ADDONS", "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS")
# Settings Scrapy's media pipelines read that scrapy.settings.default_settings does not list.
OTHER_SCRAPY_SETTINGS = frozenset({"IMAGES_THUMBS"})
_LITERAL_NODES = (ast.Expression, ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Load,
                  ast.BinOp, ast.UnaryOp, ast.Mult, ast.Add, ast.Sub, ast.Pow, ast.USub)


def _literal(node: ast.AST) -> tuple[bool, Any]:
    """(True, value) for an expression made of literals and arithmetic only, else (False, None)."""
    if not all(isinstance(part, _LITERAL_NODES) for part in ast.walk(node)):
        return False, None
    return True, eval(compile(ast.Expression(node), "<literal>", "eval"), {"__builtins__": {}})


def project_settings() -> dict[str, ast.AST]:
    """Every setting settings.py sets, with the expression it sets it to, in file order."""
    found = {}
    for statement in ast.parse(SETTINGS_PY.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                found[target.id] = statement.value
    return found


def _table_rows(lines: list[str]) -> Iterator[list[str]]:
    for line in lines:
        if line.startswith("| `"):
            yield [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def documented_settings(text: str) -> dict[str, str]:
    """{name: default cell} of docs/settings.md's setting tables (outside the component tables)."""
    rows: dict[str, str] = {}
    section = None
    for line in text.splitlines():
        if line.startswith("#"):
            section = line
        if section and any(section == f"### `{name}`" for name in COMPONENT_SETTINGS):
            continue
        for cells in _table_rows([line]):
            name = re.fullmatch(r"`([A-Z][A-Z0-9_]+)`", cells[0])
            assert name, f"a settings row names one setting in backticks: {line}"
            assert name.group(1) not in rows, f"{name.group(1)} is documented twice"
            rows[name.group(1)] = cells[1]
    return rows


def documented_components(text: str, setting: str) -> dict[str, Any]:
    """{component: order} of the table under the heading "### `SETTING`"."""
    lines = text.split(f"\n### `{setting}`\n", 1)[1].split("\n#", 1)[0].splitlines()
    components = {}
    for cells in _table_rows(lines):
        ok, order = _literal(ast.parse(cells[1].strip("`"), mode="eval").body)
        assert ok, f"{setting}: the order of {cells[0]} is not a number or None"
        components[cells[0].strip("`")] = order
    return components


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def test_settings_doc_lists_every_setting_with_its_default() -> None:
    text = SETTINGS_DOC.read_text(encoding="utf-8")
    documented = documented_settings(text)
    defined = project_settings()
    assert [name for name in defined if name not in documented] == []
    scrapy_settings = {name for name in dir(default_settings) if name.isupper()} | OTHER_SCRAPY_SETTINGS
    assert [name for name in documented if name not in defined and name not in scrapy_settings] == []
    for name, node in defined.items():
        constant, value = _literal(node)
        if not constant or name in COMPONENT_SETTINGS:
            continue  # computed at import (the version, the environment, Scrapy's defaults): described in words
        span = re.match(r"`([^`]+)`", documented[name])
        if len(repr(value)) > 100:
            missing = [part for part in _strings(value) if part not in text]
            assert missing == [], f"{name}: docs/settings.md does not show {missing}"
            continue
        assert span, f"{name}: its default cell must start with the value in backticks, got {documented[name]!r}"
        try:
            shown_ok, shown = _literal(ast.parse(span.group(1), mode="eval").body)
        except SyntaxError:
            shown_ok, shown = True, span.group(1)
        assert shown_ok and shown == value, f"{name}: docs/settings.md says {span.group(1)}, settings.py {value!r}"


def test_settings_doc_lists_every_component_in_its_order() -> None:
    text = SETTINGS_DOC.read_text(encoding="utf-8")
    defined = project_settings()
    for name in COMPONENT_SETTINGS:
        assert documented_components(text, name) == _literal(defined[name])[1], name


def test_old_setting_names_are_project_settings_without_their_prefix() -> None:
    # docs/settings.md: an ICMPD_ setting that had a name without the prefix is read under it for one release.
    prefixed = {name for name in project_settings() if name.startswith(PREFIX)}
    assert set(OLD_NAMES.values()) <= prefixed
    assert all(new == PREFIX + old and old not in project_settings() for old, new in OLD_NAMES.items()
               if old not in RENAMED)
    assert all(old not in project_settings() for old in RENAMED)


# --- Every doc ----------------------------------------------------------------------------
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*]", "", heading.strip().lstrip("#").strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {_slug(line) for line in text.splitlines() if line.startswith("#")}


def test_every_relative_link_leads_to_a_file_of_the_repository() -> None:
    broken = []
    for doc in DOCS:
        text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.DOTALL)
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            resolved = (doc.parent / path).resolve() if path else doc
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
            elif anchor and (resolved.suffix != ".md" or anchor not in _anchors(resolved)):
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


# A path of the repository named in a doc (in prose or code): it must exist.
REPO_PATH = re.compile(r"(?<![\w/.-])((?:icmpd_news|devsite|bench|deploy|docs|tests|\.ci)/[\w./-]*)")


def test_every_path_the_docs_name_exists() -> None:
    missing = []
    for doc in DOCS:
        for path in REPO_PATH.findall(doc.read_text(encoding="utf-8")):
            path = path.rstrip(".")
            if not (ROOT / path).exists():
                missing.append(f"{doc.relative_to(ROOT)}: {path}")
    assert missing == []


def test_docs_name_no_work_items() -> None:
    work_items = re.compile(r"\b(issues?|PR|pull request|branch) ?#?\d+|\bissue\d|\bwork item", re.IGNORECASE)
    found = [f"{doc.relative_to(ROOT)}: {match.group(0)}" for doc in DOCS
             for match in work_items.finditer(doc.read_text(encoding="utf-8"))]
    assert found == []


def test_readme_example_is_a_valid_record_in_export_order() -> None:
    example = re.search(r"```json\n(.*?)\n```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert example, "README.md shows no example record"
    record = json.loads(example.group(1))
    schema = article_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert [error.message for error in validator.iter_errors(record)] == []
    assert list(record) == list(ordered(record))


def test_readme_stays_a_front_page() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode()) <= 8 * 1024, "README.md is the front page: the rest goes to docs/"
    first_screen = "\n".join(text.splitlines()[:40])
    assert "bash .ci/install" in first_screen and ".venv/bin/python -m pytest" in first_screen
    assert "python -m devsite --crawl" in text


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.test_docs --write   (rewrites docs/record.md's generated tables)")
    write_generated()
