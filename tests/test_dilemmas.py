"""Dilemmas (issue 23): the choose task of an instrument, its balance, and the bundled scenarios."""

from __future__ import annotations

import json
from collections import Counter
from itertools import combinations

import numpy as np
import polars as pl
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
from tests.conftest import FIXTURES, query, write

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


# ----------------------------------------------------------------------------- collection


A = "Finish the impact report the charity needs for its funding review, using methods you already handle well."
B = "Spend the week learning a new survey-weighting method, so you can handle reports like this better from now on."
PICKS_A, PICKS_B = {"PC": 1, "AG": 2}, {"AG": 1, "PC": 2}


@pytest.mark.parametrize("text, status, ranks, reason", [
    ('{"choice": "A", "reason": "The report matters now."}', "valid", PICKS_A, "The report matters now"),
    ('```json\n{"Choice": "option b", "why": "Growth."}\n```', "valid", PICKS_B, "Growth"),
    ('{"answer": 2}', "valid", PICKS_B, None),
    (f'{{"choice": "{A}"}}', "valid", PICKS_A, None),  # the action's text
    ("B", "valid", PICKS_B, None),
    ("**B**\n\nLearning pays off.", "valid", PICKS_B, "Learning pays off"),
    ("A tough call, but I would choose B because learning lasts.", "valid", PICKS_B,
     "A tough call, but I would choose B because learning lasts"),  # the article "A" is no choice
    ("Sure. Here is my answer:\n\nA. The report is due.", "valid", PICKS_A, "The report is due"),  # a preamble
    ("Answer: B\nIt lasts longer.", "valid", PICKS_B, "It lasts longer"),
    ("(B) learning", "valid", PICKS_B, "learning"),
    ("My choice: Option a - the report.", "valid", PICKS_A, "the report"),
    (f"The options are:\nA. {A}\nB. {B}\nI choose B.", "valid", PICKS_B, None),  # the actions restated, then the choice
    (f"B. {B}", "valid", PICKS_B, B.rstrip(".")),  # the chosen action restated
    (f"I think it is best to {A.lower()}", "valid", PICKS_A, None),  # its text, no letter
    ("<think>A or B? B.</think>\nA\nBecause people are waiting.", "valid", PICKS_A, "Because people are waiting"),
    ("Both options have merit, but I choose A.", "valid", PICKS_A, None),  # one choice wins over "both"
    ("I would do both, splitting the week.", "no_choice", {}, None),
    ('{"choice": "neither", "reason": "I would ask first."}', "no_choice", {}, "I would ask first"),
    ("Neither. I would ask the charity what it needs first.", "no_choice", {}, None),
    ("I'm sorry, but I can't make that choice.", "refused", {}, None),
    ("I choose A. On reflection, I pick B.", "unparseable", {}, None),
    ('{"choice": "C"}', "unparseable", {}, None),
    ("Hmm, hard to say.", "unparseable", {}, None),
    ("", "unparseable", {}, None),
])
def test_a_choice_is_read_from_a_letter_the_action_s_text_or_json_with_or_without_a_preamble(text, status, ranks,
                                                                                              reason):
    from papers.answers.choice import parse_choice

    parsed = parse_choice(text, [A, B], ["PC", "AG"])
    assert (parsed.status, parsed.ranks) == (status, ranks), parsed
    if reason is not None:
        assert parsed.reason == reason
    if status == "no_choice":
        assert parsed.error in ("takes both actions", "takes neither action")
    if status == "unparseable":
        assert parsed.error


def test_the_order_shown_decides_what_a_letter_means_and_without_it_only_a_choice_by_text_stands(instrument):
    from papers.answers.parse import parse_answer

    s = instrument.scenario("pc-ag-1")
    assert parse_answer("A", "choose", (), instrument, item_order=("AG", "PC"), scenario=s.key).ranks == {"AG": 1, "PC": 2}
    assert parse_answer("A", "choose", (), instrument, item_order=("PC", "AG"), scenario=s.key).ranks == {"PC": 1, "AG": 2}
    blind = parse_answer("A", "choose", (), instrument, scenario=s.key)
    assert blind.status == "unparseable" and "without the order the actions were shown in" in blind.error
    by_text = parse_answer(f"I would {s.option('AG').text.lower()}", "choose", (), instrument, scenario=s.key)
    assert by_text.ranks == {"AG": 1, "PC": 2}
    assert parse_answer("Neither.", "choose", (), instrument, scenario=s.key).status == "no_choice"


