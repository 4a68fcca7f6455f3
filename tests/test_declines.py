"""A declined statistic is NULL in every column that belongs to it, with its reason in the note, and
pages print "not computed: <reason>" and nothing else (issue 25, items 13 and 19-23). Each test
reproduces one finding of the issue."""

from __future__ import annotations

import math
import re

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from papers.analysis import stats
from papers.analysis.audit import Layout, Settings, compute_audit
from papers.analysis.claims import Estimate, leader_phrase
from papers.analysis.declines import COLUMNS, MINIMUMS, UNEXPLAINED, reasons, settle
from papers.report.sections import agreement_rows, fidelity_words, icc_rows, quality_rows, type_words
from papers.report.wording import estimate, fmt
from tests.test_analyze import EMPTY_CODES, EMPTY_ITEMS, LAYOUT, NS, answers_frame, outcomes_for

METHODS_PAGE = __import__("pathlib").Path(__file__).parent.parent / "docs" / "methods" / "analysis.md"


def humans_frame(ratings: list[list[float]], task: str = "rate", condition: str = "non_sentient") -> pl.DataFrame:
    return pl.DataFrame([{"sample": "s", "condition": condition, "task": task, "participant": f"p{i}", "dimension": d,
                          "value": float(v)} for i, row in enumerate(ratings) for d, v in zip(NS, row)])


def tables_of(models: dict, humans: pl.DataFrame, task: str = "rate", layout: Layout = LAYOUT, b: int = 300) -> dict:
    answers = answers_frame(models, task=task)
    return compute_audit(answers, outcomes_for(answers), humans, {}, EMPTY_ITEMS, EMPTY_CODES, layout,
                         Settings(b=b, stability_b=20, permutations=49)).tables


def ratings(rng, centre, n, sd=1.0):
    return np.clip(np.round(np.asarray(centre, float) + rng.normal(0, sd, (n, len(centre)))), 1, 7).tolist()


def assert_rule_holds(tables: dict) -> None:
    """The rule, on every table: no NaN and no -0.0; a statistic with a missing point is missing whole and
    its note says why; no interval of zero width; no reason left UNEXPLAINED."""
    for name, frame in tables.items():
        for column, kind in frame.schema.items():
            if kind == pl.Float64:
                values = [v for v in frame[column].to_list() if v is not None]
                assert not any(math.isnan(v) for v in values), f"{name}.{column} holds NaN"
                assert not any(v == 0 and math.copysign(1, v) < 0 for v in values), f"{name}.{column} holds -0.0"
        if "note" not in frame.columns:
            continue
        assert not any(UNEXPLAINED in (n or "") for n in frame["note"]), f"{name}: a value missing without a reason"
        for row in frame.iter_rows(named=True):
            declined = reasons(row["note"])
            for statistic, columns in COLUMNS.get(name, {}).items():
                present = [c for c in columns if c in row]
                if statistic in declined:
                    assert all(row[c] is None for c in present), (name, statistic, row)
                lows = [c for c in present if c.endswith("_low")]
                if lows and row[lows[0]] is not None:
                    assert row[lows[0]] < row[lows[0].replace("_low", "_high")], (name, statistic, row)


# ------------------------------------------------------------------------------ item 19


def test_a_declined_statistic_has_no_interval_band_or_word_anywhere():
    # issue 25, item 19: r NaN beside a stored interval ("r = n/a [-0.84, 1.00]"), an undefined spread ratio
    # printed with an interval and a verdict, CCC and ICC "n/a" with intervals and a Koo & Li band
    rng = np.random.default_rng(1)
    humans = humans_frame(ratings(rng, [6, 4, 5, 2, 3], 60))
    flat_humans = humans_frame([[4, 4, 4, 4, 4]] * 30)
    models = {"uniform": ratings(rng, [4, 4, 4, 4, 4], 30, sd=1.5), "ordered": ratings(rng, [6, 3, 5, 2, 3], 30)}
    for people in (humans, flat_humans):
        tables = tables_of(models, people)
        assert_rule_holds(tables)
        for row in tables["result_agreement"].iter_rows(named=True):
            if row["pearson_r"] is None:
                assert row["r_ci_low"] is None and row["r_ci_high"] is None
                assert "pearson_r" in reasons(row["note"])
            if row["icc_a1"] is None:
                assert row["band"] is None and row["icc_a1_ci_low"] is None and row["icc_a1_f_ci_low"] is None
            text = fidelity_words(row)
            assert "n/a" not in text and not re.search(r"not computed[^;]*\[", text), text
    flat = tables_of(models, flat_humans)["result_agreement"].row(0, named=True)
    assert reasons(flat["note"])["spread_ratio"] == "the humans' profile is flat within its sampling noise"
    assert "gaps" not in fidelity_words(flat) and "exaggerated" not in fidelity_words(flat)
    assert fidelity_words(flat).endswith("not computed: the humans' profile is flat within its sampling noise")


