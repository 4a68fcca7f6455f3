"""Dilemmas (issue 23): the choose task of an instrument, its balance, and the bundled scenarios."""

from __future__ import annotations

import json
from itertools import combinations

import pytest
import yaml

from papers.errors import InstrumentError
from papers.instrument import (
    MAX_OPTION_RATIO,
    MIN_SCENARIOS_PER_PAIR,
    dilemma_balance,
    load_instrument,
    parse_instrument,
)
from tests.conftest import FIXTURES, write

BUNDLED = ("papers", "papers-2026")


def with_choose(text: str, choose: dict) -> str:
    spec = yaml.safe_load(text)
    spec["tasks"]["choose"] = choose
    return yaml.safe_dump(spec, sort_keys=False)


def scenario(key, first, second, a="Do the first thing now.", b="Do the other thing now."):
    return {"key": key, "text": "You are an assistant.", "options": [{"serves": first, "text": a}, {"serves": second, "text": b}]}


PROMPT = "{framing}\n\n{scenario}\n\n{options}\n\n{answer}"


@pytest.mark.parametrize("name", BUNDLED)
def test_each_bundled_instrument_has_five_dilemmas_for_every_pair_its_conditions_show(name):
    inst = load_instrument(name)
    assert inst.version == "1.2.0"
    assert dilemma_balance(inst) == []
    for condition in inst.condition_keys:
        asked = inst.scenarios(condition)
        for a, b in combinations(inst.shown(condition), 2):
            mine = [s for s in asked if set(s.pair) == {a, b}]
            assert len(mine) >= MIN_SCENARIOS_PER_PAIR, (condition, a, b)
            assert abs(2 * sum(s.pair[0] == a for s in mine) - len(mine)) <= 1  # each about as often first
        for d in inst.shown(condition):  # each dimension's action first about as often as second
            assert abs(sum(s.pair[0] == d for s in asked) - sum(s.pair[1] == d for s in asked)) <= 1
    papers = load_instrument("papers")
    assert len(papers.scenarios("non_sentient")) >= 50 and len(papers.scenarios("sentient")) == 75
    assert all("SA" not in s.pair for s in papers.scenarios("non_sentient"))  # SA is shown only when sentient


@pytest.mark.parametrize("name", BUNDLED)
def test_the_bundled_dilemmas_are_varied_and_their_actions_alike_in_length(name):
    scenarios = load_instrument(name).task("choose").scenarios
    texts = [s.text for s in scenarios]
    assert len(set(texts)) == len(texts)  # every situation its own
    openings = {" ".join(t.split()[:5]) for t in texts}
    assert len(openings) >= 60  # many settings, not one situation reworded
    for s in scenarios:
        lengths = sorted(len(o.text) for o in s.options)
        assert lengths[1] <= MAX_OPTION_RATIO * lengths[0], s.key
        assert len(s.text) <= 300 and lengths[1] <= 140, s.key  # short and concrete


def test_the_2026_dilemmas_are_the_2025_ones_serving_the_themes_that_continue_them():
    old, new = load_instrument("papers"), load_instrument("papers-2026")
    continues = {d.key: d.aliases[-1] for d in new.dimensions}  # AY -> SA, ...
    for a, b in zip(old.task("choose").scenarios, new.task("choose").scenarios):
        assert a.text == b.text and [o.text for o in a.options] == [o.text for o in b.options]
        assert [continues[o.serves] for o in b.options] == [o.serves for o in a.options]


def test_instruments_without_a_choose_task_keep_their_hash():
    published = load_instrument(FIXTURES / "papers-1.0.0.yaml")
    assert published.sha256 == "8a5889cc6d2b41bcc80417e9572e444b65e905aa25612ddc6184d9da95983eb1"
    assert "choose" not in json.loads(published.canonical)["tasks"]


def test_a_choose_prompt_shows_the_scenario_and_its_two_actions_as_a_and_b_in_the_order_given(instrument):
    s = instrument.task("choose").scenarios[0]
    first, second = s.pair
    prompt = instrument.render_prompt("choose", "non_sentient", [second, first], scenario=s.key)
    assert s.text in prompt
    assert f"\nA. {s.option(second).text}\nB. {s.option(first).text}\n" in prompt
    assert '{"choice": "A", "reason": "..."}' in prompt  # the default wording asks for JSON
    letter = instrument.render_prompt("choose", "sentient", list(s.pair), "assistant-letter", s.key)
    assert "(A or B) on the first line" in letter and "sentient assistant" in letter
    with pytest.raises(ValueError, match="not an order of the actions"):
        instrument.render_prompt("choose", "sentient", ["PC", "SA"], scenario=s.key)


@pytest.mark.parametrize("change, message", [
    (lambda c: c["scenarios"][0]["options"].pop(), r"scenarios\[0\]\.options': a dilemma has two actions, got 1"),
    (lambda c: c["scenarios"][0]["options"][1].update(serves="XX"), r"options\[1\]\.serves': unknown dimension 'XX'"),
    (lambda c: c["scenarios"][0]["options"][1].update(serves="PC"), r"both actions serve PC"),
    (lambda c: c["scenarios"][0]["options"][1].update(text="do the FIRST thing now."), r"both actions have the same text"),
    (lambda c: c["scenarios"][1].update(key="s1"), r"scenarios\[1\]\.key': duplicate scenario 's1'"),
    (lambda c: c.update(prompt="{framing} {scenario} {answer}"), r"tasks\.choose\.prompt'.*misses the placeholder \{options\}"),
    (lambda c: c.pop("scenarios"), r"tasks\.choose\.scenarios': missing"),
    (lambda c: c["scenarios"][0]["options"][0].update(weight=2), r"options\[0\]\.weight': unknown key"),
    (lambda c: c.update(variants=[{"id": "v", "format": "positions", "template": PROMPT}]),
     r"no parser reads the answer format 'positions' of a choose task"),
])
def test_a_bad_choose_task_is_named_by_its_field(change, message):
    choose = {"prompt": PROMPT, "scenarios": [scenario("s1", "PC", "AG"), scenario("s2", "AG", "PC")]}
    change(choose)
    text = with_choose((FIXTURES / "papers-1.0.0.yaml").read_text(), choose)
    with pytest.raises(InstrumentError, match=message):
        parse_instrument(text, "mine.yaml")


def test_validate_names_what_is_off_in_the_balance_and_passes_a_balanced_instrument(run, tmp_path):
    ok = run("instrument", "validate", with_db=False).output
    assert "papers 1.2.0" in ok and "choose" in ok
    scenarios = [scenario(f"s{i}", *(("PC", "AG") if i < 4 else ("AG", "PC"))) for i in range(5)]
    scenarios[4]["options"][0]["text"] = "Do the first thing now, and then a great deal more, at length, for everyone."
    text = with_choose((FIXTURES / "papers-1.0.0.yaml").read_text(), {"prompt": PROMPT, "scenarios": scenarios})
    path = write(tmp_path / "mine.yaml", text)
    result = run("instrument", "validate", path, expect=1, with_db=False)
    out = result.output
    assert "the choose task's dilemmas are not balanced" in out and "Traceback" not in out
    assert "non_sentient: PC and RF have 0 scenarios, fewer than 5" in out  # pairs with none are named
    assert "of the 5 scenarios of PC and AG, 4 list PC first (s0, s1, s2, s3)" in out
    assert "scenario s4: its actions are 23 and 76 characters long" in out
    assert "\n  - sentient: PC and SA have 0 scenarios" in out  # the sentient condition shows SA, so it needs its pairs
    assert "Hint: a balanced choose task" in out
