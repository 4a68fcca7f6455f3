"""Power by simulation with the Plackett-Luce generator (no API calls).

Two questions an auditor asks before spending money:

- rank difference: with n trials per model, how likely is `papers compare` to detect that model B
  ranks one dimension `delta` places higher on average than model A? Both models rank all k
  dimensions; every dimension gets a two-sided Mann-Whitney U test, Holm's step-down adjustment runs
  across the k dimensions, and a detection is dimension 1's adjusted p below alpha.
- agreement: with N participants and M trials, how likely is the one-sided 95% percentile-bootstrap
  lower bound of the noise-corrected ICC(A,1) (ratings) or Lin's CCC (ratings or ranks) between a
  model and a human sample, computed as `papers analyze` computes it, to exceed a null value when
  the population value is a given target?

Every estimate is a share of seeded simulations and carries its Monte Carlo standard error
sqrt(p (1 - p) / sims). The trials needed for 80% power are bracketed with few simulations and
then settled with enough (at least 1,600) that the power at the answer has a Monte Carlo error of
at most one point. Population values (mean ranks, expected ratings, the statistics between them)
are computed exactly, never by simulation, so calibration adds no noise.

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal of
Statistics 6(2), 65-70.
Luce, R. D. (1959). Individual Choice Behavior: A Theoretical Analysis. New York: Wiley.
Plackett, R. L. (1975). The analysis of permutations. Journal of the Royal Statistical Society,
Series C (Applied Statistics) 24(2), 193-202.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from scipy import stats as sps
from scipy.special import expit

from papers.analysis import stats
from papers.errors import InputError, located

TARGET = 0.8
MAX_SE = 0.01  # Monte Carlo standard error allowed at the answer: places the 80% point within +-2 points
COARSE_SIMS = 400  # while bracketing
ENUMERATE_UP_TO = 6  # k! orderings: 720 at k = 6

HUMAN_WORTHS = np.array([0.9, 0.4, 1.5, 2.0, 0.6, -0.4])  # a plausible human profile (PC, AG, PR, EI, RF, SA)
HUMAN_RATINGS = np.array([5.4, 4.9, 5.8, 6.2, 5.1, 4.0])  # the same order as mean ratings on 1-7
BUILTIN_KEYS = ("PC", "AG", "PR", "EI", "RF", "SA")
MODEL_RATING_SD = 1.0  # a model's trial-to-trial spread around its latent rating
HUMAN_RATING_SD = 1.2  # a person's spread around their own level
HUMAN_OFFSET_SD = 0.6  # people differ in level: a per-person offset added to every rating


def sims_for_se(se: float = MAX_SE, p: float = TARGET) -> int:
    """Simulations that bring the Monte Carlo standard error of a power near p down to se.

    Parameters
    ----------
    se : float
        The standard error wanted (0.01: one percentage point).
    p : float
        The power it is wanted at (the 80% target).

    Returns
    -------
    int
        ceil(p (1 - p) / se^2).

    Notes
    -----
    A power estimated from S simulations is a binomial share with standard error
    sqrt(p (1 - p) / S) (Morris et al. 2019); solving for S gives the count. The
    rounding to nine decimals keeps 1600.0000000000002 from becoming 1601.

    References
    ----------
    Morris, T. P., White, I. R. & Crowther, M. J. (2019). Using simulation studies to evaluate
    statistical methods. Statistics in Medicine 38(11), 2074-2102.

    Examples
    --------
    >>> sims_for_se(0.01, 0.8)
    1600
    """
    return math.ceil(round(p * (1 - p) / se**2, 9))


@dataclass(frozen=True)
class PowerEstimate:
    """A power estimated as the share of `sims` simulations that detected the effect."""

    power: float
    sims: int

    @property
    def se(self) -> float:
        """Monte Carlo standard error sqrt(p (1 - p) / sims) (zero when every simulation agreed)."""
        return math.sqrt(self.power * (1 - self.power) / self.sims)

    def as_dict(self, prefix: str = "power") -> dict:
        return {prefix: self.power, f"{prefix}_se": self.se, f"{prefix}_sims": self.sims}

    def text(self) -> str:
        return f"{self.power:.1%} \u00b1 {self.se:.1%} (Monte Carlo SE, {self.sims:,} simulations)"

    def short(self) -> str:
        return f"{self.power:.1%} \u00b1 {self.se:.1%}"


# --------------------------------------------------------------------------- Plackett-Luce


def orderings(k: int) -> np.ndarray:
    """All k! orderings of k dimensions, in lexicographic order.

    Parameters
    ----------
    k : int
        Number of dimensions, at most 8.

    Returns
    -------
    numpy.ndarray
        Integer array (k!, k): entry j of a row is the dimension in place j + 1.

    Raises
    ------
    ValueError
        For k > 8 (40,320 rows and more).

    Notes
    -----
    The support of a Plackett-Luce ranking of k items (Luce 1959; Plackett 1975), enumerated with
    itertools.permutations; `pl_ordering_probabilities` gives each its probability.

    References
    ----------
    Luce, R. D. (1959). Individual Choice Behavior: A Theoretical Analysis. New York: Wiley.
    Plackett, R. L. (1975). The analysis of permutations. Applied Statistics 24(2), 193-202.

    Examples
    --------
    >>> orderings(3).tolist()
    [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
    """
    if k > 8:
        raise ValueError(f"enumerating the {math.factorial(k):,} orderings of {k} dimensions is not supported")
    return np.array(list(itertools.permutations(range(k))), dtype=np.int64).reshape(-1, k)


def pl_ordering_probabilities(worths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ordering of k dimensions and its Plackett-Luce probability, by enumeration.

    Parameters
    ----------
    worths : array of shape (k,)
        Log-worths; w = exp(worths). Only differences matter.

    Returns
    -------
    orders : array (k!, k)
        From `orderings`.
    probabilities : array (k!,)
        P(order) = prod over places j of w[order_j] / sum of w over the dimensions not yet placed.

    Notes
    -----
    The Plackett-Luce model (Luce 1959; Plackett 1975) builds a ranking by choosing the first
    dimension with probability proportional to its worth, then the next among the rest, and so on.

    References
    ----------
    Luce (1959) and Plackett (1975), cited in full at `orderings`.

    Examples
    --------
    >>> orders, p = pl_ordering_probabilities(np.log([3.0, 1.0]))
    >>> orders.tolist(), p.round(3).tolist()
    ([[0, 1], [1, 0]], [0.75, 0.25])
    """
    worths = np.asarray(worths, float)
    orders = orderings(len(worths))
    w = np.exp(worths - worths.max())[orders]
    remaining = np.cumsum(w[:, ::-1], axis=1)[:, ::-1]
    return orders, np.prod(w / remaining, axis=1)


def pl_expected_ranks(worths: np.ndarray) -> np.ndarray:
    """Exact expected rank (1 = first) of each dimension under Plackett-Luce.

    Parameters
    ----------
    worths : array of shape (k,)
        Log-worths; w = exp(worths).

    Returns
    -------
    array (k,) of expected ranks; they sum to k (k + 1) / 2.

    Notes
    -----
    A Plackett-Luce ranking is the order of independent exponential times with rates w (Luce's
    choice axiom; the Gumbel-max form of the same model), so dimension j comes before i with
    probability w_j / (w_i + w_j) whatever the other dimensions, and

        E[rank_i] = 1 + sum over j != i of w_j / (w_i + w_j).

    This closed form holds for every k; the tests check it against the enumeration of all k!
    orderings (`pl_ordering_probabilities`), against a Monte Carlo average of 200,000 draws, and
    against the hand-computed k = 2 case, P(first) = w_1 / (w_1 + w_2).

    References
    ----------
    Luce (1959) and Plackett (1975), cited in full at `orderings`.

    Examples
    --------
    >>> pl_expected_ranks(np.log([3.0, 1.0])).tolist()
    [1.25, 1.75]
    """
    v = np.asarray(worths, float)
    before = expit(v[None, :] - v[:, None])  # [i, j]: P(j before i)
    return 1 + before.sum(axis=1) - 0.5  # the diagonal adds 1/2


def pl_ranks(rng: np.random.Generator, worths: np.ndarray, n: int, reps: int = 1) -> np.ndarray:
    """Rankings drawn from a Plackett-Luce model by the Gumbel-max trick.

    Parameters
    ----------
    rng : numpy.random.Generator
        The seeded generator.
    worths : numpy.ndarray
        Log-worths (k,).
    n : int
        Rankings per repetition.
    reps : int
        Repetitions.

    Returns
    -------
    numpy.ndarray
        Float array (reps, n, k): the rank (1 = first) of each dimension in each ranking.

    Notes
    -----
    Sorting worths plus independent standard Gumbel noise gives exactly a Plackett-Luce ranking
    (Yellott 1977): choosing the first dimension with probability proportional to exp(worth), then
    the next among the rest. The tests check the mean ranks of 200,000 draws against the exact
    expectation (`pl_expected_ranks`).

    References
    ----------
    Luce (1959) and Plackett (1975), cited in full at `orderings`.
    Yellott, J. I. (1977). The relationship between Luce's choice axiom, Thurstone's theory of
    comparative judgment, and the double exponential distribution. Journal of Mathematical
    Psychology 15(2), 109-144.

    Examples
    --------
    >>> ranks = pl_ranks(np.random.default_rng(1), np.log([3.0, 1.0, 1.0]), 4, reps=2)
    >>> ranks.shape, ranks[0].tolist()
    ((2, 4, 3), [[2.0, 3.0, 1.0], [3.0, 1.0, 2.0], [2.0, 1.0, 3.0], [1.0, 3.0, 2.0]])
    """
    scores = np.asarray(worths, float) + rng.gumbel(size=(reps, n, len(worths)))
    return np.argsort(np.argsort(-scores, axis=-1), axis=-1) + 1.0


def pl_rank_counts(rng: np.random.Generator, worths: np.ndarray, n: int, sims: int) -> np.ndarray:
    """Tallies of n Plackett-Luce rankings in each of `sims` simulations.

    Parameters
    ----------
    rng : numpy.random.Generator
    worths : numpy.ndarray
        The seeded generator and the log-worths (k,), as in `pl_ranks`.
    n : int
        Rankings (trials) per simulation.
    sims : int
        Simulations.

    Returns
    -------
    numpy.ndarray
        Float array (sims, k, k): entry [s, d, r] is the number of trials that gave dimension d
        rank r + 1 in simulation s; each [s, d, :] sums to n.

    Notes
    -----
    Up to six dimensions the n rankings are one multinomial draw over the k! orderings with their
    exact probabilities (`pl_ordering_probabilities`): exactly n independent rankings tallied, at a
    cost that does not grow with n. Beyond six, Gumbel draws (`pl_ranks`) in blocks of 64
    simulations.

    References
    ----------
    Luce (1959) and Plackett (1975), cited in full at `orderings`.

    Examples
    --------
    >>> counts = pl_rank_counts(np.random.default_rng(1), np.log([3.0, 1.0]), 100, 2)
    >>> counts.shape, counts[0].tolist()  # dimension 0 first in 75 of 100 trials (expected: 75)
    ((2, 2, 2), [[75.0, 25.0], [25.0, 75.0]])
    """
    worths = np.asarray(worths, float)
    k = len(worths)
    if k <= ENUMERATE_UP_TO:
        orders, p = pl_ordering_probabilities(worths)
        ranks = np.argsort(orders, axis=1)  # [o, d]: place of dimension d (0-based)
        onehot = np.zeros((len(orders), k, k))
        onehot[np.arange(len(orders))[:, None], np.arange(k)[None, :], ranks] = 1.0
        counts = rng.multinomial(n, p / p.sum(), size=sims).astype(float)
        return (counts @ onehot.reshape(len(orders), k * k)).reshape(sims, k, k)
    out = np.empty((sims, k, k))
    eye = np.eye(k)
    for start in range(0, sims, 64):
        ranks = pl_ranks(rng, worths, n, min(64, sims - start)).astype(int) - 1
        out[start:start + 64] = eye[ranks].sum(axis=1)
    return out


def fit_worths(means: np.ndarray, source: str = "the profile", keys: tuple[str, ...] | None = None) -> np.ndarray:
    """Plackett-Luce log-worths whose exact expected ranks equal the given mean ranks.

    Parameters
    ----------
    means : array of shape (k,)
        Mean rank per dimension (1 = first).
    source, keys : str, tuple of str
        The file or sample the means come from and the dimension keys, for messages.

    Returns
    -------
    array (k,) of log-worths, centred on 0.

    Raises
    ------
    InputError
        When no Plackett-Luce model has these mean ranks (see `check_mean_ranks`).

    Notes
    -----
    With s_i = k - mean_i (the expected number of dimensions ranked below i), the equations
    E[rank_i] = mean_i read sum over j != i of w_i / (w_i + w_j) = s_i: the likelihood equations of
    a Bradley-Terry model with one comparison per pair. Their solution is the minimum of the convex
    function sum over pairs of log(w_i + w_j) - sum of s_i log w_i, which exists and is unique
    exactly when the means lie strictly inside the permutohedron: they sum to k (k + 1) / 2 and any
    j dimensions have mean ranks summing to more than 1 + ... + j (Zermelo 1929; Ford 1957). It is
    found by Newton's method with a trust region (scipy.optimize.minimize, "trust-exact").

    References
    ----------
    Ford, L. R. (1957). Solution of a ranking problem from binary comparisons. American
    Mathematical Monthly 64(8), 28-33.
    Zermelo, E. (1929). Die Berechnung der Turnier-Ergebnisse als ein Maximumproblem der
    Wahrscheinlichkeitsrechnung. Mathematische Zeitschrift 29, 436-460.

    Examples
    --------
    >>> w = fit_worths(np.array([1.25, 1.75]))
    >>> round(float(np.exp(w[0] - w[1])), 6)
    3.0
    """
    means = check_mean_ranks(means, source, keys)
    k = len(means)
    s = k - means
    start = np.log(np.maximum(s, 0.05) / np.maximum(k - 1 - s, 0.05))[:-1]
    result = optimize.minimize(_bt_objective, start - start.mean(), args=(s,), jac=_bt_gradient, hess=_bt_hessian,
                               method="trust-exact", options={"gtol": 1e-11, "maxiter": 500})
    worths = _last_zero(result.x)
    miss = np.abs(pl_expected_ranks(worths) - means).max()
    if not np.isfinite(miss) or miss > 1e-6:
        raise InputError(f"{source}: no Plackett-Luce model has these mean ranks (the closest misses by {miss:.2g}).",
                         "check the profile: mean ranks near 1 or near k for several dimensions at once are extreme.")
    return worths - worths.mean()


# The convex function fit_worths minimises: the negative log-likelihood of a Bradley-Terry model with
# one comparison per pair and s_i wins for dimension i, in the log-worths v of all dimensions but the
# last, whose log-worth is held at 0 (only differences matter).


def _last_zero(v: np.ndarray) -> np.ndarray:
    return np.r_[v, 0.0]


def _bt_objective(v: np.ndarray, s: np.ndarray) -> float:
    x = _last_zero(v)
    pairs = np.logaddexp(x[:, None], x[None, :])
    return 0.5 * (pairs.sum() - np.trace(pairs)) - s @ x


def _bt_gradient(v: np.ndarray, s: np.ndarray) -> np.ndarray:
    return (len(s) - pl_expected_ranks(_last_zero(v)) - s)[:-1]


def _bt_hessian(v: np.ndarray, s: np.ndarray) -> np.ndarray:
    x = _last_zero(v)
    p = expit(x[:, None] - x[None, :])
    h = -p * (1 - p)
    np.fill_diagonal(h, 0.0)
    np.fill_diagonal(h, -h.sum(axis=1))
    return h[:-1, :-1]


def check_mean_ranks(means: np.ndarray, source: str = "the profile", keys: tuple[str, ...] | None = None) -> np.ndarray:
    """Mean ranks that some Plackett-Luce model with finite worths can have, else InputError.

    Parameters
    ----------
    means : numpy.ndarray
        Mean rank per dimension (1 = first).
    source : str
        The file or sample the means come from, named in messages.
    keys : tuple of str, optional
        The dimension keys, named in messages.

    Returns
    -------
    numpy.ndarray
        The means, with a small difference from k (k + 1) / 2 in their sum spread evenly.

    Raises
    ------
    InputError
        Naming the source and the field: a mean not strictly between 1 and k, a sum off by more
        than 0.05, or j dimensions whose means sum to 1 + ... + j or less.

    Notes
    -----
    They must lie strictly between 1 and k, sum to k (k + 1) / 2 (within 0.05, which absorbs
    rounding in a hand-written file; the small difference is then spread evenly), and any j of
    them must sum to more than 1 + 2 + ... + j (else those j dimensions would take the first j
    places in every trial): the interior of the permutohedron, where a Bradley-Terry solution
    exists (Ford 1957).

    References
    ----------
    Ford (1957), cited in full at `fit_worths`.

    Examples
    --------
    >>> check_mean_ranks(np.array([1.5, 2.5, 2.0])).tolist()
    [1.5, 2.5, 2.0]
    >>> check_mean_ranks(np.array([1.2, 1.8, 4.0, 4.0, 4.0]), "p.yaml", ("PC", "AG", "PR", "EI", "RF"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    papers.errors.InputError: p.yaml: the mean ranks of PC, AG sum to 3, the least 2 dimensions can have: ...
    """
    means = np.asarray(means, float)
    k = len(means)
    keys = keys or tuple(f"dimension {i + 1}" for i in range(k))
    for key, value in zip(keys, means):
        if not 1 < value < k:
            raise InputError(f"{located(source, field=key)}: a mean rank of {value:g} is impossible with {k} dimensions.",
                             f"a mean rank lies strictly between 1 and {k} (1 or {k} would mean first or last in every "
                             "single trial).")
    total, expected = float(means.sum()), k * (k + 1) / 2
    if abs(total - expected) > 0.05:
        raise InputError(f"{source}: the mean ranks sum to {total:g}, but {k} dimensions' mean ranks sum to "
                         f"{expected:g} (1 + 2 + ... + {k}).", "give the mean rank of every shown dimension, on 1 (first) "
                         f"to {k}.")
    means = means + (expected - total) / k
    order = np.argsort(means)
    sums = np.cumsum(means[order])
    for j in range(1, k):
        if sums[j - 1] <= j * (j + 1) / 2 + 1e-9:
            group = ", ".join(keys[i] for i in order[:j])
            raise InputError(f"{source}: the mean ranks of {group} sum to {sums[j - 1]:g}, the least {j} dimensions can "
                             f"have: they would take the first {j} places in every trial.",
                             "no model with finite worths does that; check the profile.")
    return means


# --------------------------------------------------------------------------- tests on rank tallies


def mann_whitney_counts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two-sided Mann-Whitney U p-values from tallies of ordered values, vectorised.

    Parameters
    ----------
    a, b : numpy.ndarray
        Arrays (..., v): how often each of v ordered values (ranks 1..k here) occurs in sample A
        and in sample B.

    Returns
    -------
    numpy.ndarray
        Array (...) of p-values; 1 where all values are tied.

    Notes
    -----
    Exactly scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic") on the
    expanded samples, as `papers compare` uses it: midranks for ties, U = max(U_A, U_B), the
    tie-corrected variance n_A n_B / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))), the continuity
    correction, p = 2 P(Z > z) clipped to 1. Tallies make a test cost O(v), not O(n log n).
    The tests check it against scipy on expanded samples.

    References
    ----------
    Mann & Whitney (1947), cited in full at `papers.analysis.stats.rank_biserial`.

    Examples
    --------
    A ranked first 5 times, second 3 and third 2; B 1, 3 and 6 times:

    >>> mann_whitney_counts(np.array([5, 3, 2]), np.array([1, 3, 6])).round(4).tolist()
    0.0404
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    n1, n2 = a.sum(axis=-1), b.sum(axis=-1)
    t = a + b
    n = n1 + n2
    midranks = np.cumsum(t, axis=-1) - t + (t + 1) / 2
    u1 = (a * midranks).sum(axis=-1) - n1 * (n1 + 1) / 2
    u = np.maximum(u1, n1 * n2 - u1)
    with np.errstate(all="ignore"):
        var = n1 * n2 / 12 * ((n + 1) - (t**3 - t).sum(axis=-1) / (n * (n - 1)))
        z = (u - n1 * n2 / 2 - 0.5) / np.sqrt(var)
        p = np.clip(2 * sps.norm.sf(z), 0.0, 1.0)
    return np.where(var > 0, p, 1.0)