def test_pages_print_not_computed_and_nothing_else():
    row = {"model": "m", "sample": "s", "condition": "non_sentient", "task": "rate", "rank_by_ccc": None,
           "pearson_r": None, "r_ci_low": None, "r_ci_high": None, "spearman_rho": None, "spread_ratio": None,
           "spread_ratio_ci_low": None, "spread_ratio_ci_high": None, "level_shift": 0.4, "level_shift_ci_low": 0.1,
           "level_shift_ci_high": 0.7, "ccc": None, "ccc_ci_low": None, "ccc_ci_high": None, "icc_a1": None,
           "icc_a1_ci_low": None, "icc_a1_ci_high": None, "icc_a1_f_ci_low": None, "icc_a1_f_ci_high": None,
           "band": None, "icc_c1": None, "icc_c1_ci_low": None, "icc_c1_ci_high": None, "n_trials": 12,
           "n_participants": 50, "note": "pearson_r, spearman_rho, spread_ratio, ccc, icc_a1, icc_c1: only 12 trials"}
    assert fidelity_words(row) == "order r, calibration, CCC and ICC(A,1) not computed: only 12 trials"
    data = type("Data", (), {"tables": {"result_agreement": pl.DataFrame([row])}})()
    shown = agreement_rows(data)[0]
    assert shown["r"] == shown["ccc"] == shown["spread"] == shown["rho"] == "not computed: only 12 trials"
    assert shown["level"] == "0.40 [0.10, 0.70]"
    icc = icc_rows(data)[0]
    assert icc["icc_a1"] == icc["icc_a1_f"] == "not computed: only 12 trials" and icc["band"] == "-"
    # an audit stored before reasons were recorded: NaN is "not computed", never with the interval beside it
    old = {"pearson_r": float("nan"), "r_ci_low": -0.84, "r_ci_high": 1.0, "note": "free text"}
    assert estimate(old, "pearson_r", low="r_ci_low", high="r_ci_high") == "not computed"


def test_every_result_table_follows_the_rule_on_degenerate_data():
    # one trial, constant answers, one model, two coders who never vary, an item everyone answers alike
    rng = np.random.default_rng(2)
    answers = answers_frame({"solo": [[1, 2, 3, 4, 5]], "constant": [[2, 1, 3, 4, 5]] * 8,
                             "random": [list(rng.permutation(5) + 1) for _ in range(8)]})
    humans = humans_frame([[1, 2, 3, 4, 5]], task="rank")
    items = pl.DataFrame({"sample": "s", "item": ["same"] * 5 + ["one"], "value": [4.0] * 5 + [2.0]})
    codes = pl.DataFrame({"model": "solo", "condition": "non_sentient", "response_id": ["r1", "r1", "r2", "r2"],
                          "coder": ["a", "b"] * 2, "dimension": "EI", "is_present": [True] * 4})
    tables = compute_audit(answers, outcomes_for(answers), humans, {}, items, codes, LAYOUT,
                           Settings(b=100, stability_b=20, permutations=49)).tables
    assert_rule_holds(tables)
    human = tables["result_human_profiles"]
    assert human["ci_low"].null_count() == human.height and "only 1 participant" in reasons(human["note"][0])["ci"]
    item = {r["item"]: r for r in tables["result_items"].iter_rows(named=True)}
    assert item["same"]["ci_low"] is None and "every participant gave the same value" in item["same"]["note"]
    assert item["one"]["sd"] is None
    coder = tables["result_coder_agreement"].row(0, named=True)
    assert coder["value"] is None and coder["ci_low"] is None and reasons(coder["note"])["value"]