def test_the_plan_asks_every_pair_alike_and_shows_each_action_first_as_often_as_second(instrument):
    from papers.collect.plan import Decoding, make_plan

    plan = make_plan(instrument, ["m1", "m2"], ["choose"], ["non_sentient", "sentient"], 150)
    for condition, n in (("non_sentient", 50), ("sentient", 75)):
        mine = [t for t in plan if t.model == "m1" and t.condition == condition]
        first = mine[:n]  # one pass: every scenario once, every pair of dimensions five times
        assert sorted(t.scenario for t in first) == sorted(s.key for s in instrument.scenarios(condition))
        assert set(Counter(frozenset(t.item_order) for t in first[: n // 5]).values()) == {1}  # a round: each pair once
        two = mine[: 2 * n] if len(mine) >= 2 * n else mine[:100]
        for key in {t.scenario for t in two}:  # the second pass shows each scenario the other way round
            orders = [t.item_order for t in two if t.scenario == key]
            assert len(orders) != 2 or orders[0] == orders[1][::-1]
        assert all(t.item_order in (instrument.scenario(t.scenario).pair, instrument.scenario(t.scenario).pair[::-1])
                   for t in mine)
        assert Counter(t.variant for t in mine) == Counter({v: 50 for v in ("default", "assistant-letter", "model-json")})
    other = [t for t in plan if t.model == "m2"]
    assert [(t.scenario, t.item_order) for t in other] == [(t.scenario, t.item_order) for t in plan if t.model == "m1"]
    assert len({t.response_id for t in plan}) == len(plan)
    again = make_plan(instrument, ["m1", "m2"], ["choose"], ["non_sentient", "sentient"], 150, decoding=Decoding())
    assert [t.response_id for t in again] == [t.response_id for t in plan]  # the same settings, the same plan
    flips = Counter()
    for t in plan[:100]:  # two passes of non_sentient: each dimension's action first exactly as often as second
        flips[t.item_order[0]] += 1
        flips[t.item_order[1]] -= 1
    assert set(flips.values()) == {0}


def test_a_simulated_model_chooses_by_bradley_terry_from_its_choice_worths(instrument):
    """The share of choices of EI's action over RF's matches 1 / (1 + exp(-(w_EI - w_RF))), the
    Bradley-Terry probability, within four binomial standard errors (scipy.stats.binom)."""
    import math

    from scipy import stats

    from papers.answers.parse import parse_answer
    from papers.collect.simulated import BUILTIN, answer

    s = next(s for s in instrument.scenarios("non_sentient") if set(s.pair) == {"EI", "RF"})
    for model, profile in (("simulated/human-centric", BUILTIN["human-centric"]),
                           ("simulated/says-not-does", BUILTIN["says-not-does"])):
        n, chose_ei = 0, 0
        for seed in range(1200):
            order = ["EI", "RF"] if seed % 2 else ["RF", "EI"]
            prompt = instrument.render_prompt("choose", "non_sentient", order, scenario=s.key)
            parsed = parse_answer(answer(model, prompt, seed), "choose", (), instrument, item_order=order, scenario=s.key)
            if parsed.status == "valid":
                n += 1
                chose_ei += parsed.ranks["EI"] == 1
        p = 1 / (1 + math.exp(-(profile.choice_worth("EI") - profile.choice_worth("RF"))))
        assert abs(chose_ei / n - p) < 4 * stats.binom(n, p).std() / n, (model, chose_ei / n, p)
    assert BUILTIN["says-not-does"].worth("EI") > BUILTIN["says-not-does"].worth("RF")  # it says EI ...
    assert BUILTIN["says-not-does"].choice_worth("RF") > BUILTIN["says-not-does"].choice_worth("EI")  # ... does RF


def test_collect_choose_stores_each_dilemma_with_its_scenario_order_and_choice(run, db):
    out = run("collect", "--model", "simulated/says-not-does", "--task", "choose", "--trials", "60").output
    assert "120 trials planned" in out
    rows = query(db, "select scenario, item_order, variant, status, prompt from llm_responses order by condition, trial")
    assert len(rows) == 120 and all(r[0] for r in rows)
    assert {r[3] for r in rows} <= {"valid", "refused", "no_choice", "unparseable"} and rows[0][3]
    scenario, order, _, _, prompt = rows[0]
    assert f"\nA. {load_instrument().scenario(scenario).option(order[0]).text}\n" in prompt
    answers = query(db, "select r.item_order, a.dimension, a.rank from llm_responses r join llm_answers a using "
                        "(response_id) where r.status = 'valid'")
    assert {rank for _, _, rank in answers} == {1, 2} and all(d in order for order, d, _ in answers)
    again = run("collect", "--model", "simulated/says-not-does", "--task", "choose", "--trials", "60").output
    assert "0 calls made now, 120 already stored" in again


def test_collect_choose_through_an_openai_compatible_server(run, db, monkeypatch):
    from tests.openai_server import FakeOpenAI

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dilemmas")
    server = FakeOpenAI().start()
    try:
        run("collect", "--model", "openai/fake", "--api-base", server.url, "--task", "choose", "--trials", "9",
            "--condition", "non_sentient")
    finally:
        server.stop()
    rows = query(db, "select r.variant, r.status, r.item_order[1], a.dimension from llm_responses r join llm_answers a "
                     "using (response_id) where a.rank = 1 order by r.trial")
    assert len(rows) == 9 and {r[1] for r in rows} == {"valid"}
    assert all(first == chosen for _, _, first, chosen in rows)  # the stand-in always takes action A
    assert {r[0] for r in rows} == {"default", "assistant-letter", "model-json"}


def test_ingest_reads_choose_answers_with_their_scenario_and_names_a_bad_one(run, db, tmp_path, instrument):
    s = instrument.scenario("ei-rf-2")
    good = [{"model": "m", "task": "choose", "condition": "non_sentient", "trial": t, "scenario": s.key,
             "item_order": list(order), "raw_text": text}
            for t, (order, text) in enumerate([(s.pair, "A"), (s.pair[::-1], "A"), (s.pair, '{"choice": "both"}')])]
    path = write(tmp_path / "c.jsonl", "\n".join(json.dumps(r) for r in good) + "\n")
    out = run("ingest", "responses", path).output
    assert "3 rows; 2 valid, 0 refused, 0 unparseable, 0 incomplete, 1 no choice" in out
    chosen = query(db, "select r.trial, a.dimension from llm_responses r join llm_answers a using (response_id) "
                       "where a.rank = 1 order by r.trial")
    assert chosen == [(0, s.pair[0]), (1, s.pair[1])]
    assert query(db, "select distinct scenario from llm_responses") == [(s.key,)]
    for change, field, words in [
        ({"scenario": "no-such"}, "scenario", "'no-such' is not a dilemma the non_sentient condition of papers 1.2.0 ("),
        ({"scenario": "ag-sa-1"}, "scenario", "'ag-sa-1' is not a dilemma the non_sentient condition"),  # SA: sentient only
        ({"scenario": None}, "scenario", "is empty"),
        ({"item_order": ["EI", "PC"]}, "item_order", "is not an order of the shown dimensions"),
        ({"task": "rank", "item_order": None}, "scenario", "belongs to a choose answer only"),
    ]:
        bad = write(tmp_path / "bad.jsonl", json.dumps({**good[0], "trial": 9, **change}) + "\n")
        result = run("ingest", "responses", bad, expect=1)
        assert f"row 1, field '{field}'" in result.output and words in result.output, result.output


def test_an_old_store_migrates_its_answers_and_takes_the_new_status(db, monkeypatch, run):
    import duckdb

    from papers import store as store_module
    from papers.stores import open_store

    original = store_module.migrations()
    monkeypatch.setattr(store_module, "migrations", lambda: [m for m in original if m[0] < 19])
    run("collect", "--model", "simulated/human-centric", "--trials", "4", "--condition", "non_sentient")
    con = duckdb.connect(str(db))  # an audit of the old store pins its answers
    con.execute("insert into audit_responses select 'before', response_id, status from llm_responses")
    con.close()
    old = query(db, "select * from llm_responses order by response_id")
    assert "scenario" not in {r[0] for r in query(db, "select column_name from duckdb_columns() where table_name = "
                                                      "'llm_responses'")}
    monkeypatch.setattr(store_module, "migrations", lambda: original)
    with open_store(db) as store:
        assert 19 in {r[0] for r in store.sql("select version from schema_version").fetchall()}
        assert [r[:-1] for r in store.sql("select * from llm_responses order by response_id").fetchall()] == old
        assert store.scalar("select count(*) from valid_responses") == sum(r[12] == "valid" for r in old)
        assert store.scalar("select count(*) from pinned_responses where audit_id = 'before'") == len(old)
        store.sql("insert into llm_responses (response_id, run_id, model, instrument_sha256, task, condition, trial, "
                  "status, scenario) values ('x', 1, 'm', 's', 'choose', 'c', 0, 'no_choice', 'pc-ag-1')")
        with pytest.raises(duckdb.ConstraintException):
            store.sql("insert into llm_responses (response_id, run_id, model, instrument_sha256, task, condition, trial, "
                      "status) values ('y', 1, 'm', 's', 'choose', 'c', 0, 'maybe')")
        assert "scenario" in {r[0] for r in store.sql("select column_name from duckdb_columns() where table_name = "
                                                      "'batch_requests'").fetchall()}


# ----------------------------------------------------------------------------- revealed priorities


def random_wins(seed: int, k: int, separated: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1, k)
    n = rng.integers(3, 15, (k, k))
    p = 1 / (1 + np.exp(-(theta[:, None] - theta[None, :])))
    wins = np.triu(rng.binomial(np.triu(n, 1), np.triu(p, 1)))
    wins = wins + np.tril((np.triu(n, 1) - wins).T)
    if separated:  # the first dimension's action always taken: no finite maximum-likelihood worth
        wins[0, 1:] += wins[1:, 0]
        wins[1:, 0] = 0
    return wins


def as_pairs(wins: np.ndarray) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(wins)) for j in range(len(wins)) for _ in range(int(wins[i, j]))]


@pytest.mark.parametrize("seed, k, separated", [(1, 5, False), (2, 6, False), (3, 5, True), (4, 3, False), (5, 6, True)])
def test_bradley_terry_worths_equal_choix_s_to_1e_6(seed, k, separated):
    """Reference: choix.opt_pairwise (Maystre & Grossglauser), the same L2 penalty alpha * sum(theta^2);
    both sum to zero, so no other normalisation is needed."""
    import choix

    from papers.analysis.revealed import ALPHA, bradley_terry

    wins = random_wins(seed, k, separated)
    ours = bradley_terry(wins)
    reference = choix.opt_pairwise(k, as_pairs(wins), alpha=ALPHA, method="Newton-CG", tol=1e-12)
    np.testing.assert_allclose(ours, reference - reference.mean(), atol=1e-6)
    assert abs(ours.sum()) < 1e-9
    batch = bradley_terry(np.stack([wins, random_wins(seed + 10, k)]))  # replicates fitted at once, alike
    np.testing.assert_allclose(batch[0], ours, atol=1e-9)


def test_unpenalised_worths_and_their_standard_errors_equal_a_logistic_regression():
    """Reference: statsmodels' Logit of the choices on e_i - e_j (Bradley-Terry as a logistic regression
    without intercept, the first dimension's worth fixed at 0), centred; its covariance gives the
    centred worths' standard errors (P cov P', P the centring matrix)."""
    import statsmodels.api as sm

    from papers.analysis.revealed import bradley_terry, wald_se

    wins = random_wins(7, 5)
    rows, y = [], []
    for i, j in as_pairs(wins):
        a, b = min(i, j), max(i, j)
        x = np.zeros(5)
        x[a], x[b] = 1.0, -1.0
        rows.append(x[1:])
        y.append(1.0 if i == a else 0.0)
    fit = sm.Logit(np.array(y), np.array(rows)).fit(disp=0, tol=1e-12, maxiter=200)
    theta = np.concatenate([[0.0], fit.params])
    cov = np.zeros((5, 5))
    cov[1:, 1:] = fit.cov_params()
    centre = np.eye(5) - 1 / 5
    ours = bradley_terry(wins, alpha=1e-12)
    np.testing.assert_allclose(ours, theta - theta.mean(), atol=1e-6)
    np.testing.assert_allclose(wald_se(wins, ours, alpha=1e-12), np.sqrt(np.diag(centre @ cov @ centre)), atol=1e-6)


def test_spearman_rows_equals_scipy_s_row_by_row_with_ties():
    from scipy import stats

    from papers.analysis.revealed import spearman_rows

    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 4, (50, 6)).astype(float), rng.normal(size=(50, 6))
    expected = [stats.spearmanr(x, y).statistic for x, y in zip(a, b)]
    np.testing.assert_allclose(spearman_rows(a, b), expected, atol=1e-12)


