"""`papers drift` (issue 27, item 2), tested as a user meets it on two collection rounds of one store
(tests/test_windows.py makes them), and drift's statistics against independent references (scipy,
pingouin, statsmodels, and every permutation enumerated)."""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timezone

import numpy as np
import pingouin
import polars as pl
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from papers.analysis import drift as dr
from tests.conftest import query
from tests.test_windows import MODELS, cli_run, make_rounds


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """Audits q1 and q2 of two collection rounds (tests/test_windows.py), compared by papers drift."""
    made = make_rounds(tmp_path_factory.mktemp("drift"))
    out = cli_run("drift", "--audit", "q1", "--audit", "q2", "--json", "--db", made["db"]).output
    return {**made, "json": json.loads(out)}


# ----------------------------------------------------------------------------- item 2: papers drift


def test_drift_flags_the_moved_model_and_not_the_steady_one(rounds):
    by_model = {m["model"]: m for m in rounds["json"]}
    assert set(by_model) == set(MODELS)
    assert by_model["simulated/shifting"]["changed"] is True
    assert by_model["simulated/steady"]["changed"] is False
    moved = by_model["simulated/shifting"]["reason"]
    assert moved.startswith("changed: ") and "Ethical Integrity mean rank" in moved
    assert by_model["simulated/steady"]["reason"].startswith("no change detected: ")
    assert "unchanged" not in json.dumps(rounds["json"])


def test_drift_json_has_one_object_per_model_with_stable_keys(rounds):
    for m in rounds["json"]:
        assert list(m) == ["audit_a", "audit_b", "model", "changed", "reason", "model_reported", "permutations", "seed",
                           "groups"]
        assert (m["audit_a"], m["audit_b"]) == ("q1", "q2") and list(m["model_reported"]) == ["a", "b", "changed"]
        assert [(g["condition"], g["task"]) for g in m["groups"]] == [("non_sentient", "rank"), ("sentient", "rank")]
        for g in m["groups"]:
            assert list(g) == ["condition", "task", "n_a", "n_b", "variants", "distance", "max_t", "p", "p_holm", "rho",
                               "changed", "note", "dimensions"]
            assert list(g["dimensions"][0]) == ["dimension", "name", "n_a", "n_b", "mean_a", "mean_b", "change",
                                                "change_ci_low", "change_ci_high", "t", "df", "p", "p_holm", "note"]


def test_a_new_model_string_is_shown_whether_or_not_the_profile_moved(rounds):
    by_model = {m["model"]: m for m in rounds["json"]}
    reported = by_model["simulated/shifting"]["model_reported"]
    assert reported == {"a": ["shifting-sim1"], "b": ["shifting-2026-06"], "changed": True}
    assert "reported shifting-sim1 in the earlier audit and shifting-2026-06 in the later one" in \
        by_model["simulated/shifting"]["reason"]
    assert by_model["simulated/steady"]["model_reported"]["changed"] is False
    assert "the same model string in both audits (steady-sim1)" in by_model["simulated/steady"]["reason"]


def test_drift_is_kept_by_the_pair_and_a_rerun_replaces_it(rounds, tmp_path):
    db = tmp_path / "store.duckdb"
    db.write_bytes(rounds["db"].read_bytes())
    counts = "select (select count(*) from result_drift), (select count(*) from result_drift_profiles), " \
             "(select count(*) from result_drift_models)"
    assert query(db, counts)[0] == (2 * (5 + 6), 2 * 2, 2)
    text = cli_run("drift", "--audit", "q1", "--audit", "q2", "--db", db).output
    assert query(db, counts)[0] == (2 * (5 + 6), 2 * 2, 2)
    assert "simulated/shifting: changed: in " in text and "simulated/steady: no change detected: " in text
    stored = dict(query(db, "select model, changed from result_drift_models where audit_a = 'q1' and audit_b = 'q2'"))
    assert stored == {"simulated/shifting": True, "simulated/steady": False}
    cli_run("analyze", "--audit", "q2", "--since", rounds["between"], "--bootstrap", 100, "--replace", "--db", db)
    assert query(db, counts)[0] == (0, 0, 0)  # q2 was computed again: its comparisons no longer hold


