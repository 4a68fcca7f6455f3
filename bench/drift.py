"""Validity of the drift test: false alarms, and detection of a model that moved.

    python bench/drift.py [--reps 1000] [--seed 1] [--trials 60] [--quick]

(also printed by bench/validity.py). Simulates one model audited twice, each audit with the trial
plan `papers collect` uses (trials spread evenly over the instrument's six wordings, each wording's
item orders in Latin squares), rankings of five dimensions drawn from a Plackett-Luce model with a
simulated profile's worths, and decides as `papers drift` does (papers.analysis.drift's
compare_group per condition x task, settle_model across them: the permutation test of the profile,
Holm-adjusted across the model's conditions and tasks). Prints, with Monte Carlo errors
sqrt(p (1 - p) / R):

1. the false-alarm rate: how often a model whose answers did not change is called changed (target:
   at most 5%): simulated/steady's profile, a flat profile, a model asked in one condition x task and
   in four, and a later audit asked in three of the first audit's six wordings (compared on those);
2. the detection rate: how often a model is called changed when, in the later audit, one dimension
   moved by one rank position (it traded places with the dimension ranked just below it, or above
   when it was last) in half of the trials (target: at least 80% at 60 trials per audit): the top
   dimension or the second, in the model's only condition x task, in one of four (Holm across the
   four lowers the power), and in all four. The rate depends on how consistent the model is (its
   mean Spearman rho between trials, printed beside each profile): the same shift in a model that
   answers less consistently (simulated/human-centric) is printed too.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from papers.analysis.drift import DriftSettings, Side, compare_group, settle_model  # noqa: E402
from papers.collect.simulated import BUILTIN  # noqa: E402

DIMS = ("PC", "AG", "PR", "EI", "RF")
VARIANTS = ("default", "v2", "v3", "v4", "v5", "v6")
PROFILES = {name: np.array([BUILTIN[name].worth(d) for d in DIMS]) for name in ("steady", "human-centric", "uniform")}
DEFAULT_TRIALS = 60
PERMUTATIONS = 999


def variants_of(trials: int, variants: tuple[str, ...] = VARIANTS) -> np.ndarray:
    """The variant of each trial, as `papers collect` spreads trials over variants (t mod V)."""
    return np.array([variants[t % len(variants)] for t in range(trials)])


def moved(ranks: np.ndarray, dim: int) -> np.ndarray:
    """The ranking with dimension `dim` one place lower (traded with the one ranked just below it),
    or one place higher when it was last."""
    out = ranks.copy()
    target = ranks[dim] + 1 if ranks[dim] < len(ranks) else ranks[dim] - 1
    other = int(np.flatnonzero(ranks == target)[0])
    out[dim], out[other] = ranks[other], ranks[dim]
    return out


def rankings(rng: np.random.Generator, worths: np.ndarray, trials: int, shift: int | None = None) -> np.ndarray:
    """Plackett-Luce rankings (trials x dimensions, by the Gumbel-max trick, as the simulated provider
    draws them); with `shift`, that dimension moved one place in every other trial (half of them)."""
    ranks = np.argsort(np.argsort(-(worths + rng.gumbel(size=(trials, len(worths)))), axis=1), axis=1) + 1.0
    if shift is not None:
        ranks[::2] = np.array([moved(r, shift) for r in ranks[::2]])
    return ranks


def mean_rho(worths: np.ndarray, rng: np.random.Generator, n: int = 20000) -> float:
    """The profile's mean Spearman correlation between trials (how consistent the model is), by
    simulation: |mean z|^2 of the unit-length centred rank vectors z, corrected for n."""
    z = rankings(rng, worths, n)
    z = z - z.mean(axis=1, keepdims=True)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    m = z.mean(axis=0)
    return float((n * (m @ m) - 1) / (n - 1))


def scenario(name: str, profile: str, situations: int, trials: int, reps: int, seed: int,
             shift: tuple[int, str] | None = None, later_variants: tuple[str, ...] = VARIANTS) -> dict:
    """How often the model is called changed over `reps` pairs of audits, as papers.analysis.drift
    decides it (compare_group per condition x task, settle_model across them). `shift` is
    (dimension, 'one' or 'all'): the situations whose answers moved in the later audit."""
    rng = np.random.default_rng(seed)
    worths = PROFILES[profile]
    keys = [("m", f"c{i + 1}", "rank") for i in range(situations)]
    moving = {keys[0]} if shift and shift[1] == "one" else set(keys) if shift else set()
    before, after = variants_of(trials), variants_of(trials, later_variants)
    flagged = 0
    for rep in range(reps):
        settings = DriftSettings(seed=seed * 100_000 + rep, permutations=PERMUTATIONS)
        profiles = [compare_group(key, DIMS, Side(rankings(rng, worths, trials), before),
                                  Side(rankings(rng, worths, trials, shift[0] if key in moving else None), after),
                                  settings)[0] for key in keys]
        flagged += bool(settle_model(profiles, settings.alpha))
    return {"name": name, "profile": profile, "situations": situations, "trials": trials, "reps": reps,
            "flagged": flagged / reps, "rho": mean_rho(worths, np.random.default_rng(seed)), "shifted": shift is not None}


def scenarios(reps: int, seed: int, trials: int = DEFAULT_TRIALS) -> list[dict]:
    ei, pr = DIMS.index("EI"), DIMS.index("PR")
    return [
        scenario("no change", "steady", 1, trials, reps, seed),
        scenario("no change", "steady", 4, trials, reps, seed + 1),
        scenario("no change, a flat profile", "uniform", 4, trials, reps, seed + 2),
        scenario("no change, the later audit asked 3 of the 6 wordings (compared on those)", "steady", 4, trials, reps,
                 seed + 3, later_variants=VARIANTS[:3]),
        scenario("top dimension (EI) one place lower in half the trials", "steady", 1, trials, reps, seed + 10,
                 (ei, "one")),
        scenario("second dimension (PR) one place lower in half the trials", "steady", 1, trials, reps, seed + 11,
                 (pr, "one")),
        scenario("top dimension one place lower in half the trials, in 1 of the 4", "steady", 4, trials, reps,
                 seed + 12, (ei, "one")),
        scenario("top dimension one place lower in half the trials, in all 4", "steady", 4, trials, reps, seed + 13,
                 (ei, "all")),
        scenario("top dimension (EI) one place lower in half the trials, a less consistent model", "human-centric",
                 1, trials, reps, seed + 14, (ei, "one")),
    ]


def mc(p: float, n: int) -> str:
    return f"{p:.3f} ± {np.sqrt(max(p * (1 - p), 1 / n) / n):.3f}"


def print_table(rows: list[dict]) -> None:
    print(f"\nDrift between two audits of one model: {rows[0]['trials']} trials per audit and condition x task, spread "
          f"over 6 wordings; rankings of 5 dimensions (Plackett-Luce, the simulated profiles' worths); {PERMUTATIONS} "
          f"permutations per test, Holm across the model's conditions x tasks; {rows[0]['reps']} pairs of audits each. "
          "Target: called changed at most 5% of the time without a change; with one dimension one place lower in "
          "half the trials, at least 80%.")
    print("| scenario | simulated profile (mean rho between trials) | conditions x tasks | called changed |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['profile']} ({r['rho']:.2f}) | {r['situations']} | {mc(r['flagged'], r['reps'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trials", type=int, default=DEFAULT_TRIALS)
    parser.add_argument("--quick", action="store_true", help="fewer replicates, for a smoke run")
    args = parser.parse_args()
    started = time.perf_counter()
    print_table(scenarios(60 if args.quick else args.reps, args.seed, args.trials))
    print(f"\nTook {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
