"""The store: migrations, version checks, keys, db info, export."""

from __future__ import annotations

import json
import re

import duckdb
import polars as pl
import pytest

import papers.store as store_module
from papers.errors import StoreError
from papers.store import PUBLIC_TABLES, open_store


def test_new_store_has_every_public_table_and_a_version(db):
    store = open_store(db)
    tables = {r[0] for r in store.sql("select table_name from information_schema.tables").fetchall()}
    assert set(PUBLIC_TABLES) | {"schema_version"} <= tables
    assert store.schema_version() == store_module.migrations()[-1][0]
    columns = {r[0] for r in store.sql("select column_name from information_schema.columns where table_name = 'llm_responses'").fetchall()}
    assert {"response_id", "run_id", "model", "model_reported", "instrument_sha256", "task", "condition", "trial",
            "item_order", "temperature", "prompt", "raw_text", "status", "error", "latency_ms", "input_tokens",
            "output_tokens", "cost_usd", "created_at"} <= columns
    store.close()


def test_older_store_is_migrated(db, tmp_path, monkeypatch):
    original = store_module.migrations()
    monkeypatch.setattr(store_module, "migrations", lambda: original[:1])
    open_store(db).close()  # a store made by a papers that knew only migration 001
    latest = original[-1][0] + 1
    extra = tmp_path / f"{latest:03d}_add_note.sql"
    extra.write_text("alter table runs add column note varchar;")
    monkeypatch.setattr(store_module, "migrations", lambda: original + [(latest, extra)])
    store = open_store(db)
    assert store.schema_version() == latest
    assert [r[0] for r in store.sql("select version from schema_version order by 1").fetchall()] == [
        n for n, _ in original] + [latest]
    tables = {r[0] for r in store.sql("select table_name from information_schema.tables").fetchall()}
    assert "llm_errors" in tables
    assert "note" in {r[0] for r in store.sql("select column_name from information_schema.columns where table_name = 'runs'").fetchall()}
    store.close()


def test_newer_store_is_refused(db, run):
    store = open_store(db)
    store.sql("insert into schema_version (version) values (99)")
    store.close()
    with pytest.raises(StoreError, match="schema version 99, newer than"):
        open_store(db)
    result = run("db", "info", expect=1)
    assert "newer than this papers" in result.output and "upgrade papers" in result.output


def test_not_a_papers_store(tmp_path, run):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    result = run("db", "info", "--db", other, expect=1, with_db=False)
    assert "not a papers store" in result.output
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_text("hello")
    result = run("db", "info", "--db", garbage, expect=1, with_db=False)
    assert "garbage.duckdb" in result.output and "Traceback" not in result.output