def test_drift_refuses_audits_of_different_instruments(rounds, tmp_path, snapshot):
    db = tmp_path / "store.duckdb"
    db.write_bytes(rounds["db"].read_bytes())
    cli_run("collect", "--model", "simulated/steady", "--task", "rank", "--trials", 6, "--instrument", "papers-2026",
            "--db", db)
    cli_run("analyze", "--audit", "other", "--instrument", "papers-2026", "--bootstrap", 100, "--db", db)
    before = snapshot(db)
    out = cli_run("drift", "--audit", "q1", "--audit", "other", "--db", db, expect=1).output
    assert "audits 'q1' and 'other' were made on different instruments" in out
    assert "answers to different instruments are never compared" in out and "Hint:" in out
    assert snapshot(db) == before


@pytest.mark.parametrize("audits, code, message", [
    (("q1", "q1"), 1, "--audit q1 is given twice: drift compares two audits."),
    (("q1",), 2, "give --audit exactly twice (the earlier audit first), not 1 time."),
    (("q1", "q2", "q1"), 2, "give --audit exactly twice (the earlier audit first), not 3 times."),
    (("q1", "nope"), 1, "no audit named 'nope'."),
])
def test_drift_names_what_is_wrong_with_its_audits(rounds, audits, code, message):
    out = cli_run("drift", *(a for x in audits for a in ("--audit", x)), "--db", rounds["db"], expect=code).output
    assert message in out and "Traceback" not in out


def test_drift_compares_only_the_variants_both_audits_asked(rounds, tmp_path):
    """The same model under another variant plan: the later round asked two of the six wordings."""
    db = tmp_path / "store.duckdb"
    cli_run("collect", "--model", "simulated/steady", "--task", "rank", "--trials", 12, "--db", db)  # all six wordings
    time.sleep(0.05)
    between = datetime.now(timezone.utc).isoformat()
    time.sleep(0.05)
    cli_run("collect", "--model", "simulated/steady", "--task", "rank", "--trials", 12, "--seed", 1,
            "--variants", "default,best-json", "--db", db)
    cli_run("analyze", "--audit", "all", "--until", between, "--bootstrap", 100, "--db", db)
    cli_run("analyze", "--audit", "two", "--since", between, "--bootstrap", 100, "--db", db)
    out = json.loads(cli_run("drift", "--audit", "all", "--audit", "two", "--json", "--db", db).output)
    assert query(db, "select count(distinct variant) from pinned_responses where audit_id = 'all'")[0][0] == 6
    for group in out[0]["groups"]:
        assert group["variants"] == ["best-json", "default"]
        n_a = query(db, "select count(*) from pinned_responses where audit_id = 'all' and status = 'valid' and "
                        "condition = ? and variant in ('default', 'best-json')", group["condition"])[0][0]
        assert group["n_a"] <= n_a and group["n_a"] < 24


# ----------------------------------------------------------------------------- the statistics, against references


def test_welch_test_matches_scipy_and_pingouin():
    rng = np.random.default_rng(5)
    for a, b in [(rng.integers(1, 6, 40).astype(float), rng.integers(1, 6, 55).astype(float)),
                 (rng.normal(0, 1, 8), rng.normal(1, 3, 5))]:
        change, low, high, t, df, p = dr.welch_test(a, b)
        ref = sps.ttest_ind(b, a, equal_var=False)  # scipy: b minus a, as drift's change
        ci = ref.confidence_interval()
        assert np.allclose([change, low, high, t, df, p], [b.mean() - a.mean(), ci.low, ci.high, ref.statistic, ref.df,
                                                            ref.pvalue])
        pg = pingouin.ttest(b, a, correction=True)  # pingouin 0.7: Welch's T, dof, p_val, CI95
        assert np.allclose([t, df, p], [pg["T"].iloc[0], pg["dof"].iloc[0], pg["p_val"].iloc[0]])
        assert np.allclose([low, high], pg["CI95"].iloc[0], atol=0.005)  # pingouin rounds its interval to 2 decimals


def test_welch_test_declines_samples_that_do_not_vary():
    change, *rest = dr.welch_test(np.array([1.0, 1, 1]), np.array([2.0, 2, 2]))
    assert change == 1.0 and all(np.isnan(rest))
    assert all(np.isnan(dr.welch_test(np.array([1.0]), np.array([2.0, 3]))[1:]))


def test_the_statistics_match_scipy_for_each_labelling():
    rng = np.random.default_rng(2)
    values = rng.integers(1, 6, (30, 4)).astype(float)
    labels = (np.arange(30) < 12).astype(int)
    scale = values.var(axis=0)
    d, t = dr.statistics(values, labels, scale)
    a, b = values[labels == 0], values[labels == 1]
    assert np.isclose(d, (((b.mean(0) - a.mean(0)) ** 2) / values.var(0)).sum())
    assert np.isclose(t, np.abs(sps.ttest_ind(b, a, equal_var=False, axis=0).statistic).max())


