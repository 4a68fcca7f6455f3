"""Every command has help and a row in the command table of the docs' reference, and every row names
a command; every public statistics function is documented as pingouin documents its functions; the
README is a front door of at most 200 lines whose links lead into the docs.

Modelled on tests/test_docs.py in simonw/sqlite-utils: the click group is walked, so a new command
without help or without a row in docs/reference/cli.md fails here by name. The examples in the statistics'
docstrings run as doctests (`--doctest-modules` on papers/analysis in pyproject.toml).
"""

from __future__ import annotations

import importlib
import inspect
import re

import click
import pytest
from click.testing import CliRunner

from papers.cli import cli
from tests.conftest import ROOT


def walk(group: click.Group = cli, prefix: tuple[str, ...] = ()):
    """(path, command) for every command and group below `group`, depth first."""
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from walk(command, path)


COMMANDS = list(walk())
# what a user runs: every command that is not a group, and every group that runs by itself (`papers export`)
RUNNABLE = [path for path, command in COMMANDS
            if not isinstance(command, click.Group) or command.invoke_without_command]


def reference_rows() -> list[str]:
    """The first cell of each row of the command table of the docs' reference (docs/reference/cli.md)."""
    page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    return [line.split("|")[1].strip() for line in page.splitlines() if line.startswith("| `papers")]


def command_words(cell: str) -> tuple[str, ...]:
    """`papers power rank-difference --delta D` -> ("power", "rank-difference"): the words before the
    first option or placeholder."""
    words = []
    for word in cell.strip("`").split()[1:]:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            break
        words.append(word)
    return tuple(words)


def test_the_reference_table_is_found():
    rows = reference_rows()
    assert len(rows) >= len(RUNNABLE), rows
    assert command_words("`papers compare A B --audit NAME`") == ("compare",)
    assert command_words("`papers export --format parquet\\|csv --out DIR`") == ("export",)
    assert command_words("`papers --version`") == ()


@pytest.mark.parametrize("path", [()] + [path for path, _ in COMMANDS], ids=lambda p: " ".join(("papers", *p)))
def test_command_has_help(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ") and "Options:" in result.output
    command = cli
    for name in path:
        command = command.commands[name]
    assert (command.help or "").strip(), f"papers {' '.join(path)} has no help text"


@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: " ".join(("papers", *p)))
def test_command_is_in_the_reference(path):
    documented = {command_words(cell) for cell in reference_rows()}
    assert path in documented, f"papers {' '.join(path)} is missing from the command table of docs/reference/cli.md"


def test_every_row_of_the_reference_names_a_command():
    known = {()} | {path for path, _ in COMMANDS}
    stale = [cell for cell in reference_rows() if command_words(cell) not in known]
    assert not stale, f"docs/reference/cli.md rows for commands papers does not have: {stale}"


ANALYSIS = ("stats", "structure", "claims", "audit", "power")
PUBLIC_FUNCTIONS = [(module, name) for module in ANALYSIS
                    for name, function in inspect.getmembers(importlib.import_module(f"papers.analysis.{module}"),
                                                             inspect.isfunction)
                    if not name.startswith("_") and function.__module__ == f"papers.analysis.{module}"]


@pytest.mark.parametrize(("module", "name"), PUBLIC_FUNCTIONS, ids=[f"{m}.{n}" for m, n in PUBLIC_FUNCTIONS])
def test_statistics_functions_have_numpydoc_sections_and_an_example(module, name):
    doc = "\n" + (inspect.getdoc(getattr(importlib.import_module(f"papers.analysis.{module}"), name)) or "")
    missing = [s for s in ("Parameters", "Returns", "Notes", "References") if f"\n{s}\n{'-' * len(s)}\n" not in doc]
    assert not missing, f"papers.analysis.{module}.{name}: no {', '.join(missing)} section"
    assert "\n>>> " in doc, f"papers.analysis.{module}.{name}: no example to run as a doctest"
    references = doc.split("\nReferences\n----------\n", 1)[1]
    assert re.search(r"\(\d{4}\)", references), f"papers.analysis.{module}.{name}: a reference without its year"


NUMBER_WORDS = {"three": 3, "eight": 8, "ten": 10, "eleven": 11}


def test_the_readme_counts_the_demos_models_as_the_demo_runs_them():
    """The README's demo paragraph names as many models as the report shows: the Makefile's simulated
    models plus the models of the bundled example answers."""
    import json

    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    demo = make.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    if "$(DEMO_MODELS)" in demo:  # the models are listed once, in a variable the demo's collect lines use
        demo = make.split("\nDEMO_MODELS :=", 1)[1].split("\n\n", 1)[0]
    simulated = set(re.findall(r"--model (simulated/\S+)", demo))
    lines = (ROOT / "data" / "examples" / "model_responses.jsonl").read_text(encoding="utf-8").splitlines()
    examples = {json.loads(line)["model"] for line in lines if line.strip()}
    paragraph = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split("The demo ", 1)[1].split("\n\n")[0].split())
    said = {NUMBER_WORDS[w]: w for w in re.findall(r"\b(three|eight|ten|eleven) (?:example|simulated) models", paragraph)}
    assert set(said) == {len(examples), len(simulated)}, paragraph
    assert f"the {len(examples) + len(simulated)} models" in paragraph


def test_the_readme_is_a_front_door_whose_links_lead_somewhere():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    links = re.findall(r"\]\(([^)#:]+)\)", readme)
    assert len(links) >= 10
    for link in links:
        assert (ROOT / link).exists(), f"the README links to {link}, which does not exist"
    pages = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts}
    linked = {link for link in links if link.startswith("docs/")}
    assert pages - {"docs/index.md"} <= linked, f"docs pages the README does not link: {pages - linked}"
