"""The scale-out (issue 16): stores pushed into a DuckLake lake, each row exactly once, and audited from it.

The multi-writer tests start a private PostgreSQL cluster (papers.lake.cluster) as the lake's catalog,
on 127.0.0.1 in a temporary folder, stopped at the end; they skip only where PostgreSQL is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from papers.cli import cli
from papers.errors import StoreError
from papers.lake.cluster import postgres_bin, private_cluster
from papers.lake.engine import attach, connect
from papers.store import RESULT_TABLES, query
from papers.stores import open_store

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "data" / "examples"
ROWS = [json.loads(line) for line in (EXAMPLES / "model_responses.jsonl").read_text().splitlines() if line.strip()]
PAPERS = str(Path(sys.executable).parent / "papers")
KEYS = {
    "instruments": "sha256",
    "llm_responses": "response_id",
    "llm_answers": "response_id, dimension",
    "codes": "response_id, coder, dimension",
    "participants": "sample, participant_id, copy",
    "human_answers": "sample, participant_id, copy, instrument_sha256, task, condition, dimension",
    "human_items": "sample, participant_id, copy, item",
}


def cli_ok(*args) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def make_store(path: Path, rows: list[dict], *, survey: bool = False) -> Path:
    """A store holding these model responses (and the example survey)."""
    jsonl = path.with_suffix(".jsonl")
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cli_ok("ingest", "responses", jsonl, "--db", path)
    if survey:
        cli_ok("ingest", "survey", EXAMPLES / "survey_qualtrics.csv", "--sample", "example", "--mapping",
               EXAMPLES / "survey_mapping.yaml", "--demographics", EXAMPLES / "prolific_demographics.csv", "--db", path)
    return path


def more_rows(n_copies: int) -> list[dict]:
    """The example responses again under later trial numbers: more rows with the same shape."""
    return [{**r, "trial": r["trial"] + 1000 * k} for k in range(n_copies) for r in ROWS]


def lake_rows(url: str) -> dict[str, tuple[int, int]]:
    """Per table: (rows, distinct keys) in the lake."""
    con = connect()
    try:
        attach(con, url, read_only=True)
        return {t: con.execute(f"select count(*), count(distinct ({k})) from lake.{t}").fetchone() for t, k in KEYS.items()}
    finally:
        con.close()


def store_rows(path: Path) -> dict[str, int]:
    with open_store(path, read_only=True) as store:
        return {t: store.scalar(f"select count(*) from {t}") for t in KEYS}


def assert_exactly_once(url: str, expected: dict[str, int]) -> None:
    found = lake_rows(url)
    for table, (rows, distinct) in found.items():
        assert rows == distinct, f"{table}: {rows - distinct} duplicate rows"
        assert rows == expected[table], f"{table}: {rows} rows in the lake, {expected[table]} in the stores"


def test_a_lake_that_cannot_be_reached_is_an_error_without_the_password(tmp_path):
    url = "ducklake:postgres:dbname=lake host=127.0.0.1 port=1 user=nobody password=hunter2-secret connect_timeout=2"
    result = CliRunner().invoke(cli, ["db", "info", "--db", url])
    assert result.exit_code == 1, result.output
    assert "cannot open the lake" in result.output and "password=[redacted]" in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["push", "--lake", "ducklake:", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no store here" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("catalog", ["lake.ducklake", "sqlite:lake.sqlite"])
def test_push_to_a_local_lake_copies_each_row_once_and_a_second_push_adds_nothing(tmp_path, catalog):
    store = make_store(tmp_path / "a.duckdb", ROWS, survey=True)
    kind, _, name = catalog.rpartition(":")
    url = f"ducklake:{kind + ':' if kind else ''}{tmp_path / name}"
    first = json.loads(cli_ok("push", "--lake", url, "--data-path", tmp_path / "files", "--db", store, "--json"))
    assert first["inserted"]["llm_responses"] == len(ROWS) and first["inserted"]["participants"] > 0
    copy = tmp_path / "copy.duckdb"
    shutil.copy(store, copy)
    for again in (store, copy):  # the same store, and a copy of it (its runs are the same runs)
        second = json.loads(cli_ok("push", "--lake", url, "--db", again, "--json"))
        assert sum(second["inserted"].values()) == 0
    assert_exactly_once(url, store_rows(store))
    info = cli_ok("db", "info", "--db", url, "--json")
    assert json.loads(info)["tables"]["llm_responses"] == len(ROWS)
    # raw rows reach a lake only through push, which keeps them exactly once
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in more_rows(2)[len(ROWS):]))
    refused = CliRunner().invoke(cli, ["ingest", "responses", str(jsonl), "--db", url])
    assert refused.exit_code == 1 and "a lake takes raw rows only from papers push" in refused.output
    assert "Traceback" not in refused.output
    assert lake_rows(url)["llm_responses"][0] == len(ROWS)


@pytest.mark.slow
def test_a_push_carries_rejects_and_a_run_finished_since_and_reads_only_tables_that_held_rows(tmp_path):
    from papers.lake.push import TABLES, PushReport, _Pusher

    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in ROWS[:20]) + json.dumps({"model": "x", "trial": 1}) + "\n")
    store = tmp_path / "a.duckdb"
    cli_ok("ingest", "responses", jsonl, "--db", store, "--skip-bad-rows")
    with duckdb.connect(str(store)) as con:  # a run not finished yet (a collection still going, or killed)
        con.execute("update runs set finished_at = null")
    url = f"ducklake:{tmp_path / 'lake.ducklake'}"
    first = json.loads(cli_ok("push", "--lake", url, "--data-path", tmp_path / "files", "--db", store, "--json"))
    assert first["inserted"]["rejects"] == 1 and first["inserted"]["runs"] == 1
    with duckdb.connect(str(store)) as con:
        con.execute("update runs set finished_at = current_timestamp")
    second = json.loads(cli_ok("push", "--lake", url, "--db", store, "--json"))
    assert sum(second["inserted"].values()) == 0 and second["batches"] == 1  # the runs' write: finished_at
    third = json.loads(cli_ok("push", "--lake", url, "--db", store, "--json"))
    assert sum(third["inserted"].values()) == 0 and third["batches"] == 0  # nothing to write: no transaction
    con = connect()
    try:
        attach(con, url)
        runs = con.execute("select run_id, finished_at from lake.runs").fetchall()
        assert len(runs) == 1 and runs[0][1] is not None
        assert con.execute("select run_id, row_number, reason from lake.rejects").fetchall() == [
            (runs[0][0], 21, "field 'task': is empty.")]
        # the catalog's own listing and row counts, which spare the push DuckDB's listing and reads of
        # empty tables, agree with what DuckDB says the lake holds
        pusher = _Pusher(con, PushReport(url), 50_000, None)
        assert pusher.lake_tables() == {tuple(r) for r in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'lake'").fetchall()}
        con.execute("delete from lake.rejects")  # a table emptied since still counts as holding rows
        held = pusher.held_rows()
        counts = {t: con.execute(f"select count(*) from lake.{t}").fetchone()[0] for t in TABLES}
        assert {t for t, n in counts.items() if n} | {"rejects"} == held & set(TABLES)
        assert "codes" not in held and "participants" not in held
    finally:
        con.close()


@pytest.fixture(scope="module")
def pg():
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql): the multi-writer lake tests need it")
    with private_cluster() as cluster:
        yield cluster


def start_push(store: Path, url: str, data_path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([PAPERS, "push", "--lake", url, "--data-path", str(data_path), "--db", str(store), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, (out, err)
    return out


@pytest.mark.slow
def test_three_concurrent_pushers_leave_every_row_once_and_the_lake_audits_as_the_union(tmp_path, pg):
    url = f"ducklake:postgres:{pg.create_database('three')}"
    stores = [make_store(tmp_path / "a.duckdb", ROWS[:150], survey=True),
              make_store(tmp_path / "b.duckdb", ROWS[100:]),
              make_store(tmp_path / "c.duckdb", ROWS[50:200], survey=True)]
    union = make_store(tmp_path / "union.duckdb", ROWS, survey=True)
    procs = [start_push(s, url, tmp_path / "files", "--batch", "40", "--json") for s in stores]
    reports = [json.loads(finish(p)) for p in procs]
    assert_exactly_once(url, store_rows(union))
    # what the pushers say they added is what the lake holds: rows of a transaction that lost a
    # conflict and ran again are counted once
    assert sum(r["inserted"]["llm_responses"] for r in reports) == len(ROWS)

    cli_ok("analyze", "--audit", "a1", "--db", url)
    cli_ok("analyze", "--audit", "a1", "--db", union)
    lake_info = json.loads(cli_ok("db", "info", "--db", url, "--json"))
    assert lake_info["tables"]["audits"] == 1
    with open_store(url, read_only=True) as lake, open_store(union, read_only=True) as local:
        assert lake.scalar("select data_sha256 from audits") == local.scalar("select data_sha256 from audits")
        for table in RESULT_TABLES:
            text = f"select * exclude (audit_id) from {table} order by all"
            assert repr(lake.sql(text).fetchall()) == repr(local.sql(text).fetchall()), table  # repr: nan == nan


@pytest.mark.slow
def test_a_pusher_killed_mid_push_loses_and_duplicates_nothing_when_run_again(tmp_path, pg):
    url = f"ducklake:postgres:{pg.create_database('killed')}"
    store = make_store(tmp_path / "big.duckdb", more_rows(8), survey=True)
    other = make_store(tmp_path / "other.duckdb", more_rows(2))
    expected = store_rows(store)
    killed = start_push(store, url, tmp_path / "files", "--batch", "50")
    rival = start_push(other, url, tmp_path / "files", "--batch", "50")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and killed.poll() is None:
        if _responses_in(url) > 100:
            break
        time.sleep(0.2)
    assert killed.poll() is None, "the push finished before it could be killed; give it more rows"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    finish(rival)
    assert _responses_in(url) < expected["llm_responses"]
    # run again, with a password in the URL (the cluster trusts 127.0.0.1, so any password will do)
    secret = "hunter2-not-stored"
    again = start_push(store, f"{url} password={secret}", tmp_path / "files", "--batch", "50")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, (out, err)
    assert_exactly_once(url, expected)
    assert "password=[redacted]" in out and secret not in out + err
    assert secret.encode() not in store.read_bytes()
    assert secret not in pg.dump("killed")
    assert all(secret.encode() not in p.read_bytes() for p in (tmp_path / "files").rglob("*") if p.is_file())


def _responses_in(url: str) -> int:
    con = connect()
    try:
        attach(con, url, read_only=True)
        has = con.execute("select count(*) from duckdb_tables() where database_name = 'lake' "
                          "and table_name = 'llm_responses'").fetchone()[0]
        return con.execute("select count(*) from lake.llm_responses").fetchone()[0] if has else 0
    except (duckdb.Error, StoreError):  # not created yet
        return 0
    finally:
        con.close()


def audit_reads(url: str, audit: str) -> dict[str, str]:
    """What the report of an audit reads (the rows it pinned, its results), as text, and compare's words."""
    with open_store(url, read_only=True, audit=audit) as store:
        params = {"audit": audit, "instrument": store.scalar("select instrument_sha256 from audits where audit_id = ?", [audit])}
        reads = {name: store.frame(query(f"analysis/{name}"), params) for name in
                 ("model_answers", "model_outcomes", "human_answers", "human_items", "codes")}
        reads |= {t: store.frame(f"select * from {t} where audit_id = $audit", params) for t in RESULT_TABLES}
        texts = {name: "\n".join(sorted(map(repr, frame.rows()))) for name, frame in reads.items()}
    texts["compare"] = cli_ok("compare", "example/balanced-1", "example/human-centric-1", "--audit", audit, "--db", url)
    return texts


