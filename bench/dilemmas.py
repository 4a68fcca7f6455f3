"""Validity of says vs does: coverage of the revealed worths', the consistency's and rho's intervals,
and how often each label is printed.

    python bench/dilemmas.py [--reps 400] [--seed 1] [--b 500] [--quick]

(also printed by bench/validity.py). Simulates one model in the bundled instrument's non-sentient
condition (five dimensions, its 50 dilemmas): rank trials drawn from a Plackett-Luce model with the
model's stated worths, and choose trials with the plan `papers collect` uses (papers.collect.plan.
choice_schedule: every pair of dimensions asked alike, each action shown first as often as second),
each choice a Bradley-Terry draw with the model's choice worths (plus a position bias for the action
shown first, where one is set). Runs `papers.analysis.revealed` exactly as `papers analyze` does and
prints, with Monte Carlo errors sqrt(p (1 - p) / R):

1. how often each label is printed: "acts on its stated priorities", "its choices depart from its
   stated priorities", or neither (target: a model whose choices follow its stated order is labelled
   as departing from it at most 5% of the time; a model choosing at random is labelled either way at
   most 5% of the time);
2. the coverage of the intervals (target: at least 92%): the worths' (all five dimensions of every
   replicate pooled, and the worst dimension), the consistency's and rho's (where rho is not
   declined; the share declined is printed), against their truths.

Truths: the worths are the choice worths centred (the Bradley-Terry log-worths the choices are
drawn from); the consistency is the expected share of choices that go to the dimension whose stated
worth is the higher of the pair (the order of Plackett-Luce expected ranks is the order of the
worths), over the plan's pairs; rho is Spearman's correlation of the stated and the choice worths.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from papers.analysis import revealed as rv  # noqa: E402
from papers.collect.plan import choice_schedule  # noqa: E402
from papers.instrument import load_instrument  # noqa: E402

CONDITION = "non_sentient"
DIMS = ("PC", "AG", "PR", "EI", "RF")
HUMAN_CENTRIC = np.array([0.9, 0.3, 1.7, 2.2, 0.2])  # simulated/human-centric's worths (PC, AG, PR, EI, RF)
SAYS_NOT_DOES = np.array([0.9, 1.9, -0.2, -0.4, 2.4])  # simulated/says-not-does's choice worths
DEFAULT_TRIALS = 90


def schedule(trials: int, seed: int) -> list[tuple[str, tuple[str, str]]]:
    return choice_schedule(load_instrument(), CONDITION, trials, seed)


def draw(rng: np.random.Generator, planned, stated: np.ndarray, chosen: np.ndarray, bias: float, rank_trials: int):
    """One replicate: the choose answers and the rank answers of one model."""
    index = {d: i for i, d in enumerate(DIMS)}
    first = np.array([index[o[0]] for _, o in planned])
    second = np.array([index[o[1]] for _, o in planned])
    p_first = 1 / (1 + np.exp(-(chosen[first] - chosen[second] + bias)))
    took_first = rng.random(len(planned)) < p_first
    win = np.where(took_first, first, second)
    lose = np.where(took_first, second, first)
    choices = pl.DataFrame({"model": "m", "condition": CONDITION, "response_id": [f"c{t}" for t in range(len(planned))],
                            "scenario": [k for k, _ in planned], "chosen": [DIMS[i] for i in win],
                            "other": [DIMS[i] for i in lose], "first": [DIMS[i] for i in first]})
    ranks = np.argsort(np.argsort(-(stated + rng.gumbel(size=(rank_trials, len(DIMS)))), axis=1), axis=1) + 1
    answers = pl.DataFrame({"model": "m", "condition": CONDITION, "task": "rank",
                            "response_id": np.repeat([f"r{t}" for t in range(rank_trials)], len(DIMS)),
                            "dimension": list(DIMS) * rank_trials, "value": ranks.ravel().astype(float)})
    return choices, answers


def truths(planned, stated: np.ndarray, chosen: np.ndarray) -> dict:
    index = {d: i for i, d in enumerate(DIMS)}
    agree = []
    for _, (a, b) in planned:
        i, j = index[a], index[b]
        if stated[i] == stated[j]:
            continue
        high, low = (i, j) if stated[i] > stated[j] else (j, i)
        agree.append(1 / (1 + np.exp(-(chosen[high] - chosen[low]))))
    flat = np.ptp(chosen) == 0  # a model choosing at random agrees with any stated order half the time
    return {"worths": chosen - chosen.mean(), "consistency": 0.5 if flat else float(np.mean(agree)),
            "rho": float(rv.spearman_rows(stated, chosen))}


def cell(name: str, stated: np.ndarray, chosen: np.ndarray, *, bias: float = 0.0, trials: int = DEFAULT_TRIALS,
         rank_trials: int = DEFAULT_TRIALS, reps: int = 400, seed: int = 1, b: int = 500) -> dict:
    """Replicates of one model: label rates and coverage."""
    rng = np.random.default_rng(seed)
    planned = schedule(trials, 0)
    truth = truths(planned, stated, chosen)
    outcomes = pl.DataFrame({"model": "m", "condition": CONDITION, "task": "choose", "status": "valid", "n": trials})
    scenarios = {s.key: s.pair for s in load_instrument().scenarios(CONDITION)}
    labels = {rv.ACTS: 0, rv.DEPARTS: 0, rv.UNSHOWN: 0, None: 0}
    worth_cover = np.zeros(len(DIMS))
    share_cover = rho_cover = rho_measured = 0
    for _ in range(reps):
        choices, answers = draw(rng, planned, stated, chosen, bias, rank_trials)
        worths, consistency, _ = rv.revealed(choices, answers, outcomes, {CONDITION: DIMS}, scenarios, rng, b)
        row = consistency.row(0, named=True)
        labels[row["label"]] += 1
        order = {d: i for i, d in enumerate(DIMS)}
        for w in worths.iter_rows(named=True):
            if w["ci_low"] is not None:
                worth_cover[order[w["dimension"]]] += w["ci_low"] <= truth["worths"][order[w["dimension"]]] <= w["ci_high"]
        if row["consistency_ci_low"] is not None:
            share_cover += row["consistency_ci_low"] - 1e-9 <= truth["consistency"] <= row["consistency_ci_high"] + 1e-9
        if row["rho_ci_low"] is not None and np.isfinite(truth["rho"]):  # measured: not declined
            rho_measured += 1
            rho_cover += row["rho_ci_low"] - 1e-9 <= truth["rho"] <= row["rho_ci_high"] + 1e-9
    return {"name": name, "reps": reps, "trials": trials, "rank_trials": rank_trials, "rho_declined": 1 - rho_measured / reps,
            "acts": labels[rv.ACTS] / reps, "departs": labels[rv.DEPARTS] / reps,
            "consistency_truth": truth["consistency"], "rho_truth": truth["rho"],
            "worth_cover": worth_cover.sum() / (reps * len(DIMS)), "worth_worst": worth_cover.min() / reps,
            "share_cover": share_cover / reps, "rho_cover": rho_cover / rho_measured if rho_measured else np.nan,
            "rho_reps": rho_measured}


def cells(reps: int, seed: int, b: int) -> list[dict]:
    hc = HUMAN_CENTRIC
    weak = hc / 3
    near = hc.copy()
    near[2] = hc[3] - 0.1  # PR 0.1 below EI: a near tie in the stated order
    swapped = hc.copy()
    swapped[[3, 4]] = hc[[4, 3]]  # acts with EI and RF traded: a partial departure
    flat = np.zeros(len(DIMS))
    common = {"reps": reps, "b": b}
    return [
        cell("follows its stated order (human-centric)", hc, hc, seed=seed, **common),
        cell("follows it, weak priorities (a third)", weak, weak, seed=seed + 1, **common),
        cell("follows it, 30 trials of each task", hc, hc, trials=30, rank_trials=30, seed=seed + 2, **common),
        cell("follows it, a near tie in its stated order", near, near, seed=seed + 3, **common),
        cell("follows it, prefers action A by 0.9", hc, hc, bias=0.9, seed=seed + 4, **common),
        cell("chooses at random, states no order", flat, flat, seed=seed + 5, **common),
        cell("says human-centric, chooses utility first (says-not-does)", hc, SAYS_NOT_DOES, seed=seed + 6, **common),
        cell("... 30 trials of each task", hc, SAYS_NOT_DOES, trials=30, rank_trials=30, seed=seed + 7, **common),
        cell("partial departure: acts with EI and RF traded", hc, swapped, seed=seed + 8, **common),
    ]


def mc(p: float, n: int) -> str:
    if not np.isfinite(p):
        return "n/a"
    return f"{p:.3f} ± {np.sqrt(max(p * (1 - p), 1 / n) / n):.3f}"


def print_table(rows: list[dict]) -> None:
    print(f"\nSays vs does: one model, the {CONDITION} condition's 50 dilemmas (5 dimensions); choose and rank trials "
          f"as given, {rows[0]['reps']} replicates each")
    print("| model | trials (choose / rank) | 'acts on' | 'departs from' | true consistency | its interval covers | "
          "worths' intervals cover (all / worst) | true rho | its interval covers |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        n = r["reps"]
        print(f"| {r['name']} | {r['trials']} / {r['rank_trials']} | {mc(r['acts'], n)} | {mc(r['departs'], n)} | "
              f"{r['consistency_truth']:.3f} | {mc(r['share_cover'], n)} | {mc(r['worth_cover'], 5 * n)} / "
              f"{mc(r['worth_worst'], n)} | {r['rho_truth']:.2f} | {mc(r['rho_cover'], r['rho_reps'] or 1)} "
              f"({r['rho_declined']:.0%} declined) |")
    print("The false-label targets: 'departs from' at most 0.05 where the model follows its stated order; either label "
          "at most 0.05 where it chooses at random. Coverage targets: at least 0.92. (A position bias is not in "
          "Bradley-Terry's model: there the worths' truth is the choice worths without it.)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--b", type=int, default=500, help="bootstrap resamples")
    parser.add_argument("--quick", action="store_true", help="fewer replicates, for a smoke run")
    args = parser.parse_args()
    started = time.perf_counter()
    print_table(cells(40 if args.quick else args.reps, args.seed, 200 if args.quick else args.b))
    print(f"\nTook {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
