"""Every XML parse in the project goes through icmpd_news.extract.feeds.safe_xml_parser.

A static check over the package's source, so that code added later (sitemaps, archive pages,
file metadata) cannot parse XML with a default, entity-resolving parser unnoticed.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "icmpd_news"
# Modules whose parsers resolve entities or fetch DTDs by default; lxml.objectify likewise.
UNSAFE_MODULES = ("xml.etree", "xml.dom", "xml.sax", "xml.parsers", "lxml.objectify", "feedparser", "xmltodict")
# lxml entry points that parse XML; each call must pass parser=safe_xml_parser(...).
LXML_PARSE_CALLS = ("fromstring", "XML", "parse", "iterparse", "XMLParser", "fromstringlist")


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [f"{path.name}:{node.lineno} imports {n}" for n in names if n.startswith(UNSAFE_MODULES)]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LXML_PARSE_CALLS:
            if node.func.attr == "XMLParser" and path.name == "feeds.py":
                continue  # the one definition of safe_xml_parser
            parser = next((k.value for k in node.keywords if k.arg == "parser"), None)
            safe = isinstance(parser, ast.Call) and getattr(parser.func, "id", None) == "safe_xml_parser"
            if not safe and ast.unparse(node.func.value) in ("etree", "lxml.etree", "ET"):
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)[:80]}")
        keywords = {k.arg: ast.unparse(k.value) for k in node.keywords} if isinstance(node, ast.Call) else {}
        # parsel parses text or body itself; wrapping a root parsed by safe_xml_parser is fine.
        if keywords.get("type") == "'xml'" and "root" not in keywords:
            found.append(f"{path.name}:{node.lineno} parsel XML selector {ast.unparse(node)[:80]}")
    return found


def test_every_xml_parse_uses_the_safe_parser() -> None:
    violations = [v for path in sorted(PACKAGE.rglob("*.py")) for v in _violations(path)]
    assert violations == []


def test_the_check_catches_an_unsafe_parse(tmp_path: Path) -> None:
    unsafe = tmp_path / "sitemap.py"
    unsafe.write_text("from lxml import etree\nimport xml.etree.ElementTree\nroot = etree.fromstring(b'<a/>')\n")
    assert len(_violations(unsafe)) == 2
