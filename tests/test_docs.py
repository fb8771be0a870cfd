"""The docs against the code they describe: docs/record.md's field tables are generated from
the JSON Schema.

`python -m tests.test_docs --write` rewrites the generated tables of docs/record.md after a
change to the schema's descriptions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from icmpd_news.dataset.jsonl import ordered
from icmpd_news.schema import article_schema

ROOT = Path(__file__).resolve().parent.parent
RECORD_DOC = ROOT / "docs" / "record.md"

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


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.test_docs --write   (rewrites docs/record.md's generated tables)")
    write_generated()
