"""The key validity properties of bench/validity.py at small scale: printed intervals cover their true
values in simulation with known truth (Plackett-Luce models, exact expectations)."""

from __future__ import annotations

import numpy as np
import pytest

from bench import validity
from papers.analysis import stats


def test_exact_plackett_luce_truth_matches_simulation():
    # reference: 200,000 Gumbel-max draws; and the two-item case by hand, P(first) = w1 / (w1 + w2)
    worths = np.array([1.0, 0.2, -0.5, 0.4, 0.0])
    means, rho = validity.pl_truth(worths)
    draws = validity.pl_draws(np.random.default_rng(1), worths, 200_000)
    assert means == pytest.approx(draws.mean(axis=0), abs=0.01)
    z = stats.unit_rows(draws)
    assert rho == pytest.approx(float(z.mean(axis=0) @ z.mean(axis=0)), abs=0.005)
    two, _ = validity.pl_truth(np.log(np.array([3.0, 1.0])))
    assert two[0] == pytest.approx(1 + 1 / 4)  # first with probability 3/4


def test_mean_rho_interval_covers_at_30_trials():
    rng = np.random.default_rng(2)
    for worths in (np.zeros(5), validity.RANK_MODELS["human-like"]):
        _, truth = validity.pl_truth(worths)
        hits = []
        for _ in range(300):
            _, low, high = stats.mean_spearman(validity.pl_draws(rng, worths, 30))
            hits.append(low <= truth <= high)
        assert np.mean(hits) >= 0.90


@pytest.mark.slow
def test_fidelity_intervals_cover_at_30_trials():
    table = validity.coverage_table(reps=60, b=400, seed=3, trial_counts=(30,))
    for statistic in ("mean", "pearson_r", "spread_ratio", "ccc", "icc_a1", "level_shift"):
        assert np.nanmean(table[(statistic, 30)]) >= 0.90, statistic


def test_flat_models_get_no_labels():
    result = validity.flat_audits(seeds=10, models=6, trials=30, seed=4, b=100, permutations=99)
    assert result["audits_with_a_type"] <= 0.1 and result["audits_with_clusters"] <= 0.1
