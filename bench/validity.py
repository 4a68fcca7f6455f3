"""Validity: does every interval the report prints cover, and is every label withheld from noise?

    python bench/validity.py [--reps 400] [--seed 1] [--b 500] [--quick]

Simulates models and human samples whose truth is known, computes each statistic exactly as
`papers analyze` does (the same functions of papers.analysis, declines included), and prints:

1. coverage of each printed 95% interval on a grid of profiles, trial counts and sample sizes,
   each cell with its Monte Carlo standard error and the share of runs where the statistic was
   declined (coverage counts printed intervals only): the mean rank or rating per dimension,
   mean_rho, the orientation index, and profile fidelity to a human sample (Pearson r, spread
   ratio, level shift, CCC, ICC(A,1), ICC(C,1)). The grid holds flat, weak (true r near .90 with
   little spread), typical, exaggerated, reversed profiles, profiles whose CCC and ICC are near 1
   and one equal to the humans' (r = CCC = 1 exactly); 20 (the minimum for profile fidelity), 30
   and 100 trials; 376 people, and 10 (the minimum) for the hardest profiles; five dimensions, and
   four (the minimum) for two profiles;
2. degenerate samples: trials that are all alike (a model that nearly always answers the same),
   where a bootstrap, a jackknife or a t interval would have zero width: coverage and the rate of
   false labels ("most stable", a type);
3. the false-type rate and the false-cluster rate of whole audits of identical flat models
   (6 models x 30 trials, and 75 models x 30 trials), and the rate at which a clearly
   human-centric model is typed so;
3. robustness to wording (bench/robustness.py): how often a model whose answers do not depend on
   the wording is called not robust, how often one whose top two trade places in a third of the
   wordings is caught, and the coverage of the wording share's and the position bias' intervals.
4. says vs does (bench/dilemmas.py): the coverage of the revealed worths', the consistency's and
   rho's intervals, and how often a model is labelled as acting on, or departing from, its stated
   priorities, for models that follow their stated order, choose at random, or choose otherwise.
5. drift between two audits (bench/drift.py): how often a model whose answers did not change is
   called changed, and how often one that moved a dimension by one rank place in half of its trials
   is caught, at 60 trials per audit (1,000 pairs of audits per scenario).

Truth: rankings are Plackett-Luce draws, whose expected ranks are computed exactly by summing over
all k! orderings, and whose mean inter-trial Spearman correlation is |E z|^2 for the unit-length
centred rank vector z (exact, same sum). Ratings are clipped, rounded normal draws around a
profile, whose expected values come from the normal CDF; their mean_rho comes from 400,000 draws.
A fidelity statistic's truth is the statistic between the model's exact expected profile and the
human population's exact expected profile. Everything is seeded; the Monte Carlo standard error
of a coverage c from R printed intervals is sqrt(c (1 - c) / R) (0.011 at c = 0.95, R = 400).
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
from papers.analysis.audit import Group, attach_bootstrap, fidelity_row, mean_intervals  # noqa: E402
from papers.analysis.claims import Estimate, leaders  # noqa: E402
from papers.analysis.declines import MINIMUMS  # noqa: E402
from papers.analysis.structure import orientation_bounds, orientation_per_trial, orientation_test  # noqa: E402

DIMS = ("PC", "AG", "PR", "EI", "RF")
ORIENTATION = {"PC": "neutral", "AG": "utility", "PR": "humanistic", "EI": "humanistic", "RF": "utility"}
HUMAN_WORTHS = np.array([0.9, 0.4, 1.5, 2.0, 0.6])  # a plausible human ranking profile (PC, AG, PR, EI, RF)
HUMAN_RATINGS = np.array([5.2, 4.6, 5.8, 6.1, 4.9])
HUMANS = 376  # the paper's sample size
# Each model profile departs from a plain rescaling of the humans' by a small twist, so that no true
# value sits on a boundary (r = 1 exactly) but the one scenario that does ("boundary").
TWIST = np.array([0.3, -0.2, 0.1, -0.25, 0.2])
RANK_MODELS = {  # Plackett-Luce worths
    "flat": np.zeros(5),
    "weak": HUMAN_WORTHS * 0.2 + TWIST * 0.25,  # little spread; true r .89
    "human-like": HUMAN_WORTHS * 1.2 + TWIST,
    "near 1": HUMAN_WORTHS * 1.05 + TWIST * 0.9,  # true CCC .95
    "exaggerated": HUMAN_WORTHS * 2.5 + TWIST,
    "utility-driven": np.array([0.9, 1.6, 0.0, 0.5, 2.1]),
    "boundary": HUMAN_WORTHS,  # the humans' own profile: r = CCC = 1 exactly
}
RATE_MODELS = {  # mean of the normal before rounding and clipping to 1-7 (sd 1.0)
    "close": HUMAN_RATINGS + 0.2 + TWIST,
    "exaggerated": 4.0 + (HUMAN_RATINGS - HUMAN_RATINGS.mean()) * 2.5 + TWIST,
    "flat-ish": HUMAN_RATINGS.mean() + (HUMAN_RATINGS - HUMAN_RATINGS.mean()) * 0.3 + TWIST / 3,
    "weak": HUMAN_RATINGS.mean() + (HUMAN_RATINGS - HUMAN_RATINGS.mean()) * 0.3 + TWIST * 0.37,  # true r .90
    "near 1": HUMAN_RATINGS + 0.05 + TWIST * 0.45,  # true CCC .96, ICC(A,1) .97
    "shifted": HUMAN_RATINGS - 1.2 + TWIST,
}
HARD = ("weak", "near 1")  # the profiles also run against the smallest human sample and on four dimensions
FOUR = slice(0, 4)  # four dimensions: PC, AG, PR, EI
FIDELITY = ("pearson_r", "spread_ratio", "level_shift", "ccc", "icc_a1", "icc_c1")
CI = {"pearson_r": ("r_ci_low", "r_ci_high")}


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


def group(x: np.ndarray, key: tuple, task: str) -> Group:
    """A group as `papers analyze` builds it (`audit.wide_groups`): its units and its scale."""
    bounds = (1.0, float(x.shape[1])) if task == "rank" else (1.0, 7.0)
    return Group(key, DIMS[:x.shape[1]], x, None, bounds=bounds)


def one_replicate(rng, x, humans, b, truth_means, truth_rho, truth_fidelity, task, margin=0.25) -> dict[str, float]:
    """Whether each interval of one simulated model covers its truth (NaN where it was declined)."""
    dims = DIMS[:x.shape[1]]
    model = group(x, ("m", "c", task), task)
    attach_bootstrap([model], rng, b)
    intervals, _ = mean_intervals(model, "trials")
    out = {"mean": float(np.mean([covers(lo, hi, t) for (lo, hi), t in zip(intervals, truth_means)]))}
    ranks = x if task == "rank" else stats.rank_rows(x)
    _, rho_low, rho_high = stats.mean_spearman(ranks)
    out["mean_rho"] = float(covers(rho_low, rho_high, truth_rho)) if not np.isnan(rho_low) else np.nan
    truth_index = float(orientation_per_trial(truth_means[None, :], dims, ORIENTATION, task)[0])
    o = orientation_test(orientation_per_trial(x, dims, ORIENTATION, task), margin,
                         bounds=orientation_bounds(dims, ORIENTATION, task))
    out["orientation"] = float(covers(o.ci_low, o.ci_high, truth_index))
    if humans is not None:
        out |= fidelity_hits(rng, model, group(humans, ("s", "c", task), task), b, truth_fidelity, task)
    return out


def fidelity_hits(rng, model: Group, humans: Group, b: int, truth: dict[str, float], task: str) -> dict[str, float]:
    """Coverage of each fidelity interval as `audit.agreement` stores it; NaN where it declined."""
    attach_bootstrap([humans], rng, b)
    row = fidelity_row(model, humans)  # `audit.agreement`'s row, before NaN becomes NULL
    out = {}
    for name in FIDELITY:
        if task == "rank" and name in ("level_shift", "icc_a1", "icc_c1") or np.isnan(truth[name]):
            continue
        low, high = (row[c] for c in CI.get(name, (f"{name}_ci_low", f"{name}_ci_high")))
        out[name] = np.nan if low is None or np.isnan(low) else float(covers(low, high, truth[name]))
    return out


def scenarios(trial_counts) -> list[tuple]:
    """The grid: (task, profile name, model parameters, trials, people, dimensions)."""
    cells = []
    for task, models in (("rank", RANK_MODELS), ("rate", RATE_MODELS)):
        for name, param in models.items():
            cells += [(task, name, param, m, HUMANS, 5) for m in trial_counts]
            if name in HARD:
                low = MINIMUMS["fidelity"]
                cells += [(task, name, param, low.trials, low.participants, 5),
                          (task, name, param, low.trials, HUMANS, low.dimensions)]
    return cells


def coverage_table(reps: int, b: int, seed: int, trial_counts=(20, 30, 100), cells=None) -> dict:
    """Coverage per statistic and cell: {(statistic, task, profile, trials, people, dims): [hit or NaN, ...]}."""
    rng = np.random.default_rng(seed)
    table: dict[tuple, list] = {}
    for task, name, param, m, people, k in cells or scenarios(trial_counts):
        keep = slice(0, k)
        human_param = (HUMAN_WORTHS if task == "rank" else HUMAN_RATINGS)[keep]
        param = param[keep]
        if task == "rank":
            (truth_means, truth_rho), (human_truth, _) = pl_truth(param), pl_truth(human_param)
        else:
            (truth_means, truth_rho), (human_truth, _) = rate_truth(param), rate_truth(human_param, 1.2, 0.6)
        truth_fid = fidelity_truth(truth_means, human_truth)
        for _ in range(reps):
            if task == "rank":
                x, humans = pl_draws(rng, param, m), pl_draws(rng, human_param, people)
            else:
                x, humans = rate_draws(rng, param, m), rate_draws(rng, human_param, people, 1.2, 0.6)
            result = one_replicate(rng, x, humans, b, truth_means, truth_rho, truth_fid, task)
            for statistic, hit in result.items():
                table.setdefault((statistic, task, name, m, people, k), []).append(hit)
    return table


def summary(hits) -> tuple[float, float, float, int]:
    """Coverage of the printed intervals, its Monte Carlo standard error, the share declined, and
    the number printed."""
    hits = np.asarray(hits, float)
    printed = hits[~np.isnan(hits)]
    if len(printed) == 0:
        return np.nan, np.nan, 1.0, 0
    c = float(printed.mean())
    return c, float(np.sqrt(max(c * (1 - c), 1e-12) / len(printed))), float(np.isnan(hits).mean()), len(printed)


# ------------------------------------------------------------------------------ degenerate samples


def _identical_models(rng, worths: np.ndarray, trials: int, models: int = 3) -> list[Group]:
    """Models with the same true worths, as `papers analyze` groups them (ranks attached)."""
    groups = [group(pl_draws(rng, worths, trials), (f"m{i}", "c", "rank"), "rank") for i in range(models)]
    attach_bootstrap(groups, rng, 200, with_ranks=True)
    return groups


def degenerate_stability(reps: int, seed: int, worths: np.ndarray, trials: int) -> dict:
    """Three models with the same worths whose trials are often all alike: the coverage of mean_rho's
    interval, how often it is declined, and how often one of them is called "most stable"."""
    import polars as pl

    from papers.analysis.audit import stability

    rng = np.random.default_rng(seed)
    _, truth = pl_truth(worths)
    hits, leads, alike = [], 0, 0
    for _ in range(reps):
        groups = _identical_models(rng, worths, trials)
        alike += sum(bool((g.x == g.x[0]).all()) for g in groups)
        outcomes = pl.DataFrame({"model": [g.key[0] for g in groups], "condition": "c", "task": "rank",
                                 "status": "valid", "n": trials})
        rows = stability(groups, outcomes).to_dicts()
        hits += [np.nan if r["mean_rho_ci_low"] is None else float(covers(r["mean_rho_ci_low"], r["mean_rho_ci_high"],
                                                                           truth)) for r in rows]
        leads += leaders([Estimate(r["model"], r["mean_rho"], r["mean_rho_ci_low"], r["mean_rho_ci_high"])
                          for r in rows])[1]
    return {"truth": truth, "coverage": summary(hits), "most_stable": leads / reps, "alike": alike / (3 * reps)}


def degenerate_types(reps: int, seed: int, worths: np.ndarray, trials: int, dims: tuple[str, ...]) -> dict:
    """Three models with the same worths over few dimensions: the coverage of the orientation
    index's interval and the share of audits typing a model against the truth (the wrong type, or
    any type when the true index lies within the margin), with Holm across the three as an audit does."""
    from papers.analysis.structure import type_models

    rng = np.random.default_rng(seed)
    orientation = {d: ORIENTATION[d] for d in dims}
    means, _ = pl_truth(worths)
    truth = float(orientation_per_trial(means[None, :], dims, orientation, "rank")[0])
    right = "human-centric" if truth > 0.25 else "utility-driven" if truth < -0.25 else None
    hits, wrong = [], 0
    for _ in range(reps):
        tests = [orientation_test(orientation_per_trial(pl_draws(rng, worths, trials), dims, orientation, "rank"), 0.25,
                                  bounds=orientation_bounds(dims, orientation, "rank")) for _ in range(3)]
        hits += [float(covers(t.ci_low, t.ci_high, truth)) for t in tests]
        types, _ = type_models(tests)
        wrong += any(t in ("human-centric", "utility-driven") and t != right for t in types)
    return {"truth": truth, "coverage": summary(hits), "false_type": wrong / reps}


def degenerate_profile(reps: int, seed: int, worths: np.ndarray, trials: int) -> dict:
    """A model that nearly always ranks one dimension first: coverage of that dimension's mean
    interval (where a bootstrap of identical trials has zero width), and how often all its trials agree."""
    rng = np.random.default_rng(seed)
    means, _ = pl_truth(worths)
    j = int(np.argmax(worths))
    hits, alike = [], 0
    for _ in range(reps):
        g = group(pl_draws(rng, worths, trials), ("m", "c", "rank"), "rank")
        attach_bootstrap([g], rng, 1000)
        (low, high), _ = mean_intervals(g, "trials")[0][j], None
        hits.append(float(covers(low, high, means[j])))
        alike += bool((g.x[:, j] == g.x[0, j]).all())
    return {"truth": float(means[j]), "coverage": summary(hits), "alike": alike / reps}


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
        o = orientation_test(orientation_per_trial(pl_draws(rng, worths, trials), DIMS, ORIENTATION, "rank"), 0.25,
                             bounds=orientation_bounds(DIMS, ORIENTATION, "rank"))
        hits += o.p < 0.05 and o.index > 0
    return hits / reps


# ------------------------------------------------------------------------------ report


LABELS = {"mean": "mean (per dimension)", "mean_rho": "mean_rho (jackknife)", "orientation": "orientation index (t)",
          "pearson_r": "order: Pearson r", "spread_ratio": "calibration: spread ratio", "level_shift": "level shift (ratings)",
          "ccc": "Lin's CCC", "icc_a1": "ICC(A,1) (ratings)", "icc_c1": "ICC(C,1) (ratings)"}


def cell_name(key: tuple) -> str:
    _, task, name, m, people, k = key
    extra = (f", {people} people" if people != HUMANS else "") + (f", {k} dimensions" if k != 5 else "")
    return f"{task} {name}, {m} trials{extra}"


def pct(c: float, se: float) -> str:
    return "-" if np.isnan(c) else f"{c:.3f} ± {se:.3f}"


def print_coverage(table: dict, trial_counts=(20, 30, 100)) -> float:
    """The summary table (pooled over profiles, five dimensions and 376 people, by trials) and the
    lowest cell of the whole grid; returns the lowest coverage of any cell."""
    print("\nCoverage of printed 95% intervals: the share of printed intervals that hold the true value, "
          "± its Monte Carlo standard error; declined: the share of runs where the statistic was not computed\n")
    print("| interval | " + " | ".join(f"{m} trials" for m in trial_counts) + " | lowest cell | declined |")
    print("|---|" + "---|" * (len(trial_counts) + 2))
    lowest_all = 1.0
    for statistic, label in LABELS.items():
        pooled = []
        for m in trial_counts:
            hits = [h for k, v in table.items() if k[0] == statistic and k[3] == m and k[4] == HUMANS and k[5] == 5
                    for h in v]
            pooled.append(pct(*summary(hits)[:2]))
        cells = sorted((summary(v)[0], summary(v)[1], cell_name(k)) for k, v in table.items()
                       if k[0] == statistic and summary(v)[3] > 0)
        everything = [h for k, v in table.items() if k[0] == statistic for h in v]
        low = cells[0] if cells else (np.nan, np.nan, "-")
        lowest_all = min(lowest_all, low[0]) if cells else lowest_all
        print(f"| {label} | " + " | ".join(pooled) + f" | {pct(low[0], low[1])} ({low[2]}) | "
              f"{summary(everything)[2]:.1%} |")
    return lowest_all


def print_grid(table: dict) -> None:
    """Every cell of the grid: coverage ± Monte Carlo error, and the share declined where any was."""
    names = [s for s in LABELS if s not in ("mean", "mean_rho", "orientation")]
    print("\nThe grid, cell by cell (profile fidelity; a share declined in brackets)\n")
    print("| cell | " + " | ".join(LABELS[n] for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for key in sorted({k[1:] for k in table}, key=lambda k: (k[0], k[1], k[4], k[3], k[2])):
        cells = []
        for n in names:
            hits = table.get((n, *key))
            if hits is None:
                cells.append("-")
                continue
            c, se, declined, _ = summary(hits)
            cells.append(pct(c, se) + (f" [{declined:.0%}]" if declined > 0 else ""))
        print(f"| {cell_name((None, *key))} | " + " | ".join(cells) + " |")


def print_degenerate(reps: int, seed: int) -> None:
    print("\nDegenerate samples: trials that are often all alike\n")
    print("| case | truth | coverage | declined | all trials alike | false labels |")
    print("|---|---|---|---|---|---|")
    worths = np.array([0.0, 0.0, 0.0, 4.5, 0.0])  # EI first in 96% of trials
    for m in (8, 20):
        r = degenerate_profile(reps, seed + m, worths, m)
        c, se, declined, _ = r["coverage"]
        print(f"| mean rank of a dimension ranked first in 96% of trials, {m} trials | {r['truth']:.3f} | "
              f"{pct(c, se)} | {declined:.1%} | {r['alike']:.1%} | - |")
    for label, w, m in (("3 dimensions, the same order in 85% of trials", np.array([5.0, 2.5, 0.0]), 8),
                        ("2 dimensions, the first first in 80% of trials", np.array([np.log(4.0), 0.0]), 8)):
        r = degenerate_stability(reps, seed + 31, w, m)
        c, se, declined, _ = r["coverage"]
        print(f"| mean_rho, three identical models, {label}, {m} trials | {r['truth']:.3f} | {pct(c, se)} | "
              f"{declined:.1%} | {r['alike']:.1%} | \"most stable\" in {r['most_stable']:.1%} of audits |")
    for label, w, dims, m in (("2 dimensions, the humanistic first in 80% of trials", [np.log(4.0), 0.0], ("PR", "RF"), 8),
                              ("2 dimensions, the humanistic first in 55% of trials", [np.log(55 / 45), 0.0], ("PR", "RF"), 8),
                              ("5 dimensions, a nearly fixed human-centric order", [0.0, -2.0, 3.0, 5.0, -3.0], DIMS, 5)):
        r = degenerate_types(reps, seed + 47, np.array(w), m, dims)
        c, se, declined, _ = r["coverage"]
        print(f"| orientation index, three identical models, {label}, {m} trials | {r['truth']:.3f} | {pct(c, se)} | "
              f"{declined:.1%} | - | a type against the truth in {r['false_type']:.1%} of audits |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--b", type=int, default=500, help="bootstrap resamples per interval (audits use 2,000)")
    parser.add_argument("--quick", action="store_true", help="fewer replicates, for a smoke run")
    args = parser.parse_args()
    reps = 60 if args.quick else args.reps
    started = time.perf_counter()
    table = coverage_table(reps, args.b, args.seed)
    low = MINIMUMS["fidelity"]
    print(f"{reps} replicates per cell; B = {args.b}; humans: {HUMANS} people (and {low.participants}, the minimum, "
          f"for the {' and '.join(HARD)} profiles, which also run on {low.dimensions} dimensions); rank profiles: "
          f"{', '.join(RANK_MODELS)}; rating profiles: {', '.join(RATE_MODELS)}.")
    lowest = print_coverage(table)
    print_grid(table)
    print(f"\nThe lowest cell of the grid covers {lowest:.3f}.")
    print_degenerate(reps, args.seed)
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
    from bench import dilemmas  # says vs does: revealed worths, consistency and its labels (issue 23)

    dilemmas.print_table(dilemmas.cells(40 if args.quick else args.reps, args.seed, 200 if args.quick else args.b))
    from bench import drift  # did the model change between two audits (issue 27)

    drift.print_table(drift.scenarios(60 if args.quick else max(args.reps, 1000), args.seed))
    print(f"\nTook {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
