"""An audit's scope (--model, globs) and the rows it pins: what it covers is recorded and stays put."""

from __future__ import annotations

import json

import pytest

from tests.conftest import query


@pytest.fixture
def three(run):
    run("collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven",
        "--model", "simulated/uniform", "--task", "rank", "--trials", "8")


def test_models_chosen_by_name_and_glob_are_the_only_ones_audited(db, run, three):
    out = json.loads(run("analyze", "--audit", "pick", "--model", "simulated/*-centric", "--model",
                         "simulated/uniform", "--bootstrap", "100", "--json").output)
    assert out["models"] == ["simulated/human-centric", "simulated/uniform"]
    assert query(db, "select distinct model from result_profiles where audit_id = 'pick' order by 1") == [
        ("simulated/human-centric",), ("simulated/uniform",)]
    assert query(db, "select models, model_patterns from audits where audit_id = 'pick'") == [
        (["simulated/human-centric", "simulated/uniform"], ["simulated/*-centric", "simulated/uniform"])]
    pinned = query(db, "select distinct r.model from audit_responses a join llm_responses r using (response_id) "
                       "where a.audit_id = 'pick' order by 1")
    assert pinned == [("simulated/human-centric",), ("simulated/uniform",)]


def test_a_pattern_that_matches_nothing_is_named(run, three):
    out = run("analyze", "--audit", "x", "--model", "openai/*", expect=1).output
    assert "--model 'openai/*': no model with answers to papers 1.2.0" in out and "simulated/uniform" in out


def test_the_same_name_with_other_models_is_refused(run, three):
    run("analyze", "--audit", "a", "--model", "simulated/uniform", "--model", "simulated/human-centric",
        "--bootstrap", "100")
    again = run("analyze", "--audit", "a", "--model", "simulated/human-centric", "--model", "simulated/uniform",
                "--bootstrap", "100")
    assert "already up to date" in again.output  # the same models in another order are the same scope
    assert "already exists with other models" in run("analyze", "--audit", "a", "--bootstrap", "100", expect=1).output


def test_an_audit_s_inputs_stay_pinned_when_more_data_arrives(db, run, three):
    run("analyze", "--audit", "before", "--bootstrap", "100")
    pins = query(db, "select count(*) from audit_responses where audit_id = 'before'")
    run("collect", "--model", "simulated/human-centric", "--task", "rank", "--trials", "20")
    assert query(db, "select count(*) from audit_responses where audit_id = 'before'") == pins
    grown = run("analyze", "--audit", "before", "--bootstrap", "100", expect=1).output
    assert "already exists with other data" in grown


def test_db_info_lists_audits_with_their_models(run, three):
    run("analyze", "--audit", "q4", "--model", "simulated/uniform", "--bootstrap", "100")
    text = run("db", "info").output
    assert "Audits (newest first)" in text and "q4" in text and "1 models  papers 1.2.0" in text
    audits = json.loads(run("db", "info", "--json").output)["audits"]
    assert audits[0]["audit"] == "q4" and audits[0]["models"] == ["simulated/uniform"]