# ------------------------------------------------------------------------------ item 20


def test_a_profile_flat_within_its_noise_is_declined_not_forced_to_zero():
    # issue 25, item 20: "CCC = -0.00 [-0.04, 0.03]; ICC(A,1) = 0.00 [...], poor" for simulated/uniform, rate
    rng = np.random.default_rng(3)
    humans = humans_frame(ratings(rng, [6, 4, 5, 2, 3], 80))
    row = tables_of({"uniform": ratings(rng, [4, 4, 4, 4, 4], 30, sd=1.6)}, humans)["result_agreement"].row(0, named=True)
    assert row["ccc"] is None and row["icc_a1"] is None and row["band"] is None and row["ccc_ci_low"] is None
    assert reasons(row["note"])["ccc"] == "the model's profile is flat within its trial noise"
    assert "-0.00" not in fidelity_words(row) and "poor" not in fidelity_words(row)
    # no negative zero on a page or in the command's output: a value that rounds to zero is printed unsigned
    assert fmt(-0.0) == fmt(-0.004) == "0.00" and fmt(-0.006) == "-0.01"
    from papers.compare import r_text

    assert r_text(-0.001, -0.3, 0.2) == "r = 0.00 [-0.30, 0.20]"


def test_settle_turns_negative_zero_and_nan_into_zero_and_null():
    frame = pl.DataFrame({"x": [-0.0, float("nan"), 1.5], "note": [None, None, None]})
    out = settle("result_whatever", frame)
    assert out["x"].to_list()[1] is None and math.copysign(1, out["x"][0]) == 1.0


# ------------------------------------------------------------------------------ item 21


def test_rounding_residue_in_a_human_profile_is_no_spread():
    # issue 25, item 21: people who rate every dimension 4 left a variance of about 1e-16, printed as
    # "gaps 311893815.19x [2.23, 311893815.19]" and "r = 1.00 [0.37, 1.00]"; here the residue comes from a
    # rescaled scale (4 read as 0.5 of 1-7 and back), as a survey's recoding leaves it
    rng = np.random.default_rng(4)
    recoded = [[(((4 - 1) / 6) * 6 + 1) * (1 + 1e-16 * j) for j in range(5)] for _ in range(12)]
    assert np.var(np.array(recoded).mean(axis=0)) > 0  # the residue is there
    row = tables_of({"fixed": [[7, 5, 6, 2, 3]] * 25 + ratings(rng, [6, 5, 6, 2, 3], 5)},
                    humans_frame(recoded))["result_agreement"].row(0, named=True)
    assert row["spread_ratio"] is None and row["pearson_r"] is None
    assert reasons(row["note"])["spread_ratio"] == "the humans' profile is flat within its sampling noise"
    assert "311893815" not in fidelity_words(row)


def test_a_residue_of_spread_in_trials_is_no_spread_for_the_orientation_index():
    # the same cause elsewhere: the t interval of identical trials (but for rounding) divides by a residue
    index = np.array([1.0, 1.0 + 1e-15, 1.0, 1.0 - 1e-15] * 3)
    out = __import__("papers.analysis.structure", fromlist=["x"]).orientation_test(index, 0.25, bounds=(-3.0, 3.0))
    p = sps.binomtest(0, 12).proportion_ci(0.95, method="exact").high
    assert (out.ci_low, out.ci_high) == pytest.approx((1.0 - 4.0 * p, 1.0 + 2.0 * p))


# ------------------------------------------------------------------------------ item 22


