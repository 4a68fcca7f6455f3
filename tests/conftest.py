"""Shared fixtures: a temporary store, the CLI runner, small input files written from text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from papers.cli import cli
from papers.instrument import load_instrument

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


_SESSION = pytest.MonkeyPatch()


def pytest_configure(config):
    """litellm reads its model cost map from its own package, never the network, in every test and
    in the processes tests start; set before any test module imports litellm, undone at the end."""
    _SESSION.setenv("LITELLM_LOCAL_MODEL_COST_MAP", os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP", "True"))


def pytest_unconfigure(config):
    _SESSION.undo()


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """Each test runs in its own directory, with no PAPERS_DB from the caller's shell, and leaves the
    environment as it found it: a test changes it through monkeypatch, but the code under test may
    set variables itself (collect and code read API keys from a .env file into the environment)."""
    monkeypatch.delenv("PAPERS_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)
    yield
    for name in set(os.environ) - set(before):
        del os.environ[name]
    os.environ.update(before)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture
def instrument():
    return load_instrument()


def cli_run(*args, expect: int = 0, env: dict | None = None):
    """Invoke the CLI as a user would, without a store appended: the exit code must be `expect`, and
    a failure (exit code 1) shows no traceback."""
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert result.exit_code == expect, (result.output, result.exception)
    if expect == 1:
        assert "Traceback" not in result.output
    return result


@pytest.fixture
def run(db):
    """Invoke the CLI as a user would: `run("ingest", "survey", ...)` with --db appended."""

    def invoke(*args, expect: int | None = 0, with_db: bool = True):
        argv = [str(a) for a in args] + (["--db", str(db)] if with_db else [])
        result = CliRunner().invoke(cli, argv, catch_exceptions=True)
        if expect is not None:
            assert result.exit_code == expect, (result.output, result.stderr if hasattr(result, "stderr") else "", result.exception)
        if result.exit_code == 1:
            assert "Traceback" not in result.output
        return result

    return invoke


def table_snapshot(db: Path) -> dict[str, list]:
    """Every row of every table, to show a failed load changed nothing."""
    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f'select * from "{t}"').fetchall())) for t in tables}
    finally:
        con.close()


def query(db: Path, sql: str, *params) -> list[tuple]:
    """Rows of one query against a store, opened read-only and closed again."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


@pytest.fixture
def snapshot():
    return table_snapshot


@pytest.fixture
def examples() -> Path:
    return ROOT / "data" / "examples"



PARSE_IN_CHILD = """
import json, sys, time
from papers.answers.parse import parse_answer
from papers.instrument import load_instrument
inst = load_instrument()
shown = inst.shown(sys.argv[2])
order = shown if sys.argv[3] == "ordered" else None
out = {}
for name, text in json.load(open(sys.argv[1])).items():
    t = time.perf_counter()
    statuses = [parse_answer(text, task, shown, inst, item_order=order).status for task in ("rank", "rate")]
    out[name] = (time.perf_counter() - t, statuses)
print(json.dumps(out))
"""


def parse_in_child(tmp_path: Path, answers: dict[str, str], condition: str, *, ordered: bool) -> dict[str, list]:
    """Parse each answer as a ranking and as a rating of the bundled instrument's `condition` (with the
    shown order as item_order when `ordered`) in a child process with a hard time limit, so that a
    parser gone quadratic fails instead of hanging: {name: [seconds, [rank status, rate status]]}."""
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    done = subprocess.run([sys.executable, "-c", PARSE_IN_CHILD, str(tmp_path / "answers.json"), condition,
                           "ordered" if ordered else "unordered"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)
