"""The command line as a user meets it: help, version, the README's reference, start-up weight."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from papers import __version__
from papers.cli import cli
from tests.conftest import ROOT


def all_commands(group=cli, prefix=()):
    for name, command in group.commands.items():
        path = prefix + (name,)
        if isinstance(command, click.Group):
            yield from all_commands(command, path)
        else:
            yield path


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"papers, version {__version__}"


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    commands = list(all_commands())
    assert len(commands) >= 6
    for path in commands:
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage: " in result.output and len(result.output.splitlines()) > 3
        assert f"`papers {' '.join(path)}" in readme, f"papers {' '.join(path)} is missing from the README reference"


def test_unknown_command_and_missing_option():
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2 and "No such command" in result.output
    result = CliRunner().invoke(cli, ["ingest", "survey", "x.csv"])
    assert result.exit_code == 2 and "Missing option '--sample'" in result.output


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