def test_identical_trials_give_bounds_and_no_label():
    # issue 25, item 22: "most stable: ... (mean rho = 1.00 [1.00, 1.00])", an index interval [-1, -1] typing a
    # model, and "3.0 [3.0, 3.0]" beside "one valid trial: no spread or interval"
    three = Layout({"c": ("EI", "PR", "RF")}, {"EI": "humanistic", "PR": "humanistic", "RF": "utility"})
    rows = []
    for model, trials in (("same", [[1, 2, 3]] * 8), ("varied", [[1, 2, 3]] * 6 + [[2, 1, 3], [1, 3, 2]]),
                          ("one", [[3, 1, 2]])):
        rows += [{"model": model, "condition": "c", "task": "rank", "response_id": f"{model}{t}", "trial": t,
                  "item_order": None, "dimension": d, "value": float(v)}
                 for t, values in enumerate(trials) for d, v in zip(("EI", "PR", "RF"), values)]
    answers = pl.DataFrame(rows, schema_overrides={"item_order": pl.List(pl.String)})
    tables = compute_audit(answers, outcomes_for(answers), humans_frame([], "rank").clear(), {}, EMPTY_ITEMS, EMPTY_CODES,
                           three, Settings(b=300, stability_b=20, permutations=49)).tables
    assert_rule_holds(tables)
    stab = {r["model"]: r for r in tables["result_stability"].iter_rows(named=True)}
    assert stab["same"]["mean_rho"] == pytest.approx(1.0) and stab["same"]["mean_rho_ci_low"] < 0.6
    estimates = [Estimate(m, r["mean_rho"], r["mean_rho_ci_low"], r["mean_rho_ci_high"]) for m, r in stab.items()]
    assert "no clear leader" in leader_phrase("most stable", estimates, lambda e: "")
    profile = tables["result_profiles"].filter(pl.col("model") == "one")
    assert profile["ci_low"].null_count() == 3
    assert estimate(profile.row(0, named=True), "mean", low="ci_low", high="ci_high", interval="ci") \
        .startswith("3.00 (no interval: only 1 trial")
    clusters = {r["model"]: r for r in tables["result_clusters"].iter_rows(named=True)}
    assert clusters["same"]["orientation_ci_high"] > clusters["same"]["orientation_ci_low"]
    assert clusters["one"]["model_type"] is None and type_words(clusters["one"]).startswith("type not computed: only 1")


def test_a_zero_width_interval_makes_no_leader():
    a, b = Estimate("a", 1.0, 1.0, 1.0), Estimate("b", 0.4, 0.2, 0.6)
    assert leader_phrase("most stable", [a, b], lambda e: "") == "most stable: no clear leader; intervals overlap for a, b"


# ------------------------------------------------------------------------------ item 23


def test_too_few_participants_trials_or_dimensions_decline_with_the_minimum_named():
    # issue 25, item 23: agreement with 2 participants got Koo & Li bands; a two-dimension instrument declined nothing
    rng = np.random.default_rng(5)
    model = {"m": ratings(rng, [6, 3, 5, 2, 4], 30)}
    two_people = tables_of(model, humans_frame(ratings(rng, [6, 4, 5, 2, 3], 2)))["result_agreement"].row(0, named=True)
    assert two_people["icc_a1"] is None and two_people["band"] is None
    assert reasons(two_people["note"])["icc_a1"] == f"only 2 participants: {MINIMUMS['fidelity'].what} needs " \
                                                     f"{MINIMUMS['fidelity'].participants}"
    few_trials = tables_of({"m": model["m"][:12]}, humans_frame(ratings(rng, [6, 4, 5, 2, 3], 50)))
    assert reasons(few_trials["result_agreement"]["note"][0])["ccc"].startswith("only 12 trials")
    two = Layout({"c": ("EI", "RF")}, {"EI": "humanistic", "RF": "utility"})
    rows = [{"model": "m", "condition": "c", "task": "rank", "response_id": f"t{t}", "trial": t, "item_order": None,
             "dimension": d, "value": float(v)} for t in range(25) for d, v in zip(("EI", "RF"), (1, 2) if t else (2, 1))]
    answers = pl.DataFrame(rows, schema_overrides={"item_order": pl.List(pl.String)})
    people = pl.DataFrame([{"sample": "s", "condition": "c", "task": "rank", "participant": f"p{i}", "dimension": d,
                            "value": float(v)} for i in range(40) for d, v in zip(("EI", "RF"), (1, 2) if i % 3 else (2, 1))])
    tables = compute_audit(answers, outcomes_for(answers), people, {}, EMPTY_ITEMS, EMPTY_CODES, two,
                           Settings(b=200, stability_b=20, permutations=49)).tables
    assert reasons(tables["result_stability"]["note"][0])["mean_rho"].startswith("only 2 dimensions")
    assert reasons(tables["result_agreement"]["note"][0])["pearson_r"].startswith("only 2 dimensions")