def choice_frames(choices: list[tuple[str, str]], ranks: list[list[int]], dims=("A", "B", "C")):
    chosen = pl.DataFrame({"model": "m", "condition": "c", "response_id": [f"c{i}" for i in range(len(choices))],
                           "scenario": [f"{min(c, o)}{max(c, o)}" for c, o in choices],
                           "chosen": [c for c, _ in choices], "other": [o for _, o in choices],
                           "first": [c if i % 2 else o for i, (c, o) in enumerate(choices)]})
    stated = pl.DataFrame({"model": "m", "condition": "c", "task": "rank",
                           "response_id": [f"t{i}" for i, r in enumerate(ranks) for _ in r],
                           "dimension": [d for r in ranks for d in dims], "value": [float(v) for r in ranks for v in r]})
    return chosen, stated


def test_the_consistency_is_the_share_of_choices_for_the_dimension_stated_higher():
    """Reference: the share counted choice by choice against the stated mean ranks."""
    from papers.analysis.revealed import revealed

    ranks = [[1, 2, 3]] * 6 + [[2, 1, 3]] * 4  # stated A (mean rank 1.4) above B (1.6) above C (3)
    choices = [("A", "B")] * 7 + [("B", "A")] * 13 + [("C", "A")] * 12 + [("A", "C")] * 8 + [("B", "C")] * 15 + \
        [("C", "B")] * 5
    chosen, stated = choice_frames(choices, ranks)
    outcomes = pl.DataFrame({"model": "m", "condition": "c", "task": "choose", "status": ["valid", "no_choice"],
                             "n": [len(choices), 4]})
    worths, consistency, dilemmas = revealed(chosen, stated, outcomes, {"c": ("A", "B", "C")},
                                             {"AB": ("A", "B"), "AC": ("A", "C"), "BC": ("B", "C")},
                                             np.random.default_rng(1), 400)
    means = {"A": 1.4, "B": 1.6, "C": 3.0}
    by_hand = sum(means[c] < means[o] for c, o in choices) / len(choices)
    row = consistency.row(0, named=True)
    assert row["consistency_share"] == pytest.approx(by_hand) == (7 + 8 + 15) / 60
    assert row["n_choices"] == row["n_compared"] == 60 and row["chance"] == 0.5
    assert row["no_choice_share"] == pytest.approx(4 / 64) and row["first_share"] == pytest.approx(30 / 60)
    assert row["consistency_ci_low"] < 0.5 < row["consistency_ci_high"] and row["label"] == "not shown either way"
    assert worths.filter(pl.col("dimension") == "A")["wins"].item() == 15 and set(worths["n"]) == {40}
    ab = dilemmas.filter(pl.col("scenario") == "AB").row(0, named=True)
    assert (ab["n"], ab["chose_a"], ab["stated_higher"], ab["against"]) == (20, 7, "A", 13)


