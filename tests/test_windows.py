"""Collection windows (issue 27, item 1): `papers analyze --since/--until` makes one audit of each
collection round of one store, tested as a user meets it. The two rounds and their audits are shared
with tests/test_drift.py."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import cli_run, query

ROUNDS = Path(__file__).parent / "fixtures" / "drift"
MODELS = ("simulated/steady", "simulated/shifting")


def collect_rounds(db: Path, trials: int = 30) -> str:
    """Two collection rounds of simulated/steady and simulated/shifting (whose profile moves between
    them, round1.yaml then round2.yaml); returns a time between the rounds."""
    models = [a for m in MODELS for a in ("--model", m)]
    cli_run("collect", *models, "--task", "rank", "--trials", trials, "--simulated-profiles", ROUNDS / "round1.yaml",
            "--db", db)
    time.sleep(0.05)
    between = datetime.now(timezone.utc).isoformat()
    time.sleep(0.05)
    cli_run("collect", *models, "--task", "rank", "--trials", trials, "--simulated-profiles", ROUNDS / "round2.yaml",
            "--seed", 1, "--db", db)
    return between


def make_rounds(root: Path) -> dict:
    """One store, two rounds, analyzed as audits q1 (--until) and q2 (--since)."""
    db = root / "store.duckdb"
    between = collect_rounds(db)
    cli_run("analyze", "--audit", "q1", "--until", between, "--bootstrap", 100, "--db", db)
    cli_run("analyze", "--audit", "q2", "--since", between, "--bootstrap", 100, "--db", db)
    return {"db": db, "between": between, "root": root}


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    return make_rounds(tmp_path_factory.mktemp("windows"))


# ----------------------------------------------------------------------------- item 1: collection windows


def test_each_window_pins_only_the_answers_collected_in_it(rounds):
    db, between = rounds["db"], rounds["between"]
    cut = datetime.fromisoformat(between)
    for audit, inside in (("q1", lambda t: t < cut), ("q2", lambda t: t >= cut)):
        times = [r[0] for r in query(db, "select created_at from pinned_responses where audit_id = ?", audit)]
        assert len(times) == 2 * 2 * 30 and all(inside(t) for t in times), audit
    both = query(db, "select count(*) from llm_responses")[0][0]
    assert both == 2 * len(MODELS) * 2 * 30  # two rounds, two models, two conditions
    assert query(db, "select count(distinct data_sha256) from audits")[0][0] == 2


def test_the_window_is_stored_in_the_audits_settings(rounds):
    settings = {a: json.loads(s) for a, s in query(rounds["db"], "select audit_id, settings from audits")}
    since = datetime.fromisoformat(rounds["between"]).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert settings["q1"]["collected_until"] == since and settings["q1"]["collected_since"] is None
    assert settings["q2"]["collected_since"] == since and settings["q2"]["collected_until"] is None


def test_the_same_window_again_is_a_no_op_and_another_window_is_refused(rounds, tmp_path):
    db = tmp_path / "store.duckdb"
    db.write_bytes(rounds["db"].read_bytes())
    again = cli_run("analyze", "--audit", "q1", "--until", rounds["between"], "--bootstrap", 100, "--db", db).output
    assert "already up to date" in again
    other = cli_run("analyze", "--audit", "q1", "--bootstrap", 100, "--db", db, expect=1).output
    assert "already exists with other data" in other


@pytest.mark.parametrize("args, message", [
    (("--until", "yesterday"), "--until 'yesterday' is not a date or a time."),
    (("--since", "2026-05-01", "--until", "2026-04-01"),
     "--since 2026-05-01T00:00:00Z is not before --until 2026-04-01T00:00:00Z"),
    (("--until", "2000-01-01"), "was collected before 2000-01-01T00:00:00Z."),
    (("--since", ""), "--since '' is not a date or a time."),
    (("--until", " "), "--until ' ' is not a date or a time."),
    (("--since", "0001-01-01T00:00:00+05:00"), "--since '0001-01-01T00:00:00+05:00' is not a time papers can use"),
    (("--until", "9999-12-31T23:00:00-05:00"), "--until '9999-12-31T23:00:00-05:00' is not a time papers can use"),
])
def test_a_bad_or_empty_window_is_named(rounds, args, message, snapshot):
    before = snapshot(rounds["db"])
    out = cli_run("analyze", "--audit", "q9", *args, "--db", rounds["db"], expect=1).output
    assert message in out and "Hint:" in out
    assert snapshot(rounds["db"]) == before


def test_a_time_with_a_zone_is_read_in_utc():
    from papers.analyze import parse_time

    assert parse_time("2026-04-01T12:30:00+02:00", "--since") == datetime(2026, 4, 1, 10, 30, tzinfo=timezone.utc)
    assert parse_time("2026-04-01", "--until") == datetime(2026, 4, 1, tzinfo=timezone.utc)


def test_the_method_section_states_the_window():
    from papers.report.method import window_sentence

    assert window_sentence({"collected_since": "2026-01-01T00:00:00Z", "collected_until": "2026-04-01T00:00:00Z"}) == (
        " Only answers collected from 2026-01-01T00:00:00Z until (not including) 2026-04-01T00:00:00Z were used (the "
        "audit's collection window).")
    assert window_sentence({"collected_until": "2026-04-01T00:00:00Z"}).startswith(" Only answers collected before ")
    assert window_sentence({"seed": 1}) == ""


def test_a_simulated_profile_names_the_model_string_it_reports(tmp_path, run):
    bad = tmp_path / "bad.yaml"
    bad.write_text("shifting:\n  worths: {EI: 1}\n  reported: [1, 2]\n")
    out = run("collect", "--model", "simulated/shifting", "--trials", 1, "--simulated-profiles", bad, expect=1).output
    assert "field 'shifting.reported': expected the model string as text." in out
