"""`papers power` (simulation) and `papers compare` (plain words)."""

from __future__ import annotations

import doctest
import json
import math

import numpy as np
import pytest
from scipy import stats as sps

from papers.analysis import power, stats
from papers.errors import InputError
from tests.conftest import write

# --------------------------------------------------------------------------- power: building blocks


def test_the_docstring_examples_hold():
    assert doctest.testmod(power).failed == 0


def test_mann_whitney_from_tallies_equals_scipy_on_the_expanded_samples():
    # reference: scipy.stats.mannwhitneyu(method="asymptotic"), which papers compare calls
    rng = np.random.default_rng(7)
    for _ in range(20):
        a, b = rng.integers(0, 9, size=5), rng.integers(0, 9, size=5)
        a[0] += 1
        b[1] += 1
        x, y = np.repeat(np.arange(1, 6), a), np.repeat(np.arange(1, 6), b)
        expected = sps.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").pvalue
        assert power.mann_whitney_counts(a, b) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert power.mann_whitney_counts(np.array([0, 4, 0]), np.array([0, 3, 0])) == 1.0  # all tied: no evidence


def test_holm_rows_equals_the_stats_holm_row_by_row():
    p = np.random.default_rng(8).uniform(0, 0.2, size=(50, 5))
    p[0, 1] = p[0, 2]  # a tie
    assert np.allclose(power.holm_rows(p), np.array([stats.holm(row) for row in p]), atol=1e-15)


def test_exact_plackett_luce_expectation():
    # hand-computed k = 2: P(first) = w1 / (w1 + w2) = 3/4, so the mean ranks are 1.25 and 1.75
    assert power.pl_expected_ranks(np.log([3.0, 1.0])) == pytest.approx([1.25, 1.75], abs=1e-15)
    # hand-computed k = 3 ordering (3rd, 2nd, 1st) with w = 1, 2, 3: 3/6 * 2/3 * 1 = 1/3
    orders, p = power.pl_ordering_probabilities(np.log([1.0, 2.0, 3.0]))
    assert p[orders.tolist().index([2, 1, 0])] == pytest.approx(1 / 3, abs=1e-15) and p.sum() == pytest.approx(1)
    worths = power.HUMAN_WORTHS
    exact = power.pl_expected_ranks(worths)
    orders, p = power.pl_ordering_probabilities(worths)  # enumeration of all 720 orderings
    assert exact == pytest.approx(p @ (np.argsort(orders, axis=1) + 1), abs=1e-12)
    # reference: a Monte Carlo average of 200,000 Gumbel-max draws, within 4 standard errors
    draws = power.pl_ranks(np.random.default_rng(9), worths, 200_000)[0]
    se = draws.std(axis=0) / math.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - exact) < 4 * se)


def test_the_delta_calibration_is_exact():
    for k, delta in ((5, 0.6), (6, 1.3), (3, 0.2)):
        worths = np.r_[power.worth_for_delta(delta, k), np.zeros(k - 1)]
        assert (k + 1) / 2 - power.pl_expected_ranks(worths)[0] == pytest.approx(delta, abs=1e-12)
    with pytest.raises(ValueError, match="impossible with 5 dimensions"):
        power.worth_for_delta(2.0, 5)


def test_fitting_worths_to_a_mean_rank_profile_reproduces_it():
    means = np.array([1.9, 3.4, 2.6, 2.2, 4.9])
    assert power.pl_expected_ranks(power.fit_worths(means)) == pytest.approx(means, abs=1e-9)
    near_edge = np.array([1.05, 2.1, 3.0, 4.0, 4.85])
    assert power.pl_expected_ranks(power.fit_worths(near_edge)) == pytest.approx(near_edge, abs=1e-9)
    with pytest.raises(InputError, match="sum to 14"):
        power.fit_worths(np.array([1.9, 3.4, 2.6, 2.2, 3.9]))
    with pytest.raises(InputError, match="field 'EI': a mean rank of 5 is impossible"):
        power.fit_worths(np.array([2.5, 2.5, 2.5, 5.0, 2.5]), "p.yaml", ("PC", "AG", "PR", "EI", "RF"))
    # PC and AG would have to take places 1 and 2 in every trial
    with pytest.raises(InputError, match="mean ranks of PC, AG sum to 3"):
        power.fit_worths(np.array([1.2, 1.8, 4.0, 4.0, 4.0]), "p.yaml", ("PC", "AG", "PR", "EI", "RF"))


