"""The ground the lake stands on: the duckdb pin's extensions loaded offline, lake URLs redacted, and
local stores written in a storage version the pinned duckdb and every later one read."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from papers.cli import cli
from papers.errors import StoreError
from papers.lake.engine import attach, connect, extension_directory, redact_url
from papers.store import open_store


def test_lake_url_passwords_are_redacted():
    assert redact_url("ducklake:postgres:dbname=lake password=s3cret-pass host=h") == \
        "ducklake:postgres:dbname=lake password=[redacted] host=h"
    assert redact_url("ducklake:postgres:postgresql://ana:s3cret-pass@db.example/lake") == \
        "ducklake:postgres:postgresql://ana:[redacted]@db.example/lake"
    assert redact_url("ducklake:catalog.ducklake") == "ducklake:catalog.ducklake"


def test_the_extensions_come_from_their_packages_and_a_local_lake_attaches(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERS_EXTENSION_DIR", str(tmp_path / "extensions"))
    con = connect()
    try:
        installed = dict(con.execute("select extension_name, install_path from duckdb_extensions() "
                                     "where installed").fetchall())
        for name in ("ducklake", "postgres_scanner", "sqlite_scanner"):
            assert installed[name].startswith(str(extension_directory())), name
        attach(con, f"ducklake:{tmp_path / 'lake.ducklake'}", data_path=str(tmp_path / "files"))
        con.execute("create table lake.t as select 42 as answer")
        assert con.execute("select answer from lake.t").fetchall() == [(42,)]
    finally:
        con.close()


def test_a_new_store_is_written_in_a_storage_version_older_duckdb_reads(tmp_path):
    with open_store(tmp_path / "s.duckdb"):
        pass
    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        tags = con.execute("select tags from duckdb_databases() where database_name = current_database()").fetchone()[0]
    finally:
        con.close()
    assert tags.get("storage_version", "").startswith("v1.5.0")


def test_a_lake_not_made_yet_is_named_with_the_fix(tmp_path):
    result = CliRunner().invoke(cli, ["db", "info", "--db", f"ducklake:{tmp_path / 'none.ducklake'}"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot open the lake" in result.output
    assert "nothing has been pushed to this lake yet: papers push --lake URL --data-path DIR creates it" in result.output


def test_another_data_path_is_refused_with_the_lakes_own_and_leaves_no_folder(tmp_path):
    with connect() as con:  # a DuckDB connection closes at the end of its with block
        attach(con, f"ducklake:{tmp_path / 'lake.ducklake'}", data_path=str(tmp_path / "files"))
        con.execute("create table lake.t as select 1 as x")
    with connect() as con, pytest.raises(StoreError) as refused:
        attach(con, f"ducklake:{tmp_path / 'lake.ducklake'}", data_path=str(tmp_path / "elsewhere" / "files"))
    assert "does not match existing data path" in refused.value.message
    assert "leave out --data-path" in refused.value.hint
    assert not (tmp_path / "elsewhere").exists()  # the folders made for the refused path are gone again


def test_a_sqlite_catalogs_folder_is_made_as_a_duckdb_catalogs_is(tmp_path):
    with connect() as con:
        attach(con, f"ducklake:sqlite:{tmp_path / 'new' / 'catalog.sqlite'}", data_path=str(tmp_path / "files"))
        con.execute("create table lake.t as select 1 as x")
    assert (tmp_path / "new" / "catalog.sqlite").is_file()