def test_keys_make_duplicates_impossible(db):
    store = open_store(db)
    row = ("r1", 1, "m", "sha", "rank", "non_sentient", 0, "x", "valid")
    insert = ("insert into llm_responses (response_id, run_id, model, instrument_sha256, task, condition, trial,"
              " raw_text, status) values (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    store.sql(insert, list(row))
    with pytest.raises(duckdb.ConstraintException):
        store.sql(insert, list(row))
    with pytest.raises(duckdb.ConstraintException):
        store.sql(insert, ["r2", 1, "m", "sha", "rank", "non_sentient", 0, "x", "maybe"])
    store.sql("insert into llm_answers values ('r1', 'EI', 1, null)")
    with pytest.raises(duckdb.ConstraintException):
        store.sql("insert into llm_answers values ('r1', 'EI', 2, null)")
    codes = "insert into codes (response_id, coder, dimension, is_present, evidence) values "
    store.sql(codes + "('r1', 'alice', 'EI', true, 'x')")
    with pytest.raises(duckdb.ConstraintException):
        store.sql(codes + "('r1', 'alice', 'EI', false, 'y')")
    store.close()


def test_db_env_var_and_default_path(tmp_path, monkeypatch, examples):
    from click.testing import CliRunner

    from papers.cli import cli

    monkeypatch.setenv("PAPERS_DB", str(tmp_path / "env.duckdb"))
    result = CliRunner().invoke(cli, ["ingest", "responses", str(examples / "model_responses.jsonl")])
    assert result.exit_code == 0 and (tmp_path / "env.duckdb").exists()
    monkeypatch.delenv("PAPERS_DB")
    result = CliRunner().invoke(cli, ["ingest", "responses", str(examples / "model_responses.jsonl")])
    assert result.exit_code == 0 and (tmp_path / "data" / "papers.duckdb").exists()


def test_db_info_text_and_json(run, examples):
    loaded = run("ingest", "survey", examples / "survey_qualtrics.csv", "--sample", "example",
                 "--mapping", examples / "survey_mapping.yaml").output
    run("ingest", "responses", examples / "model_responses.jsonl")
    info = json.loads(run("db", "info", "--json").output)
    assert info["schema_version"] >= 1
    assert info["tables"]["participants"] == 403 and info["tables"]["llm_responses"] > 200
    assert [i["id"] for i in info["instruments"]] == ["papers"]
    # the example survey as data/examples/make_examples.py wrote it, counted from its columns without papers: 403 records of
    # 400 people; excluded: 23 unfinished, 16 failed attention checks, 10 tied rankings (one of them also failed
    # the attention check) and 3 second copies of a participant
    excluded = 23 + 16 + 10 - 1 + 3
    assert info["samples"] == [{"sample": "example", "participants": 400, "excluded": excluded, "duplicates": 3}]
    text = run("db", "info").output
    assert "schema version" in text and "papers 1.2.0  sha256" in text
    assert f"example: 400 participants, {excluded} excluded records (3 of them repeat a participant ID)" in text
    # the load counts people as db info does, and says where the other 3 records went
    assert f"403 rows; 400 participants, {excluded} excluded records, 3 duplicates." in loaded
    assert ("3 records repeat a participant ID already in sample example: they are kept, excluded as duplicates "
            "and not counted as participants again") in loaded


def test_db_info_prints_times_to_the_second_with_their_time_zone(run, examples, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")  # a local zone is converted, not printed as UTC's digits
    run("ingest", "responses", examples / "model_responses.jsonl")
    text = run("db", "info").output
    line = next(x for x in text.splitlines() if x.strip().startswith("ingest_responses"))
    assert re.fullmatch(r"\s+ingest_responses\s+1  last \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", line), line
    info = json.loads(run("db", "info", "--json").output)
    assert info["runs"][0]["last"].endswith("+00:00")  # JSON keeps the full ISO 8601 timestamp


def test_db_info_without_store(run):
    result = run("db", "info", expect=1)
    assert "no store here yet" in result.output


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_writes_every_public_table(fmt, tmp_path, run, examples):
    run("ingest", "responses", examples / "model_responses.jsonl")
    out = tmp_path / "exports"
    result = run("export", "--format", fmt, "--out", out)
    for table in PUBLIC_TABLES:
        assert (out / f"{table}.{fmt}").exists(), table
        assert f"{table}.{fmt}" in result.output
    frame = pl.read_parquet(out / "llm_responses.parquet") if fmt == "parquet" else pl.read_csv(out / "llm_responses.csv")
    assert frame.height == 258 and "raw_text" in frame.columns


def test_export_to_an_unwritable_place(tmp_path, run, examples):
    run("ingest", "responses", examples / "model_responses.jsonl")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("export", "--out", blocker / "sub", expect=1)
    assert "cannot create the output directory" in result.output


# ------------------------------------------------------------------------------------ damaged stores


@pytest.fixture
def loaded(db, run, examples):
    run("ingest", "responses", examples / "model_responses.jsonl")
    return db


def test_a_store_cut_short_is_named_not_a_traceback(loaded, run):
    size = loaded.stat().st_size
    with open(loaded, "r+b") as f:
        f.truncate(size // 2)
    for args in (["db", "info"], ["ingest", "responses", "x.jsonl"], ["export", "--out", "out"]):
        if args[1] == "responses":
            (loaded.parent / "x.jsonl").write_text('{"model": "m", "task": "rank", "condition": "sentient", '
                                                   '"trial": 0, "raw_text": "x"}\n')
        result = run(*args, "--db", loaded, with_db=False, expect=1)
        assert f"Error: {loaded}: the store is damaged and cannot be read" in result.output, (args, result.output)
        assert "restore the file from a backup" in result.output


def test_a_store_with_flipped_bits_is_named_not_a_traceback(loaded, run):
    data = bytearray(loaded.read_bytes())
    for offset in range(12288, len(data), 7919):
        data[offset] ^= 0xFF
    loaded.write_bytes(data)
    result = run("db", "info", expect=1)
    assert f"Error: {loaded}: the store is damaged and cannot be read (Corrupt database file" in result.output


def test_migrations_are_applied_by_number_not_by_the_highest(db, tmp_path, monkeypatch):
    # two migrations of its own, so that no shipped migration has to be left out of the chain
    original = store_module.migrations()
    earlier, later = original[-1][0] + 1, original[-1][0] + 2
    first = tmp_path / f"{earlier:03d}_add_a.sql"
    first.write_text("alter table runs add column a varchar;")
    second = tmp_path / f"{later:03d}_add_b.sql"
    second.write_text("alter table runs add column b varchar;")
    monkeypatch.setattr(store_module, "migrations", lambda: original + [(later, second)])  # merged before the other
    open_store(db).close()
    monkeypatch.setattr(store_module, "migrations", lambda: original + [(earlier, first), (later, second)])
    store = open_store(db)
    assert [r[0] for r in store.sql("select version from schema_version order by 1").fetchall()] == [
        n for n, _ in original] + [earlier, later]
    assert {"a", "b"} <= {r[0] for r in store.sql("select column_name from information_schema.columns "
                                                  "where table_name = 'runs'").fetchall()}
    store.close()


def test_export_where_a_file_cannot_be_written(loaded, run, tmp_path):
    out = tmp_path / "out"
    (out / "llm_responses.csv").mkdir(parents=True)  # a folder where the file should go
    result = run("export", "--format", "csv", "--out", out, expect=1)
    assert f"Error: {out / 'llm_responses.csv'}: cannot write" in result.output


@pytest.mark.slow
def test_a_new_store_killed_before_its_first_checkpoint_opens_again(tmp_path):
    """Migrations are checkpointed: the WAL of a process killed right after creating the store
    holds only its rows (DuckDB cannot replay migration 009 from a WAL)."""
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "new.duckdb"
    code = ("import os, signal\nfrom papers.store import open_store\n"
            f"store = open_store({str(path)!r})\n"
            "store.sql(\"insert into llm_errors (response_id, run_id, attempt, error) values ('r', 1, 1, 'x')\")\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent, timeout=120)
    with open_store(path, read_only=True) as store:
        assert store.scalar("select count(*) from llm_errors") == 1


def test_a_store_in_a_newer_duckdb_format_says_how_to_convert_it(tmp_path, run, monkeypatch):
    """duckdb 2.x writes files duckdb 1.5 cannot read (its message, as 1.5.5 words it, is raised here
    because a file in that format cannot be written by the pinned duckdb)."""
    path = tmp_path / "from_duckdb_2.duckdb"
    path.write_bytes(b"\0" * 4096)

    def newer(*args, **kwargs):
        raise duckdb.IOException("IO Error: Trying to read a database file with version number 999, but we can "
                                 "only read versions between 64 and 68.")

    monkeypatch.setattr(store_module.duckdb, "connect", newer)
    result = run("db", "info", "--db", path, expect=1, with_db=False)
    assert f"{path}: written by a newer DuckDB than the {duckdb.__version__} papers runs on" in result.output
    assert "STORAGE_VERSION 'v1.5.0'" in result.output and "COPY FROM DATABASE" in result.output
    assert path.read_bytes() == b"\0" * 4096


def test_a_command_that_only_reads_upgrades_an_older_store_first(db, tmp_path, monkeypatch, run):
    """A store written by an older papers, read by `papers db info` (read-only): the reading command
    used to miss the newer tables (a traceback in papers brief); it is migrated first, then read."""
    original = store_module.migrations()
    monkeypatch.setattr(store_module, "migrations", lambda: original[:1])
    open_store(db).close()  # a store made by a papers that knew only migration 001
    monkeypatch.setattr(store_module, "migrations", lambda: original)
    with open_store(db, read_only=True) as store:
        assert not store_module.pending(store)
        assert "result_revealed" in {r[0] for r in store.sql("select table_name from information_schema.tables").fetchall()}
    result = run("db", "info", "--json")
    assert json.loads(result.output)["schema_version"] == original[-1][0]


def test_an_older_store_that_cannot_be_written_is_named_with_what_to_do(db, monkeypatch):
    original = store_module.migrations()
    monkeypatch.setattr(store_module, "migrations", lambda: original[:1])
    open_store(db).close()
    monkeypatch.setattr(store_module, "migrations", lambda: original)
    real_connect = duckdb.connect

    def locked(path, read_only=False, config=None):  # another process writing to it holds the lock
        if not read_only:
            raise duckdb.IOException("Could not set lock on file: Conflicting lock is held")
        return real_connect(path, read_only=True, config=config)

    monkeypatch.setattr(store_module.duckdb, "connect", locked)
    with pytest.raises(StoreError) as caught:
        open_store(db, read_only=True)
    monkeypatch.undo()
    assert "written by an older papers and must be upgraded" in str(caught.value)
    assert "wait for the papers command using it to finish" in caught.value.hint


def test_a_long_list_is_bound_as_one_json_text_and_reads_back_as_given():
    from papers.store import listed, open_store

    values = ["plain", "it's \"quoted\"", "ünïcode ✓ 𝔘", "new\nline\ttab", "", None, "back\\slash", "\x00nul"]
    with open_store(":memory:") as store:
        got = store.sql("select unnest(from_json(?, '[\"VARCHAR\"]'))", [listed(values)]).fetchall()
        assert [r[0] for r in got] == values
        numbers = store.sql("select unnest(from_json(?, '[\"BIGINT\"]'))", [listed([2**40, -1, None])]).fetchall()
        assert [r[0] for r in numbers] == [2**40, -1, None]
        nested = store.sql("select unnest(from_json(?, '[[\"VARCHAR\"]]'))", [listed([["EI", "PR"], []])]).fetchall()
        assert [r[0] for r in nested] == [["EI", "PR"], []]


def test_long_lived_imports_pause_the_collector_and_freeze_what_they_made():
    import gc

    from papers.startup import long_lived

    frozen = gc.get_freeze_count()
    with long_lived():
        assert not gc.isenabled()
        made = [[i] for i in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(made)
    gc.unfreeze()  # give the test process its collector back