def test_expected_rating_equals_a_monte_carlo_average_and_inverts():
    # reference: the average of 400,000 rounded, clipped normal draws, within 4 standard errors
    mu, sd = np.array([0.2, 3.3, 6.8]), 1.3
    draws = power.draw_ratings(np.random.default_rng(10), mu, sd, 400_000)
    se = draws.std(axis=0) / math.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - power.expected_rating(mu, sd)) < 4 * se)
    means = np.array([1.4, 4.0, 6.7])
    assert power.expected_rating(power.latent_for_mean(means, sd), sd) == pytest.approx(means, abs=1e-9)


def test_batched_profile_moments_equal_the_ones_papers_analyze_uses():
    # reference: stats.profile_moments, study by study
    rng = np.random.default_rng(11)
    x = rng.integers(1, 8, size=(4, 30, 5)).astype(float)
    counts = stats.bootstrap_counts(rng, 30, 4 * 60).reshape(4, 60, 30)
    batch = power.profile_moments_batch(x, counts)
    for s in range(4):
        one = stats.profile_moments(x[s], counts[s])
        for name in ("means", "noise", "level_noise"):
            assert getattr(batch, name)[s] == pytest.approx(getattr(one, name), rel=1e-12, abs=1e-14)


# --------------------------------------------------------------------------- power: rank difference


def test_type_one_error_with_holm_is_at_most_alpha():
    # no difference: Holm keeps the chance of any false rejection among the 5 dimensions at alpha or
    # below (Holm 1979), so dimension 1 alone is rejected far less often; tolerance 3 Monte Carlo SEs
    sims, alpha = 20_000, 0.05
    tolerance = 3 * math.sqrt(alpha * (1 - alpha) / sims)
    rejected = power.rank_difference_rejections(0.0, 40, 5, alpha, sims, seed=3)
    assert rejected.any(axis=1).mean() <= alpha + tolerance
    assert rejected[:, 0].mean() <= alpha / 2
    single = power.rank_difference_rejections(0.0, 40, 5, alpha, sims, seed=3, holm=False)[:, 0].mean()
    assert single == pytest.approx(alpha, abs=tolerance)  # the unadjusted test itself holds its level


def test_holm_lowers_power_compared_with_a_single_test():
    # Holm multiplies dimension 1's p by up to k = 5, so at the same trials it detects less often
    # and needs more trials for 80% (measured: about 125 trials with Holm, 85 without, at delta 0.6)
    with_holm = power.rank_difference_power(0.6, 80, sims=4000, seed=4)
    single = power.rank_difference_power(0.6, 80, sims=4000, seed=4, holm=False)
    assert single.power - with_holm.power > 5 * math.hypot(single.se, with_holm.se)
    n_holm = power.plan_rank_difference(0.6, 30, seed=4).search.trials
    n_single = power.plan_rank_difference(0.6, 30, seed=4, holm=False).search.trials
    assert n_holm > 1.3 * n_single


def test_the_80_percent_answer_rests_on_enough_simulations_and_is_stable():
    plans = [power.plan_rank_difference(0.6, 30, seed=seed) for seed in (1, 2)]
    for plan in plans:
        answer = plan.search.estimate
        assert answer.sims >= 1600 and answer.power >= 0.8
        assert answer.se == pytest.approx(math.sqrt(answer.power * (1 - answer.power) / answer.sims))
        assert answer.se <= 0.01
        assert all(e.sims >= 1600 for e in plan.search.evaluated.values())
    n1, n2 = (plan.search.trials for plan in plans)
    assert abs(n1 - n2) <= 0.05 * (n1 + n2) / 2
    # checked with fresh draws: 10% fewer trials fall short of 80%, 10% more clear it
    fresh = [power.rank_difference_power(0.6, round(f * n1), sims=4000, seed=99).power for f in (0.9, 1.1)]
    assert fresh[0] < 0.8 < fresh[1]


