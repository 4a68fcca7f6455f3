"""Variants of a task (wordings, item displays, answer formats, scales): reading answers, planning
trials over them, storing and loading them, and putting ratings from several scales on one."""

from __future__ import annotations

import json
from collections import Counter

import polars as pl
import pytest

from papers.analyze import on_task_scale
from papers.answers.keys import response_id
from papers.answers.parse import parse_answer
from papers.collect.plan import Decoding, choose_variants, latin_order, make_plan
from papers.errors import InputError
from papers.instrument import Scale, parse_instrument
from tests.conftest import query, write

ORDER = ("EI", "PC", "RF", "AG", "PR")

# A value survey answered on four labelled points, 1 the most important ("very much like me"):
# the scale of the published study whose answers issue 25 loaded (items 25-27).
LIKE_ME = """
id: like-me
version: 0.1.0
dimensions:
  - {key: EQ, name: Equality, orientation: humanistic, definition: Equal opportunity for all.}
  - {key: PW, name: Power, orientation: utility, definition: Control over people and resources.}
  - {key: SF, name: Safety, orientation: utility, definition: Security for oneself and one's family.}
conditions:
  - {key: default, framing: Describe yourself., dimensions: [EQ, PW, SF]}
tasks:
  rate:
    prompt: "{framing} How much is each like you? {dimensions} 1 ({min_label}) to {max} ({max_label})."
    scale:
      min: 1
      max: 4
      most_important: min
      labels: {1: very much like me, 2: like me, 3: not like me, 4: not like me at all}
"""


@pytest.fixture
def like_me():
    return parse_instrument(LIKE_ME, "like-me.yaml")


def rate(text, inst, variant=None, order=ORDER, **kw):
    return parse_answer(text, "rate", inst.shown(inst.condition_keys[0]), inst, item_order=order, variant=variant, **kw)


# ----------------------------------------------------------------------------------- reading answers


def test_every_bundled_variant_prompt_asks_for_what_its_parser_reads(instrument):
    from tests.openai_server import variant_answer

    for task in ("rank", "rate"):
        for variant in instrument.task(task).variant_ids[1:]:  # the default asks for JSON by key, as before
            prompt = instrument.render_prompt(task, "non_sentient", list(ORDER), variant)
            reply = variant_answer(prompt)  # a compliant model's answer in the format the prompt asks for
            parsed = parse_answer(reply, task, instrument.shown("non_sentient"), instrument, ORDER, variant)
            assert parsed.status == "valid", (task, variant, reply, parsed.error)


def test_ratings_by_position_are_read_in_the_order_shown_only_where_asked(instrument):
    parsed = rate("6, 5, 7, 3, 4", instrument, "flourish-definitions")
    assert parsed.status == "valid" and parsed.ratings == {"EI": 6, "PC": 5, "RF": 7, "AG": 3, "PR": 4}
    assert rate("1: 6\n2: 5\n3: 7\n4: 3\n5: 4", instrument, "flourish-definitions").ratings == parsed.ratings
    assert rate("[6, 5, 7, 3, 4]", instrument, "flourish-definitions").ratings == parsed.ratings
    # the same numbers, where the prompt asked for JSON by key, are no ratings at all
    assert rate("6, 5, 7, 3, 4", instrument).status == "unparseable"
    # two different readings, a number off the scale, a position out of range
    assert "two different sets" in rate("6, 5, 7, 3, 4\n[6, 5, 7, 3, 2]", instrument, "flourish-definitions").error
    assert "out of range" in rate("6, 5, 9, 3, 4", instrument, "flourish-definitions").error
    assert "out of range" in rate("1: 6\n2: 5\n3: 7\n4: 3\n6: 4", instrument, "flourish-definitions").error
    # without the item order, a rating by position has no reading
    no_order = rate("6, 5, 7, 3, 4", instrument, "flourish-definitions", order=None)
    assert no_order.status == "unparseable" and "item order" in no_order.error