def test_the_methods_page_lists_every_minimum():
    text = METHODS_PAGE.read_text()
    for minimum in MINIMUMS.values():
        for unit in ("trials", "participants", "dimensions", "models", "answers"):
            need = getattr(minimum, unit)
            if need > 1:
                assert re.search(rf"{re.escape(minimum.what)}[^\n]*\b{need} {unit}", text), (minimum.what, unit, need)


# ------------------------------------------------------------------------------ item 13


def test_the_band_is_read_from_the_interval_printed_beside_it():
    # issue 25, item 13: "ICC(A,1) = 0.20 [0.16, 0.23], between poor and good", the band taken from the wider
    # F-based interval shown far below
    rng = np.random.default_rng(6)
    humans = humans_frame(ratings(rng, [5.2, 4.6, 5.8, 6.1, 4.9], 120, sd=1.3))
    tables = tables_of({"exaggerating": ratings(rng, [7, 2, 7, 7, 2], 30, sd=0.6)}, humans)
    row = tables["result_agreement"].row(0, named=True)
    assert row["icc_a1_ci_high"] < 0.5 and row["icc_a1_f_ci_high"] > 0.5  # the two intervals span different bands
    assert row["band"] == "poor" == stats.koo_li_interval_band((row["icc_a1_ci_low"], row["icc_a1_ci_high"]))
    assert fidelity_words(row).endswith(f"ICC(A,1) = {fmt(row['icc_a1'])} [{fmt(row['icc_a1_ci_low'])}, "
                                        f"{fmt(row['icc_a1_ci_high'])}], poor")
    shown = icc_rows(type("Data", (), {"tables": tables})())[0]
    assert shown["band"] == "poor" and shown["icc_a1_f"].startswith("[")


def test_quality_rows_print_declined_stability_as_not_computed():
    tables = tables_of({"solo": [[5, 4, 3, 2, 1]]}, humans_frame([], "rate").clear())
    data = type("Data", (), {"tables": tables})()
    shown = quality_rows(data, "solo")[0]
    assert shown["mean_rho"].startswith("not computed: only 1 trial") and shown["friedman"].startswith("not computed")


# ------------------------------------------------------------------------------ the store, as a user meets it


def test_a_stored_audit_holds_no_nan_and_no_interval_beside_a_declined_value(db, run, examples):
    # the issue's reproduction: `select pearson_r, r_ci_low, r_ci_high from result_agreement where isnan(pearson_r)`
    # on the demo store returned rows with numbers for the interval
    run("ingest", "survey", examples / "survey_qualtrics.csv", "--sample", "example",
        "--mapping", examples / "survey_mapping.yaml")
    run("collect", "--model", "simulated/uniform", "--model", "simulated/human-centric", "--task", "rate",
        "--trials", "21")
    run("analyze", "--audit", "a", "--bootstrap", "300")
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        for (table,) in con.sql("select table_name from information_schema.tables where table_name like 'result_%'")\
                .fetchall():
            for (column,) in con.sql("select column_name from information_schema.columns where table_name = ? "
                                     "and data_type = 'DOUBLE'", params=[table]).fetchall():
                bad = con.sql(f'select count(*) from {table} where isnan("{column}") or ("{column}" = 0 '
                              f'and "{column}"::varchar like \'-%\')').fetchone()[0]
                assert bad == 0, f"{table}.{column} holds NaN or -0.0"
        leaks = con.sql("select count(*) from result_agreement where (pearson_r is null and r_ci_low is not null) "
                        "or (icc_a1 is null and band is not null) or (ccc is null and ccc_ci_low is not null) "
                        "or (spread_ratio is null and spread_ratio_ci_low is not null)").fetchone()[0]
        assert leaks == 0
        for ccc, note in con.sql("select ccc, note from result_agreement").fetchall():
            assert ccc is not None or "ccc" in reasons(note)
