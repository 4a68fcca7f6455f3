"""What every importer shares: instrument look-up, load keys, the report, rejects."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from papers.errors import InputError, InstrumentError
from papers.ingest.files import BadRow
from papers.instrument import Instrument, bundled_instruments, load_instrument, parse_instrument
from papers.store import Store
from papers.text import excerpt


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

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "source": self.source, "run_id": self.run_id,
            "already_loaded": self.already_loaded, "rows": self.rows, "counts": self.counts,
            "rejected": self.rejected, "notes": self.notes,
        }


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


def resolve_instrument(ref: str | None, store: Store) -> Instrument:
    """An instrument given on the command line: a YAML path, a bundled name, or `id`, `id@version` or a
    SHA-256 (prefix) of one in the store. Only the command line may name a file to open."""
    if ref is None:
        return load_instrument()
    ref = str(ref).strip()
    if Path(ref).is_file():
        return load_instrument(Path(ref))
    return named_instrument(ref, store)


def named_instrument(ref: str, store: Store) -> Instrument:
    """An instrument named by a value inside a data file: a bundled name or one in the store, never a
    file, so that a data file cannot make papers read other files."""
    ref = str(ref).strip()
    if looks_like_path(ref):
        raise InstrumentError(
            f"'{excerpt(ref)}' names a file; a data file can name an instrument but not open one.",
            "pass the instrument file on the command line (--instrument PATH), or name one already in the "
            "store by id@version or SHA-256 (papers db info lists them).",
        )
    if not NAME_RE.fullmatch(ref):
        raise InstrumentError(f"'{excerpt(ref)}' is not an instrument name.",
                              _NAME_HINT.format(bundled=", ".join(bundled_instruments())))
    if ref in bundled_instruments():
        return load_instrument(ref)
    return _stored_instrument(ref, store)


NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}(@[0-9A-Za-z.+-]{1,64})?")
_NAME_HINT = ("name a bundled instrument ({bundled}), or one in the store by id, id@version or SHA-256 "
              "(papers db info lists them).")


def looks_like_path(ref: str) -> bool:
    return ("/" in ref or "\\" in ref or ref.startswith((".", "~"))
            or ref.lower().endswith((".yaml", ".yml", ".json")))


def _stored_instrument(ref: str, store: Store) -> Instrument:
    ident, _, version = ref.partition("@")
    rows = store.sql(
        "select spec, sha256 from instruments where sha256 like ? || '%' or "
        "(instrument_id = ? and (? = '' or version = ?)) order by loaded_at desc",
        [ref.lower() if len(ref) >= 8 else "\x00", ident, version, version],
    ).fetchall()
    if len({sha for _, sha in rows}) == 1:
        return parse_instrument(rows[0][0], source=f"store:{rows[0][1][:12]}")
    if len(rows) > 1:
        raise InstrumentError(
            f"instrument '{excerpt(ref)}' matches {len(rows)} instruments in the store.",
            "name it by id@version or by its SHA-256 (papers db info lists them).",
        )
    raise InstrumentError(
        f"instrument '{excerpt(ref)}': not a file, a bundled instrument or an instrument in the store.",
        _NAME_HINT.format(bundled=", ".join(bundled_instruments())),
    )


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
              strict: bool = True) -> BadRow:
    """A value that does not fit its field: an error, or a reject with --skip-bad-rows."""
    from papers.errors import located

    if strict:
        raise InputError(f"{located(path, row, column)}: {problem}", hint or
                         "correct the value, or pass --skip-bad-rows to load the rest and keep this row in the rejects table.")
    return BadRow(row, "", f"field '{column}': {problem}")
