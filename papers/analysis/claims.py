"""Words that follow the evidence: the rules by which a result becomes a sentence.

Every summary line papers prints or publishes goes through these rules:

- "top priorities" only when Friedman's test says the ordering is not random (p < alpha);
  otherwise "no detectable ordering";
- "most stable", "closest to humans" and every other "the best of several" only when the
  leader's 95% interval does not overlap the next one's; otherwise the tied group is named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHA = 0.05


@dataclass
class Estimate:
    name: str
    value: float
    low: float
    high: float


def _ok(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _interval(e: Estimate) -> bool:
    """Whether an estimate has an interval that can carry a claim: both ends, and a width; a
    zero-width interval from a finite sample (every trial alike) claims a precision no sample has."""
    return _ok(e.low) and _ok(e.high) and e.high > e.low


def leaders(estimates: list[Estimate]) -> tuple[list[Estimate], bool]:
    """The leader by value and whether it leads clearly.

    Parameters
    ----------
    estimates : list of Estimate
        One estimate per candidate (a model), each with its interval; larger is better.

    Returns
    -------
    (group, clear) : list of Estimate, bool
        `group` is the leader alone when its interval lies entirely above the runner-up's, else the
        leader with every estimate whose interval overlaps the leader's (the tied group, best
        first); `clear` says which. Estimates without a value are left out; a lone estimate leads
        clearly only when it has an interval.

    Notes
    -----
    Separated 95% intervals imply a difference significant at well below the 5% level, so the rule
    is conservative: it may call a real difference a tie, never the reverse at that level (Schenker
    & Gentleman 2001). A missing interval end, or an interval of zero width, counts as overlapping
    everything. The tests check that of two identical models neither is called "most stable", and
    that a zero-width interval makes no leader.

    References
    ----------
    Schenker, N. & Gentleman, J. F. (2001). On judging the significance of differences by examining
    the overlap between confidence intervals. The American Statistician 55(3), 182-186.

    Examples
    --------
    >>> a, b, c = Estimate("a", .8, .7, .9), Estimate("b", .6, .5, .65), Estimate("c", .75, .6, .85)
    >>> [e.name for e in leaders([a, b, c])[0]], leaders([a, b, c])[1]
    (['a', 'c'], False)
    >>> [e.name for e in leaders([a, b])[0]], leaders([a, b])[1]
    (['a'], True)
    """
    ranked = sorted((e for e in estimates if _ok(e.value)), key=lambda e: -e.value)
    if not ranked:
        return [], False
    top = ranked[0]
    if len(ranked) == 1:
        return [top], _interval(top)
    if _interval(top) and _interval(ranked[1]) and top.low > ranked[1].high:
        return [top], True
    tied = [e for e in ranked if not (_interval(top) and _interval(e)) or e.high >= top.low]
    return tied, False


def leader_phrase(what: str, estimates: list[Estimate], fmt) -> str:
    """The sentence that names a leader, or the tied group when intervals overlap.

    Parameters
    ----------
    what : str
        What leads ("most stable", "closest to humans").
    estimates : list of Estimate
        The candidates (`leaders`).
    fmt : callable
        Estimate -> the text of its value and interval.

    Returns
    -------
    str
        "most stable: A (0.52 [0.45, 0.60])", "most stable: no clear leader; intervals overlap for
        A, B" (at most six names, then "and N more"), or "most stable: not estimable".

    Notes
    -----
    The words follow `leaders`: a single leader is named only when its interval does not overlap
    the runner-up's (Schenker & Gentleman 2001 on reading overlapping intervals).

    References
    ----------
    Schenker & Gentleman (2001), cited in full at `leaders`.

    Examples
    --------
    >>> a, b, c = Estimate("a", .8, .7, .9), Estimate("b", .6, .5, .65), Estimate("c", .75, .6, .85)
    >>> def fmt(e):
    ...     return f"{e.value:.2f} [{e.low:.2f}, {e.high:.2f}]"
    >>> leader_phrase("most stable", [a, b], fmt)
    'most stable: a (0.80 [0.70, 0.90])'
    >>> leader_phrase("most stable", [a, b, c], fmt)
    'most stable: no clear leader; intervals overlap for a, c'
    """
    group, clear = leaders(estimates)
    if not group:
        return f"{what}: not estimable"
    if clear:
        e = group[0]
        return f"{what}: {e.name} ({fmt(e)})"
    shown = ", ".join(e.name for e in group[:6]) + (f" and {len(group) - 6} more" if len(group) > 6 else "")
    return f"{what}: no clear leader; intervals overlap for {shown}"


def ordering_phrase(friedman_p: float | None, ordered_names: list[str], top: int = 3) -> str:
    """Top priorities when Friedman's test shows the ordering is not random, else say there is none.

    Parameters
    ----------
    friedman_p : float or None
        The p-value of Friedman's test of the model's trials (`stats.friedman_w`).
    ordered_names : list of str
        The dimensions, first priority first.
    top : int
        How many to name.

    Returns
    -------
    str
        The first `top` names joined by commas when p < 0.05; "no detectable ordering (Friedman
        p = 0.31)" otherwise; "ordering not testable" without a p-value.

    Notes
    -----
    Friedman's test asks whether the trials' orderings agree beyond chance; without that evidence
    any "top priority" would describe noise. The tests check that a uniform simulated model's
    Friedman p is above 0.05, so it gets no ordering.

    References
    ----------
    Friedman (1937), cited in full at `papers.analysis.stats.friedman_w`.

    Examples
    --------
    >>> ordering_phrase(0.001, ["EI", "PR", "PC", "AG", "RF"])
    'EI, PR, PC'
    >>> ordering_phrase(0.31, ["EI", "PR", "PC", "AG", "RF"])
    'no detectable ordering (Friedman p = 0.31)'
    """
    if not _ok(friedman_p):
        return "ordering not testable"
    if friedman_p >= ALPHA:
        return f"no detectable ordering (Friedman p = {friedman_p:.2f})"
    return ", ".join(ordered_names[:top])