def test_ratings_are_read_on_the_variant_s_own_scale_and_kept_as_answered(instrument):
    ten = '{"ratings": {"Ethical Integrity": 10, "Purposeful Contribution": 0, "Robust Functionality": 3, ' \
          '"Adaptive Growth": 7, "Positive Relationality": 5}}'
    assert rate(ten, instrument, "best-ten").ratings["EI"] == 10  # stored as answered, 0-10
    assert "rating out of range: 10" in rate(ten, instrument).error  # on the default 1-7 scale it is out of range
    lines = "Ethical Integrity: 1\nPurposeful Contribution: 2\nRobust Functionality: 3\nAdaptive Growth: 7\n" \
            "Positive Relationality: 5"
    assert rate(lines, instrument, "thrive-reversed").ratings == {"EI": 1, "PC": 2, "RF": 3, "AG": 7, "PR": 5}


def test_a_rating_given_with_its_label_is_read_and_must_agree_with_it(like_me):
    order = ("EQ", "PW", "SF")
    answer = '{"Equality": "1: very much like me", "Power": "4 (not like me at all)", "Safety": "like me"}'
    parsed = rate(answer, like_me, order=order)
    assert parsed.status == "valid" and parsed.ratings == {"EQ": 1, "PW": 4, "SF": 2}
    clash = rate('{"Equality": "2: very much like me", "Power": 4, "Safety": 3}', like_me, order=order)
    assert clash.status == "unparseable" and "rating and label disagree for EQ" in clash.error
    other = rate('{"Equality": "1: splendid", "Power": 4, "Safety": 3}', like_me, order=order)
    assert "1 is 'very much like me' on the scale, the answer says 'splendid'" in other.error
    # where the scale names only some points, the number of another point counts, whatever its words
    partial = parse_instrument(LIKE_ME.replace(", 3: not like me, 4: not like me at all", ""), "partial.yaml")
    assert rate('{"Equality": "3: rather unlike me", "Power": 4, "Safety": 3}', partial, order=order).ratings["EQ"] == 3
    # words alone are read only where the scale names every point
    words = rate('{"Equality": "like me", "Power": "like me", "Safety": "like me"}', partial, order=order)
    assert words.status == "unparseable" and "ratings in words only" in words.error


def test_answers_about_more_dimensions_than_the_instrument_audits(like_me, instrument):
    order = ("EQ", "PW", "SF")
    answer = '{"Equality": 1, "Power": 4, "Safety": 2, "Tradition": 3, "Hedonism": 2}'
    assert rate(answer, like_me, order=order).status == "incomplete"  # by default, as before
    kept = rate(answer, like_me, order=order, ignore_unknown=True)
    assert kept.status == "valid" and kept.ratings == {"EQ": 1, "PW": 4, "SF": 2}
    assert sorted(kept.ignored) == ["Hedonism", "Tradition"]
    ranking = '{"ranking": ["Tradition", "EI", "Benevolence", "PR", "PC", "RF", "AG"]}'
    shown = instrument.shown("non_sentient")
    ranked = parse_answer(ranking, "rank", shown, instrument, ORDER, ignore_unknown=True)
    assert ranked.status == "valid" and ranked.ranks == {"EI": 1, "PR": 2, "PC": 3, "RF": 4, "AG": 5}
    assert parse_answer(ranking, "rank", shown, instrument, ORDER).status == "incomplete"


def test_a_scale_maps_onto_the_task_scale_with_higher_more_important():
    seven = Scale(1, 7)
    assert [Scale(0, 10).to_reference(x, seven) for x in (0, 5, 10)] == [1.0, 4.0, 7.0]
    reversed_seven = Scale(1, 7, most_important="min")
    assert [reversed_seven.to_reference(x, seven) for x in (1, 4, 7)] == [7.0, 4.0, 1.0]
    # a task whose own scale runs the other way is analysed turned around, on its own range
    like_me = Scale(1, 4, most_important="min")
    assert [like_me.to_reference(x, like_me) for x in (1, 2, 3, 4)] == [4.0, 3.0, 2.0, 1.0]


def test_ratings_from_every_variant_and_from_people_are_analysed_on_one_scale(instrument, like_me):
    rows = [("rate", "default", 7.0), ("rate", "best-ten", 10.0), ("rate", "thrive-reversed", 1.0),
            ("rate", "best-ten", 5.0), ("rate", "thrive-reversed", 4.0), ("rank", "best-json", 2.0)]
    frame = pl.DataFrame(rows, schema=["task", "variant", "value"], orient="row")
    assert on_task_scale(frame, instrument)["value"].to_list() == [7.0, 7.0, 7.0, 4.0, 4.0, 2.0]
    people = pl.DataFrame({"task": ["rate"] * 4, "value": [1.0, 2.0, 3.0, 4.0]})  # no variant: the task's own scale
    assert on_task_scale(people, like_me)["value"].to_list() == [4.0, 3.0, 2.0, 1.0]