def holm_rows(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values along the last axis, vectorised.

    Parameters
    ----------
    p : numpy.ndarray
        Array (..., m) of p-values, no NaN: one family of m tests per row.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, same shape and order.

    Notes
    -----
    Sorted p_(1) <= ... <= p_(m) become max over i <= j of (m - i + 1) p_(i), capped at 1 (a stable
    sort keeps ties in place); equal to `papers.analysis.stats.holm` row by row, which the tests
    check.

    References
    ----------
    Holm (1979), cited in full at `papers.analysis.stats.holm`.

    Examples
    --------
    >>> holm_rows(np.array([[0.01, 0.04, 0.03]])).round(2).tolist()
    [[0.03, 0.06, 0.06]]
    """
    p = np.asarray(p, float)
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ordered = np.take_along_axis(p, order, axis=-1)
    adjusted = np.minimum(np.maximum.accumulate(ordered * (m - np.arange(m)), axis=-1), 1.0)
    out = np.empty_like(adjusted)
    np.put_along_axis(out, order, adjusted, axis=-1)
    return out


# --------------------------------------------------------------------------- rank difference


def worth_for_delta(delta: float, k: int) -> float:
    """The log-worth that puts one dimension `delta` places above the middle rank.

    Parameters
    ----------
    delta : float
        How many places above (k + 1) / 2 the dimension's expected rank lies; 0 <= delta < (k - 1) / 2.
    k : int
        Dimensions; the other k - 1 have worth 1 (log-worth 0).

    Returns
    -------
    float
        log W.

    Raises
    ------
    ValueError
        For a negative delta or one of (k - 1) / 2 or more (first in every trial).

    Notes
    -----
    From E[rank] = 1 + (k - 1) / (W + 1) (see `pl_expected_ranks`): W = (k - 1) / ((k - 1) / 2 -
    delta) - 1, exactly. The tests check the calibration for several k and delta.

    References
    ----------
    Luce (1959) and Plackett (1975), cited in full at `orderings`.

    Examples
    --------
    >>> round(float(pl_expected_ranks(np.r_[worth_for_delta(0.8, 5), np.zeros(4)])[0]), 9)
    2.2
    """
    half = (k - 1) / 2
    if delta < 0:
        raise ValueError("the mean-rank difference must not be negative")
    if delta >= half:
        raise ValueError(f"a mean-rank difference of {delta:g} is impossible with {k} dimensions "
                         f"(at most {half:g} from the middle)")
    return float(np.log((k - 1) / (half - delta) - 1))


def rank_difference_rejections(delta: float, trials: int, k: int = 5, alpha: float = 0.05, sims: int = 1600,
                               seed: int = 1, holm: bool = True) -> np.ndarray:
    """Which dimensions `papers compare` would call different, in each of `sims` simulations.

    Parameters
    ----------
    delta : float
        How many places higher (a lower mean rank) model B ranks dimension 1 than model A does.
    trials : int
        Valid trials per model.
    k : int
        Dimensions shown; each trial ranks all of them.
    alpha : float
        Level of the family of k tests.
    sims : int
        Simulations.
    seed : int
        Seed (a non-negative integer); the same seed gives the same draws at every `trials`.
    holm : bool
        Adjust across the k dimensions by Holm's step-down method, as `papers compare` does;
        False tests each dimension alone at alpha.

    Returns
    -------
    numpy.ndarray
        Bool array (sims, k): dimension d rejected in simulation s.

    Notes
    -----
    Model A ranks with equal worths, so every dimension's mean rank is (k + 1) / 2. Model B gives
    dimension 1 the worth of `worth_for_delta`, so its mean rank is exactly delta places higher;
    the other dimensions keep equal worths and move down together, as ranks must. Each model's
    `trials` rankings are drawn from Plackett-Luce (`pl_rank_counts`), every dimension is tested by
    a two-sided Mann-Whitney U (`mann_whitney_counts`) and the k p-values are Holm-adjusted
    (`holm_rows`). The tests check that with delta = 0 Holm keeps the familywise error at alpha.

    References
    ----------
    Mann & Whitney (1947), cited in full at `papers.analysis.stats.rank_biserial`.
    Holm (1979), cited in full at `papers.analysis.stats.holm`.
    Plackett (1975), cited in full at `orderings`.

    Examples
    --------
    >>> rejected = rank_difference_rejections(0.8, 30, sims=200, seed=1)
    >>> rejected.shape, rejected.mean(axis=0).round(3).tolist()
    ((200, 5), [0.35, 0.03, 0.025, 0.015, 0.02])
    """
    rng_a, rng_b = (np.random.default_rng([seed, stream]) for stream in (1, 2))
    a = pl_rank_counts(rng_a, np.zeros(k), trials, sims)
    b = pl_rank_counts(rng_b, np.r_[worth_for_delta(delta, k), np.zeros(k - 1)], trials, sims)
    p = mann_whitney_counts(a, b)
    return (holm_rows(p) if holm else p) < alpha


def rank_difference_power(delta: float, trials: int, k: int = 5, alpha: float = 0.05, sims: int = 1600,
                          seed: int = 1, holm: bool = True) -> PowerEstimate:
    """Power to detect that model B ranks dimension 1 `delta` places higher than model A.

    Parameters
    ----------
    delta, trials, k, alpha, sims, seed, holm
        As for `rank_difference_rejections`.

    Returns
    -------
    PowerEstimate
        The share of simulations that detected it, and its Monte Carlo error.

    Notes
    -----
    A detection is dimension 1's Holm-adjusted (across all k dimensions) two-sided Mann-Whitney p
    below alpha, as `papers compare` reports it; see `rank_difference_rejections` for the
    generator. Holm costs power against a single pre-registered test (`holm=False`): at delta 0.6
    with five dimensions about 30% more trials for 80% power.

    References
    ----------
    Holm (1979), cited in full at `papers.analysis.stats.holm`.
    Plackett (1975), cited in full at `orderings`.

    Examples
    --------
    >>> estimate = rank_difference_power(0.8, 30, sims=400, seed=1)
    >>> estimate.power, round(estimate.se, 4)
    (0.345, 0.0238)
    """
    hits = rank_difference_rejections(delta, trials, k, alpha, sims, seed, holm)[:, 0]
    return PowerEstimate(float(hits.mean()), sims)


# --------------------------------------------------------------------------- how many trials


@dataclass
class PowerSearch:
    """The smallest number of trials whose estimated power reaches the target.

    `trials` is None when even `limit` trials fall short; `estimate` is the power at `trials` (or
    at the limit) from `estimate.sims` simulations; `trials_error` is the Monte Carlo error of the
    answer in trials (the power's standard error over the local slope of the power curve)."""

    trials: int | None
    estimate: PowerEstimate
    limit: int
    target: float = TARGET
    trials_error: float | None = None
    evaluated: dict[int, PowerEstimate] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict:
        return {"trials_for_80_percent": self.trials, **self.estimate.as_dict("power_at_answer"),
                "trials_for_80_percent_mc_error": self.trials_error, "search_limit": self.limit}


def trials_for_power(power_at: Callable[[int, int], PowerEstimate], start: int, *, limit: int, sims: int = 1600,
                     target: float = TARGET, max_se: float = MAX_SE, coarse: int = COARSE_SIMS,
                     smallest: int = 2) -> PowerSearch:
    """Smallest n with power_at(n, sims) >= target, with a Monte Carlo error of at most max_se there.

    Parameters
    ----------
    power_at : callable (n, sims) -> PowerEstimate
        The power at n trials from `sims` simulations.
    start : int
        Where to start looking.
    limit : int
        The largest n to try.
    sims : int
        Simulations per evaluation once bracketed; raised to `sims_for_se(max_se, target)` (1,600
        for a standard error of 0.01 at 80%) when lower.
    target : float
        The power wanted.
    max_se : float
        The Monte Carlo standard error allowed at the answer.
    coarse : int
        Simulations per evaluation while bracketing.
    smallest : int
        The fewest trials a study can have (power 0 below).

    Returns
    -------
    PowerSearch
        trials (None when even `limit` falls short), the estimate there, its Monte Carlo error in
        trials, and every evaluation with the full `sims`.

    Notes
    -----
    First doubling (or halving) from `start` and bisection with `coarse` simulations bracket the
    answer to about 10%. Then, with the full `sims`, a bracket is confirmed (widened in steps of 5%
    until one end is below the target and the other at or above it) and bisected until it is no
    wider than twice the answer's Monte Carlo error in trials, the resolution the simulations
    support (across it the power moves by about two standard errors; finer steps would follow
    noise). That error is the power's standard error at the answer over the slope of the power
    between the ends of the confirmed bracket. The answer is the upper end, whose power from the
    full `sims` is at least the target, so its standard error is at most max_se. The tests check
    that two seeds agree within 5% and that fresh simulations 10% either side fall short and clear
    80%.

    References
    ----------
    Morris et al. (2019), cited in full at `sims_for_se`.

    Examples
    --------
    A power curve known exactly, n / 100:

    >>> search = trials_for_power(lambda n, sims: PowerEstimate(min(1.0, n / 100), sims), 10, limit=1000)
    >>> search.trials, search.estimate
    (80, PowerEstimate(power=0.8, sims=1600))
    """
    sims = max(sims, sims_for_se(max_se, target))
    coarse = min(coarse, sims)
    seen: dict[tuple[int, int], PowerEstimate] = {}

    def power(n: int, count: int) -> float:
        if n < smallest:
            return 0.0
        if (n, count) not in seen:
            seen[(n, count)] = power_at(n, count)
        return seen[(n, count)].power

    n0 = _coarse_guess(power, min(max(start, smallest), limit), limit, target, coarse, smallest)
    lo, hi = _confirm_bracket(power, limit if n0 is None else n0, limit, target, sims, smallest)
    if hi is None:
        return PowerSearch(None, seen[(limit, sims)], limit, target, evaluated=_final(seen, sims))
    hi, error = _settle(power, seen, lo, hi, target, sims, smallest)
    return PowerSearch(hi, seen[(hi, sims)], limit, target, error, _final(seen, sims))


def _settle(power, seen: dict, lo: int, hi: int, target: float, sims: int, smallest: int) -> tuple[int, float | None]:
    """Bisect a confirmed bracket until it is no wider than twice the answer's Monte Carlo error in
    trials (the power's standard error at hi over the bracket's slope); the upper end and that error."""
    slope = (power(hi, sims) - power(lo, sims)) / (hi - lo)
    error = seen[(hi, sims)].se / slope if slope > 0 and lo >= smallest else None
    while hi - lo > max(1, math.floor(2 * (error or 0.5))):
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if power(mid, sims) >= target else (mid, hi)
    return hi, error


def _final(seen: dict, sims: int) -> dict[int, PowerEstimate]:
    return {n: e for (n, count), e in sorted(seen.items()) if count == sims}


def _coarse_guess(power, n: int, limit: int, target: float, sims: int, smallest: int) -> int | None:
    if power(n, sims) >= target:
        hi, lo = n, n // 2
        while lo >= smallest and power(lo, sims) >= target:
            hi, lo = lo, lo // 2
    else:
        lo = n
        while power(n, sims) < target:
            if n >= limit:
                return None
            lo, n = n, min(limit, n * 2)
        hi = n
    while hi - lo > max(1, hi // 10):
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if power(mid, sims) >= target else (mid, hi)
    return hi


def _confirm_bracket(power, n0: int, limit: int, target: float, sims: int, smallest: int) -> tuple[int, int | None]:
    step = max(1, math.ceil(0.05 * n0))
    if power(n0, sims) >= target:
        hi = n0
        while True:
            lo = max(smallest - 1, hi - step)
            if power(lo, sims) < target:
                return lo, hi
            hi, step = lo, step * 2
    lo = n0
    while lo < limit:
        hi = min(limit, lo + step)
        if power(hi, sims) >= target:
            return lo, hi
        lo, step = hi, step * 2
    return lo, None


# --------------------------------------------------------------------------- human profiles


@dataclass(frozen=True)
class HumanProfile:
    """A human mean profile to plan against: one mean rank (rank task) or mean rating (rate task)
    per dimension, where it came from, and for a sample its number of participants."""

    keys: tuple[str, ...]
    means: np.ndarray
    task: str
    source: str
    participants: int | None = None
    scale: tuple[int, int] = (1, 7)

    def as_dict(self) -> dict:
        return {"source": self.source, "task": self.task, "participants": self.participants,
                "means": {k: float(v) for k, v in zip(self.keys, self.means)}}


def builtin_profile(task: str, k: int) -> HumanProfile:
    """The built-in plausible human profile of the first k of PC, AG, PR, EI, RF, SA.

    Parameters
    ----------
    task : {"rank", "rate"}
    k : int
        Dimensions, 2 to 6.

    Returns
    -------
    HumanProfile
        The expected ranks of HUMAN_WORTHS (rank task) or the mean ratings HUMAN_RATINGS on 1-7
        (rate task).

    Raises
    ------
    ValueError
        For k outside 2 to 6.

    Notes
    -----
    A plausible profile written by this project (ethical and relational dimensions first, autonomy
    last, as people in the PAPERS studies put them), for planning when no human sample or profile
    file is at hand; it is not data. Expected ranks are exact (`pl_expected_ranks`).

    References
    ----------
    Lau et al. (2025), cited in full at `papers.analysis.structure.orientation_per_trial`.

    Examples
    --------
    >>> builtin_profile("rank", 5).means.round(3).tolist(), builtin_profile("rate", 3).means.tolist()
    ([3.199, 3.755, 2.516, 1.993, 3.538], [5.4, 4.9, 5.8])
    """
    if not 2 <= k <= len(BUILTIN_KEYS):
        raise ValueError(f"the built-in profile has 2 to {len(BUILTIN_KEYS)} dimensions")
    means = pl_expected_ranks(HUMAN_WORTHS[:k]) if task == "rank" else HUMAN_RATINGS[:k].copy()
    return HumanProfile(BUILTIN_KEYS[:k], means, task, "the built-in profile")


def profile_from_mapping(raw, task: str, source: str, scale: tuple[int, int] = (1, 7),
                         participants: int | None = None) -> HumanProfile:
    """A HumanProfile from a mapping of dimension key to mean rank or mean rating, checked.

    Parameters
    ----------
    raw : object
        What the file (or the store) gave: must be a mapping of at least two keys to finite numbers.
    task : {"rank", "rate"}
    source : str
        The file or sample, named in every message.
    scale : (int, int)
        The rating scale (rate task).
    participants : int, optional
        The sample's size, when the means come from one.

    Returns
    -------
    HumanProfile

    Raises
    ------
    InputError
        Naming the source and the field: not a mapping, a non-numeric or infinite mean, fewer than
        two dimensions, mean ranks no Plackett-Luce model has (`check_mean_ranks`), or a mean
        rating not strictly inside the scale.

    Notes
    -----
    A mean rating at an end of the scale would need every rating there, which no latent normal
    model with finite mean gives (`latent_for_mean`); mean ranks must lie in the permutohedron's
    interior for the same reason (`fit_worths`).

    References
    ----------
    Ford (1957), cited in full at `fit_worths`.

    Examples
    --------
    >>> profile_from_mapping({"PC": 5.1, "EI": 6.3, "RF": 4.8}, "rate", "people.yaml").means.tolist()
    [5.1, 6.3, 4.8]
    >>> profile_from_mapping({"PC": 5.1, "EI": 7}, "rate", "people.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    papers.errors.InputError: people.yaml, field 'EI': a mean rating of 7 must lie strictly between 1 and 7.
    Hint: ...
    """
    what = "mean rank" if task == "rank" else "mean rating"
    hint = f"write one line per dimension, `KEY: {what}`, e.g. `EI: {'1.8' if task == 'rank' else '6.1'}`."
    if not isinstance(raw, Mapping):
        raise InputError(f"{source}: expected a mapping of dimension key to {what}, found {_kind(raw)}.", hint)
    keys, means = [], []
    for key, value in raw.items():
        if not isinstance(key, str) or not key.strip():
            raise InputError(f"{located(source, field=str(key))}: a dimension key must be text.", hint)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InputError(f"{located(source, field=key)}: the {what} must be a finite number, found {_kind(value)}.",
                             hint)
        keys.append(key)
        means.append(float(value))
    if len(keys) < 2:
        raise InputError(f"{source}: a profile needs at least two dimensions, found {len(keys)}.", hint)
    values = np.array(means)
    if task == "rank":
        values = check_mean_ranks(values, source, tuple(keys))
    else:
        lo, hi = scale
        for key, value in zip(keys, values):
            if not lo < value < hi:
                raise InputError(f"{located(source, field=key)}: a mean rating of {value:g} must lie strictly between "
                                 f"{lo} and {hi}.", f"ratings run {lo} to {hi}; a mean at an end would mean every "
                                 "rating there.")
    return HumanProfile(tuple(keys), values, task, source, participants, scale)


def _kind(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    return f"a {type(value).__name__}"


# --------------------------------------------------------------------------- ratings


def expected_rating(mu: np.ndarray, sd: float, scale: tuple[int, int] = (1, 7)) -> np.ndarray:
    """Exact mean of round(clip(N(mu, sd^2))) on the integer scale lo..hi.

    Parameters
    ----------
    mu : numpy.ndarray
        Latent means.
    sd : float
        Latent standard deviation.
    scale : (int, int)
        The rating scale.

    Returns
    -------
    numpy.ndarray
        The expected ratings, same shape as mu.

    Notes
    -----
    E[Y] = lo + sum over c in {lo + 1/2, ..., hi - 1/2} of P(X > c) = lo + sum Phi((mu - c) / sd):
    the expectation of an ordered-category variable cut from a latent normal at the half-points,
    as in an ordered probit model. The tests check it against the average of 400,000 draws.

    References
    ----------
    McKelvey, R. D. & Zavoina, W. (1975). A statistical model for the analysis of ordinal level
    dependent variables. Journal of Mathematical Sociology 4(1), 103-120.

    Examples
    --------
    >>> expected_rating(np.array([4.0, 7.0]), 1.0).round(4).tolist()  # symmetric at the middle; clipped at the top
    [4.0, 6.6182]
    """
    lo, hi = scale
    cuts = np.arange(lo, hi) + 0.5
    return lo + sps.norm.cdf((np.asarray(mu, float)[..., None] - cuts) / sd).sum(axis=-1)


def latent_for_mean(means: np.ndarray, sd: float, scale: tuple[int, int] = (1, 7)) -> np.ndarray:
    """The latent means whose expected ratings equal the given means.

    Parameters
    ----------
    means : numpy.ndarray
        Mean ratings, strictly inside the scale.
    sd : float
    scale : (int, int)
        The latent standard deviation and the rating scale, as in `expected_rating`.

    Returns
    -------
    numpy.ndarray
        mu with expected_rating(mu, sd) == means (to 1e-12).

    Notes
    -----
    expected_rating is strictly increasing in mu, so each mean has one latent mean, found by
    Brent's method (scipy.optimize.brentq) on a bracket 12 sd beyond the scale. The tests check the
    round trip.

    References
    ----------
    Brent, R. P. (1973). Algorithms for Minimization without Derivatives. Englewood Cliffs, NJ:
    Prentice-Hall.

    Examples
    --------
    >>> latent_for_mean(np.array([4.0, 6.6182]), 1.0).round(3).tolist()
    [4.0, 7.0]
    """
    lo, hi = scale
    span = hi - lo + 12 * sd
    return np.array([optimize.brentq(lambda mu, m=m: expected_rating(np.array([mu]), sd, scale)[0] - m,
                                     lo - span, hi + span, xtol=1e-12) for m in np.asarray(means, float)])


def draw_ratings(rng: np.random.Generator, mu: np.ndarray, sd: float, n: int, scale: tuple[int, int] = (1, 7),
                 offset_sd: float = 0.0) -> np.ndarray:
    """n x k integer ratings: round(clip(mu + u + e)).

    Parameters
    ----------
    rng : numpy.random.Generator
        The seeded generator.
    mu : numpy.ndarray
        Latent means (k,).
    sd : float
        Standard deviation of e, drawn per rating.
    n : int
        Rows (trials or people).
    scale : (int, int)
        The rating scale.
    offset_sd : float
        Standard deviation of u, drawn per row (a person's own level); 0 for none.

    Returns
    -------
    numpy.ndarray
        Float array (n, k) of whole ratings on the scale.

    Notes
    -----
    A latent normal cut at the half-points (`expected_rating` gives its exact mean), with a random
    row effect as in a random-intercept model. The tests check the mean of 400,000 draws against
    `expected_rating`.

    References
    ----------
    McKelvey & Zavoina (1975), cited in full at `expected_rating`.

    Examples
    --------
    >>> draw_ratings(np.random.default_rng(1), np.array([2.0, 6.0]), 1.0, 3).tolist()
    [[2.0, 7.0], [2.0, 5.0], [3.0, 6.0]]
    """
    lo, hi = scale
    x = np.asarray(mu, float) + sd * rng.standard_normal((n, len(mu)))
    if offset_sd:
        x += offset_sd * rng.standard_normal((n, 1))
    return np.clip(np.rint(x), lo, hi)


def reverse_order(values: np.ndarray) -> np.ndarray:
    """The same values with their order reversed: the largest goes where the smallest was.

    Parameters
    ----------
    values : numpy.ndarray
        Worths or latent means (k,).

    Returns
    -------
    numpy.ndarray
        The values permuted so that their ranks are reversed (ties keep a stable order).

    Notes
    -----
    The far end of the agreement generator: mixing (1 - t) w + t reverse_order(w) turns a model's
    profile from the humans' (t = 0) to its reverse (t = 1) while keeping the set of values, so the
    spread first shrinks and then grows again (`AgreementPower`).

    References
    ----------
    Luce (1959) and Plackett (1975), cited in full at `orderings`.

    Examples
    --------
    >>> reverse_order(np.array([2.0, 0.5, 1.0])).tolist()
    [0.5, 2.0, 1.0]
    """
    values = np.asarray(values, float)
    out = np.empty_like(values)
    order = np.argsort(values, kind="stable")
    out[order] = values[order][::-1]
    return out


# --------------------------------------------------------------------------- agreement power


STATISTICS = {"icc": "icc_a1", "ccc": "ccc"}
LABELS = {"icc": "ICC(A,1)", "ccc": "CCC"}


def _population(means_a: np.ndarray, means_b: np.ndarray) -> dict[str, float]:
    zero = np.float64(0.0)
    values = stats.fidelity(stats.ProfileMoments(means_a, zero, zero), stats.ProfileMoments(means_b, zero, zero))
    return {name: float(v) for name, v in values.items()}


class AgreementPower:
    """Power to show that a model's profile fidelity to people exceeds a null value.

    Parameters
    ----------
    profile : HumanProfile
        The human mean profile (built-in, a YAML file or a sample in the store).
    statistic : {"icc", "ccc"}
        ICC(A,1) (rate tasks only) or Lin's CCC, noise-corrected as `stats.fidelity` computes them.
    target : float
        The population value of the statistic between the model and the humans.
    null : float
        The value the one-sided 95% lower bound must exceed.
    participants : int
        People in the human sample.
    b : int
        Bootstrap resamples per simulated study (`papers analyze` uses 2,000 by default; fewer
        here make the bound a little noisier, which lowers power slightly).
    seed : int
        Non-negative seed.

    Notes
    -----
    Generator. Rank task: people rank the k dimensions by Plackett-Luce with the worths whose
    expected ranks are the profile (`fit_worths`); the model ranks with worths (1 - t) w + t
    reverse_order(w). Rate task: each rating is round(clip(mu + e)) on the scale; people have e ~
    N(0, 1.2^2) plus a per-person offset N(0, 0.6^2) on every rating, the model e ~ N(0, 1.0^2);
    latent means are solved so that the exact expected ratings (normal-CDF expectation of the
    rounded, clipped value) equal the profile; the model's latent means are (1 - t) mu + t
    reverse_order(mu). At t = 0 the model's expected profile is the humans'; as t grows its order
    turns over and its gaps shrink, then grow again reversed.

    Calibration. The population statistic is the statistic between the exact expected profiles
    (no sampling noise); t is the smallest mixing weight at which it falls to the target, found on
    a grid of 101 points and refined by Brent's method.

    Test. Each simulated study draws `participants` people and `trials` model trials, resamples
    both `b` times (`stats.bootstrap_counts`), computes `stats.fidelity` on the resamples' profile
    moments (the arithmetic of `stats.profile_moments`, batched over studies by
    `profile_moments_batch`), and detects when the 5th percentile of the replicates (a one-sided
    95% percentile bound) exceeds `null`. This approximates the audit's interval
    (`stats.fidelity_intervals`: a BCa bootstrap of units moved to the estimate, read at the
    expanded level, two-sided 95%), which is centred higher near 1 and a little wider with few
    trials; the planned power is a guide to the number of trials, not the audit's own test.

    References
    ----------
    Lin (1989), cited in full at `papers.analysis.audit.agreement`.
    McGraw & Wong (1996), cited in full at `papers.analysis.stats.icc_two_way`.
    Plackett, R. L. (1975). The analysis of permutations. Applied Statistics 24(2), 193-202.
    """

    def __init__(self, profile: HumanProfile, statistic: str, target: float, null: float, participants: int,
                 b: int = 200, seed: int = 1):
        if statistic not in STATISTICS:
            raise ValueError(f"unknown statistic {statistic!r}: use icc or ccc")
        if statistic == "icc" and profile.task == "rank":
            raise InputError("ICC(A,1) is not defined as agreement on rank profiles: every ranking has the same mean "
                             "rank, so the ICC's between-rater term is zero and the value is not absolute agreement "
                             "(papers analyze does not report it for rank tasks).",
                             "use --statistic ccc (Lin's concordance: order and calibration together), or --task rate.")
        self.profile, self.statistic, self.target, self.null = profile, statistic, target, null
        self.participants, self.b, self.seed = participants, b, seed
        self.key = STATISTICS[statistic]
        if profile.task == "rank":
            self.human_params = fit_worths(profile.means, profile.source, profile.keys)
            self.human_pop = pl_expected_ranks(self.human_params)
            base = self.human_params
        else:
            sd = math.hypot(HUMAN_RATING_SD, HUMAN_OFFSET_SD)
            self.human_params = latent_for_mean(profile.means, sd, profile.scale)
            self.human_pop = expected_rating(self.human_params, sd, profile.scale)
            base = latent_for_mean(profile.means, MODEL_RATING_SD, profile.scale)
        self._base, self._reversed = base, reverse_order(base)
        self.mixing = self._calibrate()
        self.model_params = (1 - self.mixing) * self._base + self.mixing * self._reversed
        self._human_boot: stats.ProfileMoments | None = None

    # --- population
    def model_profile(self, t: float) -> np.ndarray:
        """The model's exact expected profile at mixing weight t (0: the humans' profile).

        >>> design = AgreementPower(builtin_profile("rate", 5), "icc", 0.7, 0.5, 100, b=50)
        >>> design.model_profile(0.0).round(3).tolist() == design.human_pop.round(3).tolist()
        True
        """
        params = (1 - t) * self._base + t * self._reversed
        if self.profile.task == "rank":
            return pl_expected_ranks(params)
        return expected_rating(params, MODEL_RATING_SD, self.profile.scale)

    def population(self, t: float | None = None) -> dict[str, float]:
        """Every fidelity statistic between the exact expected profiles, at mixing weight t.

        With t None, at the calibrated weight, where the chosen statistic equals the target; rank tasks
        report only r, the spread ratio and CCC.

        >>> design = AgreementPower(builtin_profile("rate", 5), "icc", 0.7, 0.5, 100, b=50)
        >>> round(design.population()["icc_a1"], 6), round(design.population(0.0)["icc_a1"], 6)
        (0.7, 1.0)
        """
        values = _population(self.model_profile(self.mixing if t is None else t), self.human_pop)
        if self.profile.task == "rank":
            values = {k: v for k, v in values.items() if k in ("pearson_r", "spread_ratio", "ccc")}
        return values

    def _calibrate(self) -> float:
        grid = np.linspace(0.0, 1.0, 101)
        values = np.array([self.population(t)[self.key] for t in grid])
        below = np.nonzero(values <= self.target)[0]
        if len(below) == 0:
            raise ValueError(f"a population {LABELS[self.statistic]} of {self.target:g} is below what this generator "
                             f"reaches from this profile (lowest {values.min():.2f}, with its order reversed)")
        i = below[0]
        if i == 0:
            raise ValueError(f"a population {LABELS[self.statistic]} of {self.target:g} is not below the value of a "
                             f"model that matches the profile ({values[0]:.3f})")
        return optimize.brentq(lambda t: self.population(t)[self.key] - self.target, grid[i - 1], grid[i], xtol=1e-10)

    # --- simulation
    def _draw(self, rng: np.random.Generator, params: np.ndarray, n: int, human: bool) -> np.ndarray:
        if self.profile.task == "rank":
            return pl_ranks(rng, params, n)[0]
        if human:
            return draw_ratings(rng, params, HUMAN_RATING_SD, n, self.profile.scale, HUMAN_OFFSET_SD)
        return draw_ratings(rng, params, MODEL_RATING_SD, n, self.profile.scale)

    def _simulate(self, params: np.ndarray, n: int, sims: int, human: bool, first: int = 0) -> stats.ProfileMoments:
        """Bootstrap moments of simulated studies first .. first + sims - 1 of one side.

        Each simulation's data come from its own seeded stream, so simulation s draws the same
        first trials at every n (common random numbers keep the power curve smooth in n); the
        bootstrap counts of a block of simulations come from one stream per block."""
        side = 3 if human else 4
        block = self._block(n)
        parts = []
        for start in range(first, first + sims, block):
            size = min(block, first + sims - start)
            x = np.stack([self._draw(np.random.default_rng([self.seed, side, s]), params, n, human)
                          for s in range(start, start + size)])
            counts = stats.bootstrap_counts(np.random.default_rng([self.seed, side + 2, start]), n, size * self.b)
            parts.append(profile_moments_batch(x, counts.reshape(size, self.b, n)))
        return _concat(parts)

    def _block(self, n: int) -> int:
        return int(np.clip(BLOCK_VALUES // (self.b * n), 1, 64))

    def _humans(self, sims: int) -> stats.ProfileMoments:
        have = 0 if self._human_boot is None else len(self._human_boot.means)
        if have < sims:  # extended by whole blocks, so the first s simulations never change
            block = self._block(self.participants)
            more = self._simulate(self.human_params, self.participants, -(-(sims - have) // block) * block, True, have)
            self._human_boot = more if self._human_boot is None else _concat([self._human_boot, more])
        h = self._human_boot
        return stats.ProfileMoments(h.means[:sims], h.noise[:sims], h.level_noise[:sims])

    def power(self, trials: int | None, sims: int = 1600) -> PowerEstimate:
        """Power with `trials` model trials (None: unlimited trials, a model profile without noise).

        The share of `sims` simulated studies whose one-sided 95% percentile-bootstrap lower bound of
        the statistic exceeds the null; the humans' simulations are shared across calls, so powers at
        different trials use common random numbers.

        >>> design = AgreementPower(builtin_profile("rate", 5), "icc", 0.7, 0.5, 100, b=50)
        >>> design.power(20, 100)
        PowerEstimate(power=0.1, sims=100)
        """
        humans = self._humans(sims)
        if trials is None:
            exact = self.model_profile(self.mixing)
            zero = np.zeros(humans.noise.shape)
            model = stats.ProfileMoments(np.broadcast_to(exact, humans.means.shape), zero, zero)
        else:
            model = self._simulate(self.model_params, trials, sims, False)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a study whose every replicate is NaN detects nothing
            values = stats.fidelity(model, humans)[self.key]
            values = np.where(np.isfinite(values), values, np.nan)
            bound = (np.nanquantile if np.isnan(values).any() else np.quantile)(values, 0.05, axis=1)
        return PowerEstimate(float(np.mean(bound > self.null)), sims)


BLOCK_VALUES = 4_000_000  # bootstrap counts held at once: simulations x B x units


def profile_moments_batch(x: np.ndarray, counts: np.ndarray) -> stats.ProfileMoments:
    """`stats.profile_moments(x[s], counts[s])` for every simulation s at once.

    Parameters
    ----------
    x : numpy.ndarray
        Array (S, m, k): S simulated groups of m units (trials or participants) by k dimensions.
    counts : numpy.ndarray
        Array (S, B, m): bootstrap counts of each group's units (`stats.bootstrap_counts`).

    Returns
    -------
    stats.ProfileMoments
        means (S, B, k), noise (S, B) and level_noise (S, B).

    Notes
    -----
    The same arithmetic as `stats.profile_moments`, which `papers analyze` uses, with the matrix
    products batched over simulations; the tests check the two agree to rounding error.

    References
    ----------
    Efron & Tibshirani (1993), cited in full at `papers.analysis.stats.bootstrap_counts`.

    Examples
    --------
    >>> x = np.random.default_rng(1).integers(1, 8, size=(2, 5, 3)).astype(float)
    >>> counts = stats.bootstrap_counts(np.random.default_rng(2), 5, 2 * 4).reshape(2, 4, 5)
    >>> batch = profile_moments_batch(x, counts)
    >>> batch.means.shape, bool(np.allclose(batch.noise[1], stats.profile_moments(x[1], counts[1]).noise))
    ((2, 4, 3), True)
    """
    x = np.asarray(x, float)
    _, m, k = x.shape
    centred = x - x.mean(axis=2, keepdims=True)
    row = x.mean(axis=2, keepdims=True)
    # one product per simulation for every resampled sum: x, its centred rows, their squares, row means and squares
    sums = counts @ np.concatenate([x, centred, (centred**2).sum(axis=2, keepdims=True), row, row**2], axis=2) / m
    means, centred_means = sums[..., :k], sums[..., k:2 * k]
    squares, row_mean, row_squares = sums[..., 2 * k], sums[..., 2 * k + 1], sums[..., 2 * k + 2]
    with np.errstate(all="ignore"):
        trace = m * (squares - (centred_means**2).sum(axis=2)) / (m - 1)
        level = m * (row_squares - row_mean**2) / (m - 1) / m
    noise, level = (np.nan_to_num(v) if m > 1 else np.zeros_like(v) for v in (trace / ((k - 1) * m), level))
    return stats.ProfileMoments(means, noise, level)


def _concat(parts: list[stats.ProfileMoments]) -> stats.ProfileMoments:
    return stats.ProfileMoments(*(np.concatenate([getattr(p, name) for p in parts])
                                  for name in ("means", "noise", "level_noise")))


# --------------------------------------------------------------------------- what the command reports


@dataclass
class RankDifferencePlan:
    """`papers power rank-difference`: the power at the given trials and the trials for 80%."""

    delta: float
    trials: int
    k: int
    alpha: float
    holm: bool
    at: PowerEstimate
    search: PowerSearch

    def as_dict(self) -> dict:
        return {"delta": self.delta, "trials": self.trials, "dimensions": self.k, "alpha": self.alpha,
                "correction": "holm" if self.holm else "none", **self.at.as_dict(), "sims": self.at.sims,
                **self.search.as_dict()}

    def lines(self) -> list[str]:
        test = (f"two-sided Mann-Whitney U on each of the {self.k} dimensions, Holm-adjusted across them as papers compare "
                f"does" if self.holm else "one two-sided Mann-Whitney U on that dimension alone (no Holm adjustment)")
        return [f"Power to detect a mean-rank difference of {self.delta:g} on one dimension with {self.trials} trials per "
                f"model: "
                f"{self.at.text()}.",
                f"Test: {test}; alpha {self.alpha:g}.",
                f"Trials per model for 80% power: {_answer(self.search)}."]


def plan_rank_difference(delta: float, trials: int, k: int = 5, alpha: float = 0.05, sims: int = 4000, seed: int = 1,
                         holm: bool = True, limit: int = 5000) -> RankDifferencePlan:
    """`papers power rank-difference`: the power at `trials` and the trials for 80% power.

    Parameters
    ----------
    delta, trials, k, alpha, seed, holm
        As for `rank_difference_rejections`.
    sims : int
        Simulations for the power at `trials` (the search uses at least 1,600).
    limit : int
        The most trials the search tries.

    Returns
    -------
    RankDifferencePlan
        The power at `trials` and the search (`trials_for_power`).

    Raises
    ------
    ValueError
        For an impossible delta (`worth_for_delta`).

    Notes
    -----
    Both numbers come from the same seeded generator, so the command repeats its answer; the
    answer's Monte Carlo error is at most 0.01 in power (`trials_for_power`).

    References
    ----------
    Holm (1979), cited in full at `papers.analysis.stats.holm`.
    Morris et al. (2019), cited in full at `sims_for_se`.

    Examples
    --------
    >>> plan = plan_rank_difference(0.8, 30, sims=400)
    >>> plan.at.power, plan.search.trials, plan.search.estimate.power >= 0.8
    (0.345, 71, True)
    """
    worth_for_delta(delta, k)
    at = rank_difference_power(delta, trials, k, alpha, sims, seed, holm)
    search = trials_for_power(lambda n, s: rank_difference_power(delta, n, k, alpha, s, seed, holm), trials,
                              limit=limit, sims=sims)
    return RankDifferencePlan(delta, trials, k, alpha, holm, at, search)


@dataclass
class AgreementPlan:
    """`papers power icc`: the power at the given trials, with unlimited trials, and the trials for 80%."""

    design: AgreementPower
    trials: int
    at: PowerEstimate
    unlimited: PowerEstimate
    search: PowerSearch | None

    def as_dict(self) -> dict:
        d = self.design
        return {"statistic": d.statistic, "target": d.target, "null": d.null, "task": d.profile.task,
                "dimensions": len(d.profile.keys), "participants": d.participants, "trials": self.trials,
                "bootstrap": d.b, **self.at.as_dict(), "sims": self.at.sims,
                **self.unlimited.as_dict("power_unlimited_trials"),
                **(self.search.as_dict() if self.search else {"trials_for_80_percent": None}),
                "human_profile": d.profile.as_dict(), "population": d.population(), "mixing_weight": d.mixing}

    def lines(self) -> list[str]:
        d, p = self.design, self.design.profile
        label = LABELS[d.statistic]
        means = ", ".join(f"{k} {v:.2f}" for k, v in zip(p.keys, p.means))
        people = f", {p.participants} participants" if p.participants else ""
        population = ", ".join(f"{name} {value:.2f}" for name, value in d.population().items() if np.isfinite(value))
        lines = [f"Power to show {label} > {d.null:g} when the population {label} is {d.target:g} ({p.task} task, "
                 f"{len(p.keys)} dimensions), with {d.participants} participants and {self.trials} trials: {self.at.text()}.",
                 f"Human profile ({'mean ranks' if p.task == 'rank' else 'mean ratings'}; {p.source}{people}): {means}.",
                 f"The simulated model (population values): {population}.",
                 f"Detection: the one-sided 95% percentile-bootstrap lower bound (B = {d.b}) of the noise-corrected "
                 f"{label}, computed as papers analyze does, above {d.null:g}."]
        if self.search is None and d.target <= d.null:
            lines.append(f"Trials for 80% power: none; a population {label} of {d.target:g} is not above the null "
                         f"{d.null:g}, so no number of trials or participants shows it above.")
        elif self.search is None:
            lines.append(f"Trials for 80% power with {d.participants} participants: not reachable; even with unlimited "
                         f"trials the power is {self.unlimited.text()}. More participants are needed.")
        else:
            lines.append(f"Trials for 80% power with {d.participants} participants: {_answer(self.search)}.")
        return lines


def plan_agreement(profile: HumanProfile, statistic: str, target: float, null: float, participants: int, trials: int,
                   sims: int = 1600, b: int = 200, seed: int = 1, limit: int = 2000) -> AgreementPlan:
    """`papers power icc`: the power at `trials`, with unlimited trials, and the trials for 80%.

    Parameters
    ----------
    profile, statistic, target, null, participants, b, seed
        As for `AgreementPower`.
    trials : int
        Model trials.
    sims : int
        Simulations per power (the unlimited-trials power and the search use at least 1,600).
    limit : int
        The most trials the search tries.

    Returns
    -------
    AgreementPlan
        The power at `trials`; with unlimited trials (the model's profile known exactly, so only the
        participants limit it); and, when that reaches 80%, the search for the trials.

    Notes
    -----
    When even unlimited trials fall short of 80% the answer is "more participants", not more
    trials. Thousands of small matrix products run on one BLAS thread, faster than several that
    wait on each other.

    References
    ----------
    Morris et al. (2019), cited in full at `sims_for_se`.
    Lin (1989), cited in full at `papers.analysis.audit.agreement`.

    Examples
    --------
    >>> plan = plan_agreement(builtin_profile("rate", 5), "ccc", 0.7, 0.5, 20, 10, sims=100, b=50)
    >>> plan.at.power, round(plan.unlimited.power, 3), plan.search
    (0.01, 0.048, None)
    """
    design = AgreementPower(profile, statistic, target, null, participants, b, seed)
    with _one_blas_thread():
        at = design.power(trials, sims)
        unlimited = design.power(None, max(sims, sims_for_se()))
        search = None
        if unlimited.power >= TARGET:
            search = trials_for_power(design.power, trials, limit=limit, sims=sims)
    return AgreementPlan(design, trials, at, unlimited, search)


def _one_blas_thread():
    """Thousands of small matrix products run faster on one BLAS thread: with more, OpenBLAS's
    threads wait on each other, many times slower on a busy machine. threadpoolctl (a runtime
    dependency) sets it where present."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _answer(search: PowerSearch) -> str:
    e = search.estimate
    if search.trials is None:
        return f"more than {search.limit:,} (power at {search.limit:,}: {e.short()}, {e.sims:,} simulations)"
    width = max(1, round(search.trials_error or 0))
    error = (f"; Monte Carlo error of the answer about \u00b1{width} trial{'s' if width > 1 else ''}"
             if search.trials_error else "")
    return f"{search.trials:,} (power there {e.short()} Monte Carlo SE, from {e.sims:,} simulations{error})"
