"""The file store (icmpd_news/dataset/files.py): where images and attachments go, files written
atomically and never outside the store, and which stored files the export vouches for."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from scrapy.pipelines.media import FileException
from scrapy.settings import Settings

from icmpd_news.dataset.files import AtomicFSFilesStore, local_store_path, recorded_files, store_dir
from icmpd_news.dataset.jsonl import write_atomic


def test_the_store_is_under_the_output_folder_unless_a_store_setting_says_otherwise(tmp_path: Path) -> None:
    settings = Settings({"ICMPD_OUTPUT_DIR": str(tmp_path / "out")})
    assert store_dir(settings, "FILES_STORE") == str(tmp_path / "out" / "files")
    assert local_store_path(settings, "IMAGES_STORE") == tmp_path / "out" / "files"
    settings.set("IMAGES_STORE", f"file://{tmp_path}/images")
    assert store_dir(settings, "IMAGES_STORE") == f"file://{tmp_path}/images"
    assert local_store_path(settings, "IMAGES_STORE") == tmp_path / "images"
    assert local_store_path(settings, "FILES_STORE") == tmp_path / "out" / "files"


def test_a_file_is_written_whole_and_only_inside_the_store(tmp_path: Path) -> None:
    store = AtomicFSFilesStore(str(tmp_path / "files"))
    store.persist_file("full/ab/abcd.pdf", BytesIO(b"%PDF-1.4 whole"), info=None)
    stored = tmp_path / "files" / "full" / "ab" / "abcd.pdf"
    assert stored.read_bytes() == b"%PDF-1.4 whole"
    store.persist_file("full/ab/abcd.pdf", BytesIO(b"%PDF-1.4 replaced"), info=None)
    assert stored.read_bytes() == b"%PDF-1.4 replaced"
    assert [p.name for p in stored.parent.iterdir()] == ["abcd.pdf"]  # no temporary file left
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "files" / "linked").symlink_to(tmp_path / "elsewhere")
    for escape in ("../outside.pdf", "full/../../outside.pdf", "full/ab/..", "linked/outside.pdf"):
        with pytest.raises(FileException, match=rf"^refused to write '{escape}': outside the file store "):
            store.persist_file(escape, BytesIO(b"x"), info=None)
    assert not (tmp_path / "outside.pdf").exists() and not list((tmp_path / "elsewhere").iterdir())
    store.persist_file("/absolute.pdf", BytesIO(b"x"), info=None)  # a leading slash stays inside too
    assert (tmp_path / "files" / "absolute.pdf").read_bytes() == b"x"


def test_the_export_vouches_for_stored_files_with_their_checksums(tmp_path: Path) -> None:
    def entry(path: str | None, status: str, checksum: str | None = "0" * 32) -> dict:
        return {"url": f"http://127.0.0.1:8000/{path}", "path": path, "checksum": checksum, "status": status}

    export = tmp_path / "articles.jsonl"
    write_atomic(export, [
        {"url": "a", "images": [entry("full/1.png", "downloaded"), entry("full/2.png", "uptodate"),
                                entry(None, "failed", None)],
         "attachments": [entry("full/3.pdf", "downloaded"), entry("full/4.pdf", "downloaded", None), "not an entry"]},
        {"url": "b", "images": "not a list", "attachments": [entry("full/5.pdf", "failed")]},
    ])
    with export.open("a") as handle:
        handle.write("not json\n")
    assert recorded_files(export) == {
        "full/1.png": entry("full/1.png", "downloaded"), "full/2.png": entry("full/2.png", "uptodate"),
        "full/3.pdf": entry("full/3.pdf", "downloaded"),
    }
    assert recorded_files(tmp_path / "missing.jsonl") == {}
