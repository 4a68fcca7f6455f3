"""Says and does: revealed priorities from dilemmas, set beside the stated ones (frames in, frames out).

A dilemma (a choose trial) sets two dimensions against each other; a model's choices over many
of them give its revealed priorities, a Bradley-Terry worth per dimension, to set beside what it
states in the rank task (the rate task where there is no rank task). Per model and condition:

- `result_revealed`: each dimension's worth (its Bradley-Terry log-worth, mean 0 over the
  condition's dimensions; a difference of 1 between two dimensions means odds of e = 2.7 to 1 of
  choosing the first's action) with a 95% interval, and how often its action was offered and taken.
- `result_consistency`: the share of choices that went to the dimension the model states as the
  more important of the two (its *consistency*), with a 95% interval and the chance level (0.5,
  the share of a model choosing at random); the Spearman correlation between the stated profile
  and the revealed worths with its interval; and a label that follows the evidence: "acts on its
  stated priorities" only where the whole interval lies above chance, "its choices depart from its
  stated priorities" only where it lies below, else "not shown either way".
- `result_dilemmas`: per scenario, how often each action was taken and how often the choice went
  against the stated order (for the pages' list of the dilemmas where a model most went against it).

Intervals. The worths' are Wald intervals, theta +- 1.96 se, the standard errors from the penalised
fit's observed information projected onto the log-worths' centred space (their sum is fixed).
The consistency's and rho's come from one bootstrap of B replicates that resamples the stated trials
(rank or rate trials, with replacement) and, within each pair of dimensions, the choices (with
replacement, so every pair keeps its number of choices); each replicate refits the worths and
recomputes the stated order, the consistency and rho. The consistency's is the percentile interval
read at Hesterberg's expanded level for the number of choices (papers.analysis.stats.expanded_level);
rho's is rho +- the larger distance from rho to either end of its 95% percentile interval, clipped to
[-1, 1]: the hull of the percentile and the basic (reverse percentile) intervals. Rho takes few
values with five or six dimensions, and noise in either profile pulls it towards 0 (and the
percentile interval with it, away from a true +-1), while near ties push the basic interval the
wrong way; the hull covers in both cases.
Rho is declined where its inputs have no order to correlate: where the stated trials' Friedman test
finds no order (p >= 0.05) or no revealed worth's interval excludes 0 (the worths are not told apart
from flat). bench/dilemmas.py shows the coverage of every interval and the false-label rates by
simulation.

The worths are the maximum a posteriori estimate under a Gaussian prior of variance 1 / (2 ALPHA)
on each log-worth (the L2 penalty ALPHA * sum(theta^2) of choix.opt_pairwise): without it a
dimension whose action was always taken has no finite maximum-likelihood worth. The penalty's
gradient makes the estimate sum to zero. They are found by Newton's method, for every bootstrap
replicate at once (`bradley_terry`), and checked against choix and against a logistic regression
(statsmodels) in tests/test_dilemmas.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats as sps

from papers.analysis import stats
from papers.analysis.declines import decline, settle, shortfall

ALPHA = 0.05  # the L2 penalty of the log-worths (prior variance 1 / (2 ALPHA) = 10)
CHANCE = 0.5  # the consistency of a model that chooses between two actions at random
ACTS = "acts on its stated priorities"
DEPARTS = "its choices depart from its stated priorities"
UNSHOWN = "not shown either way"


def bradley_terry(wins: np.ndarray, alpha: float = ALPHA, tol: float = 1e-10, max_iter: int = 200) -> np.ndarray:
    """Bradley-Terry log-worths from win counts, penalised: one fit per leading index, all at once.

    Parameters
    ----------
    wins : numpy.ndarray
        (..., k, k): wins[..., i, j] is how often i was chosen over j.
    alpha : float
        The L2 penalty alpha * sum(theta^2) (choix's `alpha`); must be positive.
    tol : float
        Newton stops when no gradient entry exceeds this.
    max_iter : int
        At most this many Newton steps.

    Returns
    -------
    numpy.ndarray
        (..., k) log-worths theta maximising sum_ij wins_ij log sigma(theta_i - theta_j) - alpha
        sum_i theta_i^2; they sum to zero (the likelihood is unchanged by adding a constant, so
        at the optimum the penalty's gradient, 2 alpha sum theta, is zero).

    Notes
    -----
    Newton's method on a strictly concave objective, each step's largest change capped at 2 so that
    no step overshoots from the start at zero. Validated against choix.opt_pairwise and, without a
    penalty, against a logistic regression of the choices (statsmodels) in tests/test_dilemmas.py.

    References
    ----------
    Bradley, R. A. & Terry, M. E. (1952). Rank analysis of incomplete block designs: I. The method
    of paired comparisons. Biometrika 39(3/4), 324-345.
    Maystre, L. & Grossglauser, M. (2015). Fast and accurate inference of Plackett-Luce models.
    NeurIPS 28 (choix).

    Examples
    --------
    >>> wins = np.array([[0, 8, 9], [2, 0, 6], [1, 4, 0]])
    >>> theta = bradley_terry(wins)
    >>> theta.round(3).tolist(), round(float(theta.sum()), 12)
    ([1.14, -0.332, -0.808], 0.0)
    """
    if alpha <= 0:
        raise ValueError("the penalty alpha must be positive: a dimension always chosen has no finite worth")
    w = np.asarray(wins, dtype=float)
    k = w.shape[-1]
    n = w + np.swapaxes(w, -1, -2)
    theta = np.zeros(w.shape[:-1])
    eye = np.eye(k)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(theta[..., None, :] - theta[..., :, None]))  # p[i, j]: i chosen over j
        grad = (w - n * p).sum(axis=-1) - 2 * alpha * theta
        if np.abs(grad).max(initial=0.0) < tol:
            break
        curvature = n * p * (1 - p)
        hess = curvature - eye * (curvature.sum(axis=-1)[..., None] + 2 * alpha)
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        largest = np.abs(step).max(axis=-1, keepdims=True)
        theta = theta - step * np.minimum(1.0, 2.0 / np.maximum(largest, 1e-300))
        theta -= theta.mean(axis=-1, keepdims=True)  # where the optimum lies; rounding drifts off it when alpha is tiny
    return theta


@dataclass
class _Group:
    """The choices of one model in one condition, and its stated trials there."""

    model: str
    condition: str
    dims: tuple[str, ...]
    chosen: np.ndarray  # index into dims of the dimension chosen, per choice
    other: np.ndarray  # index of the one not chosen
    first: np.ndarray  # 1 where the action chosen was shown first (A), 0 where second, -1 unknown
    stated: np.ndarray | None  # stated trials x dims, higher = more important; None without any
    stated_task: str | None


def revealed(choices: pl.DataFrame, stated: pl.DataFrame, outcomes: pl.DataFrame, shown: dict[str, tuple[str, ...]],
             scenarios: dict[str, tuple[str, str]], rng: np.random.Generator, b: int):
    """`result_revealed`, `result_consistency` and `result_dilemmas` of an audit.

    Parameters
    ----------
    choices : polars.DataFrame
        Valid choose answers: model, condition, response_id, scenario, chosen, other (the dimension
        of the action not taken) and first (the dimension whose action was shown first, or null).
    stated : polars.DataFrame
        Valid rank and rate answers as compute_audit takes them: model, condition, task,
        response_id, dimension, value (ranks, or ratings with higher more important).
    outcomes : polars.DataFrame
        model, condition, task, status, n: every answer's outcome (its choose rows are used).
    shown : dict
        Condition -> the dimensions it shows, in the instrument's order.
    scenarios : dict
        Scenario key -> the dimensions its two actions serve, as the instrument lists them.
    rng : numpy.random.Generator
        A generator of its own (the other tables keep their numbers).
    b : int
        Bootstrap replicates.

    Returns
    -------
    tuple of polars.DataFrame
        (result_revealed, result_consistency, result_dilemmas), with a note wherever a statistic
        is declined.

    Examples
    --------
    >>> choices = pl.DataFrame({"model": "m", "condition": "c", "response_id": [f"r{i}" for i in range(40)],
    ...     "scenario": "s", "chosen": ["A"] * 30 + ["B"] * 10, "other": ["B"] * 30 + ["A"] * 10, "first": None})
    >>> ranks = pl.DataFrame({"model": "m", "condition": "c", "task": "rank", "response_id": [f"t{i // 2}" for i in range(20)],
    ...     "dimension": ["A", "B"] * 10, "value": [1.0, 2.0] * 10})
    >>> outcomes = pl.DataFrame({"model": "m", "condition": "c", "task": "choose", "status": "valid", "n": 40})
    >>> worths, consistency, _ = revealed(choices, ranks, outcomes, {"c": ("A", "B")}, {"s": ("A", "B")},
    ...                                   np.random.default_rng(1), 200)
    >>> worths.select("dimension", pl.col("worth").round(3), "wins").rows()
    [('A', 0.546, 30), ('B', -0.546, 10)]
    >>> consistency.select("consistency_share", "label").row(0)
    (0.75, 'acts on its stated priorities')
    """
    groups = _groups(choices, stated, shown)
    worth_rows, consistency_rows = [], []
    shares = _choice_shares(outcomes)
    for g in groups:
        fit = _fit(g, rng, b)
        worth_rows += _worth_rows(g, fit)
        consistency_rows.append(_consistency_row(g, fit, shares.get((g.model, g.condition))))
    for key, share in shares.items():  # answered, none valid
        if key not in {(g.model, g.condition) for g in groups}:
            row = {"model": key[0], "condition": key[1], "n_choices": 0, **share, "chance": CHANCE, "note": None}
            for statistic in ("consistency", "stated_revealed_rho"):
                decline(row, "result_consistency", statistic, "no valid choices")
            consistency_rows.append(row)
    return (settle("result_revealed", pl.DataFrame(worth_rows, schema=REVEALED_SCHEMA)),
            settle("result_consistency", pl.DataFrame(consistency_rows, schema=CONSISTENCY_SCHEMA)),
            settle("result_dilemmas", _dilemma_rows(choices, groups, scenarios)))


def _groups(choices: pl.DataFrame, stated: pl.DataFrame, shown: dict[str, tuple[str, ...]]) -> list[_Group]:
    out = []
    if choices.height == 0:
        return out
    for (model, condition), part in sorted(choices.group_by(["model", "condition"]), key=lambda kv: kv[0]):
        dims = shown[condition]
        index = {d: i for i, d in enumerate(dims)}
        first = [(-1 if f is None else int(f == c)) for f, c in zip(part["first"].to_list(), part["chosen"].to_list())]
        matrix, task = _stated_matrix(stated, model, condition, dims)
        out.append(_Group(model, condition, dims, np.array([index[c] for c in part["chosen"]], dtype=int),
                          np.array([index[o] for o in part["other"]], dtype=int), np.array(first, dtype=int),
                          matrix, task))
    return out


def _stated_matrix(stated: pl.DataFrame, model: str, condition: str, dims) -> tuple[np.ndarray | None, str | None]:
    """The model's stated trials in this condition as trials x dims, higher = more important: its
    rank trials (ranks negated), or its rate trials where it has no rank trial."""
    if stated.height == 0:
        return None, None
    mine = stated.filter((pl.col("model") == model) & (pl.col("condition") == condition))
    for task in ("rank", "rate"):
        part = mine.filter(pl.col("task") == task)
        if part.height == 0:
            continue
        wide = part.pivot(on="dimension", index="response_id", values="value", aggregate_function="first")
        if not set(dims) <= set(wide.columns):
            continue
        x = wide.select(dims).drop_nulls().to_numpy().astype(float)
        if x.shape[0]:
            return (-x if task == "rank" else x), task
    return None, None


@dataclass
class _Fit:
    wins: np.ndarray  # k x k
    theta: np.ndarray  # k
    boot_theta: np.ndarray  # B x k
    stated_mean: np.ndarray | None  # k, higher = more important
    boot_stated: np.ndarray | None  # B x k
    boot_wins: np.ndarray  # B x k x k
    level: float


def _fit(g: _Group, rng: np.random.Generator, b: int) -> _Fit:
    """The worths, the stated means, and their bootstrap replicates (see the module's Notes)."""
    k = len(g.dims)
    wins = np.zeros((k, k))
    np.add.at(wins, (g.chosen, g.other), 1)
    n = wins + wins.T
    boot_wins = np.zeros((b, k, k))
    for i, j in zip(*np.triu_indices(k, 1)):
        if n[i, j]:
            taken = rng.binomial(int(n[i, j]), wins[i, j] / n[i, j], size=b)
            boot_wins[:, i, j], boot_wins[:, j, i] = taken, n[i, j] - taken
    stated_mean = boot_stated = None
    if g.stated is not None:
        stated_mean = g.stated.mean(axis=0)
        counts = stats.bootstrap_counts(rng, g.stated.shape[0], b)
        boot_stated = counts @ g.stated / g.stated.shape[0]
    return _Fit(wins, bradley_terry(wins), bradley_terry(boot_wins), stated_mean, boot_stated, boot_wins,
                stats.expanded_level(max(len(g.chosen), 2)))


def wald_se(wins: np.ndarray, theta: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Standard errors of penalised Bradley-Terry log-worths: the inverse of the observed information
    (minus the penalised log-likelihood's Hessian at theta), projected onto the centred space.

    >>> wins = np.array([[0, 8, 9], [2, 0, 6], [1, 4, 0]])
    >>> wald_se(wins, bradley_terry(wins)).round(3).tolist()
    [0.409, 0.339, 0.364]
    """
    n = wins + wins.T
    p = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))
    curvature = n * p * (1 - p)
    k = len(theta)
    # the likelihood's information is singular along (1, ..., 1), the direction the centring removes:
    # adding 11'/k there changes nothing after centring and keeps the inverse well conditioned
    information = np.diag(curvature.sum(axis=1) + 2 * alpha) - curvature + 1.0 / k
    centre = np.eye(k) - 1.0 / k
    return np.sqrt(np.clip(np.diag(centre @ np.linalg.inv(information) @ centre), 0.0, None))


def _worth_rows(g: _Group, fit: _Fit) -> list[dict]:
    z = sps.norm.ppf(0.975)
    se = wald_se(fit.wins, fit.theta)
    low, high = fit.theta - z * se, fit.theta + z * se
    offered = (fit.wins + fit.wins.T).sum(axis=1)
    rows = []
    for i, d in enumerate(g.dims):
        row = {"model": g.model, "condition": g.condition, "dimension": d, "n": int(offered[i]),
               "wins": int(fit.wins[i].sum()), "worth": float(fit.theta[i]), "ci_low": float(low[i]),
               "ci_high": float(high[i]), "note": None}
        if why := shortfall("revealed worth", choices=int(offered[i])):
            decline(row, "result_revealed", "worth", why)
        elif why := shortfall("revealed interval", choices=len(g.chosen)):
            decline(row, "result_revealed", "ci", why)
        rows.append(row)
    return rows


def consistency_shares(wins: np.ndarray, stated_mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The choices that went to the dimension stated as the more important of their pair, and the
    choices compared (pairs whose stated means differ), for one fit or for each replicate.

    >>> wins = np.array([[0, 7], [3, 0]])
    >>> [float(v) for v in consistency_shares(wins, np.array([2.0, 1.0]))]
    [7.0, 10.0]
    """
    higher = stated_mean[..., :, None] > stated_mean[..., None, :]  # higher[i, j]: i stated above j
    compared = higher | np.swapaxes(higher, -1, -2)
    return (wins * higher).sum(axis=(-1, -2)), ((wins + np.swapaxes(wins, -1, -2)) * compared).sum(axis=(-1, -2)) / 2


def _consistency_row(g: _Group, fit: _Fit, shares: dict | None) -> dict:
    row = {"model": g.model, "condition": g.condition, "stated_task": g.stated_task, "n_choices": len(g.chosen),
           "chance": CHANCE, **(shares or _no_shares()), "note": None,
           "first_share": float((g.first == 1).sum() / (g.first >= 0).sum()) if (g.first >= 0).any() else np.nan}
    table = "result_consistency"
    if fit.stated_mean is None:
        for statistic in ("consistency", "stated_revealed_rho"):
            decline(row, table, statistic, "no stated priorities (no rank or rate answers) in this condition")
        return row
    agree, compared = consistency_shares(fit.wins, fit.stated_mean)
    agree, compared = int(agree), int(compared)
    boot_agree, boot_compared = consistency_shares(fit.boot_wins, fit.boot_stated)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot_share = boot_agree / boot_compared
    low, high = stats.percentile_ci(boot_share[np.isfinite(boot_share)], fit.level) if compared else (np.nan, np.nan)
    if compared and low == high and agree in (0, compared):  # every choice with (or against) the stated order
        low, high = stats.constant_interval(agree / compared, 0.0, 1.0, int(compared))
    row |= {"n_compared": int(compared), "consistency_share": agree / compared if compared else np.nan,
            "consistency_ci_low": float(low), "consistency_ci_high": float(high)}
    row |= _rho(fit)
    row["label"] = label(row["consistency_ci_low"], row["consistency_ci_high"])
    return _consistency_declines(row, g, fit, compared)


def label(low: float, high: float, chance: float = CHANCE) -> str:
    """The words a consistency interval allows: above chance, below it, or neither.

    >>> label(0.58, 0.71), label(0.22, 0.4), label(0.45, 0.62)
    ('acts on its stated priorities', 'its choices depart from its stated priorities', 'not shown either way')
    """
    return ACTS if low > chance else DEPARTS if high < chance else UNSHOWN


def _rho(fit: _Fit) -> dict:
    """Spearman's rho of the stated profile and the revealed worths, with its bootstrap interval."""
    rho = float(spearman_rows(fit.stated_mean, fit.theta))
    boot = spearman_rows(fit.boot_stated, fit.boot_theta)
    boot = boot[np.isfinite(boot)]
    if not boot.size or not np.isfinite(rho):
        return {"stated_revealed_rho": rho, "rho_ci_low": np.nan, "rho_ci_high": np.nan}
    low, high = stats.percentile_ci(boot, fit.level)
    reach = max(rho - low, high - rho)
    return {"stated_revealed_rho": rho, "rho_ci_low": float(max(-1.0, rho - reach)),
            "rho_ci_high": float(min(1.0, rho + reach))}


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row of a with the same row of b (ties averaged; NaN for a flat row):
    the Pearson correlation of their ranks, as scipy.stats.spearmanr computes it.

    >>> round(float(spearman_rows(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 4.0]))), 3)
    0.8
    """
    ra, rb = sps.rankdata(a, axis=-1), sps.rankdata(b, axis=-1)
    ra, rb = ra - ra.mean(axis=-1, keepdims=True), rb - rb.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ra * rb).sum(axis=-1) / np.sqrt((ra**2).sum(axis=-1) * (rb**2).sum(axis=-1))


def _consistency_declines(row: dict, g: _Group, fit: _Fit, compared: int) -> dict:
    table = "result_consistency"
    if why := shortfall("consistency", choices=compared, trials=g.stated.shape[0]):
        decline(row, table, "consistency", why)
    if why := shortfall("stated_revealed_rho", dimensions=len(g.dims), trials=g.stated.shape[0]) or _unordered(g, fit):
        decline(row, table, "stated_revealed_rho", why)
    return row  # an interval of zero width is declined with its label by settle


def _unordered(g: _Group, fit: _Fit) -> str | None:
    """Why the stated profile or the revealed worths have no order for rho to correlate, if so."""
    m, k = g.stated.shape
    ranks = sps.rankdata(-g.stated, axis=1)
    chi2, p, _ = stats.friedman_w(ranks.sum(axis=0), m, k, stats.tie_term(ranks).sum())
    if not np.isfinite(p) or p >= 0.05:
        return "the stated trials show no order of priorities (Friedman p >= 0.05)"
    z = sps.norm.ppf(0.975)
    if np.all(np.abs(fit.theta) < z * wald_se(fit.wins, fit.theta)):
        return "no revealed worth differs from the mean (every interval covers 0): the choices show no order"
    return None


def _choice_shares(outcomes: pl.DataFrame) -> dict[tuple, dict]:
    out = {}
    mine = outcomes.filter(pl.col("task") == "choose") if outcomes.height else outcomes
    for (model, condition), part in mine.group_by(["model", "condition"]):
        counts = dict(zip(part["status"].to_list(), part["n"].to_list()))
        total = sum(counts.values())
        out[(model, condition)] = {f"{s}_share": counts.get(s, 0) / total for s in SHARES} | {"n_responses": total}
    return out


SHARES = ("valid", "refused", "no_choice", "unparseable")


def _no_shares() -> dict:
    return {f"{s}_share": np.nan for s in SHARES} | {"n_responses": 0}


def _dilemma_rows(choices: pl.DataFrame, groups: list[_Group], scenarios: dict[str, tuple[str, str]]) -> pl.DataFrame:
    """Per model, condition and scenario: how often it was answered, how often action a was taken,
    the dimension stated as the more important of the two, and how often the choice went against it."""
    stated = {(g.model, g.condition): dict(zip(g.dims, g.stated.mean(axis=0))) for g in groups if g.stated is not None}
    rows = []
    if choices.height == 0:
        return pl.DataFrame(rows, schema=DILEMMA_SCHEMA)
    counted = choices.group_by(["model", "condition", "scenario", "chosen"]).len()
    for (model, condition, scenario), part in counted.group_by(["model", "condition", "scenario"]):
        a, b = scenarios.get(scenario, (None, None))
        taken = dict(zip(part["chosen"].to_list(), part["len"].to_list()))
        n = sum(taken.values())
        means = stated.get((model, condition), {})
        higher = None if a not in means or b not in means or means[a] == means[b] else (a if means[a] > means[b] else b)
        rows.append({"model": model, "condition": condition, "scenario": scenario, "dimension_a": a,
                     "dimension_b": b, "n": n, "chose_a": taken.get(a, 0), "stated_higher": higher,
                     "against": None if higher is None else n - taken.get(higher, 0),
                     "note": None if higher is not None else "no stated order of its two dimensions"})
    return pl.DataFrame(rows, schema=DILEMMA_SCHEMA).sort("model", "condition", "scenario")


CHOICE_COLUMNS = {"model": pl.String, "condition": pl.String, "response_id": pl.String, "scenario": pl.String,
                  "chosen": pl.String, "other": pl.String, "first": pl.String}
REVEALED_SCHEMA = {"model": pl.String, "condition": pl.String, "dimension": pl.String, "n": pl.Int64, "wins": pl.Int64,
                   "worth": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "note": pl.String}
CONSISTENCY_SCHEMA = {
    "model": pl.String, "condition": pl.String, "stated_task": pl.String, "n_choices": pl.Int64, "n_compared": pl.Int64,
    "consistency_share": pl.Float64, "consistency_ci_low": pl.Float64, "consistency_ci_high": pl.Float64,
    "chance": pl.Float64, "stated_revealed_rho": pl.Float64, "rho_ci_low": pl.Float64, "rho_ci_high": pl.Float64,
    "label": pl.String, "first_share": pl.Float64, "valid_share": pl.Float64, "refused_share": pl.Float64,
    "no_choice_share": pl.Float64, "unparseable_share": pl.Float64, "n_responses": pl.Int64, "note": pl.String,
}
DILEMMA_SCHEMA = {"model": pl.String, "condition": pl.String, "scenario": pl.String, "dimension_a": pl.String,
                  "dimension_b": pl.String, "n": pl.Int64, "chose_a": pl.Int64, "stated_higher": pl.String,
                  "against": pl.Int64, "note": pl.String}
