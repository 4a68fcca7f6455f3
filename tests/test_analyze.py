"""`papers analyze` end to end, and the edge cases: each gives a defined result or a clear message."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from papers.analysis.audit import Layout, Settings, compute_audit
from papers.analysis.declines import reasons
from papers.instrument import load_instrument
from papers.store import open_store
from tests.conftest import FIXTURES, query

INST = load_instrument()
LAYOUT = Layout(shown={c.key: c.dimensions for c in INST.conditions},
                orientation={d.key: d.orientation for d in INST.dimensions})
NS = INST.shown("non_sentient")


def answers_frame(models: dict[str, list[list[float]]], task="rank", condition="non_sentient", orders=True):
    rows = []
    for model, trials in models.items():
        for t, values in enumerate(trials):
            order = list(NS)[t % 5:] + list(NS)[: t % 5] if orders else None
            for dim, v in zip(NS, values):
                rows.append({"model": model, "condition": condition, "task": task, "response_id": f"{model}-{t}",
                             "trial": t, "item_order": order, "dimension": dim, "value": float(v)})
    return pl.DataFrame(rows, schema={"model": pl.String, "condition": pl.String, "task": pl.String,
                                      "response_id": pl.String, "trial": pl.Int64, "item_order": pl.List(pl.String),
                                      "dimension": pl.String, "value": pl.Float64})


def outcomes_for(answers: pl.DataFrame) -> pl.DataFrame:
    return answers.group_by("model", "condition", "task").agg(n=pl.col("response_id").n_unique()).with_columns(
        status=pl.lit("valid")).select("model", "condition", "task", "status", "n")


EMPTY_HUMAN = pl.DataFrame(schema={"sample": pl.String, "condition": pl.String, "task": pl.String,
                                   "participant": pl.String, "dimension": pl.String, "value": pl.Float64})
EMPTY_ITEMS = pl.DataFrame(schema={"sample": pl.String, "item": pl.String, "value": pl.Float64})
EMPTY_CODES = pl.DataFrame(schema={"model": pl.String, "condition": pl.String, "response_id": pl.String,
                                   "coder": pl.String, "dimension": pl.String, "is_present": pl.Boolean})


def audit(answers, human=EMPTY_HUMAN, b=200):
    return compute_audit(answers, outcomes_for(answers), human, {}, EMPTY_ITEMS, EMPTY_CODES, LAYOUT,
                         Settings(b=b, stability_b=50)).tables


def assert_declined(frame: pl.DataFrame, statistic: str, column: str, why: str):
    """Every row whose `column` is empty declines `statistic` in its note, for the reason given."""
    empty = frame.filter(pl.col(column).is_null())
    assert empty.height > 0, f"{column} is never empty"
    for note in empty["note"]:
        assert why in reasons(note).get(statistic, ""), f"{column} is empty, but the note says {note!r}"


def perm(rng):
    return list(rng.permutation(5) + 1)


def test_single_trial_one_model_and_no_humans():
    tables = audit(answers_frame({"solo": [[1, 2, 3, 4, 5]]}))
    prof = tables["result_profiles"]
    assert prof["n"].to_list() == [1] * 5 and prof["mean"].to_list() == [1.0, 2, 3, 4, 5]
    # one trial: no interval and no SD (not the trial's value as both ends), and the note says why
    assert_declined(prof, "ci", "ci_low", "only 1 trial")
    assert prof["ci_high"].null_count() == 5 and prof["sd"].null_count() == 5
    stab = tables["result_stability"]
    for statistic, column in (("friedman", "friedman_p"), ("kendall_w", "kendall_w"), ("mean_rho", "mean_rho")):
        assert_declined(stab, statistic, column, "only 1 trial")
    diff = tables["result_differences"]
    assert_declined(diff, "kruskal_h", "p_holm", "one model only")
    assert_declined(tables["result_clusters"], "cluster", "cluster", "only 1 model")
    assert tables["result_agreement"].height == 0 and tables["result_human_profiles"].height == 0


def test_constant_model_gives_w_one_and_a_dimension_never_ranked_first():
    constant = [[1, 2, 3, 4, 5]] * 10
    rng = np.random.default_rng(1)
    tables = audit(answers_frame({"constant": constant, "random": [perm(rng) for _ in range(10)]}))
    stab = tables["result_stability"].filter(pl.col("model") == "constant")
    assert stab["kendall_w"][0] == pytest.approx(1.0) and stab["mean_rho"][0] == pytest.approx(1.0)
    # ten identical trials: not [1, 1], but the bound (1 - 2p)^2 with p the Clopper-Pearson upper bound of
    # 0 differing trials in 10 (scipy's beta quantile: the exact binomial bound)
    p = sps.beta.ppf(0.975, 1, 10)
    assert stab["mean_rho_ci_low"][0] == pytest.approx((1 - 2 * p) ** 2) and stab["mean_rho_ci_high"][0] == 1.0
    prof = tables["result_profiles"].filter(pl.col("model") == "constant")
    assert prof.filter(pl.col("dimension") == "RF")["top1_share"][0] == 0.0
    assert prof["sd"].to_list() == [0.0] * 5
    # every trial ranks PC first: its mean rank lies in [1, 1 + 4p], not [1, 1]
    first = prof.filter(pl.col("mean") == 1.0).row(0, named=True)
    assert (first["ci_low"], first["ci_high"]) == pytest.approx((1.0, 1 + 4 * p))


def test_ties_in_ratings_and_all_equal_ratings():
    rng = np.random.default_rng(2)
    ties = [list(rng.integers(3, 6, 5)) for _ in range(15)]
    flat = [[4, 4, 4, 4, 4]] * 15
    tables = audit(answers_frame({"ties": ties, "flat": flat, "third": [list(rng.integers(1, 8, 5)) for _ in range(15)]},
                                 task="rate"))
    stab = tables["result_stability"]
    assert_declined(stab, "kendall_w", "kendall_w", "every trial gives every dimension the same value")
    assert_declined(stab, "mean_rho", "mean_rho", "every trial gives every dimension the same value")
    assert stab.filter(pl.col("kendall_w").is_null())["model"].to_list() == ["flat"]


def test_item_order_missing_is_explained():
    rng = np.random.default_rng(3)
    tables = audit(answers_frame({"m": [perm(rng) for _ in range(8)]}, orders=False))
    stab = tables["result_stability"]
    assert_declined(stab, "position_bias_rho", "position_bias_rho", "item order not recorded")


def test_position_bias_is_detected():
    # a model that ranks whatever is shown first as first: rho(position, rank) = 1
    rows = []
    for t in range(30):
        order = list(np.random.default_rng(t).permutation(NS))
        rows.append([order.index(d) + 1 for d in NS])
    frame = answers_frame({"first-come": rows})
    frame = frame.with_columns(item_order=pl.col("response_id").map_elements(
        lambda rid: list(np.random.default_rng(int(rid.split("-")[-1])).permutation(NS)), return_dtype=pl.List(pl.String)))
    stab = audit(frame)["result_stability"]
    assert stab["position_bias_rho"][0] == pytest.approx(1.0)


def test_clustering_separates_human_centric_from_utility_driven():
    rng = np.random.default_rng(4)

    def draws(worth, n=40):
        out = []
        for _ in range(n):
            scores = np.array([worth[d] for d in NS]) + rng.gumbel(size=5)
            order = list(np.argsort(-scores))
            out.append([order.index(j) + 1 for j in range(5)])
        return out

    human = {"PC": 0.8, "AG": 0.2, "PR": 1.8, "EI": 2.2, "RF": 0.1}
    utility = {"PC": 0.8, "AG": 1.7, "PR": 0.1, "EI": 0.4, "RF": 2.2}
    models = {f"h{i}": draws(human) for i in range(4)} | {f"u{i}": draws(utility) for i in range(4)}
    tables = audit(answers_frame(models))
    clusters = tables["result_clusters"]
    assert clusters["cluster"].n_unique() == 2
    by_prefix = clusters.with_columns(kind=pl.col("model").str.slice(0, 1)).group_by("kind").agg(
        pl.col("cluster").n_unique().alias("clusters"), pl.col("label").first(), pl.col("model_type").unique())
    assert by_prefix["clusters"].to_list() == [1, 1]
    labels = dict(zip(by_prefix["kind"], by_prefix["label"]))
    assert labels == {"h": "human-centric", "u": "utility-driven"}
    assert clusters["stability_jaccard"].min() > 0.8
    structure = tables["result_structure"]
    assert structure["cophenetic_r"][0] > 0.7 and structure["k"][0] == 2
    diff = tables["result_differences"]
    assert diff.filter(pl.col("dimension") == "EI")["p_holm"][0] < 0.001


def test_agreement_with_humans_and_bands():
    rng = np.random.default_rng(5)
    model = [[2, 4, 3, 1, 5]] * 18 + [perm(rng) for _ in range(2)]
    humans = []
    for p in range(60):
        ranks = [2, 4, 3, 1, 5] if p % 2 else perm(rng)
        for dim, v in zip(NS, ranks):
            humans.append({"sample": "s1", "condition": "non_sentient", "task": "rank", "participant": f"p{p}",
                           "dimension": dim, "value": float(v)})
    tables = audit(answers_frame({"m": model}), human=pl.DataFrame(humans))
    agree = tables["result_agreement"]
    assert agree.height == 1 and agree["n_participants"][0] == 60 and agree["n_trials"][0] == 20
    row = agree.row(0, named=True)
    assert row["pearson_r"] > 0.7 and row["r_ci_low"] <= row["pearson_r"] <= row["r_ci_high"]
    assert row["ccc_ci_low"] <= row["ccc"] <= row["ccc_ci_high"] and row["rank_by_ccc"] == 1
    # the model's profile is sharper than the humans' (half of them answer at random): gaps exaggerated
    assert row["spread_ratio_ci_low"] > 1
    # rank profiles all have the same mean: no ICC(A,1), no level, no band, and a note that says why
    assert row["icc_a1"] is None and row["level_shift"] is None and row["band"] is None
    assert reasons(row["note"])["icc_a1"].startswith("rank task: every ranking has the same mean")


def test_rating_agreement_has_level_icc_with_both_intervals_and_a_cautious_band():
    rng = np.random.default_rng(6)
    truth = np.array([5.0, 4.0, 6.0, 6.5, 3.5])
    model = [list(np.clip(np.round(4 + 2 * (truth - truth.mean()) + rng.normal(0, 0.5, 5)), 1, 7)) for _ in range(30)]
    humans = [{"sample": "s1", "condition": "non_sentient", "task": "rate", "participant": f"p{p}", "dimension": dim,
               "value": float(np.clip(np.round(v + rng.normal(0, 1)), 1, 7))}
              for p in range(200) for dim, v in zip(NS, truth)]
    row = audit(answers_frame({"m": model}, task="rate"), human=pl.DataFrame(humans))["result_agreement"].row(0, named=True)
    # the model doubles the humans' gaps around a lower level: order kept, calibration and level off
    assert row["pearson_r"] > 0.9 and row["spread_ratio_ci_low"] > 1.5 and row["level_shift_ci_high"] < 0
    assert row["icc_a1_f_ci_low"] < row["icc_a1_ci_low"] <= row["icc_a1"] <= row["icc_a1_ci_high"]
    assert row["icc_a1"] < row["icc_c1"] and row["ccc"] < row["pearson_r"]
    # with five dimensions the F-based interval spans several Koo & Li bands: no single band is named
    assert row["band"].startswith("between ") and row["note"] is None


# ------------------------------------------------------------------------------------ the command


@pytest.fixture
def simulated(run):
    run("collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven",
        "--model", "simulated/uniform", "--model", "simulated/human-centric-2", "--task", "rank", "--task", "rate",
        "--trials", "60")


def test_analyze_command_is_idempotent_and_guards_names(db, run, simulated, examples):
    first = run("analyze", "--audit", "a1", "--bootstrap", "200")
    assert "Audit a1: papers 1.2.0" in first.output and "most stable" in first.output
    before = query(db, "select * from result_profiles order by all")
    again = run("analyze", "--audit", "a1", "--bootstrap", "200")
    assert "already up to date" in again.output
    assert query(db, "select * from result_profiles order by all") == before
    other_settings = run("analyze", "--audit", "a1", "--bootstrap", "300", expect=1)
    assert "already exists with other settings" in other_settings.output and "--replace" in other_settings.output
    run("ingest", "survey", examples / "survey_qualtrics.csv", "--sample", "example",
        "--mapping", examples / "survey_mapping.yaml")
    refused = run("analyze", "--audit", "a1", "--bootstrap", "200", expect=1)
    assert "already exists with other data" in refused.output
    replaced = run("analyze", "--audit", "a1", "--bootstrap", "200", "--replace", "--json")
    data = json.loads(replaced.output)
    assert data["rows"]["result_agreement"] == 4 * 2 * 2  # models x conditions x tasks, one sample
    assert query(db, "select count(*) from audits") == [(1,)]
    settings = json.loads(query(db, "select settings from audits")[0][0])
    assert settings["seed"] == 20260101 and settings["bootstrap_b"] == 200
    default = run("analyze", "--bootstrap", "200")
    assert f"Audit {date.today().isoformat()}" in default.output


def test_analyze_results_make_sense(db, run, simulated):
    run("analyze", "--audit", "a", "--bootstrap", "200")
    types = dict(query(db, "select model, model_type from result_clusters where condition = 'sentient' and task = 'rank'"))
    assert types["simulated/human-centric"] == "human-centric"
    assert types["simulated/utility-driven"] == "utility-driven"
    firsts = dict(query(db, "select model, arg_min(dimension, mean) from result_profiles "
                            "where task = 'rank' and condition = 'non_sentient' group by 1"))
    assert firsts["simulated/human-centric"] == "EI" and firsts["simulated/utility-driven"] == "RF"
    nan_rows = query(db, "select count(*) from result_stability where isnan(kendall_w) and note is null")
    assert nan_rows == [(0,)]


def test_analyze_without_data_and_with_two_instruments(db, run, tmp_path):
    open_store(db).close()  # a store that exists but holds no answers (a missing one: test_cli.py)
    assert "holds no model answers" in run("analyze", expect=1).output
    rows = [{"model": "m", "task": "rank", "condition": "default", "trial": 0,
             "raw_text": json.dumps({"ranking": ["UN", "BE", "SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR"]})}]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run("ingest", "responses", path, "--instrument", FIXTURES / "schwartz.yaml")
    run("collect", "--model", "simulated/uniform", "--trials", "3")
    result = run("analyze", expect=1)
    assert "answers to 2 instruments, which are never pooled" in result.output and "--instrument" in result.output
    ok = run("analyze", "--audit", "s", "--instrument", "schwartz10@0.1.0", "--bootstrap", "100")
    assert "schwartz10 0.1.0" in ok.output


def test_themes_and_coder_agreement_from_codes():
    rng = np.random.default_rng(8)
    rows = []
    for i in range(40):
        model = "m1" if i < 20 else "m2"
        for dim in NS:
            truth = bool(rng.random() < (0.8 if dim == "EI" and model == "m1" else 0.2))
            for coder in ("alice", "bob", "llm"):
                flip = rng.random() < 0.1
                rows.append({"model": model, "condition": "non_sentient", "response_id": f"r{i}", "coder": coder,
                             "dimension": dim, "is_present": truth != flip})
    codes = pl.DataFrame(rows)
    answers = answers_frame({"m1": [[1, 2, 3, 4, 5]] * 3, "m2": [[5, 4, 3, 2, 1]] * 3})
    tables = compute_audit(answers, outcomes_for(answers), EMPTY_HUMAN, {}, EMPTY_ITEMS, codes, LAYOUT,
                           Settings(b=200, stability_b=20)).tables
    themes = tables["result_themes"]
    ei = themes.filter((pl.col("model") == "m1") & (pl.col("dimension") == "EI")).row(0, named=True)
    assert ei["n"] == 20 and ei["coders"] == 3 and ei["share"] > 0.6 and ei["ci_low"] < ei["share"] < ei["ci_high"]
    agreement = tables["result_coder_agreement"]
    assert set(agreement["statistic"]) == {"krippendorff_alpha"} and agreement.height == 5
    assert agreement["value"].min() > 0.4
    two = codes.filter(pl.col("coder") != "llm")
    tables = compute_audit(answers, outcomes_for(answers), EMPTY_HUMAN, {}, EMPTY_ITEMS, two, LAYOUT,
                           Settings(b=200, stability_b=20)).tables
    assert set(tables["result_coder_agreement"]["statistic"]) == {"cohen_kappa"}


def test_theme_rule_decides_presence_and_is_recorded():
    # one answer, three coders: two say EI is present, one says not
    codes = pl.DataFrame([{"model": "m1", "condition": "non_sentient", "response_id": "r1", "coder": c, "dimension": "EI",
                           "is_present": c != "carol"} for c in ("alice", "bob", "carol")])
    answers = answers_frame({"m1": [[1, 2, 3, 4, 5]] * 3})

    def share(rule):
        tables = compute_audit(answers, outcomes_for(answers), EMPTY_HUMAN, {}, EMPTY_ITEMS, codes, LAYOUT,
                               Settings(b=50, stability_b=5, theme_rule=rule)).tables
        row = tables["result_themes"].row(0, named=True)
        return row["share"], row["rule"]

    assert share("all") == (0.0, "all") and share("any") == (1.0, "any") and share("majority") == (1.0, "majority")
    assert share(None) == (1.0, "majority")  # three coders: a majority by default
    two = codes.filter(pl.col("coder") != "alice")  # bob yes, carol no
    tables = compute_audit(answers, outcomes_for(answers), EMPTY_HUMAN, {}, EMPTY_ITEMS, two, LAYOUT,
                           Settings(b=50, stability_b=5)).tables
    assert tables["result_themes"].select("share", "rule").row(0) == (0.0, "all")  # two coders: both must agree


def test_six_identical_uniform_models_get_no_types_and_no_clusters():
    # known truth: flat and identical; at small scale of bench/validity.py's 95 % goal
    rng = np.random.default_rng(9)
    clean = 0
    for _ in range(20):
        models = {f"uniform-{i}": [perm(rng) for _ in range(30)] for i in range(6)}
        tables = compute_audit(answers_frame(models), outcomes_for(answers_frame(models)), EMPTY_HUMAN, {}, EMPTY_ITEMS,
                               EMPTY_CODES, LAYOUT, Settings(b=100, stability_b=10, permutations=99,
                                                             seed=int(rng.integers(1e9)))).tables
        clusters = tables["result_clusters"]
        clean += set(clusters["model_type"]) == {"no clear type"} and tables["result_structure"]["k"][0] == 1
        assert set(clusters["label"]) == {"no cluster structure"} or tables["result_structure"]["k"][0] > 1
    assert clean >= 19


def test_analyze_speaks_only_as_the_evidence_allows(db, run):
    # two identical models: neither is "most stable" nor the only "closest"; a uniform model has no ordering
    run("collect", "--model", "simulated/human-centric", "--model", "simulated/human-centric-2",
        "--model", "simulated/uniform", "--task", "rank", "--trials", "20")
    out = run("analyze", "--audit", "w", "--bootstrap", "200").output
    assert "most stable: no clear leader" in out and "3 models:" in out
    summary = query(db, "select model, friedman_p from result_stability where audit_id = 'w' and condition = 'sentient'")
    assert dict(summary)["simulated/uniform"] > 0.05


def test_migration_005_keeps_older_audits_and_adds_the_new_columns(db, monkeypatch):
    from papers import store as store_module
    from papers.store import open_store

    original = store_module.migrations()
    monkeypatch.setattr(store_module, "migrations", lambda: [m for m in original if m[0] <= 4])
    old = open_store(db)
    old.sql("insert into result_stability (audit_id, model, condition, task, kendall_w, w_ci_low, w_ci_high) "
            "values ('old', 'm', 'c', 'rank', 0.4, 0.3, 0.5)")
    old.close()
    monkeypatch.setattr(store_module, "migrations", lambda: original)
    open_store(db).close()
    columns = {r[0] for r in query(db, "select column_name from information_schema.columns "
                                       "where table_name = 'result_stability'")}
    assert {"mean_rho", "mean_rho_ci_low", "mean_rho_ci_high"} <= columns and "w_ci_low" not in columns
    assert query(db, "select kendall_w, mean_rho from result_stability where audit_id = 'old'") == [(0.4, None)]
    agreement = {r[0] for r in query(db, "select column_name from information_schema.columns "
                                         "where table_name = 'result_agreement'")}
    assert {"spread_ratio", "ccc", "level_shift", "icc_a1_f_ci_low", "rank_by_ccc"} <= agreement


def test_degenerate_data_raises_no_numerical_warning(db, run, tmp_path):
    """Constant ratings, one model with a single trial, a model with one task only: the statistics are
    empty or NA where they must be, and no numpy or scipy warning reaches the user."""
    import warnings

    rows = []
    for t in range(3):
        rows.append({"model": "m1", "task": "rank", "condition": "non_sentient", "trial": t,
                     "raw_text": '{"ranking": ["EI", "PR", "PC", "AG", "RF"]}'})
        rows.append({"model": "m1", "task": "rate", "condition": "non_sentient", "trial": t,
                     "raw_text": '{"ratings": {"EI": 7, "PR": 7, "PC": 7, "AG": 7, "RF": 7}}'})
    rows.append({"model": "m2", "task": "rate", "condition": "non_sentient", "trial": 0,
                 "raw_text": '{"ratings": {"EI": 7, "PR": 6, "PC": 5, "AG": 4, "RF": 3}}'})
    path = tmp_path / "degenerate.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run("ingest", "responses", path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the command, and so this test
        result = run("analyze", "--audit", "degenerate")
    # three identical rankings put the humanistic dimensions first, but three trials cannot show that the
    # model would do so again: the index's interval is a bound, not the point, and no type is given
    assert "non_sentient / rank: 1 model: 1 no clear type" in result.output
