"""Change detection, pure functions on record dicts: a fresh article against its exported record, and
the record's files as a re-run sees them. The MANAGED_FIELDS (see the JSON Schema) are set here only."""

from __future__ import annotations

from typing import Literal

MANAGED_FIELDS = ("fetched_at", "first_seen", "updated_at", "version", "removed", "removed_at")
# Where the content came from, not what it says: a change of these alone is no change of the article.
PROVENANCE_FIELDS = ("extractor_version", "archive")
# A file's status (downloaded now or found up to date) is no change of the article.
MEDIA_FIELDS = ("images", "attachments")
STORED_STATUSES = ("downloaded", "uptodate")
VOLATILE_MEDIA_KEYS = ("status",)

Change = Literal["new", "updated", "unchanged", "restored"]


def content(record: dict) -> dict:
    """The record without its managed and provenance fields and its files' status; a null file key
    counts as absent."""
    comparable = {key: value for key, value in record.items() if key not in MANAGED_FIELDS + PROVENANCE_FIELDS}
    for field in MEDIA_FIELDS:
        if isinstance(comparable.get(field), list):
            comparable[field] = [
                {key: value for key, value in entry.items() if key not in VOLATILE_MEDIA_KEYS and value is not None}
                if isinstance(entry, dict) else entry
                for entry in comparable[field]
            ]
    return comparable


def _files(record: dict | None) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for field in MEDIA_FIELDS:
        entries = (record or {}).get(field)
        found[field] = [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
    return found


def _transient_hole(entry: dict) -> bool:
    """A file that failed for a reason that may pass (a failed entry without `transient` counts)."""
    return entry.get("status") == "failed" and entry.get("transient", True) is True


def transient_holes(record: dict) -> int:
    """How many of the record's files failed for a reason that may pass (the article is requested again)."""
    return sum(_transient_hole(entry) for entries in _files(record).values() for entry in entries)


def healed_files(old: dict | None, fresh: dict) -> dict[str, int]:
    """{field: n} for the files (by URL) that `old` recorded as transient holes and `fresh` has stored."""
    healed: dict[str, int] = {}
    fresh_files = _files(fresh)
    for field, entries in _files(old).items():
        holes = {entry.get("url") for entry in entries if _transient_hole(entry)}
        stored = sum(1 for entry in fresh_files[field]
                     if entry.get("url") in holes and entry.get("status") in STORED_STATUSES)
        if stored:
            healed[field] = stored
    return healed


def with_stored_files(old: dict | None, fresh: dict) -> dict:
    """`fresh` with each image and attachment completed by what `old` recorded of the same URL (its
    file keys): a text-only run, which fetches no file, keeps the files a full run stored."""
    stored = _files(old)
    completed = {}
    for field, entries in _files(fresh).items():
        by_url = {entry.get("url"): entry for entry in stored[field]}
        completed[field] = [by_url.get(entry.get("url"), {}) | entry for entry in entries]
    return fresh | completed


def with_defaults(record: dict) -> dict:
    """An exported record with every managed field (first_seen falls back to fetched_at)."""
    return {
        "first_seen": record.get("fetched_at"), "updated_at": None, "version": 1, "removed": False, "removed_at": None,
    } | record


def merge(old: dict | None, fresh: dict) -> tuple[Change, dict]:
    """What becomes of `old` (the exported record, or None) when `fresh` was just extracted: new,
    unchanged (`old` as it is, with fresh provenance), restored (removed mark cleared) or updated
    (`fresh`, keeping first_seen)."""
    if old is None:
        return "new", fresh | {
            "first_seen": fresh["fetched_at"], "updated_at": None, "version": 1, "removed": False, "removed_at": None,
        }
    if content(old) == content(fresh):
        kept = old | _provenance(old, fresh)
        if not old.get("removed"):
            return "unchanged", kept
        return "restored", kept | {"removed": False, "removed_at": None, "version": old["version"] + 1}
    return "updated", fresh | {
        "first_seen": old["first_seen"], "updated_at": fresh["fetched_at"], "version": old["version"] + 1,
        "removed": False, "removed_at": None,
    }


def extractor_version(record: dict) -> int:
    """The extraction version that produced the record (1 for records exported before versions)."""
    version = record.get("extractor_version")
    return version if isinstance(version, int) else 1


def _provenance(old: dict, fresh: dict) -> dict:
    """What an unchanged record takes from a fresh extraction of it: a newer extractor_version
    (with the archived page that extraction read), or an archive reference it had none of."""
    if extractor_version(fresh) > extractor_version(old):
        return {name: fresh[name] for name in PROVENANCE_FIELDS if name in fresh}
    if not old.get("archive") and fresh.get("archive"):
        return {"archive": fresh["archive"]}
    return {}


def mark_removed(old: dict, at: str) -> dict:
    """The record of an article whose page now answers 404 or 410: kept, marked removed."""
    return old | {"removed": True, "removed_at": at, "version": old["version"] + 1}