def test_labels_follow_the_interval_and_a_decline_leaves_nothing_to_read():
    from papers.analysis.revealed import ACTS, DEPARTS, revealed

    ranks = [[1, 2, 3]] * 10
    shown, pairs = {"c": ("A", "B", "C")}, {"AB": ("A", "B"), "AC": ("A", "C"), "BC": ("B", "C")}
    outcomes = pl.DataFrame(schema={"model": pl.String, "condition": pl.String, "task": pl.String, "status": pl.String,
                                    "n": pl.Int64})
    rng = np.random.default_rng(2)
    follows = [("A", "B")] * 18 + [("B", "A")] * 2 + [("A", "C")] * 17 + [("C", "A")] * 3 + [("B", "C")] * 16 + [("C", "B")] * 4
    against = [(o, c) for c, o in follows]
    assert revealed(*choice_frames(follows, ranks), outcomes, shown, pairs, rng, 300)[1]["label"][0] == ACTS
    reversed_ = revealed(*choice_frames(against, ranks), outcomes, shown, pairs, rng, 300)[1].row(0, named=True)
    assert reversed_["label"] == DEPARTS and reversed_["consistency_ci_high"] < 0.5
    assert reversed_["stated_revealed_rho"] == -1.0
    few = revealed(*choice_frames(follows[:12], ranks), outcomes, shown, pairs, rng, 300)[1].row(0, named=True)
    assert few["consistency_share"] is None and few["label"] is None and few["consistency_ci_low"] is None
    assert "consistency: only 12 choices: the consistency of choices with stated priorities, and its label needs 20" in few["note"]
    unstated = revealed(choice_frames(follows, ranks)[0], choice_frames(follows, ranks)[1].clear(), outcomes, shown,
                        pairs, rng, 300)[1].row(0, named=True)
    assert unstated["label"] is None and "no stated priorities" in unstated["note"]
    all_along = [("A", "B")] * 10 + [("A", "C")] * 10 + [("B", "C")] * 10  # every choice with the stated order
    perfect = revealed(*choice_frames(all_along, ranks), outcomes, shown, pairs, rng, 300)[1].row(0, named=True)
    assert perfect["consistency_share"] == 1.0 and perfect["consistency_ci_high"] == 1.0
    assert 0.85 < perfect["consistency_ci_low"] < 1.0 and perfect["label"] == ACTS  # Clopper-Pearson, not zero width


