"""`papers export`: every public table as Parquet or CSV, for users who script their own analyses."""

from __future__ import annotations

from pathlib import Path

import duckdb

from papers.errors import StoreError
from papers.store import PUBLIC_TABLES, RESULT_TABLES, Store
from papers.text import FORMULA_START


def export_tables(store: Store, out_dir: Path, fmt: str = "parquet") -> dict[str, tuple[Path, int]]:
    """Write each public table and every result_* table to `out_dir/<table>.<fmt>`."""
    if fmt not in ("parquet", "csv"):
        raise StoreError(f"unknown export format '{fmt}'.", "use --format parquet or --format csv.")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"{out_dir}: cannot create the output directory ({e.strerror}).") from e
    results = RESULT_TABLES
    options = "(format parquet, compression zstd)" if fmt == "parquet" else "(format csv, header true)"
    written = {}
    for table in (*PUBLIC_TABLES, *results):
        target = out_dir / f"{table}.{fmt}"
        select = _csv_select(store, table) if fmt == "csv" else f'select * from "{table}"'
        try:
            store.sql(f"copy ({select}) to '{_quote(target)}' {options}")
        except duckdb.Error as e:
            raise StoreError(f"{target}: cannot write ({str(e).splitlines()[0]}).") from e
        written[table] = (target, store.scalar(f'select count(*) from "{table}"'))
    return written


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
