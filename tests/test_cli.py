"""The command line as a user meets it: version, errors, start-up weight, escaping (help and the README's
reference: test_docs.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from papers import __version__
from papers.cli import cli
from tests.conftest import ROOT


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"papers, version {__version__}"


def test_unknown_command_and_missing_option():
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2 and "No such command" in result.output
    result = CliRunner().invoke(cli, ["ingest", "survey", "x.csv"])
    assert result.exit_code == 2 and "Missing option '--sample'" in result.output


@pytest.mark.slow  # a fresh interpreter, so that nothing imported by other tests hides a heavy import
def test_help_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from papers.cli import cli\n"
        "r = CliRunner().invoke(cli, ['--help'])\n"
        "assert r.exit_code == 0\n"
        "heavy = {'litellm', 'pingouin', 'polars', 'duckdb', 'scipy', 'matplotlib', 'numpy', 'jinja2'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text().split("\n## ")[0]
    assert "make demo" in head and "make test" in head
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


EVIL = "evil\x1b]0;owned\x07\x1b[2J\u202emodel"


def test_control_sequences_from_data_are_escaped_when_printed(tmp_path, run):
    import json

    rows = [{"model": name, "task": "rank", "condition": "non_sentient", "trial": t,
             "raw_text": json.dumps({"ranking": order if t % 2 else order[::-1]})}
            for name, order in ((EVIL, ["EI", "PR", "PC", "AG", "RF"]), ("plain", ["RF", "AG", "PC", "PR", "EI"]))
            for t in range(6)]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run("ingest", "responses", path)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"model,task,condition,trial,raw_text\nm,{EVIL},non_sentient,0,x\n")
    outputs = [run("analyze", "--audit", "a", "--bootstrap", "50").output,
               run("compare", EVIL, "plain", "--audit", "a").output,
               run("compare", EVIL, "nobody", "--audit", "a", expect=1).output,
               run("ingest", "responses", bad, expect=1).output]
    for output in outputs:
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
    assert "evil\\x1b]0;owned\\x07\\x1b[2J\\u202emodel" in outputs[1] + outputs[2]


@pytest.mark.parametrize("argv, exit_code", [
    (["analyze", "--audit", "a", "--json"], 1),  # a PapersError: no store here yet
    (["collect", "--model", "simulated/uniform", "--trials", "0", "--json"], 2),  # a usage error
])
def test_json_output_is_json_when_a_command_fails(argv, exit_code, tmp_path, monkeypatch, capsys):
    from papers import cli as cli_module

    monkeypatch.setattr(sys, "argv", ["papers", *argv, "--db", str(tmp_path / "s.duckdb")])
    with pytest.raises(SystemExit) as stopped:
        cli_module.main()
    assert stopped.value.code == exit_code
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["exit_code"] == exit_code and document["error"] and document["error"] in err


@pytest.mark.parametrize("argv", [
    ["analyze", "--audit", "x"],
    ["code", "--coder", "simulated/coder"],
    ["code", "--coder", "simulated/coder", "--dry-run"],
    ["export", "codesheet", "--out", "sheet.csv"],
    ["ingest", "codes", "filled.csv", "--coder", "alice"],
])
def test_a_command_that_needs_answers_refuses_a_mistyped_store_and_creates_nothing(argv, tmp_path):
    """A mistyped --db (or none, at a folder without data/) is refused as `db info` refuses it: the
    store's path and "no store here yet", exit 1, and no folder or store file left behind."""
    (tmp_path / "filled.csv").write_text("answer_id,EI\nx,1\n")
    missing = tmp_path / "nonexistent" / "dir" / "x.duckdb"
    for db in ([], ["--db", str(missing)]):
        result = CliRunner().invoke(cli, [*argv, *db])
        assert result.exit_code == 1, result.output
        shown = "data/papers.duckdb" if not db else str(missing)
        assert f"Error: {shown}: no store here yet." in result.output and "Traceback" not in result.output
        assert "--db" in result.output  # the hint names the option to fix
    assert not (tmp_path / "nonexistent").exists() and not (tmp_path / "data").exists()
