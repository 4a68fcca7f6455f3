"""`papers lake maintain`: DuckLake's own maintenance, so the Parquet files hold the truth.

Small commits (a push of a few rows, a guard update) are inlined into the catalog, where only DuckLake
sees them, and deletes are separate files. After a flush, a rewrite of the files with deletes, a merge
of adjacent files, the expiry of old snapshots and the removal of files no snapshot uses, the data files the catalog lists
(`ducklake_list_files`) hold every row; engines that read Parquet directly (polars, Spark) should read
that list, not a folder listing. Snapshots an audit pins (the lake's `audit_snapshots`) are kept,
so that audit can still be read as it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb

from papers.errors import StoreError
from papers.lake.engine import attach, connect, first_line, redact_url
from papers.lake.store import SNAPSHOTS_TABLE


def pinned_snapshots(con) -> set[int]:
    has = con.execute("select count(*) from duckdb_tables() where database_name = 'lake' and schema_name = 'main' "
                      "and table_name = ?", [SNAPSHOTS_TABLE]).fetchone()[0]
    if not has:
        return set()
    return {r[0] for r in con.execute(f"select distinct snapshot_id from lake.main.{SNAPSHOTS_TABLE}").fetchall()}


def maintain(url: str, *, keep_days: float = 7) -> dict:
    con = connect()
    try:
        attach(con, url)
        con.execute("call ducklake_flush_inlined_data('lake')")
        # any file with a deleted row is rewritten without it, so no row hides in a delete file
        con.execute("call ducklake_rewrite_data_files('lake', delete_threshold => 0)")
        con.execute("call ducklake_merge_adjacent_files('lake')")
        pinned = pinned_snapshots(con)
        cutoff = datetime.now(timezone.utc) - timedelta(days=keep_days)
        current = con.execute("select max(snapshot_id) from lake.snapshots()").fetchone()[0]
        old = [sid for sid, at in con.execute("select snapshot_id, snapshot_time from lake.snapshots()").fetchall()
               if at < cutoff and sid not in pinned and sid != current]
        if old:
            con.execute(f"call ducklake_expire_snapshots('lake', versions => {sorted(old)})")
        removed = con.execute("select count(*) from ducklake_cleanup_old_files('lake', cleanup_all => true)").fetchone()[0]
        files = _count_files(con)
    except duckdb.Error as e:
        raise StoreError(f"{redact_url(url)}: maintenance stopped ({redact_url(first_line(e))}).",
                         "run it again; each step is safe to repeat.") from e
    finally:
        con.close()
    return {"lake": redact_url(url), "expired": len(old), "kept_pinned": len(pinned), "files_removed": removed,
            "data_files": files}


def _count_files(con) -> int:
    tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where database_name = 'lake' "
                                        "and schema_name = 'main'").fetchall()]
    return sum(con.execute("select count(*) from ducklake_list_files('lake', ?)", [t]).fetchone()[0] for t in tables)