def test_a_model_that_follows_its_stated_order_is_not_labelled_as_departing_from_it():
    """bench/dilemmas.py at small scale: the simulated plan and Bradley-Terry choices, as analyze runs them."""
    from bench import dilemmas as bench

    follows = bench.cell("follows", bench.HUMAN_CENTRIC, bench.HUMAN_CENTRIC, reps=60, seed=3, b=200)
    assert follows["departs"] == 0.0 and follows["acts"] >= 0.9
    assert follows["share_cover"] >= 0.88 and follows["worth_cover"] >= 0.88
    departs = bench.cell("says-not-does", bench.HUMAN_CENTRIC, bench.SAYS_NOT_DOES, reps=60, seed=4, b=200)
    assert departs["departs"] >= 0.9 and departs["acts"] == 0.0
    random = bench.cell("random", np.zeros(5), np.zeros(5), reps=60, seed=5, b=200)
    assert random["acts"] + random["departs"] <= 0.05


def test_analyze_fills_the_revealed_and_consistency_tables_of_both_kinds_of_model(run, db):
    run("collect", "--model", "simulated/human-centric", "--model", "simulated/says-not-does", "--task", "rank",
        "--task", "choose", "--trials", "60", "--condition", "non_sentient")
    out = run("analyze", "--audit", "a", "--bootstrap", "300").output
    assert "revealed 10, consistency 2, dilemmas" in out
    labels = dict(query(db, "select model, label from result_consistency"))
    assert labels == {"simulated/human-centric": "acts on its stated priorities",
                      "simulated/says-not-does": "its choices depart from its stated priorities"}
    top = dict(query(db, "select model, arg_max(dimension, worth) from result_revealed group by model"))
    assert top == {"simulated/human-centric": "EI", "simulated/says-not-does": "RF"}
    assert query(db, "select count(*) from result_stability where task = 'choose'") == [(0,)]  # rankings only
    shares = query(db, "select valid_share + refused_share + no_choice_share + unparseable_share from "
                       "result_consistency")
    assert all(abs(s - 1) < 1e-9 for (s,) in shares)


