"""Validity of robustness to wording: false alarms, detection, and coverage of its intervals.

    python bench/robustness.py [--reps 400] [--seed 1] [--trials 90] [--quick]

(also printed by bench/validity.py). Simulates one model answering an instrument's six variants
in four situations (as the bundled instruments' two conditions times two tasks; each simulated as
a ranking), with the trial plan `papers collect` uses (trials spread evenly over the variants,
each variant's item orders in Latin squares), and runs `papers.analysis.robustness` exactly as
`papers analyze` does, its tests Holm-adjusted across the model's four situations. Prints, with
Monte Carlo errors sqrt(p (1 - p) / R):

1. the false-alarm rate: how often a model whose profile does not depend on the wording is called
   not robust in any of its four situations (target: at most 5%), for clear, weak and no profiles
   (where the wordings' chance differences are largest beside the profile);
2. the detection rate: how often a model whose top two dimensions trade places in two of the six
   wordings (a third), in every situation as simulated/fragile does, is called not robust (target:
   at least 90% at the default trial count), for top-two gaps of 0.5, 1.0 (simulated/fragile's) and
   1.5 log-worth units; and, harder, how often a swap in one situation only is caught there;
3. the coverage of the wording-share interval and of the position-bias interval (target: at least
   92%), against their true values computed exactly from the Plackett-Luce model: expected ranks by
   summing over all k! orderings, for the plan's very item orders.

Truth of the wording share: W / (W + Theta) of the six variants' true centred profiles (the finite
set of wordings the instrument ships). Truth of the position bias: minus the OLS slope, with a
fixed effect per variant and dimension, of the true expected importance on position over the plan.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from papers.analysis import robustness as rb  # noqa: E402
from papers.collect.plan import latin_order  # noqa: E402

DIMS = ("PC", "AG", "PR", "EI", "RF")
VARIANTS = ("default", "v2", "v3", "v4", "v5", "v6")
SWAPPED = ("v3", "v6")  # two of six: a third of the wordings
SITUATIONS = ("c1", "c2", "c3", "c4")  # the model's conditions x tasks
HUMAN_CENTRIC = np.array([0.9, 0.3, 1.7, 2.2, 0.2])  # simulated/human-centric's worths (PC, AG, PR, EI, RF)
WEAK = np.array([0.4, 0.0, 0.2, 0.6, 0.0])  # an order the pooled answers show in about 9 runs of 10 at 90 trials
DEFAULT_TRIALS = 90


@lru_cache(maxsize=None)
def _orders(k: int) -> np.ndarray:
    return np.array(list(itertools.permutations(range(k))))


def expected_importance(worths: np.ndarray) -> np.ndarray:
    """Exact expected minus-rank, centred, of each item under Plackett-Luce with these log-worths."""
    w = np.exp(worths)
    orders = _orders(len(w))
    ordered = w[orders]
    tails = np.cumsum(ordered[:, ::-1], axis=1)[:, ::-1]
    prob = np.prod(ordered / tails, axis=1)
    ranks = np.empty_like(orders)
    ranks[np.arange(len(orders))[:, None], orders] = np.arange(1, len(w) + 1)
    importance = -(prob @ ranks) / prob.sum()
    return importance - importance.mean()


def plan(trials: int, seed: int) -> list[tuple[str, list[str]]]:
    """(variant, item order) of each trial, as `papers collect` plans them."""
    out = []
    for t in range(trials):
        variant = VARIANTS[t % len(VARIANTS)]
        out.append((variant, latin_order(list(DIMS), seed, "rank", "c", variant, t // len(VARIANTS))))
    return out


def worths_of(base: np.ndarray, variant: str, swap: bool, bias: float, order: list[str]) -> np.ndarray:
    """The log-worths a trial is drawn with: the profile (its top two traded in a swapped wording)
    plus `bias` per place nearer the top of the list."""
    w = base.copy()
    if swap and variant in SWAPPED:
        first, second = np.argsort(-base)[:2]
        w[first], w[second] = base[second], base[first]
    position = np.array([order.index(d) for d in DIMS], float)
    return w + bias * ((len(DIMS) - 1) / 2 - position)


def draw(rng: np.random.Generator, planned, base, swap: tuple[str, ...], bias: float) -> pl.DataFrame:
    """Every situation's trials; the top two trade places in the wordings SWAPPED of the situations `swap`."""
    rows = []
    for situation in SITUATIONS:
        for t, (variant, order) in enumerate(planned):
            worths = worths_of(base, variant, situation in swap, bias, order)
            ranks = np.argsort(np.argsort(-(worths + rng.gumbel(size=len(DIMS))))) + 1
            rows += [{"model": "m", "condition": situation, "task": "rank", "response_id": f"{situation}-{t}",
                      "variant": variant, "item_order": order, "dimension": d, "value": float(r)}
                     for d, r in zip(DIMS, ranks)]
    return pl.DataFrame(rows)


