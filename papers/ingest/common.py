"""What every importer shares: instrument look-up, load keys, the report, rejects."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from papers.errors import InputError
from papers.ingest.files import BadRow
from papers.store import Store


@dataclass
class LoadReport:
    """What a load did, for the CLI to print (or emit as JSON)."""

    kind: str
    source: str
    run_id: int | None = None
    already_loaded: bool = False
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # something is probably wrong with the file or its mapping

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "source": self.source, "run_id": self.run_id,
            "already_loaded": self.already_loaded, "rows": self.rows, "counts": self.counts,
            "rejected": self.rejected, "notes": self.notes, "warnings": self.warnings,
        }


WARN_SHARE = 0.2  # a load warns when more than this share of its rows is lost (unparseable, rejected, excluded)


def load_key(kind: str, sha256: str, **options) -> str:
    payload = json.dumps([kind, sha256, options], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def already_loaded(store: Store, key: str, kind: str, source: Path) -> LoadReport | None:
    previous = store.find_load(key)
    if previous is None:
        return None
    report = LoadReport(kind, str(source), run_id=previous["run_id"], already_loaded=True)
    report.notes.append(
        f"{source}: already loaded (run {previous['run_id']}, from {previous['source_file']}); nothing changed."
    )
    return report


def insert_rejects(store: Store, run_id: int, source: Path, bad: list[BadRow]) -> None:
    if not bad:
        return
    frame = pl.DataFrame(
        {
            "run_id": [run_id] * len(bad),
            "source_file": [str(source)] * len(bad),
            "row_number": [b.row for b in bad],
            "raw": [b.raw for b in bad],
            "reason": [b.reason for b in bad],
        },
        schema={"run_id": pl.Int32, "source_file": pl.String, "row_number": pl.Int32, "raw": pl.String, "reason": pl.String},
    )
    store.con.register("_rejects_frame", frame)
    try:
        store.sql("insert into rejects by name select * from _rejects_frame")
    finally:
        store.con.unregister("_rejects_frame")


def bad_value(path: Path, row: int, column: str, problem: str, hint: str | None = None,
              strict: bool = True, raw: str = "") -> BadRow:
    """A value that does not fit its field: an error, or a reject with --skip-bad-rows (keeping `raw`)."""
    from papers.errors import located

    if strict:
        raise InputError(f"{located(path, row, column)}: {problem}", hint or
                         "correct the value, or pass --skip-bad-rows to load the rest and keep this row in the rejects table.")
    return BadRow(row, raw, f"field '{column}': {problem}")