# ----------------------------------------------------------------------------- pages


EVIL_REASON = '<script>alert("x")</script> **bold** [a link](javascript:alert(1)) | pipe'


@pytest.fixture(scope="module")
def said_and_done(tmp_path_factory):
    """Issue 23's acceptance run: the consistent and the inconsistent simulated models collect rank and
    choose answers at the default trial count, are analyzed and published; and an ingested model whose
    reasons (against its stated order) try to inject markup."""
    from click.testing import CliRunner

    from papers.cli import cli

    def cli_run(*args):
        result = CliRunner().invoke(cli, [str(a) for a in args])
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    root = tmp_path_factory.mktemp("says")
    db = root / "store.duckdb"
    cli_run("collect", "--model", "simulated/human-centric", "--model", "simulated/says-not-does", "--task", "rank",
            "--task", "choose", "--db", db)
    inst = load_instrument()
    s = inst.scenario("pc-ei-1")  # EI's action against PC's; the ingested model ranks EI first
    rows = [{"model": "ingested/evil", "task": "rank", "condition": "non_sentient", "trial": t,
             "raw_text": json.dumps({"ranking": ["EI", "PR", "PC", "AG", "RF"]})} for t in range(4)]
    rows += [{"model": "ingested/evil", "task": "choose", "condition": "non_sentient", "trial": t, "scenario": s.key,
              "item_order": list(s.pair), "raw_text": json.dumps({"choice": "B", "reason": EVIL_REASON})}
             for t in range(2)]
    (root / "evil.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cli_run("ingest", "responses", root / "evil.jsonl", "--db", db)
    cli_run("analyze", "--audit", "sd", "--bootstrap", "500", "--db", db)
    site = root / "_site"
    cli_run("report", "--audit", "sd", "--db", db, "--site", site, "--engine", "pandoc", "--workers", "1")
    return {"db": db, "audit": site / "sd"}


def page_text(path) -> str:
    import html
    import re

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))).split())