def test_rank_difference_command(run):
    out = json.loads(run("power", "rank-difference", "--delta", "0.7", "--trials", "20", "--json", with_db=False).output)
    assert out["correction"] == "holm" and out["sims"] == 4000
    assert out["power_se"] == pytest.approx(math.sqrt(out["power"] * (1 - out["power"]) / 4000))
    assert out["trials_for_80_percent"] > 20 and out["power_at_answer"] >= 0.8 and out["power_at_answer_se"] <= 0.01
    text = run("power", "rank-difference", "--delta", "0.7", "--sims", "500", with_db=False).output
    assert "Holm-adjusted across them" in text and "Monte Carlo SE, 500 simulations" in text
    assert "from 4,000 simulations" not in text and "from 1,600 simulations" in text  # the answer: at least 1,600
    bad = run("power", "rank-difference", "--delta", "3", "--dimensions", "5", expect=2, with_db=False)
    assert "impossible with 5 dimensions" in bad.output


# --------------------------------------------------------------------------- power: agreement


@pytest.mark.parametrize(("task", "statistic"), [("rate", "icc"), ("rate", "ccc"), ("rank", "ccc")])
def test_agreement_calibration_hits_the_target_exactly(task, statistic):
    design = power.AgreementPower(power.builtin_profile(task, 5), statistic, 0.7, 0.5, 100)
    assert design.population()[power.STATISTICS[statistic]] == pytest.approx(0.7, abs=1e-8)
    assert design.population(0.0)[power.STATISTICS[statistic]] == pytest.approx(1.0, abs=1e-8)


def test_agreement_power_rises_with_the_population_value():
    profile = power.builtin_profile("rate", 5)
    weak = power.AgreementPower(profile, "icc", 0.55, 0.5, 150, b=100, seed=4).power(60, 200)
    strong = power.AgreementPower(profile, "icc", 0.95, 0.5, 150, b=100, seed=4).power(60, 200)
    assert weak.power < 0.3 < 0.8 < strong.power and strong.sims == 200


def test_icc_on_rank_profiles_is_refused(run):
    result = run("power", "icc", "--target", "0.8", "--task", "rank", expect=1, with_db=False)
    assert "Error: ICC(A,1) is not defined as agreement on rank profiles" in result.output
    assert "Hint: use --statistic ccc" in result.output


DIMS = ["PC", "AG", "PR", "EI", "RF"]
SURVEY_HEADER = (["participant_id"] + [f"rate_non_sentient_{k}" for k in DIMS] + [f"rank_non_sentient_{k}" for k in DIMS]
                 + ["item_endorse_sentient", "finished", "attention_check_passed"])
SURVEY = [  # participant, ratings, ranks, finished
    ("p1", (5, 4, 6, 7, 3), (3, 4, 2, 1, 5), "true"),
    ("p2", (6, 3, 6, 6, 4), (2, 5, 1, 3, 4), "true"),
    ("p3", (4, 5, 5, 7, 2), (1, 3, 4, 2, 5), "true"),
    ("p4", (5, 4, 7, 6, 3), (4, 2, 3, 1, 5), "true"),
    ("p5", (1, 1, 1, 1, 1), (5, 4, 3, 2, 1), "false"),  # unfinished: excluded, must not count
]
FAST = ("--bootstrap", "50", "--sims", "100", "--trials", "10")


def test_power_icc_reads_a_human_sample_from_the_store(tmp_path, run):
    lines = [",".join(SURVEY_HEADER)] + [",".join(map(str, [pid, *rates, *ranks, 4, done, 1]))
                                         for pid, rates, ranks, done in SURVEY]
    run("ingest", "survey", write(tmp_path / "s.csv", "\n".join(lines) + "\n"), "--sample", "wave1")
    kept = [row for row in SURVEY if row[3] == "true"]
    out = json.loads(run("power", "icc", "--sample", "wave1", "--target", "0.9", "--null", "0.3", *FAST, "--json").output)
    assert out["participants"] == 4 and out["task"] == "rate" and out["statistic"] == "icc"
    assert out["human_profile"]["means"] == pytest.approx(dict(zip(DIMS, np.mean([r[1] for r in kept], axis=0))))
    assert out["human_profile"]["source"] == "sample 'wave1', condition non_sentient"
    ranked = json.loads(run("power", "icc", "--sample", "wave1", "--condition", "non_sentient", "--task", "rank",
                            "--statistic", "ccc", "--target", "0.9", "--participants", "30", *FAST, "--json").output)
    assert ranked["participants"] == 30 and ranked["human_profile"]["participants"] == 4
    assert ranked["human_profile"]["means"] == pytest.approx(dict(zip(DIMS, np.mean([r[2] for r in kept], axis=0))))
    missing = run("power", "icc", "--sample", "nobody", "--target", "0.8", expect=1)
    assert "no human sample named 'nobody'" in missing.output and "samples in the store: wave1" in missing.output


