"""`papers power` (simulation) and `papers compare` (plain words)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from papers.analysis import power


def test_type_one_error_is_near_alpha():
    # with no difference the Mann-Whitney test rejects about alpha of the time
    assert power.rank_difference_power(1e-9, 40, sims=2000, seed=3) == pytest.approx(0.05, abs=0.02)


def test_power_grows_with_trials_and_the_80_percent_point_is_tight():
    low = power.rank_difference_power(0.6, 15, sims=400, seed=2)
    high = power.rank_difference_power(0.6, 80, sims=400, seed=2)
    assert low < high
    n = power.needed(lambda t: power.rank_difference_power(0.6, t, sims=400, seed=2), 10)
    assert power.rank_difference_power(0.6, n, sims=400, seed=2) >= 0.8
    assert power.rank_difference_power(0.6, n - 1, sims=400, seed=2) < 0.8


def test_calibration_hits_the_target_mean_rank_difference():
    rng = np.random.default_rng(5)
    w = power._worth_for_delta(0.8, 5, rng)
    ranks = power.mean_ranks(np.r_[w, np.zeros(4)], np.random.default_rng(6))
    assert 3 - ranks[0] == pytest.approx(0.8, abs=0.03)
    with pytest.raises(ValueError, match="impossible"):
        power._worth_for_delta(2.5, 5, rng)


def test_icc_power_rises_with_the_true_icc():
    weak = power.icc_power(0.55, 0.5, 150, 60, sims=60, b=100, seed=4)
    strong = power.icc_power(0.95, 0.5, 150, 60, sims=60, b=100, seed=4)
    assert weak < strong and strong > 0.8


def test_power_commands(run):
    out = json.loads(run("power", "rank-difference", "--delta", "0.7", "--trials", "20", "--sims", "200", "--json",
                         with_db=False).output)
    assert 0 < out["power"] < 1 and out["trials_for_80_percent"] > 20
    bad = run("power", "rank-difference", "--delta", "3", "--dimensions", "5", expect=2, with_db=False)
    assert "impossible with 5 dimensions" in bad.output
    icc = run("power", "icc", "--icc", "0.9", "--participants", "100", "--trials", "10", "--sims", "50", with_db=False)
    assert "Power to show ICC(A,1) > 0.5" in icc.output


def test_compare_in_plain_words(db, run):
    run("collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven", "--task", "rank",
        "--trials", "25")
    run("analyze", "--audit", "a", "--bootstrap", "200")
    text = run("compare", "simulated/human-centric", "simulated/utility-driven", "--audit", "a").output
    assert "simulated/human-centric ranks Ethical Integrity higher than simulated/utility-driven" in text
    assert "simulated/utility-driven ranks Robust Functionality higher than simulated/human-centric" in text
    data = json.loads(run("compare", "simulated/human-centric", "simulated/utility-driven", "--audit", "a",
                          "--json").output)
    ei = next(r for r in data["rows"] if r["dimension"] == "EI" and r["condition"] == "non_sentient")
    assert ei["r"] < 0 and ei["r_ci_low"] <= ei["r"] <= ei["r_ci_high"] and ei["p_holm"] < 0.05
    assert "no audit named 'zz'" in run("compare", "a", "b", "--audit", "zz", expect=1).output
    assert "model 'nobody' has no valid answers" in run("compare", "simulated/human-centric", "nobody", "--audit", "a",
                                                        expect=1).output
    run("collect", "--model", "simulated/uniform", "--trials", "3")
    assert "the store has changed since audit a" in run("compare", "simulated/human-centric",
                                                        "simulated/utility-driven", "--audit", "a").output
