"""The wheel: built, installed into a fresh virtual environment, and run from an empty directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    return next(out.glob("papers_audit-*.whl"))


def test_wheel_ships_queries_reports_and_quarto_config(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "papers/_project/queries/schema/001_init.sql" in names
    assert "papers/_project/_quarto.yml" in names
    assert any(n.startswith("papers/_project/reports/") for n in names)
    assert "papers/instruments/papers.yaml" in names
    assert not any(n.startswith(("tests/", "data/")) for n in names)


def test_installed_wheel_runs_from_an_empty_directory(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # The dependencies are those of this test environment, reached through a .pth file, so the
    # test checks the wheel itself without downloading every dependency again.
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], check=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PAPERS_DB", "PYTHONPATH")}  # nothing may hide the wheel
    papers = str(env_dir / "bin" / "papers")

    def run(*args):
        return subprocess.run([papers, *args], cwd=empty, env=env, capture_output=True, text=True)

    assert run("--help").returncode == 0
    validated = run("instrument", "validate")
    assert validated.returncode == 0 and "papers 1.2.0" in validated.stdout, validated.stderr
    where = subprocess.run([str(python), "-c", "import papers; print(papers.__file__)"], cwd=empty, env=env,
                           capture_output=True, text=True).stdout
    assert str(env_dir) in where, "the installed wheel, not the checkout, must be imported"
    loaded = run("ingest", "responses", str(ROOT / "data" / "examples" / "model_responses.jsonl"))
    assert loaded.returncode == 0, loaded.stderr
    info = json.loads(run("db", "info", "--json").stdout)
    assert info["tables"]["llm_responses"] > 0 and (empty / "data" / "papers.duckdb").exists()