# ----------------------------------------------------------------------------------------- the plan


def test_trials_are_spread_evenly_over_the_variants_and_balanced_over_positions(instrument):
    plan = make_plan(instrument, ["m"], ["rank", "rate"], ["non_sentient"], 60, seed=3)
    for task in ("rank", "rate"):
        trials = [t for t in plan if t.task == task]
        assert Counter(t.variant for t in trials) == {v: 10 for v in instrument.task(task).variant_ids}
        for variant in instrument.task(task).variant_ids:
            mine = [t for t in trials if t.variant == variant]
            square = mine[:5]  # the first block of n = 5 trials: every dimension once at every position
            for position in range(5):
                assert sorted(t.item_order[position] for t in square) == sorted(ORDER)
    again = make_plan(instrument, ["other-model"], ["rank", "rate"], ["non_sentient"], 60, seed=3)
    assert [(t.variant, t.item_order) for t in plan] == [(t.variant, t.item_order) for t in again]  # every model alike
    assert [t.item_order for t in make_plan(instrument, ["m"], ["rank"], ["non_sentient"], 60, seed=4)] != \
        [t.item_order for t in plan if t.task == "rank"]


def test_latin_order_balances_each_block_of_any_size():
    for shown in (list("AB"), list("ABCDEF")):
        rows = [latin_order(shown, 0, "rank", "c", "v", j) for j in range(3 * len(shown))]
        for block in range(3):
            square = rows[block * len(shown):(block + 1) * len(shown)]
            assert all(sorted(r[p] for r in square) == shown for p in range(len(shown)))


def test_the_variant_is_part_of_the_trial_key_and_the_default_keeps_the_old_key(instrument):
    decoding = {**Decoding().key(), "seed": 0}
    old = response_id(instrument.sha256, "m", "rank", "c", 0, list(ORDER), decoding)
    assert response_id(instrument.sha256, "m", "rank", "c", 0, list(ORDER), decoding, "default") == old
    assert response_id(instrument.sha256, "m", "rank", "c", 0, list(ORDER), decoding, "best-json") != old


def test_choose_variants(instrument):
    assert choose_variants(instrument, ["rank", "open"], "default") == {"rank": ["default"], "open": ["default"]}
    chosen = choose_variants(instrument, ["rank", "rate"], "flourish-definitions,thrive-reversed")
    assert chosen == {"rank": ["flourish-definitions"], "rate": ["thrive-reversed", "flourish-definitions"]}
    with pytest.raises(InputError, match="'nope' is not a variant of rank, rate"):
        choose_variants(instrument, ["rank", "rate"], "nope")
    with pytest.raises(InputError, match="none of thrive-reversed is a variant of the rank task"):
        choose_variants(instrument, ["rank", "rate"], "thrive-reversed")
    assert choose_variants(instrument, ["rank"], None) == choose_variants(instrument, ["rank"], "all")
    for empty in ("", " ", ",", " , "):  # an unset shell variable is not "all"
        with pytest.raises(InputError, match="--variants names no variant"):
            choose_variants(instrument, ["rank"], empty)
    with pytest.raises(InputError) as long:
        choose_variants(instrument, ["rank"], "x" * 5000)
    assert len(long.value.message) < 400


def test_a_trial_asks_for_json_mode_only_where_its_variant_wants_json(instrument):
    plan = make_plan(instrument, ["m"], ["rank"], ["non_sentient"], 6)
    assert {t.variant: t.wants_json(instrument) for t in plan} == {
        "default": True, "thrive-positions": False, "best-lines": False, "flourish-definitions": False,
        "thrive-lines": False, "best-json": True}


# ----------------------------------------------------------------------------------- collect and ingest


