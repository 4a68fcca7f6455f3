"""The papers schema inside a lake: the store's tables and shared views, without what DuckLake lacks.

DuckLake has no primary keys, unique constraints, CHECK constraints or sequences, so the lake's
tables are made from the local schema (every migration applied to an in-memory database) with
column names, types and plain defaults only. Keys are kept by `papers push` instead (a guard per
model and per sample, see papers.lake.push), and `runs.run_id` is given by the pusher. The lake's
`schema_version` lists the migrations its tables follow.
"""

from __future__ import annotations

import duckdb

from papers.errors import StoreError
from papers.store import Store, migrate, migrations

GUARD_SCHEMA = "papers_guards"


def local_schema() -> tuple[list[tuple[str, list[tuple[str, str, str | None]]]], list[str]]:
    """The tables (name, [(column, type, default)]) and views (CREATE VIEW statements) of a new store."""
    con = duckdb.connect()
    try:
        migrate(Store(":memory:", con))
        tables = []
        for (name,) in con.execute("select table_name from duckdb_tables() where database_name = current_database() "
                                   "order by table_name").fetchall():
            columns = con.execute("select column_name, data_type, column_default from duckdb_columns() "
                                  "where database_name = current_database() and table_name = ? order by column_index",
                                  [name]).fetchall()
            tables.append((name, columns))
        views = [sql for (sql,) in con.execute(
            "select sql from duckdb_views() where database_name = current_database() and not internal "
            "order by view_name").fetchall()]
        return tables, views
    finally:
        con.close()


def _column(name: str, kind: str, default: str | None) -> str:
    text = f'"{name}" {kind}'
    if default and "nextval" not in default.lower():
        text += f" default {default}"
    return text


def has_schema(con: duckdb.DuckDBPyConnection, alias: str = "lake") -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where database_name = ? and schema_name = 'main' "
                            "and table_name = 'schema_version'", [alias]).fetchone()[0])


def lake_version(con: duckdb.DuckDBPyConnection, alias: str = "lake") -> int:
    return con.execute(f"select coalesce(max(version), 0) from {alias}.main.schema_version").fetchone()[0]


def create_schema(con: duckdb.DuckDBPyConnection, alias: str = "lake") -> bool:
    """Create the papers tables and views in the lake (inside the caller's transaction) unless they
    exist; True if created. Two machines creating them at once conflict at commit; the loser retries
    and finds them."""
    if has_schema(con, alias):
        check_lake_version(con, alias)
        return False
    tables, views = local_schema()
    before = con.execute("select current_database()").fetchone()[0]
    con.execute(f"use {alias}")
    try:
        con.execute(f"create schema if not exists {alias}.{GUARD_SCHEMA}")
        for name, columns in tables:
            body = ", ".join(_column(*c) for c in columns)
            con.execute(f'create table {alias}.main."{name}" ({body})')
        for sql in views:
            con.execute(sql)
        for number, _ in migrations():
            con.execute(f"insert into {alias}.main.schema_version (version) values (?)", [number])
    finally:
        con.execute(f"use {before}")
    return True


def check_lake_version(con: duckdb.DuckDBPyConnection, alias: str = "lake") -> int:
    version, latest = lake_version(con, alias), migrations()[-1][0]
    if version != latest:
        newer = version > latest
        raise StoreError(
            f"the lake's tables follow schema version {version}, this papers knows {latest}.",
            "upgrade papers on this machine." if newer else
            "papers does not migrate a lake yet: create a new lake and push every store to it again.",
        )
    return version