def test_power_icc_reads_a_profile_file(tmp_path, run):
    good = write(tmp_path / "people.yaml", "PC: 5.1\nAG: 4.6\nPR: 5.9\nEI: 6.3\nRF: 4.8\n")
    out = json.loads(run("power", "icc", "--profile", good, "--target", "0.9", "--participants", "40", *FAST, "--json",
                         with_db=False).output)
    assert out["human_profile"]["means"] == {"PC": 5.1, "AG": 4.6, "PR": 5.9, "EI": 6.3, "RF": 4.8}
    assert out["human_profile"]["source"] == str(good) and out["dimensions"] == 5
    text = run("power", "icc", "--profile", good, "--target", "0.6", "--participants", "10", *FAST, with_db=False).output
    assert f"Human profile (mean ratings; {good}): PC 5.10, AG 4.60, PR 5.90, EI 6.30, RF 4.80." in text
    assert "Trials for 80% power with 10 participants: not reachable; even with unlimited trials the power is" in text


@pytest.mark.parametrize(("content", "message"), [
    ("PC: [5.1,\n", "line 2: not valid YAML"),
    ("- 5.1\n- 4.6\n", ": expected a mapping of dimension key to mean rating, found a list"),
    ("PC: 5.1\nEI: high\n", "field 'EI': the mean rating must be a finite number, found the text 'high'"),
    ("PC: 5.1\nEI: 7\n", "field 'EI': a mean rating of 7 must lie strictly between 1 and 7"),
])
def test_a_bad_profile_file_is_named(tmp_path, run, content, message):
    bad = write(tmp_path / "bad.yaml", content)
    result = run("power", "icc", "--profile", bad, "--target", "0.8", expect=1, with_db=False)
    assert f"Error: {bad}" in result.output and message in result.output


def test_a_rank_profile_must_be_possible(tmp_path, run):
    bad = write(tmp_path / "ranks.yaml", "PC: 2\nAG: 2\nPR: 2\nEI: 2\nRF: 2\n")
    result = run("power", "icc", "--profile", bad, "--task", "rank", "--statistic", "ccc", "--target", "0.8", expect=1,
                 with_db=False)
    assert f"{bad}: the mean ranks sum to 10, but 5 dimensions' mean ranks sum to 15" in result.output


# --------------------------------------------------------------------------- compare


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
    # one sign convention for every task: r > 0 when the first model gives the dimension the higher priority
    assert ei["r"] > 0 and ei["r_ci_low"] <= ei["r"] <= ei["r_ci_high"] and ei["p_holm"] < 0.05
    assert ei["direction"] == "a" and ei["mean_a"] < ei["mean_b"]
    assert "no audit named 'zz'" in run("compare", "a", "b", "--audit", "zz", expect=1).output
    assert "model 'nobody' has no valid answers" in run("compare", "simulated/human-centric", "nobody", "--audit", "a",
                                                        expect=1).output
    # the audit's pinned rows: answers collected later change nothing in its comparisons
    run("collect", "--model", "simulated/human-centric", "--task", "rank", "--trials", "40")
    assert run("compare", "simulated/human-centric", "simulated/utility-driven", "--audit", "a").output == text


def test_compare_gives_no_zero_width_interval_when_the_answers_do_not_overlap():
    # issue 25, item 22, the same cause in compare: every trial of A ranks EI first and every trial of B last, so
    # each resample gives r = 1 and the interval was [1.00, 1.00]; pingouin's rank-biserial of the two samples
    # is the reference for r
    import pingouin as pg
    import polars as pl

    from papers.compare import _row, sentence

    frame = pl.DataFrame({"model": ["a"] * 12 + ["b"] * 12, "dimension": "EI",
                          "value": [1.0] * 12 + [5.0, 4.0] * 6})
    row = _row(frame, "non_sentient", "rank", "EI", "a", "b", np.random.default_rng(1), 200)
    ref = pg.mwu(np.array([1.0] * 12), np.array([5.0, 4.0] * 6), alternative="two-sided")["RBC"].iloc[0]
    assert row["r"] == pytest.approx(abs(ref)) and row["r_ci_low"] is None and row["r_ci_high"] is None
    row |= {"name": "Ethical Integrity", "p_holm": 0.0001, "direction": "a"}
    assert "r = 1.00 (no interval: every answer of one model lies beyond" in sentence(row, "a", "b")
