"""Power by simulation with the Plackett-Luce generator (no API calls).

Two questions an auditor asks before spending money:

- rank difference: with n trials per model, how likely is a Mann-Whitney test (two-sided, alpha)
  to detect that model B ranks one dimension `delta` places higher on average than model A?
- ICC: with N participants and M trials, how likely is the one-sided 95% percentile-bootstrap
  lower bound of ICC(A,1) between a model and a human sample to exceed a null value, when the
  population ICC(A,1) is `icc`?

Rankings are drawn by the Gumbel-max trick (a Plackett-Luce draw). Worths are calibrated by
bisection so the population quantity (mean-rank difference, ICC of mean-rank profiles) hits the
target. Every draw is seeded.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from papers.analysis import stats


def pl_ranks(rng: np.random.Generator, worths: np.ndarray, n: int, reps: int = 1) -> np.ndarray:
    """reps x n x k ranks (1 = first) drawn from Plackett-Luce with the given worths."""
    scores = worths + rng.gumbel(size=(reps, n, len(worths)))
    return np.argsort(np.argsort(-scores, axis=-1), axis=-1) + 1.0


def mean_ranks(worths: np.ndarray, rng: np.random.Generator, n: int = 40000) -> np.ndarray:
    return pl_ranks(rng, worths, n)[0].mean(axis=0)


def _bisect(f, target: float, low: float, high: float, steps: int = 40) -> float:
    for _ in range(steps):
        mid = (low + high) / 2
        if f(mid) < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def rank_difference_power(delta: float, trials: int, k: int = 5, alpha: float = 0.05, sims: int = 500,
                          seed: int = 1) -> float:
    rng = np.random.default_rng(seed)
    worth_b = _worth_for_delta(delta, k, np.random.default_rng(seed + 1))
    a = pl_ranks(rng, np.zeros(k), trials, sims)[:, :, 0]
    b = pl_ranks(rng, np.r_[worth_b, np.zeros(k - 1)], trials, sims)[:, :, 0]
    p = sps.mannwhitneyu(a, b, axis=1, alternative="two-sided", method="asymptotic").pvalue
    return float(np.mean(np.nan_to_num(p, nan=1.0) < alpha))


def _worth_for_delta(delta: float, k: int, rng: np.random.Generator) -> float:
    if delta <= 0:
        return 0.0
    if delta >= (k - 1) / 2:
        raise ValueError(f"a mean-rank difference of {delta} is impossible with {k} dimensions "
                         f"(at most {(k - 1) / 2:g} from the middle)")
    centre = (k + 1) / 2
    return _bisect(lambda w: centre - mean_ranks(np.r_[w, np.zeros(k - 1)], rng, 20000)[0], delta, 0.0, 8.0, 25)


def needed(power_at, start: int, limit: int = 5000, target: float = 0.8) -> int | None:
    """Smallest n with power_at(n) >= target, by doubling then bisection; None above limit."""
    n = max(2, start)
    while power_at(n) < target:
        if n >= limit:
            return None
        n = min(limit, n * 2)
    low, high = max(2, n // 2), n
    while high - low > 1:
        mid = (low + high) // 2
        if power_at(mid) >= target:
            high = mid
        else:
            low = mid
    return high


HUMAN_WORTHS = np.array([0.9, 0.4, 1.5, 2.0, 0.6, -0.4])  # a plausible human profile (PC, AG, PR, EI, RF, SA)


def icc_power(icc: float, null: float, participants: int, trials: int, k: int = 5, sims: int = 200, b: int = 200,
              seed: int = 1) -> float:
    rng = np.random.default_rng(seed)
    human = HUMAN_WORTHS[:k]
    model = _model_worths_for_icc(icc, human, np.random.default_rng(seed + 1))
    h = pl_ranks(rng, human, participants, sims)
    m = pl_ranks(rng, model, trials, sims)
    rejections = 0
    for s in range(sims):
        hb = stats.bootstrap_counts(rng, participants, b) @ h[s] / participants
        mb = stats.bootstrap_counts(rng, trials, b) @ m[s] / trials
        boot_a, _ = stats.icc_two_way(mb, hb)
        rejections += np.nanquantile(boot_a, 0.05) > null
    return rejections / sims


def _model_worths_for_icc(icc: float, human: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Human worths moved towards the reversed profile until the population ICC(A,1) is `icc`."""
    reversed_ = human[::-1].copy()
    target_h = mean_ranks(human, rng)

    def icc_at(t: float) -> float:
        a, _ = stats.icc_two_way(mean_ranks((1 - t) * human + t * reversed_, rng, 20000), target_h)
        return -float(a)  # decreasing in t: bisect on the negative

    if not -1 < icc < 1:
        raise ValueError("the ICC must lie between -1 and 1")
    t = _bisect(icc_at, -icc, 0.0, 1.0, 25)
    return (1 - t) * human + t * reversed_