def _distance_only(values, labels, strata, rng, r):
    """The permutation p of the distance alone, by papers' own labellings and count."""
    scale = values.var(axis=0)
    labellings = np.vstack([labels, dr.permuted_labels(labels, strata, rng, r)])
    d = dr.statistics(values, labellings, scale)[0]
    return (np.sum(d[1:] >= d[0] * (1 - 1e-9)) + 1) / (r + 1)


def test_the_permutation_of_trials_matches_scipys_permutation_test():
    """scipy.stats.permutation_test (permutation_type='independent') is exact here (it enumerates all
    252 partitions of 5 + 5 trials); papers' random labellings agree within their Monte Carlo error."""
    rng = np.random.default_rng(3)
    a, b = rng.integers(1, 5, (5, 3)).astype(float), rng.integers(1, 5, (5, 3)).astype(float) + 0.6
    values = np.vstack([a, b])
    scale = values.var(axis=0)

    def statistic(earlier, later):  # scipy permutes trial numbers; each trial keeps all its dimensions
        x, y = values[earlier.astype(int)], values[later.astype(int)]
        return (((y.mean(axis=0) - x.mean(axis=0)) ** 2) / scale).sum()

    ref = sps.permutation_test((np.arange(5), np.arange(5, 10)), statistic, permutation_type="independent",
                               alternative="greater", n_resamples=100_000, vectorized=False).pvalue
    r = 20_000
    ours = _distance_only(values, np.repeat([0, 1], 5), np.zeros(10), np.random.default_rng(4), r)
    assert abs(ours - ref) < 4 * np.sqrt(ref * (1 - ref) / r) + 1e-3, (ours, ref)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy's t of a labelling whose groups do not vary
def test_the_combined_profile_test_matches_every_labelling_enumerated():
    """The min-p combination, exactly: every one of the 252 labellings of 5 + 5 trials, each statistic
    computed by scipy (Welch's t) and numpy, against profile_test's random labellings."""
    rng = np.random.default_rng(8)
    a = dr.Side(rng.integers(1, 5, (5, 3)).astype(float), np.array(["default"] * 5))
    b = dr.Side(rng.integers(1, 5, (5, 3)).astype(float) + np.array([0.9, 0, 0]), np.array(["default"] * 5))
    values = np.vstack([a.values, b.values])
    scale = values.var(axis=0)
    d_all, t_all = [], []
    for later in itertools.combinations(range(10), 5):
        mask = np.isin(np.arange(10), later)
        x, y = values[~mask], values[mask]
        d_all.append((((y.mean(0) - x.mean(0)) ** 2) / scale).sum())
        t_all.append(np.nanmax(np.abs(sps.ttest_ind(y, x, equal_var=False, axis=0).statistic)))
    d_all, t_all = np.array(d_all), np.array(t_all)
    p_d = np.array([np.mean(d_all >= v - 1e-9) for v in d_all])
    p_t = np.array([np.mean(t_all >= v - 1e-9) for v in t_all])
    observed = list(itertools.combinations(range(10), 5)).index((5, 6, 7, 8, 9))
    smallest = np.minimum(p_d, p_t)
    exact = np.mean(smallest <= smallest[observed] + 1e-12)
    r = 20_000
    _, _, p = dr.profile_test(a, b, np.random.default_rng(9), r)
    assert abs(p - exact) < 4 * np.sqrt(exact * (1 - exact) / r) + 2e-3, (p, exact)


def test_permutations_keep_each_variants_trials_of_each_audit():
    labels = np.array([0, 0, 1, 1, 1, 0, 0, 1])
    strata = np.array(["x", "x", "x", "y", "y", "y", "y", "y"])
    out = dr.permuted_labels(labels, strata, np.random.default_rng(0), 200)
    assert (out[:, strata == "x"].sum(axis=1) == 1).all() and (out[:, strata == "y"].sum(axis=1) == 3).all()
    assert len({tuple(row) for row in out}) > 10


def test_the_profiles_spearman_rho_matches_pingouin():
    a, b = np.array([1.4, 2.2, 3.9, 2.9, 4.6]), np.array([1.9, 2.0, 3.1, 3.4, 4.5])
    ref = pingouin.corr(a, b, method="spearman")["r"].iloc[0]
    assert np.isclose(dr.profile_rho(a, b), ref)
    assert np.isnan(dr.profile_rho(np.array([3.0, 3, 3]), b[:3]))