@pytest.mark.slow
def test_an_audit_reads_the_lake_at_its_snapshot_byte_for_byte_after_more_data_and_maintenance(tmp_path):
    """Pushes after the audit add rows, replace an error the store retried, and a row the audit used is
    edited in the lake; what a report of the audit reads stays byte-identical."""
    url = f"ducklake:{tmp_path / 'lake.ducklake'}"
    store = make_store(tmp_path / "a.duckdb", ROWS, survey=True)
    con = duckdb.connect(str(store))  # one call failed: an error, no answers (as collect stores it)
    rid, raw = con.execute("select response_id, raw_text from llm_responses where status = 'valid' "
                           "order by response_id limit 1").fetchone()
    con.execute("create table saved as select * from llm_answers where response_id = ?", [rid])
    con.execute("delete from llm_answers where response_id = ?", [rid])
    con.execute("update llm_responses set status = 'error', raw_text = null, error = 'timeout' where response_id = ?", [rid])
    con.close()
    cli_ok("push", "--lake", url, "--data-path", tmp_path / "files", "--db", store)
    cli_ok("analyze", "--audit", "a1", "--db", url)
    before = audit_reads(url, "a1")

    con = duckdb.connect(str(store))  # the call retried since: the lake's error is replaced
    con.execute("insert into llm_answers select * from saved")
    con.execute("update llm_responses set status = 'valid', raw_text = ?, error = null where response_id = ?", [raw, rid])
    con.execute("drop table saved")
    con.close()
    cli_ok("push", "--lake", url, "--db", store)
    cli_ok("push", "--lake", url, "--db", make_store(tmp_path / "b.duckdb", more_rows(2)))  # more data arrived
    lake = connect()  # and someone edited a row the audit used, straight in the lake
    try:
        attach(lake, url)
        lake.execute("delete from lake.llm_answers where response_id = (select min(response_id) from lake.audit_responses "
                     "where audit_id = 'a1' and status = 'valid')")
    finally:
        lake.close()
    cli_ok("lake", "maintain", "--lake", url, "--keep-days", "0")
    after = audit_reads(url, "a1")

    # after maintenance, another engine reading the Parquet files the catalog lists sees the lake's rows
    lake = connect()
    try:
        attach(lake, url, read_only=True)
        files = lake.execute("select data_file, delete_file from ducklake_list_files('lake', 'llm_responses')").fetchall()
        truth = lake.execute("select response_id, status from lake.llm_responses order by all").fetchall()
    finally:
        lake.close()
    assert files and all(delete is None for _, delete in files)
    seen = pl.read_parquet([data for data, _ in files]).select("response_id", "status").sort(["response_id", "status"])
    assert seen.rows() == truth and (rid, "valid") in truth

    assert before["model_answers"].count("\n") > 100
    for name, text in before.items():
        assert after[name] == text, name
    with open_store(url, read_only=True) as now:  # the lake itself moved on
        assert now.scalar("select status from llm_responses where response_id = ?", [rid]) == "valid"
        assert now.scalar("select count(*) from llm_responses") == 2 * len(ROWS)


