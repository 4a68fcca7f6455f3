"""Audits over time on a published site (issue 27, items 3 and 5, and its "Done when"): one store, two
collection rounds of simulated/steady and simulated/shifting (whose profile moves between them),
audits q1 (--until) and q2 (--since), both published into one site: a history page per model, a
compare page and results.json per audit, an Atom feed and a sitemap, each covered by the manifests
or the signed head, so that papers verify passes and fails when any of them is altered."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from papers.report.context import slug
from tests.test_windows import MODELS, cli_run, make_rounds

SETTINGS = """
[tool.papers.site]
title = "Acme value audits"
publisher = "Acme Research Ltd"
base-url = "https://audits.example.org/values/"
"""
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# every test here reads a site the module's fixture publishes (two rounds, two audits, two reports)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("over-time")
    (root / "pyproject.toml").write_text(SETTINGS)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        made = make_rounds(root)
        drift = json.loads(cli_run("drift", "--audit", "q1", "--audit", "q2", "--json", "--db", made["db"]).output)
        cli_run("keygen", "--no-password", "--secret-key", root / "papers.key", "--public-key", root / "papers.pub")
        publish = ("--db", made["db"], "--site", root / "_site", "--engine", "pandoc", "--workers", "1",
                   "--sign", root / "papers.key")
        cli_run("report", "--audit", "q1", *publish)
        shutil.copytree(root / "_site", root / "after-q1")
        cli_run("report", "--audit", "q2", *publish)
    return {**made, "root": root, "site": root / "_site", "after_q1": root / "after-q1", "drift": drift,
            "pub": root / "papers.pub", "publish": publish}


def page(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def test_drift_flags_the_moved_model_and_not_the_steady_one(published):
    changed = {m["model"]: m["changed"] for m in published["drift"]}
    assert changed == {"simulated/shifting": True, "simulated/steady": False}


def test_each_model_has_a_history_page_of_every_audit_oldest_first(published):
    site = published["site"]
    assert sorted(p.name for p in (site / "history").iterdir()) == sorted(f"{slug(m)}.html" for m in MODELS)
    moved = page(site, f"history/{slug('simulated/shifting')}.html")
    assert moved.index('href="../q1/models/') < moved.index('href="../q2/models/')
    assert "changed since q1" in moved and "first audit of this model on this site" in moved
    assert "shifting-sim1" in moved and "shifting-2026-06" in moved  # the model strings the provider reported
    assert moved.count('src="data:image/svg+xml;base64,') == 1  # the profile over time: one figure
    steady = page(site, f"history/{slug('simulated/steady')}.html")
    assert "no change detected since q1" in steady and "steady-sim1" in steady


def test_pages_say_changed_or_no_change_detected_and_never_unchanged(published):
    site = published["site"]
    index = page(site, "index.html")
    assert "changed since q1" in index and "no change detected since q1" in index
    assert f'href="history/{slug("simulated/shifting")}.html"' in index
    for model, words in (("simulated/shifting", "Over time: Changed since q1."),
                         ("simulated/steady", "Over time: No change detected since q1.")):
        text = " ".join(page(site, f"q2/models/{slug(model)}.html").split())
        assert words in text.replace("<strong>", "").replace("</strong>", ""), model
    first = page(site, f"q1/models/{slug('simulated/steady')}.html")
    assert "First audit of this model on this site" in first
    verdicts = [site / "index.html", *site.glob("history/*.html"), *site.glob("q*/models/*.html"), *site.glob("q*/results.json")]
    for path in verdicts:  # (changes.html's caption speaks of unchanged values in a table, not of a model)
        assert "unchanged" not in path.read_text(encoding="utf-8").lower(), path


def test_earlier_audits_are_never_rewritten(published):
    before, after = published["after_q1"], published["site"]
    for path in (before / "q1").rglob("*"):
        if path.is_file():
            assert (after / "q1" / path.relative_to(before / "q1")).read_bytes() == path.read_bytes(), path


def test_results_json_holds_every_result_row_and_is_valid_against_the_published_schema(published):
    site = published["site"]
    schema = json.loads(page(site, "schema/results-v1.json"))
    jsonschema.Draft202012Validator.check_schema(schema)
    from tests.conftest import query

    for audit in ("q1", "q2"):
        results = json.loads(page(site, f"{audit}/results.json"))
        jsonschema.validate(results, schema, cls=jsonschema.Draft202012Validator)
        assert results["schema"] == "../schema/results-v1.json"
        for table in ("result_profiles", "result_stability", "result_robustness"):
            assert len(results["tables"][table]) == query(published["db"], f"select count(*) from {table} "
                                                                           "where audit_id = ?", audit)[0][0]
    q2 = json.loads(page(site, "q2/results.json"))
    drift = {r["model"]: r for r in q2["tables"]["result_drift_models"]}
    assert {r["audit_a"] for r in drift.values()} == {"q1"} and drift["simulated/shifting"]["changed"] is True
    assert len(q2["tables"]["result_drift"]) == 2 * (5 + 6)  # two models; five and six dimensions
    assert {m["model"]: m["status"] for m in q2["models"]} == {"simulated/shifting": "changed since q1",
                                                               "simulated/steady": "no change detected since q1"}
    bad = json.loads(page(site, "q2/results.json"))
    bad["tables"]["result_profiles"][0]["mean"] = "high"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


def test_the_schema_describes_every_column_of_the_tables_it_names(published):
    import duckdb

    from papers.store import Store, migrate

    schema = json.loads(page(published["site"], "schema/results-v1.json"))
    con = duckdb.connect()
    migrate(Store(":memory:", con))
    for table in schema["properties"]["tables"]["required"]:
        columns = {c for (c,) in con.execute("select column_name from information_schema.columns where table_name = ?",
                                             [table]).fetchall()} - {"audit_id"}
        assert columns == set(schema["$defs"][table]["properties"]), table


def test_the_atom_feed_has_one_entry_per_audit_newest_first(published):
    feed = ET.fromstring((published["site"] / "feed.xml").read_bytes())
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Value audit q2", "Value audit q1"]
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert links == ["https://audits.example.org/values/q2/index.html", "https://audits.example.org/values/q1/index.html"]
    assert "simulated/shifting: changed since q1" in entries[0].find(f"{ATOM}summary").text
    assert feed.find(f"{ATOM}title").text == "Acme value audits"
    assert all(e.find(f"{ATOM}id").text.startswith("urn:sha256:") for e in entries)


def test_the_sitemap_lists_every_page_with_absolute_addresses(published):
    site = published["site"]
    urls = [u.find(f"{SITEMAP}loc").text for u in ET.fromstring((site / "sitemap.xml").read_bytes())]
    base = "https://audits.example.org/values/"
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert {u.removeprefix(base) for u in urls} == pages and all(u.startswith(base) for u in urls)


def test_verify_passes_and_the_head_covers_every_site_file(published):
    out = cli_run("verify", published["site"], "--key", published["pub"]).output
    assert out.rstrip().endswith("verified.") and "not written by papers" not in out
    head = json.loads(page(published["site"], "papers-head.json"))
    assert set(head["files"]) == {"index.html", "feed.xml", "sitemap.xml", "schema/results-v1.json",
                                  *(f"history/{slug(m)}.html" for m in MODELS)}
    manifest = json.loads(page(published["site"], "q2/manifest.json"))
    assert {"results.json", "compare.html", "assets/compare.js", "assets/plot.umd.min.js", "assets/d3.min.js",
            "assets/plot-LICENSE.txt", "assets/d3-LICENSE.txt"} <= set(manifest["files"])


@pytest.mark.parametrize("name, shown", [
    ("history/{shifting}.html", "site file altered: history/{shifting}.html"),
    ("feed.xml", "site file altered: feed.xml"),
    ("sitemap.xml", "site file altered: sitemap.xml"),
    ("schema/results-v1.json", "site file altered: schema/results-v1.json"),
    ("q2/results.json", "altered: results.json"),
    ("q2/compare.html", "altered: compare.html"),
    ("q2/assets/plot.umd.min.js", "altered: assets/plot.umd.min.js"),
])
def test_verify_fails_when_any_of_them_is_altered(published, tmp_path, name, shown):
    site = Path(shutil.copytree(published["site"], tmp_path / "site"))
    name, shown = (s.format(shifting=slug("simulated/shifting")) for s in (name, shown))
    path = site / name
    path.write_bytes(path.read_bytes().replace(b"q1", b"q0", 1) + b" ")
    out = cli_run("verify", site, expect=1).output
    assert shown in out and out.rstrip().endswith("NOT verified.")


def test_a_history_page_removed_fails_verify(published, tmp_path):
    site = Path(shutil.copytree(published["site"], tmp_path / "site"))
    (site / "history" / f"{slug('simulated/steady')}.html").unlink()
    assert f"site file missing: history/{slug('simulated/steady')}.html" in cli_run("verify", site, expect=1).output


def test_publishing_again_rebuilds_every_file_byte_for_byte(published, tmp_path, monkeypatch):
    """q2 published again into a copy of the site as it was after q1: the same audit folder and the
    same site files (the head alone carries the time it was written), though the history figures
    are drawn by worker processes this time (as for a site of many models) and were drawn here."""
    from papers.report import overtime

    site = Path(shutil.copytree(published["after_q1"], tmp_path / "site"))
    monkeypatch.setattr(overtime, "DRAW_IN_WORKERS_FROM", 1)
    monkeypatch.chdir(published["root"])
    cli_run("report", "--audit", "q2", *published["publish"][:2], "--site", site, "--engine", "pandoc",
            "--workers", "1", "--sign", published["root"] / "papers.key")
    original, again = published["site"], site
    names = sorted(p.relative_to(original).as_posix() for p in original.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file())
    differ = [n for n in names if (original / n).read_bytes() != (again / n).read_bytes()]
    assert set(differ) <= {"papers-head.json", "papers-head.json.minisig"}, differ


def test_a_report_that_changes_nothing_draws_no_history_figure_and_an_altered_page_is_made_again(
        published, tmp_path, monkeypatch):
    """The history pages are the head's recorded files again when their inputs have not changed; one
    altered by hand is not the recorded file, so the next report makes it again from the audits."""
    from papers.report import overtime

    site = Path(shutil.copytree(published["site"], tmp_path / "site"))
    before = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    drawn = []
    draw = overtime.profile_over_time
    monkeypatch.setattr(overtime, "profile_over_time", lambda audits, model: drawn.append(model) or draw(audits, model))
    monkeypatch.chdir(published["root"])
    publish = ("report", "--audit", "q2", "--db", published["db"], "--site", site, "--engine", "pandoc",
               "--sign", published["root"] / "papers.key")
    cli_run(*publish)
    assert drawn == []
    assert {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    steady = site / "history" / f"{slug('simulated/steady')}.html"
    steady.write_bytes(steady.read_bytes().replace(b"no change detected", b"changed", 1))
    cli_run(*publish)
    assert drawn == ["simulated/steady"] and steady.read_bytes() == before[steady.relative_to(site).as_posix()]
    assert cli_run("verify", site, "--key", published["pub"]).output.rstrip().endswith("verified.")


def test_a_report_refuses_a_site_whose_results_json_was_altered(published, tmp_path, monkeypatch):
    site = Path(shutil.copytree(published["after_q1"], tmp_path / "site"))
    (site / "q1" / "results.json").write_text("{}")
    before = {p.relative_to(site).as_posix() for p in site.rglob("*")}
    monkeypatch.chdir(published["root"])
    out = cli_run("report", "--audit", "q2", "--db", published["db"], "--site", site, "--engine", "pandoc",
                  expect=1).output
    assert "q1/results.json is not the results.json its manifest lists" in out
    assert {p.relative_to(site).as_posix() for p in site.rglob("*")} == before


@pytest.mark.parametrize("width", [390, 1280])
def test_the_history_pages_and_the_root_load_in_chromium_without_console_errors(published, tmp_path, width):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("Debian's chromium is not installed; .ci/run installs it")
    site = published["site"]
    for target in [site / "index.html", *sorted((site / "history").glob("*.html"))]:
        shot = tmp_path / f"{target.stem}-{width}.png"
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
             "--enable-logging=stderr", "--v=0", f"--window-size={width},2000", f"--screenshot={shot}", target.as_uri()],
            capture_output=True, text=True, timeout=120)
        assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
        console = [line for line in done.stderr.splitlines() if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line)]
        assert not console and "Failed to load resource" not in done.stderr, (target, console)
