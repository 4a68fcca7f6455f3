"""`papers export`: every public table as Parquet or CSV, for users who script their own analyses,
and `papers export codesheet`: a sheet of open answers for human coders.

A code sheet names each answer by an `answer_id` salted for that export (a random salt that is
not kept), so a blinded coder cannot link an answer to its model by hashing the public values that
make up a response id; `codesheet_ids` maps the ids back (papers/ingest/codes.py loads the filled
sheet). Text cells that a spreadsheet would run as a formula are written with a leading `'`
(OWASP, CSV injection), in sheets and in CSV exports alike.
"""

from __future__ import annotations

import csv
import hashlib
import secrets
from pathlib import Path

import duckdb

from papers.answers.codesheet import ID_COLUMN, NOT_SHOWN
from papers.errors import InputError, StoreError
from papers.instrument import Instrument
from papers.limits import load_json
from papers.store import DRIFT_TABLES, PUBLIC_TABLES, RESULT_TABLES, Store, query
from papers.text import FORMULA_START, spreadsheet_safe


def export_tables(store: Store, out_dir: Path, fmt: str = "parquet") -> dict[str, tuple[Path, int]]:
    """Write each public table and every result_* table (those of `papers drift` too) to `out_dir/<table>.<fmt>`."""
    if fmt not in ("parquet", "csv"):
        raise StoreError(f"unknown export format '{fmt}'.", "use --format parquet or --format csv.")
    out_dir = Path(out_dir)
    refuse_published(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"{out_dir}: cannot create the output directory ({e.strerror}).") from e
    results = RESULT_TABLES
    options = "(format parquet, compression zstd)" if fmt == "parquet" else "(format csv, header true)"
    written = {}
    for table in (*PUBLIC_TABLES, *results, *DRIFT_TABLES):
        target = out_dir / f"{table}.{fmt}"
        select = _csv_select(store, table) if fmt == "csv" else f'select * from "{table}"'
        try:
            store.sql(f"copy ({select}) to '{_quote(target)}' {options}")
        except duckdb.Error as e:
            raise StoreError(f"{target}: cannot write ({str(e).splitlines()[0]}).") from e
        written[table] = (target, store.scalar(f'select count(*) from "{table}"'))
    return written


def export_audit(store: Store, audit_id: str, out_dir: Path, fmt: str = "parquet") -> dict[str, tuple[Path, int]]:
    """Write the rows an audit pinned and its results, as a published audit's data/ holds them, to
    `out_dir/<name>.<fmt>` (text cells that start like a formula prefixed by ' in CSV)."""
    from papers.report import reads
    from papers.report.folder import spreadsheet_frame

    if fmt not in ("parquet", "csv"):
        raise StoreError(f"unknown export format '{fmt}'.", "use --format parquet or --format csv.")
    out_dir = Path(out_dir)
    refuse_published(out_dir)
    data = reads.load_audit(store, audit_id)
    frames = {**reads.pinned_rows(store, data), **{t: reads.in_order(data.tables[t]) for t in RESULT_TABLES}}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, frame in frames.items():
            target = out_dir / f"{name}.{fmt}"
            if fmt == "parquet":
                frame.write_parquet(target)
            else:
                spreadsheet_frame(frame).write_csv(target)
    except OSError as e:
        raise StoreError(f"{out_dir}: cannot write the export ({e.strerror or e}).") from e
    return {name: (out_dir / f"{name}.{fmt}", frame.height) for name, frame in frames.items()}


def refuse_published(out_dir: Path) -> None:
    """Never write into a published audit (a folder, or a folder inside one, whose manifest.json
    papers report wrote): its files are listed in that manifest and must not change."""
    for folder in [out_dir.resolve(), *out_dir.resolve().parents]:
        try:
            manifest = load_json((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and "audit_id" in manifest and "files" in manifest:
            raise InputError(f"{out_dir} is inside the published audit {folder}; writing there would change it.",
                             "export to a folder outside the site, e.g. --out exports/.")


def _csv_select(store: Store, table: str) -> str:
    """Every column of the table, with text cells that a spreadsheet would run as a formula prefixed
    by `'` (OWASP, CSV injection); numbers, negative ones included, are data and stay as they are."""
    columns = store.sql("select column_name, data_type from information_schema.columns "
                        "where table_schema = 'main' and table_name = ? order by ordinal_position", [table]).fetchall()
    return "select " + ", ".join(_csv_cell(name, kind) for name, kind in columns) + f' from "{table}"'


def _csv_cell(name: str, kind: str) -> str:
    column = '"' + name.replace('"', '""') + '"'
    if kind not in ("VARCHAR", "JSON"):
        return column
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_START)  # constants of this module, not data
    return f"case when left({column}::varchar, 1) in ({starts}) then chr(39) || {column} else {column} end as {column}"


def _quote(path: Path) -> str:
    # COPY takes no bound parameter for its target; the path is ours, but quote it all the same.
    return str(path).replace("'", "''")


def export_codesheet(store: Store, out: Path, instrument: Instrument, unblind: bool = False) -> int:
    """Write a CSV for human coders: answer_id, condition, (model), answer, one 0/1 column per
    dimension key (NA where the condition did not show that dimension). Rows are in the order of
    their salted ids, which is unrelated to the model."""
    refuse_published(Path(out).parent)
    rows = store.sql(query("coding/open_answers"), {"instrument": instrument.sha256}).fetchall()
    if not rows:
        raise InputError("there are no valid open answers to code.", "collect some with papers collect --task open.")
    ids = _salted_ids([r[0] for r in rows])
    rows.sort(key=lambda r: ids[r[0]])
    with store.transaction():
        store.con.executemany("insert into codesheet_ids (sheet_id, response_id) values (?, ?)",
                              [(ids[r[0]], r[0]) for r in rows])
    _write_sheet(Path(out), rows, ids, instrument, unblind)
    return len(rows)


def _salted_ids(response_ids: list[str]) -> dict[str, str]:
    salt = secrets.token_bytes(16)
    return {rid: hashlib.sha256(salt + rid.encode()).hexdigest()[:24] for rid in response_ids}


def _write_sheet(out: Path, rows, ids: dict[str, str], instrument: Instrument, unblind: bool) -> None:
    keys = instrument.dimension_keys
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow([ID_COLUMN, "condition", *(["model"] if unblind else []), "answer", *keys])
            for rid, condition, model, text in rows:
                shown = instrument.shown(condition)
                cells = [ids[rid], condition, *([model] if unblind else []), text,
                         *["" if k in shown else NOT_SHOWN for k in keys]]
                writer.writerow([spreadsheet_safe(c) for c in cells])
    except OSError as e:
        raise InputError(f"{out}: cannot write the code sheet ({e.strerror or e}).",
                         "give --out a file in a folder you can write to.") from e
