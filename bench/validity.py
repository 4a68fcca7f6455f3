"""Validity: does every interval the report prints cover, and is every label withheld from noise?

    python bench/validity.py [--reps 400] [--seed 1] [--quick]

Simulates models and human samples whose truth is known, computes each statistic exactly as
`papers analyze` does (the same functions of papers.analysis), and prints:

1. coverage of each printed 95% interval at 17, 30 and 100 valid trials per model, against the
   true value: mean rank and mean rating per dimension (percentile bootstrap), mean_rho
   (jackknife), the orientation index (t), and the profile-fidelity statistics against a human
   sample of 376 people: Pearson r, spread ratio, level shift, CCC, ICC(A,1) and ICC(C,1)
   (percentile bootstrap of the noise-corrected statistics);
2. the false-type rate and the false-cluster rate of whole audits of identical flat models
   (6 models x 30 trials, and 75 models x 30 trials), and the rate at which a clearly
   human-centric model is typed so;
3. robustness to wording (bench/robustness.py): how often a model whose answers do not depend on
   the wording is called not robust, how often one whose top two trade places in a third of the
   wordings is caught, and the coverage of the wording share's and the position bias' intervals.

Truth: rankings are Plackett-Luce draws, whose expected ranks are computed exactly by summing over
all k! orderings, and whose mean inter-trial Spearman correlation is |E z|^2 for the unit-length
centred rank vector z (exact, same sum). Ratings are clipped, rounded normal draws around a
profile, whose expected values come from the normal CDF; their mean_rho comes from 400,000 draws.
Everything is seeded; the Monte Carlo error of a coverage estimate from R replicates is about
sqrt(0.95 * 0.05 / R) (0.011 at R = 400).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats as sps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from papers.analysis import stats  # noqa: E402
from papers.analysis.structure import orientation_per_trial, orientation_test  # noqa: E402

DIMS = ("PC", "AG", "PR", "EI", "RF")
ORIENTATION = {"PC": "neutral", "AG": "utility", "PR": "humanistic", "EI": "humanistic", "RF": "utility"}
HUMAN_WORTHS = np.array([0.9, 0.4, 1.5, 2.0, 0.6])  # a plausible human ranking profile (PC, AG, PR, EI, RF)
HUMAN_RATINGS = np.array([5.2, 4.6, 5.8, 6.1, 4.9])
HUMANS = 376  # the paper's sample size
# Each model profile departs from a plain rescaling of the humans' by a small twist, so that no true
# value sits on a boundary (r = 1 exactly); boundary cases are reported apart (see BOUNDARY).
TWIST = np.array([0.3, -0.2, 0.1, -0.25, 0.2])
RANK_MODELS = {  # Plackett-Luce worths
    "flat": np.zeros(5),
    "weak": np.array([0.2, 0.1, 0.3, 0.4, 0.1]),
    "human-like": HUMAN_WORTHS * 1.2 + TWIST,
    "exaggerated": HUMAN_WORTHS * 2.5 + TWIST,
    "utility-driven": np.array([0.9, 1.6, 0.0, 0.5, 2.1]),
}
RATE_MODELS = {  # mean of the normal before rounding and clipping to 1-7 (sd 1.0)
    "close": HUMAN_RATINGS + 0.2 + TWIST,
    "exaggerated": 4.0 + (HUMAN_RATINGS - HUMAN_RATINGS.mean()) * 2.5 + TWIST,
    "flat-ish": HUMAN_RATINGS.mean() + (HUMAN_RATINGS - HUMAN_RATINGS.mean()) * 0.3 + TWIST / 3,
    "shifted": HUMAN_RATINGS - 1.2 + TWIST,
}
BOUNDARY = HUMAN_WORTHS  # a ranking model whose true profile is the humans' own: r = CCC = 1
FIDELITY = ("pearson_r", "spread_ratio", "level_shift", "ccc", "icc_a1", "icc_c1")


# ------------------------------------------------------------------------------ generators and truth


def pl_draws(rng: np.random.Generator, worths: np.ndarray, n: int) -> np.ndarray:
    """n Plackett-Luce rankings (1 = first) by the Gumbel-max trick."""
    scores = worths + rng.gumbel(size=(n, len(worths)))
    return np.argsort(np.argsort(-scores, axis=1), axis=1) + 1.0


def pl_truth(worths: np.ndarray) -> tuple[np.ndarray, float]:
    """Exact expected ranks and mean inter-trial Spearman correlation of a Plackett-Luce model."""
    w = np.exp(worths)
    orders = np.array(list(itertools.permutations(range(len(w)))))
    ordered = w[orders]
    prob = np.prod(ordered / np.cumsum(ordered[:, ::-1], axis=1)[:, ::-1], axis=1)
    ranks = np.empty_like(orders)
    ranks[np.arange(len(orders))[:, None], orders] = np.arange(1, len(w) + 1)
    z = stats.unit_rows(ranks.astype(float))
    expected_z = prob @ z
    return prob @ ranks, float(expected_z @ expected_z)


def rate_draws(rng: np.random.Generator, mu: np.ndarray, n: int, sd: float = 1.0, person_sd: float = 0.0) -> np.ndarray:
    x = mu[None, :] + rng.normal(0, sd, (n, len(mu))) + rng.normal(0, person_sd, (n, 1))
    return np.clip(np.round(x), 1, 7)


def rate_truth(mu: np.ndarray, sd: float = 1.0, person_sd: float = 0.0, seed: int = 99) -> tuple[np.ndarray, float]:
    """Expected ratings (normal CDF, exact when person_sd = 0) and mean_rho (400,000 draws)."""
    scale = np.hypot(sd, person_sd)
    edges = np.r_[-np.inf, np.arange(1.5, 7.5), np.inf]
    probs = np.diff(sps.norm.cdf((edges[None, :] - mu[:, None]) / scale), axis=1)
    means = probs @ np.arange(1, 8)
    z = stats.unit_rows(stats.rank_rows(rate_draws(np.random.default_rng(seed), mu, 400_000, sd, person_sd)))
    return means, float(z.mean(axis=0) @ z.mean(axis=0))


def fidelity_truth(model_means: np.ndarray, human_means: np.ndarray) -> dict[str, float]:
    """The statistics of the true profiles: noise-free moments."""
    # rounded: exact sums leave a flat profile's means a few ulps apart, which would give it an order
    exact = stats.fidelity(stats.profile_moments(np.tile(np.round(model_means, 10), (2, 1))),
                           stats.profile_moments(np.tile(np.round(human_means, 10), (2, 1))))
    return {k: float(v) for k, v in exact.items()}


# ------------------------------------------------------------------------------ coverage


def covers(low, high, truth) -> np.ndarray:
    low, high, truth = (np.asarray(v, float) for v in (low, high, truth))
    return (low - 1e-9 <= truth) & (truth <= high + 1e-9)


def one_replicate(rng, x, humans, b, truth_means, truth_rho, truth_fidelity, task, margin=0.25) -> dict[str, float]:
    """Whether each interval of one simulated model covers its truth (NaN where not estimable)."""
    m = len(x)
    counts = stats.bootstrap_counts(rng, m, b)
    model = stats.profile_moments(x, counts)
    out = {}
    low, high = stats.percentile_ci(model.means)
    out["mean"] = float(np.mean(covers(low, high, truth_means)))
    ranks = x if task == "rank" else stats.rank_rows(x)
    _, rho_low, rho_high = stats.mean_spearman(ranks)
    out["mean_rho"] = float(covers(rho_low, rho_high, truth_rho))
    truth_index = float(orientation_per_trial(truth_means[None, :], DIMS, ORIENTATION, task)[0])
    o = orientation_test(orientation_per_trial(x, DIMS, ORIENTATION, task), margin)
    out["orientation"] = float(covers(o.ci_low, o.ci_high, truth_index))
    if humans is not None:
        boot = stats.fidelity(model, stats.profile_moments(humans, stats.bootstrap_counts(rng, len(humans), b)))
        for name in FIDELITY:
            if task == "rank" and name in ("level_shift", "icc_a1", "icc_c1"):
                continue
            if np.isnan(truth_fidelity[name]):
                continue
            low, high = stats.percentile_ci(boot[name])
            out[name] = float(covers(low, high, truth_fidelity[name])) if not np.isnan(low) else np.nan
    return out


def boundary_coverage(reps: int, b: int, seed: int, trials: int = 30) -> dict[str, float]:
    """Coverage when the truth sits on the boundary (the model's true profile equals the humans')."""
    rng = np.random.default_rng(seed)
    truth_means, truth_rho = pl_truth(BOUNDARY)
    truth = fidelity_truth(truth_means, truth_means)
    hits: dict[str, list] = {}
    for _ in range(reps):
        result = one_replicate(rng, pl_draws(rng, BOUNDARY, trials), pl_draws(rng, HUMAN_WORTHS, HUMANS), b,
                               truth_means, truth_rho, truth, "rank")
        for name in ("pearson_r", "spread_ratio", "ccc"):
            hits.setdefault(name, []).append(result[name])
    return {name: float(np.nanmean(v)) for name, v in hits.items()}


def coverage_table(reps: int, b: int, seed: int, trial_counts=(17, 30, 100)) -> dict:
    rng = np.random.default_rng(seed)
    human_rank_truth, _ = pl_truth(HUMAN_WORTHS)
    human_rate_truth, _ = rate_truth(HUMAN_RATINGS, 1.2, 0.6)
    table: dict[tuple, list] = {}
    scenarios = [("rank", name, w) for name, w in RANK_MODELS.items()] + [("rate", name, mu) for name, mu in RATE_MODELS.items()]
    for task, name, param in scenarios:
        truth_means, truth_rho = pl_truth(param) if task == "rank" else rate_truth(param)
        truth_fid = fidelity_truth(truth_means, human_rank_truth if task == "rank" else human_rate_truth)
        for m in trial_counts:
            for _ in range(reps):
                if task == "rank":
                    x, humans = pl_draws(rng, param, m), pl_draws(rng, HUMAN_WORTHS, HUMANS)
                else:
                    x, humans = rate_draws(rng, param, m), rate_draws(rng, HUMAN_RATINGS, HUMANS, 1.2, 0.6)
                result = one_replicate(rng, x, humans, b, truth_means, truth_rho, truth_fid, task)
                for statistic, hit in result.items():
                    table.setdefault((statistic, m), []).append(hit)
                    table.setdefault((statistic, m, task, name), []).append(hit)
    return table


# ------------------------------------------------------------------------------ labels on noise


def flat_audits(seeds: int, models: int, trials: int, seed: int, b: int = 200, permutations: int = 199) -> dict:
    """Whole audits (compute_audit) of identical uniform rankers: how often is anything typed or clustered?"""
    import polars as pl

    from papers.analysis.audit import Layout, Settings, compute_audit

    layout = Layout(shown={"c": DIMS}, orientation=ORIENTATION)
    rng = np.random.default_rng(seed)
    typed_audits = clustered = typed_models = 0
    for s in range(seeds):
        frames = []
        for i in range(models):
            x = pl_draws(rng, np.zeros(5), trials)
            ids = [f"m{i}-{t}" for t in range(trials)]
            frames.append(pl.DataFrame({
                "model": f"uniform-{i}", "condition": "c", "task": "rank", "response_id": np.repeat(ids, 5),
                "trial": np.repeat(np.arange(trials), 5), "dimension": np.tile(DIMS, trials), "value": x.ravel()}))
        answers = pl.concat(frames).with_columns(item_order=pl.lit(None, pl.List(pl.String)))
        outcomes = answers.group_by("model", "condition", "task").agg(n=pl.col("response_id").n_unique()) \
            .with_columns(status=pl.lit("valid"))
        empty_h = pl.DataFrame(schema={"sample": pl.String, "condition": pl.String, "task": pl.String,
                                       "participant": pl.String, "dimension": pl.String, "value": pl.Float64})
        empty_i = pl.DataFrame(schema={"sample": pl.String, "item": pl.String, "value": pl.Float64})
        empty_c = pl.DataFrame(schema={"model": pl.String, "condition": pl.String, "response_id": pl.String,
                                       "coder": pl.String, "dimension": pl.String, "is_present": pl.Boolean})
        tables = compute_audit(answers, outcomes, empty_h, {}, empty_i, empty_c, layout,
                               Settings(seed=seed * 1000 + s, b=b, stability_b=20, permutations=permutations)).tables
        types = tables["result_clusters"]["model_type"].to_list()
        n_typed = sum(t in ("human-centric", "utility-driven") for t in types)
        typed_models += n_typed
        typed_audits += n_typed > 0
        clustered += int(tables["result_structure"]["k"][0] > 1)
    return {"seeds": seeds, "models": models, "trials": trials, "audits_with_a_type": typed_audits / seeds,
            "typed_models_per_audit": typed_models / seeds, "audits_with_clusters": clustered / seeds}


def typing_power(reps: int, trials: int, seed: int) -> float:
    """How often the simulated human-centric profile is typed human-centric, alone against the margin."""
    rng = np.random.default_rng(seed)
    worths = np.array([0.9, 0.3, 1.7, 2.2, 0.2])  # simulated/human-centric (PC, AG, PR, EI, RF)
    hits = 0
    for _ in range(reps):
        o = orientation_test(orientation_per_trial(pl_draws(rng, worths, trials), DIMS, ORIENTATION, "rank"), 0.25)
        hits += o.p < 0.05 and o.index > 0
    return hits / reps


# ------------------------------------------------------------------------------ report


LABELS = {"mean": "mean (per dimension)", "mean_rho": "mean_rho (jackknife)", "orientation": "orientation index (t)",
          "pearson_r": "order: Pearson r", "spread_ratio": "calibration: spread ratio", "level_shift": "level shift (ratings)",
          "ccc": "Lin's CCC", "icc_a1": "ICC(A,1) (ratings)", "icc_c1": "ICC(C,1) (ratings)"}


def print_coverage(table: dict, trial_counts=(17, 30, 100)) -> None:
    print("\nCoverage of printed 95% intervals (share of replicates whose interval holds the true value)\n")
    print("| interval | " + " | ".join(f"{m} trials" for m in trial_counts) + " | lowest scenario at 30 |")
    print("|---|" + "---|" * (len(trial_counts) + 1))
    for statistic, label in LABELS.items():
        cells = [f"{np.nanmean(table[(statistic, m)]):.3f}" if (statistic, m) in table else "-" for m in trial_counts]
        scenarios = [(np.nanmean(v), f"{k[2]} {k[3]}") for k, v in table.items()
                     if len(k) == 4 and k[0] == statistic and k[1] == 30]
        worst = min(scenarios) if scenarios else (np.nan, "-")
        print(f"| {label} | " + " | ".join(cells) + f" | {worst[0]:.3f} ({worst[1]}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--b", type=int, default=1000, help="bootstrap resamples per interval")
    parser.add_argument("--quick", action="store_true", help="fewer replicates, for a smoke run")
    args = parser.parse_args()
    reps = 60 if args.quick else args.reps
    started = time.perf_counter()
    table = coverage_table(reps, args.b, args.seed)
    print(f"{reps} replicates per scenario and trial count; B = {args.b}; humans: {HUMANS} people; "
          f"rank scenarios: {', '.join(RANK_MODELS)}; rating scenarios: {', '.join(RATE_MODELS)}.")
    print_coverage(table)
    edge = boundary_coverage(reps, args.b, args.seed + 7)
    print(f"\nAt the boundary (a ranking model whose true profile is the humans' own, 30 trials): coverage of r "
          f"{edge['pearson_r']:.3f}, spread ratio {edge['spread_ratio']:.3f}, CCC {edge['ccc']:.3f}. A true value of "
          "exactly 1 lies on the edge of what r and CCC can take, where a percentile interval reaches only as far "
          "as the resampled estimates do.")
    print("\nLabels on noise: whole audits of identical uniform models (types need the orientation index beyond "
          "±0.25 after Holm; clusters need both permutation tests)\n")
    print("| audit | seeds | audits with any type | typed models per audit | audits with clusters |")
    print("|---|---|---|---|---|")
    for models, seeds in ((6, 40 if args.quick else 200), (75, 5 if args.quick else 20)):
        r = flat_audits(seeds, models, 30, args.seed + models)
        print(f"| {models} models x 30 trials | {seeds} | {r['audits_with_a_type']:.3f} | "
              f"{r['typed_models_per_audit']:.2f} | {r['audits_with_clusters']:.3f} |")
    print(f"\nA clearly human-centric model (simulated/human-centric's worths) is typed human-centric in "
          f"{typing_power(200 if args.quick else 1000, 30, args.seed):.1%} of 30-trial runs (alone; Holm across "
          "models lowers this when many are audited).")
    from bench.robustness import print_table, scenarios  # robustness to wording (issue 22)

    print_table(scenarios(40 if args.quick else args.reps, args.seed, 200 if args.quick else args.b))
    print(f"\nTook {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
