"""Issue 25, items 4-7: what comes from outside has a size, a depth and (YAML) no aliases; what passes
a limit is an error row or one message naming the file, never a traceback, a lost answer or the
machine's memory (papers/limits.py, README: Guarantees)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from papers.errors import InputError
from papers.limits import MAX_DEPTH, MAX_DOCUMENT_CHARS, DocumentError, load_json, load_yaml
from tests.conftest import query, write
from tests.test_ingest_survey import good, survey_csv

# ----------------------------------------------------------------------------------- YAML


def alias_bomb(levels: int, top: str = "") -> str:
    """Billion laughs: each level an anchored list of nine aliases of the level below (9**(levels + 1)
    strings). Eight levels fit in 512 bytes; a bomb that size took 13.8 s and 2.2 GB to read before
    aliases were refused."""
    lines = [f'{top}a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{top}a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


HOSTILE_YAML = {
    "alias bomb": (alias_bomb(5), "YAML aliases (*a0) are not accepted"),
    "deep": ("x: " + "[" * 5000 + "]" * 5000 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
    "huge": ("x: " + "y" * (MAX_DOCUMENT_CHARS + 10) + "\n", f"more than the {MAX_DOCUMENT_CHARS:,} papers reads"),
    "long number": ("PC: " + "1" * 5000 + "\n", "a value that cannot be read"),
}


def test_the_shared_loader_refuses_aliases_depth_and_size_and_keeps_ordinary_yaml():
    assert load_yaml("a: &x 1\nb: [1, 2]\n") == {"a": 1, "b": [1, 2]}  # an anchor never used is harmless
    for text, said in HOSTILE_YAML.values():
        with pytest.raises(DocumentError, match=re.escape(said)):
            load_yaml(text)
    with pytest.raises(DocumentError, match=r"line 3: YAML aliases \(\*base\)"):
        load_yaml("base: &base {a: 1}\nother:\n  <<: *base\n")  # a merge key is an alias too
    import yaml

    with pytest.raises(yaml.YAMLError):  # ordinary syntax errors stay YAML's, for each caller's wording
        load_yaml("a: [1, 2\n")


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_a_hostile_survey_mapping_is_one_message(kind, tmp_path, db, run):
    f = survey_csv(tmp_path / "s.csv", [good("p1")])
    text, said = HOSTILE_YAML[kind]
    mapping = write(tmp_path / "m.yaml", "values:\n  Q1:\n" + "".join(f"    {line}\n" for line in text.splitlines())
                    if kind == "alias bomb" else text)
    started = time.monotonic()
    out = run("ingest", "survey", f, "--sample", "s", "--mapping", mapping, expect=1).output
    assert time.monotonic() - started < 10
    assert f"{mapping}: cannot read the mapping file" in out and said in out
    assert not db.exists() or query(db, "select count(*) from participants") == [(0,)]


def test_the_512_byte_alias_bomb_of_the_finding_is_refused_at_once(tmp_path, db, run):
    f = survey_csv(tmp_path / "s.csv", [good("p1")])
    bomb = alias_bomb(8, top="")
    assert len(bomb) <= 512
    mapping = write(tmp_path / "m.yaml", bomb)
    started = time.monotonic()
    out = run("ingest", "survey", f, "--sample", "s", "--mapping", mapping, expect=1).output
    assert time.monotonic() - started < 5
    assert "m.yaml: cannot read the mapping file (line 2: YAML aliases (*a0) are not accepted" in out


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_a_hostile_instrument_is_one_message(kind, tmp_path, run):
    text, said = HOSTILE_YAML[kind]
    bad = write(tmp_path / "inst.yaml", text)
    out = run("instrument", "validate", bad, expect=1, with_db=False).output
    assert f"{bad}" in out and said in out


def test_ordinary_bad_instrument_yaml_keeps_its_message(tmp_path, run):
    bad = write(tmp_path / "broken.yaml", "id: x\nversion: 1.0.0\ndimensions: [a, b\n")
    out = run("instrument", "validate", bad, expect=1, with_db=False).output
    assert "broken.yaml, line 4: not valid YAML" in out


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_hostile_simulated_profiles_are_one_message(kind, tmp_path, db, run):
    text, said = HOSTILE_YAML[kind]
    bad = write(tmp_path / "profiles.yaml", text)
    out = run("collect", "--model", "simulated/uniform", "--trials", "1", "--simulated-profiles", bad, expect=1).output
    assert f"{bad}: cannot read the simulated profiles" in out and said in out
    assert not db.exists() or query(db, "select count(*) from llm_responses") == [(0,)]


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_a_hostile_power_profile_is_one_message(kind, tmp_path, run):
    text, said = HOSTILE_YAML[kind]
    bad = write(tmp_path / "people.yaml", text)
    out = run("power", "icc", "--profile", bad, "--target", "0.8", expect=1, with_db=False).output
    assert f"Error: {bad}" in out and said in out


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_hostile_site_settings_are_one_message(kind, tmp_path):
    from papers.report.siteconfig import load_site_config

    text, said = HOSTILE_YAML[kind]
    write(tmp_path / "_quarto.yml", text)
    with pytest.raises(InputError, match="_quarto.yml: cannot read it as YAML") as caught:
        load_site_config(tmp_path)
    assert said in caught.value.message


def test_deeply_nested_toml_site_settings_are_one_message(tmp_path):
    from papers.report.siteconfig import load_site_config

    write(tmp_path / "pyproject.toml", "[tool.papers.site]\ntitle = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(InputError, match="pyproject.toml: cannot read it as TOML"):
        load_site_config(tmp_path)


def test_a_front_matter_with_aliases_gives_no_title_rather_than_expanding_them():
    from papers.report.engines import front_matter_title

    assert front_matter_title('---\npagetitle: "Audit v1"\n---\nbody') == "Audit v1"
    assert front_matter_title("---\n" + alias_bomb(5) + "pagetitle: *a5\n---\nbody") == ""


# ----------------------------------------------------------------------------------- JSON


DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_the_shared_json_loader_refuses_deep_nesting_as_a_value_error():
    assert load_json('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    nested_ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_json(nested_ok) is not None
    for text in (DEEP_JSON, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), '{"a": ' * 500 + "1" + "}" * 500):
        with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH} levels deep"):
            load_json(text)


def audit_folder(root: Path, manifest: str, additions: str | None = None) -> Path:
    folder = root / "a1"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(manifest)
    if additions is not None:
        (folder / "additions.json").write_text(additions)
    return folder


def test_verify_names_a_deeply_nested_manifest(tmp_path, run):
    folder = audit_folder(tmp_path / "site", DEEP_JSON)
    for target in (folder, folder.parent):
        out = run("verify", target, expect=1, with_db=False).output
        assert "manifest.json" in out and f"nested more than {MAX_DEPTH} levels deep" in out
        assert "RecursionError" not in out


def shaped_manifest(**fields) -> str:
    """A manifest with the shape papers checks first (papers.report.manifest.SHAPE), for a folder
    that is not a real audit: verify reads on to additions.json and reports the rest as problems."""
    sha = "0" * 64
    manifest = {"format": "papers-manifest/2", "audit_id": "a1", "created_at": "2026-01-01T00:00:00+00:00",
                "published_at": "2026-01-01T00:00:00+00:00", "instrument": {"id": "papers", "version": "1.0.0",
                                                                            "sha256": sha},
                "data_sha256": sha, "inputs_sha256": sha, "settings": {}, "models": [], "tool_version": "0",
                "versions": {}, "site": {}, "sequence": 1, "previous": None, "rows": {}, "files": {}}
    return json.dumps({**manifest, **fields})


def test_verify_names_a_deeply_nested_additions_file(tmp_path, run):
    folder = audit_folder(tmp_path / "site", shaped_manifest(), additions=DEEP_JSON)
    out = run("verify", folder, expect=1, with_db=False).output
    assert f"additions.json is not readable JSON (nested more than {MAX_DEPTH} levels deep)" in out


def test_verify_names_a_manifest_that_is_deep_inside(tmp_path, run):
    """Nested just below the parser's limit: read, then refused before anything walks it."""
    folder = audit_folder(tmp_path / "site", shaped_manifest(settings=json.loads("[" * 900 + "]" * 900)))
    out = run("verify", folder, expect=1, with_db=False).output
    assert f"is not valid JSON (nested more than {MAX_DEPTH} levels deep)" in out


