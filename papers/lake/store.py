"""A Store on a lake: `--db ducklake:...` opens the lake as the connection's default database, so the
commands' queries read (and `analyze` writes) it as they would a local file.

An audit made on a lake pins the lake's snapshot: `papers analyze` records the snapshot its commit
made in the lake's `audit_snapshots` table, and the commands that read an audit (report, brief,
compare, export --audit) open the lake as it was at that snapshot (DuckLake time travel), so the
audit reads the same rows, byte for byte, whatever was pushed since. `papers lake maintain` never
expires a pinned snapshot.

The store's `path` is the URL with its password redacted, so messages can name it."""

from __future__ import annotations

import duckdb

from papers.errors import StoreError
from papers.lake.engine import attach, connect, current_snapshot, first_line, redact_url
from papers.lake.schema import check_lake_version, create_schema, has_schema


def _refuse_raw_writes(store) -> None:
    raise StoreError(f"{store.path}: a lake takes raw rows only from papers push; ingest, collect and code write "
                     "to a local store.", "run the command with --db FILE (a local store), then papers push --lake URL.")


def open_lake_store(url: str, *, read_only: bool = False, audit: str | None = None):
    from papers.store import Store, configure

    class LakeStore(Store):
        """Reads, and writes audits; raw rows (which every load, collection and coding run registers
        first) come only through papers push, which keeps them exactly once."""

        def register_instrument(self, instrument) -> None:
            _refuse_raw_writes(self)

        def start_run(self, *args, **kwargs) -> int:
            _refuse_raw_writes(self)

    con = connect()
    try:
        attach(con, url, read_only=read_only)
        snapshot = audit_snapshot(con, audit) if read_only and audit else None
        if snapshot is not None:
            con.execute("detach lake")
            attach(con, url, read_only=True, snapshot=snapshot)
        if not has_schema(con):
            if read_only:
                raise StoreError(f"{redact_url(url)}: the lake holds no papers tables yet.",
                                 "push a store to it first (papers push --lake URL).")
            con.begin()
            create_schema(con)
            con.commit()
        check_lake_version(con)
        con.execute("use lake")
        store = LakeStore(redact_url(url), con)
        configure(store)
    except duckdb.Error as e:
        con.close()
        raise StoreError(f"{redact_url(url)}: cannot read the lake ({redact_url(first_line(e))}).") from e
    except BaseException:
        con.close()
        raise
    return store


SNAPSHOTS_TABLE = "audit_snapshots"


def audit_snapshot(con: duckdb.DuckDBPyConnection, audit: str) -> int | None:
    """The snapshot the audit's latest analysis pinned, if the lake holds one."""
    found = con.execute("select count(*) from duckdb_tables() where database_name = 'lake' and schema_name = 'main' "
                        "and table_name = ?", [SNAPSHOTS_TABLE]).fetchone()[0]
    if not found:
        return None
    row = con.execute(f"select max(snapshot_id) from lake.main.{SNAPSHOTS_TABLE} where audit_id = ?", [audit]).fetchone()
    return row[0] if row else None


def record_audit_snapshot(store, audit: str) -> int:
    """After `analyze` committed an audit on a lake: pin the snapshot that holds it."""
    con = store.con
    snapshot = current_snapshot(con)
    con.execute(f"create table if not exists lake.main.{SNAPSHOTS_TABLE} "
                "(audit_id varchar, snapshot_id bigint, recorded_at timestamptz default current_timestamp)")
    con.execute(f"insert into lake.main.{SNAPSHOTS_TABLE} (audit_id, snapshot_id) values (?, ?)", [audit, snapshot])
    return snapshot
