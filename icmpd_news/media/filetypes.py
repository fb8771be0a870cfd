"""What a downloaded file really is, by its magic numbers, and whether its link's extension promised that."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

import filetype

ZIP = "application/zip"
OLE = ("application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint")
HTML = "text/html"
TEXT = "text/plain"
OCTETS = "application/octet-stream"

# Per document link extension, the types its bytes may be: a plain zip for the zip-based formats
# (filetype names them only by their first entry), any OLE flavour for legacy Office.
DOCUMENT_TYPES: dict[str, frozenset[str]] = {
    ".pdf": frozenset({"application/pdf"}),
    ".doc": frozenset(OLE),
    ".xls": frozenset(OLE),
    ".ppt": frozenset(OLE),
    ".docx": frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP}),
    ".xlsx": frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP}),
    ".pptx": frozenset({"application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP}),
    ".odt": frozenset({"application/vnd.oasis.opendocument.text", ZIP}),
    ".ods": frozenset({"application/vnd.oasis.opendocument.spreadsheet", ZIP}),
    ".odp": frozenset({"application/vnd.oasis.opendocument.presentation", ZIP}),
    ".epub": frozenset({"application/epub+zip", ZIP}),
    ".zip": frozenset({ZIP}),
    ".rtf": frozenset({"application/rtf"}),
    ".csv": frozenset({TEXT}),
}
IMAGE_TYPES: dict[str, frozenset[str]] = {
    ".jpg": frozenset({"image/jpeg"}),
    ".jpeg": frozenset({"image/jpeg"}),
    ".png": frozenset({"image/png"}),
    ".gif": frozenset({"image/gif"}),
    ".webp": frozenset({"image/webp"}),
    ".avif": frozenset({"image/avif"}),
    ".tif": frozenset({"image/tiff"}),
    ".tiff": frozenset({"image/tiff"}),
    ".bmp": frozenset({"image/bmp"}),
}
EXPECTED_TYPES = DOCUMENT_TYPES | IMAGE_TYPES
# Anything zip-based is a zip: a ".zip" link to a .docx is not a lie.
ZIP_BASED = frozenset(t for types in DOCUMENT_TYPES.values() for t in types if ZIP in types)
DOCUMENT_EXTENSIONS = frozenset(DOCUMENT_TYPES)
IMAGE_EXTENSIONS = frozenset(IMAGE_TYPES)

# An HTML page's first tag, after an optional XML declaration and comments.
_HTML_START = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|title|meta|script|div|p)[\s>/]",
    re.IGNORECASE | re.DOTALL,
)
_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,5}$")


class WrongType(Exception):
    """The bytes are not what the link promised. `kind` names the failure for stats."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def sniff(data: bytes) -> str:
    """The MIME type of `data` by its magic numbers, else text/html, text/plain or application/octet-stream."""
    return _sniff_head(data[:8192])


@functools.lru_cache(maxsize=64)
def _sniff_head(head: bytes) -> str:
    """sniff on the first 8 KiB, remembered: a downloaded file is checked, then named twice (file_path, by the
    media pipeline and by Scrapy's file_downloaded)."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    text = head.removeprefix(b"\xef\xbb\xbf")
    if _HTML_START.match(text):
        return HTML
    # Binary formats have NUL bytes early; text in any 8-bit encoding (a CSV in windows-1252) has none.
    return TEXT if b"\x00" not in text else OCTETS


def url_extension(url: str, allowed: frozenset[str]) -> str:
    """The URL path's extension (its last segment's, as pathlib's suffix), lower-case, when it is one of
    `allowed`; else ""."""
    name = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    dot = name.rfind(".")
    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""
    return suffix if suffix in allowed and _SAFE_EXTENSION.match(suffix) else ""


def file_extension(content_type: str, url: str) -> str:
    """The extension a stored file gets: the link's when its bytes are that type, else their type's."""
    extension = url_extension(url, frozenset(EXPECTED_TYPES))
    if extension and content_type in EXPECTED_TYPES[extension]:
        return extension
    kind = filetype.get_type(mime=content_type)
    return f".{kind.extension}" if kind is not None else ""


def check_document(data: bytes, url: str) -> str:
    """The type of a document downloaded from `url`, or WrongType when it is not what the link's extension names."""
    mime = sniff(data)
    extension = url_extension(url, DOCUMENT_EXTENSIONS)
    expected = DOCUMENT_TYPES.get(extension)
    if mime == HTML:
        raise WrongType("html", f"the server answered an HTML page, not a {extension or 'document'} file")
    if expected is None or mime in expected or (extension == ".zip" and mime in ZIP_BASED):
        return mime
    raise WrongType("wrong_type", f"the bytes are {mime}, not a {extension} file ({', '.join(sorted(expected))})")


def check_image(data: bytes) -> str:
    """The type of an image by its bytes, or WrongType when they are no image format."""
    mime = sniff(data)
    if mime.startswith("image/"):
        return mime
    if mime == HTML:
        raise WrongType("html", "the server answered an HTML page, not an image")
    raise WrongType("wrong_type", f"the bytes are {mime}, not an image")