@pytest.fixture(scope="module")
def audited(tmp_path_factory) -> Path:
    """A store with one small analyzed audit, v1."""
    from click.testing import CliRunner

    from papers.cli import cli

    db = tmp_path_factory.mktemp("audited") / "store.duckdb"
    for args in (["collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven", "--task",
                  "rank", "--trials", "6"], ["analyze", "--audit", "v1", "--bootstrap", "50"]):
        result = CliRunner().invoke(cli, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
    return db


def test_report_names_a_deeply_nested_manifest_in_its_site(audited, tmp_path, run):
    site = tmp_path / "site"
    audit_folder(site, DEEP_JSON)
    out = run("report", "--audit", "v1", "--db", audited, "--site", site, expect=1, with_db=False).output
    assert "a1/manifest.json is not a readable manifest" in out and f"nested more than {MAX_DEPTH} levels deep" in out
    assert sorted(p.name for p in site.iterdir() if not p.name.startswith(".")) == ["a1"]  # .papers-lock aside


def test_export_next_to_a_deeply_nested_manifest_is_not_a_traceback(audited, tmp_path, run):
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    (out_dir / "manifest.json").write_text(DEEP_JSON)  # not a papers manifest: export writes beside it
    run("export", "--format", "csv", "--out", out_dir, "--db", audited, with_db=False)
    assert (out_dir / "runs.csv").is_file()
