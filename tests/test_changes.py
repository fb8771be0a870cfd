"""Change detection (icmpd_news/dataset/changes.py): how a freshly extracted article relates to its
exported record, and which of its files are holes to fill again."""

from __future__ import annotations

from icmpd_news.dataset.changes import healed_files, mark_removed, merge, transient_holes, with_defaults

FRESH = {"url": "http://127.0.0.1/news/a", "text": "Text.", "content_hash": "sha256:1",
         "fetched_at": "2026-01-02T00:00:00+00:00"}


def test_merge_keeps_history_and_counts_each_kind() -> None:
    change, first = merge(None, FRESH)
    assert change == "new"
    assert (first["first_seen"], first["updated_at"], first["version"], first["removed"]) == \
        (FRESH["fetched_at"], None, 1, False)

    refetched = FRESH | {"fetched_at": "2026-01-03T00:00:00+00:00"}
    assert merge(first, refetched) == ("unchanged", first)

    edited = refetched | {"text": "Text, corrected.", "content_hash": "sha256:2"}
    change, second = merge(first, edited)
    assert change == "updated"
    assert (second["text"], second["first_seen"], second["updated_at"], second["version"]) == \
        ("Text, corrected.", first["first_seen"], edited["fetched_at"], 2)

    gone = mark_removed(second, "2026-01-04T00:00:00+00:00")
    assert (gone["removed"], gone["removed_at"], gone["version"], gone["text"]) == \
        (True, "2026-01-04T00:00:00+00:00", 3, "Text, corrected.")
    change, back = merge(gone, edited | {"fetched_at": "2026-01-05T00:00:00+00:00"})
    assert change == "restored"
    assert back == second | {"version": 4}


def test_records_from_before_the_history_fields_get_them() -> None:
    assert with_defaults(FRESH) == FRESH | {"first_seen": FRESH["fetched_at"], "updated_at": None, "version": 1,
                                            "removed": False, "removed_at": None}


def image(status: str, **fields: object) -> dict:
    stored = status != "failed"
    return {"url": "http://127.0.0.1/a.png", "alt": None, "caption": None, "path": "images/a.png" if stored else None,
            "checksum": "0" * 32 if stored else None, "size": 10 if stored else None, "content_type": None,
            "status": status, "error": None if stored else "answered HTTP 503", "width": None, "height": None} | fields


def test_a_file_key_added_later_is_no_change_of_older_records() -> None:
    _, old = merge(None, FRESH | {"images": [image("downloaded")]})
    assert merge(old, FRESH | {"images": [image("uptodate", transient=None)]}) == ("unchanged", old)
    assert merge(old, FRESH | {"images": [image("uptodate", transient=False)]})[0] == "updated"


def test_transient_holes_and_healed_files() -> None:
    holes = FRESH | {"images": [image("failed", transient=True), image("failed", url="http://127.0.0.1/b.png",
                                                                       transient=False)],
                     "attachments": [image("failed", url="http://127.0.0.1/c.pdf")]}  # recorded before `transient`
    assert transient_holes(holes) == 2
    assert transient_holes(FRESH | {"images": [image("downloaded", transient=None)]}) == 0
    fresh = FRESH | {"images": [image("downloaded"), image("downloaded", url="http://127.0.0.1/b.png")],
                     "attachments": [image("failed", url="http://127.0.0.1/c.pdf", transient=True)]}
    # b.png's failure was lasting: stored now, but it was no hole to heal; c.pdf failed again.
    assert healed_files(holes, fresh) == {"images": 1}
    assert healed_files(None, fresh) == {}