def truths(planned, base, swap: bool, bias: float) -> tuple[float, float]:
    """The true wording share and position bias of this design."""
    profiles = {v: expected_importance(worths_of(base, v, swap, 0.0, list(DIMS))) for v in VARIANTS}
    mu = np.stack([profiles[v] for v in VARIANTS])
    pooled = mu.mean(axis=0)
    w = ((mu - pooled) ** 2).sum() / ((len(VARIANTS) - 1) * (len(DIMS) - 1))
    theta = (pooled ** 2).sum() / (len(DIMS) - 1)
    share = w / (w + theta) if w + theta > 1e-12 else float("nan")
    y = np.stack([expected_importance(worths_of(base, v, swap, bias, order)) for v, order in planned])
    positions = np.array([[order.index(d) + 1 for d in DIMS] for _, order in planned], float)
    cells = np.array([VARIANTS.index(v) for v, _ in planned])
    slope = rb.position_bias(y, positions, cells)[0]
    return share, slope


def scenario(name: str, base, swap: tuple[str, ...], bias: float, trials: int, reps: int, seed: int, b: int) -> dict:
    """Replicates of one model; 'called not robust' counts a flag in c1 when only c1 swaps, else in any situation."""
    rng = np.random.default_rng(seed)
    planned = plan(trials, seed)
    share_truth, bias_truth = truths(planned, base, "c1" in swap, bias)
    flagged = share_cover = bias_cover = measured = 0
    shown = {c: DIMS for c in SITUATIONS}
    for _ in range(reps):
        table = rb.robustness(draw(rng, planned, base, swap, bias), shown, rng, b)[0]
        row = table.filter(pl.col("condition") == "c1").row(0, named=True)
        flagged += (row["robust"] is False) if swap == ("c1",) else (table["robust"] == False).any()  # noqa: E712
        if row["wording_share"] is not None:
            measured += 1
            share_cover += row["wording_share_ci_low"] - 1e-9 <= share_truth <= row["wording_share_ci_high"] + 1e-9
        bias_cover += row["position_bias_ci_low"] <= bias_truth <= row["position_bias_ci_high"]
    return {"name": name, "trials": trials, "flagged": flagged / reps, "share_truth": share_truth,
            "share_cover": share_cover / max(measured, 1), "bias_truth": bias_truth, "bias_cover": bias_cover / reps,
            "reps": reps, "measured": max(measured, 1)}


def scenarios(reps: int, seed: int, b: int, trials: int = DEFAULT_TRIALS) -> list[dict]:
    clear = np.array([0.8, 0.3, 0.0, 2.5, 1.5])  # EI first, RF second by 1.0 (simulated/fragile's gap)
    out = [
        scenario("no wording effect (human-centric)", HUMAN_CENTRIC, (), 0.0, trials, reps, seed, b),
        scenario("no wording effect (clear top)", clear, (), 0.0, trials, reps, seed + 1, b),
        scenario("no wording effect, primacy 0.3", clear, (), 0.3, trials, reps, seed + 2, b),
        scenario("no wording effect, a weak profile", WEAK, (), 0.0, trials, reps, seed + 3, b),
        scenario("no wording effect, no profile (simulated/uniform)", np.zeros(len(DIMS)), (), 0.0, trials, reps,
                 seed + 4, b),
    ]
    for gap in (0.5, 1.0, 1.5):
        base = clear.copy()
        base[3] = base[4] + gap
        out.append(scenario(f"top two swap in 2 of 6 wordings, gap {gap}", base, SITUATIONS, 0.0, trials, reps,
                            seed + 10 + int(gap * 10), b))
    for gap in (1.0, 1.5):
        base = clear.copy()
        base[3] = base[4] + gap
        out.append(scenario(f"... in one situation only, gap {gap}", base, ("c1",), 0.0, trials, reps,
                            seed + 20 + int(gap * 10), b))
    return out


def mc(p: float, n: int) -> str:
    return f"{p:.3f} ± {np.sqrt(max(p * (1 - p), 1 / n) / n):.3f}"


def print_table(rows: list[dict]) -> None:
    print(f"\nRobustness to wording: one model, 4 situations, 6 wordings, {rows[0]['trials']} trials per situation "
          f"({rows[0]['trials'] // 6} per wording), {rows[0]['reps']} replicates each; the intervals' coverage in "
          "situation c1")
    print("| scenario | called not robust | true wording share | its interval covers | true position bias | "
          "its interval covers |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        defined = np.isfinite(r["share_truth"])  # no profile: the share is 0 / 0, there is nothing to cover
        truth, cover = (f"{r['share_truth']:.3f}", mc(r["share_cover"], r["measured"])) if defined else ("none", "-")
        print(f"| {r['name']} | {mc(r['flagged'], r['reps'])} | {truth} | {cover} | {r['bias_truth']:.3f} | "
              f"{mc(r['bias_cover'], r['reps'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--b", type=int, default=500, help="bootstrap resamples")
    parser.add_argument("--trials", type=int, default=DEFAULT_TRIALS)
    parser.add_argument("--quick", action="store_true", help="fewer replicates, for a smoke run")
    args = parser.parse_args()
    started = time.perf_counter()
    print_table(scenarios(40 if args.quick else args.reps, args.seed, 200 if args.quick else args.b, args.trials))
    print(f"\nTook {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