def _long(values: np.ndarray, variants, prefix: str, dims=("A", "B", "C", "D")) -> list[dict]:
    return [{"model": "m", "condition": "c", "task": "rank", "response_id": f"{prefix}{i}", "variant": v,
             "dimension": d, "value": float(x)} for i, (row, v) in enumerate(zip(values, variants)) for d, x in
            zip(dims, row)]


def _rankings(rng, worths, n):
    return np.argsort(np.argsort(-(np.asarray(worths) + rng.gumbel(size=(n, len(worths)))), axis=1), axis=1) + 1


def test_holm_across_dimensions_and_across_conditions_matches_statsmodels():
    rng = np.random.default_rng(11)
    rows_a, rows_b = [], []
    for condition, shift in (("c", [0.0, 0, 0, 0]), ("d", [3.5, 0, 0, 0]), ("e", [0.3, 0, 0, 0])):
        a = _rankings(rng, [4.0, 2.0, 1.0, 0.0], 40)
        b = _rankings(rng, np.array([4.0, 2.0, 1.0, 0.0]) - shift, 40)
        rows_a += [dict(r, condition=condition) for r in _long(a, ["default"] * 40, condition + "a")]
        rows_b += [dict(r, condition=condition) for r in _long(b, ["default"] * 40, condition + "b")]
    shown = {c: ("A", "B", "C", "D") for c in "cde"}
    out = dr.drift(pl.DataFrame(rows_a), pl.DataFrame(rows_b), shown, {}, {}, dr.DriftSettings(permutations=499))
    for condition in "cde":
        part = out.dimensions.filter(pl.col("condition") == condition)
        assert np.allclose(part["p_holm"].to_numpy(), multipletests(part["p"].to_numpy(), method="holm")[1])
    assert np.allclose(out.profiles["p_holm"].to_numpy(), multipletests(out.profiles["p"].to_numpy(), method="holm")[1])
    assert out.profiles.filter(pl.col("condition") == "d")["changed"][0] is True
    assert out.models["changed"][0] is True


def test_a_group_without_enough_trials_or_a_common_variant_is_declined_with_its_reason():
    rng = np.random.default_rng(1)
    shown = {"c": ("A", "B", "C", "D")}
    few = dr.drift(pl.DataFrame(_long(_rankings(rng, [1, 0, 0, 0], 3), ["default"] * 3, "a")),
                   pl.DataFrame(_long(_rankings(rng, [1, 0, 0, 0], 30), ["default"] * 30, "b")), shown, {}, {})
    row = few.profiles.row(0, named=True)
    assert row["p"] is None and row["changed"] is None and "only 3 trials: the drift test of a profile needs 5" in row["note"]
    assert few.models["changed"][0] is None and few.models["reason"][0].startswith("not tested: ")
    apart = dr.drift(pl.DataFrame(_long(_rankings(rng, [1, 0, 0, 0], 10), ["v1"] * 10, "a")),
                     pl.DataFrame(_long(_rankings(rng, [1, 0, 0, 0], 10), ["v2"] * 10, "b")), shown, {}, {})
    assert "asked this task in no variant in common" in apart.profiles["note"][0] and apart.dimensions.height == 0


def test_identical_answers_in_both_audits_are_not_a_change_and_not_a_test():
    shown = {"c": ("A", "B", "C", "D")}
    same = np.tile([1, 2, 3, 4], (10, 1))
    out = dr.drift(pl.DataFrame(_long(same, ["default"] * 10, "a")), pl.DataFrame(_long(same, ["default"] * 10, "b")),
                   shown, {}, {})
    profile = out.profiles.row(0, named=True)
    assert profile["distance"] is None and "no dimension varies in either audit" in profile["note"]
    assert out.models["changed"][0] is None
    assert all(n and "neither audit's answers vary" in n for n in out.dimensions["note"])


def test_export_writes_the_drift_tables_too(rounds, tmp_path):
    import pyarrow.parquet as pq

    cli_run("export", "--format", "parquet", "--out", tmp_path / "out", "--db", rounds["db"])
    models = pq.read_table(tmp_path / "out" / "result_drift_models.parquet").to_pylist()
    assert {(m["audit_a"], m["audit_b"], m["model"], m["changed"]) for m in models} == {
        ("q1", "q2", "simulated/shifting", True), ("q1", "q2", "simulated/steady", False)}
    assert (tmp_path / "out" / "result_drift.parquet").exists() and (tmp_path / "out" / "result_drift_profiles.parquet").exists()