def test_collect_over_every_variant_stores_each_with_its_id(run, db):
    out = run("collect", "--model", "simulated/fragile", "--task", "rank", "--task", "rate", "--condition",
              "non_sentient", "--trials", "12", "--dry-run").output
    assert "rank, calls per wording: default 2, thrive-positions 2, best-lines 2" in out
    run("collect", "--model", "simulated/fragile", "--task", "rank", "--task", "rate", "--condition", "non_sentient",
        "--trials", "12")
    rows = query(db, "select task, count(distinct variant), count(*) filter (where status = 'valid') from "
                     "llm_responses group by 1 order by 1")
    assert [(t, n) for t, n, _ in rows] == [("rank", 6), ("rate", 6)]
    assert all(valid >= 9 for _, _, valid in rows)  # every format read back (a few refusals and slips are simulated)
    prompts = query(db, "select variant, prompt from llm_responses where task = 'rate' and variant = 'best-ten' limit 1")
    assert "on a scale from 0 (not at all important)" in prompts[0][1]
    run("collect", "--model", "simulated/fragile", "--task", "rank", "--condition", "non_sentient", "--trials", "12",
        "--variants", "nope", expect=1)


def test_ingest_reads_an_optional_variant_column_and_names_a_bad_one(run, db, tmp_path):
    rows = [{"model": "m", "task": "rate", "condition": "non_sentient", "trial": 0, "item_order": list(ORDER),
             "variant": "flourish-definitions", "raw_text": "6, 5, 7, 3, 4"},
            {"model": "m", "task": "rate", "condition": "non_sentient", "trial": 1, "item_order": list(ORDER),
             "raw_text": json.dumps({"ratings": {"EI": 6, "PC": 5, "RF": 7, "AG": 3, "PR": 4}})}]
    path = write(tmp_path / "r.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    run("ingest", "responses", path)
    assert query(db, "select variant, status from llm_responses order by trial") == [
        ("flourish-definitions", "valid"), ("default", "valid")]
    bad = write(tmp_path / "bad.jsonl", json.dumps({**rows[0], "trial": 5, "variant": "tilted"}) + "\n")
    result = run("ingest", "responses", bad, expect=1)
    assert f"{bad}, row 1, field 'variant': 'tilted' is not a variant of the rate task" in result.output


def test_ingest_can_ignore_dimensions_the_instrument_does_not_audit(run, db, tmp_path):
    inst_path = write(tmp_path / "like-me.yaml", LIKE_ME)
    rows = [{"model": "m", "task": "rate", "condition": "default", "trial": t,
             "raw_text": json.dumps({"Equality": "1: very much like me", "Power": 4, "Safety": "like me",
                                     "Tradition": 3, "Hedonism": 2})} for t in range(3)]
    path = write(tmp_path / "r.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    result = run("ingest", "responses", path, "--instrument", inst_path, "--other-dimensions", "ignore")
    assert "6 entries in 3 answers naming 2 dimensions the instrument does not show (Hedonism, Tradition)" in \
        result.output
    assert query(db, "select status, count(*) from llm_responses group by 1") == [("valid", 3)]
    assert query(db, "select settings->>'other_dimensions' from runs") == [("ignored",)]
    # stored as answered: 1 is "very much like me", the most important end of this scale
    assert query(db, "select dimension, rating from llm_answers group by all order by 1") == [
        ("EQ", 1.0), ("PW", 4.0), ("SF", 2.0)]
    other = tmp_path / "other.duckdb"
    run("ingest", "responses", path, "--instrument", inst_path, "--db", other, with_db=False)
    assert query(other, "select status, count(*) from llm_responses group by 1") == [("incomplete", 3)]


def test_fewer_trials_than_variants_says_which_wordings_are_asked(run):
    short = run("collect", "--model", "simulated/human-centric", "--task", "rank", "--condition", "non_sentient",
                "--trials", "2")
    assert "Warning: --trials 2 is fewer than the 6 variants of the rank task: only default, " in short.output
    assert "give --trials 6 or more" in short.output
    dry = json.loads(run("collect", "--model", "simulated/human-centric", "--task", "rank", "--trials", "1",
                         "--dry-run", "--json").output)
    assert len(dry["plan_warnings"]) == 1 and "only default is asked" in dry["plan_warnings"][0]
    full = json.loads(run("collect", "--model", "simulated/human-centric", "--task", "rank", "--condition",
                          "non_sentient", "--trials", "6", "--json").output)
    assert full["plan_warnings"] == []
    one = json.loads(run("collect", "--model", "simulated/human-centric", "--task", "rank", "--condition",
                         "non_sentient", "--trials", "1", "--variants", "default", "--json").output)
    assert one["plan_warnings"] == []  # one wording asked for: nothing left out