def on_a_terminal(args: list[str], cwd: Path, env: dict | None = None) -> str:
    """What `papers ARGS` writes to a terminal (stdout and stderr on one pseudo-terminal)."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a size
    proc = subprocess.Popen([PAPERS, *args], stdin=child, stdout=child, stderr=child, cwd=cwd, close_fds=True, env=env)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the terminal closed: the process has exited
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=300)
    os.close(main)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.slow
def test_a_push_shows_its_progress_on_a_terminal_and_nothing_else_elsewhere(tmp_path):
    store = make_store(tmp_path / "a.duckdb", more_rows(3))
    url = f"ducklake:{tmp_path / 'lake.ducklake'}"
    shown = on_a_terminal(["push", "--lake", url, "--data-path", str(tmp_path / "files"), "--db", str(store),
                           "--batch", "5"], tmp_path)
    assert re.search(r"pushing batches: +\d+%\|.*\| \d+/156 ", shown) and "Pushed" in shown  # 774 responses, 5 a batch
    quiet = subprocess.run([PAPERS, "push", "--lake", url, "--db", str(store), "--json"], capture_output=True, text=True,
                           cwd=tmp_path, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == "" and json.loads(quiet.stdout)["batches"] == 0


def test_small_batches_of_different_guards_share_a_transaction_full_ones_go_alone():
    from papers.lake.push import grouped

    batches = [("a", "g1", None, 30), ("b", "g2", None, 45), ("c", "g3", None, 40), ("d", "g1", None, 5),
               ("e", "g4", None, 50), ("f", "g5", None, 1), ("g", "g6", None, 50)]
    # small ones together up to two batches' rows; a full batch (50) always alone
    assert [[b[0] for b in g] for g in grouped(batches, 50)] == [["a", "b"], ["c", "d"], ["e"], ["f"], ["g"]]
    # never two batches of one guard in a transaction: each keeps its own all-or-nothing range
    assert [[b[0] for b in g] for g in grouped([("a", "g", None, 1), ("b", "g", None, 1)], 50)] == [["a"], ["b"]]


def test_whole_models_with_the_same_statements_are_written_by_one_statement_under_all_their_guards():
    from papers.lake.push import MODEL_ONE, MODEL_SET, merged

    insert = ("llm_responses", None, f"insert into lake.llm_responses select * from local.llm_responses where {MODEL_ONE}")
    other = ("llm_answers", None, f"insert into lake.llm_answers select * from x where {MODEL_ONE}")
    whole = {"after": None, "upto": None}
    out = merged([("gA", [insert], {"model": "a", **whole}), ("gB", [insert], {"model": "b/it's", **whole}),
                  ("gC", [insert, other], {"model": "c", **whole}),
                  ("gD", [insert], {"model": "d", "after": None, "upto": "r9"}),
                  ("gS", [("participants", None, "insert ... where sample = $sample")],
                   {"sample": "s", "after": None, "upto": None})])
    by_guards = {tuple(g): (statements, params) for g, statements, params in out}
    assert set(by_guards) == {("gA", "gB"), ("gC",), ("gD",), ("gS",)}
    statements, params = by_guards[("gA", "gB")]
    assert statements[0][2].endswith(MODEL_SET) and params == {"models": '["a", "b/it\'s"]', **whole}
    assert by_guards[("gC",)][1] == {"model": "c", **whole}  # other statements: on its own
    assert by_guards[("gD",)][1]["upto"] == "r9"  # a range of a model: on its own, as it was