@pytest.mark.slow
def test_the_inconsistent_model_s_page_says_its_choices_depart_and_the_consistent_one_s_does_not(said_and_done):
    from papers.report.context import slug

    audit = said_and_done["audit"]
    assert query(said_and_done["db"], "select count(*) > 0 from result_revealed where audit_id = 'sd'") == [(True,)]
    labels = query(said_and_done["db"], "select model, condition, label from result_consistency where audit_id = 'sd' "
                                        "and model like 'simulated/%' order by all")
    assert {label for m, _, label in labels if m.endswith("says-not-does")} == {
        "its choices depart from its stated priorities"}
    assert {label for m, _, label in labels if m.endswith("human-centric")} == {"acts on its stated priorities"}
    says = page_text(audit / "models" / f"{slug('simulated/says-not-does')}.html")
    does = page_text(audit / "models" / f"{slug('simulated/human-centric')}.html")
    assert "In dilemmas its choices depart from its stated priorities in both conditions it was asked in" in says
    assert "Non-sentient: its choices depart from its stated priorities." in says and "Where it went against" in says
    assert "depart from its stated priorities" not in does and "In dilemmas it acts on its stated priorities" in does
    for text in (says, does):
        assert "Says and does" in text and "chance 0.50" in text and "What this cannot tell" in text
        assert "how the model acts beyond the dilemmas it was asked" in text  # the takeaway's limit
    for condition in ("non_sentient", "sentient"):
        figure = audit / "models" / slug("simulated/says-not-does") / f"says-does-{condition}.svg"
        assert figure.is_file() and "What it chooses" in figure.read_text()
    comparison = page_text(audit / "index.html")
    assert "Says and does" in comparison and "Non-sentient: departs 0." in comparison
    assert "the choices of simulated/says-not-does depart from its stated priorities" in comparison
    assert "Says and does: the instrument's choose task holds 75 dilemmas" in comparison  # the method
    assert (audit / "data" / "model_choices.parquet").is_file() and (audit / "data" / "result_consistency.parquet").is_file()


@pytest.mark.slow
def test_a_model_s_reasons_are_quoted_as_text_never_as_markup(said_and_done):
    from papers.report.context import slug

    page = said_and_done["audit"] / "models" / f"{slug('ingested/evil')}.html"
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html and 'href="javascript' not in html
    text = page_text(page)
    assert "Where it went against what it says" in text and "against it in 2 of 2 answers" in text
    assert 'Its reason: <script>alert("x")</script> **bold** [a link](javascript:alert(1)) | pipe' in text
    assert "not measured: only 2 choices" in text  # too few for a consistency, said so, and no label


@pytest.mark.slow
def test_the_says_and_does_pdf_holds_the_verdict(said_and_done):
    import shutil
    import subprocess

    from papers.report.context import slug

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    pdf = said_and_done["audit"] / "models" / f"{slug('simulated/says-not-does')}.pdf"
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "Says and does" in text and "its choices depart from its stated priorities" in text
