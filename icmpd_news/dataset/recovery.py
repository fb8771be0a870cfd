"""Take over what a killed crawl left in ICMPD_OUTPUT_DIR (docs/design.md, "Recovery")."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from icmpd_news.dataset.jsonl import EXPORT_NAME, load_export, read_records, sort_key, stale_temp_files, write_atomic

logger = logging.getLogger(__name__)

JOURNAL_SUFFIX = ".journal"


@dataclass
class Recovery:
    """What recover() found and did."""

    deleted: list[Path] = field(default_factory=list)
    recovered: dict[str, int] = field(default_factory=dict)  # killed run id -> records taken over
    torn_lines: int = 0
    invalid_lines: int = 0


def journal_path(runs_dir: Path, run_id: str) -> Path:
    """Where a run journals its changes while it runs."""
    return runs_dir / f"{run_id}{JOURNAL_SUFFIX}"


def recover(output_dir: Path, runs_dir: Path) -> Recovery:
    """Delete temporary files; merge each journal into articles.jsonl, write it as that run's change
    file and delete it. Call with the lock held; every step can be repeated."""
    result = Recovery()
    for leftover in stale_temp_files(output_dir) + stale_temp_files(runs_dir):
        logger.warning("deleting %s, an unfinished write of a killed crawl", leftover)
        leftover.unlink()
        result.deleted.append(leftover)
    journals = sorted(runs_dir.glob(f"*{JOURNAL_SUFFIX}")) if runs_dir.is_dir() else []
    if not journals:
        return result
    export = output_dir / EXPORT_NAME
    records, result.invalid_lines = load_export(export)
    changes: dict[Path, dict[str, dict]] = {}
    for journal in journals:
        entries, torn = read_records(journal)
        if torn:
            logger.warning("%s: %d unfinished line(s) skipped (the crawl was killed while writing)", journal, torn)
            result.torn_lines += torn
        changes[journal] = {entry["url"]: entry for entry in entries if isinstance(entry.get("url"), str)}
        records.update(changes[journal])
    write_atomic(export, sorted(records.values(), key=sort_key))
    for journal, by_url in changes.items():
        change_file = journal.with_suffix(".jsonl")
        write_atomic(change_file, sorted(by_url.values(), key=sort_key))
        journal.unlink()
        result.recovered[journal.stem] = len(by_url)
        logger.warning("killed run %s: took over its %d finished records into %s; its change file is %s",
                       journal.stem, len(by_url), export, change_file)
    return result
