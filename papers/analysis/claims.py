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


def leaders(estimates: list[Estimate]) -> tuple[list[Estimate], bool]:
    """The leader by value and whether it leads clearly.

    Returns (group, clear): `group` is the leader alone when its interval lies entirely above the
    runner-up's, else the leader with every estimate whose interval overlaps the leader's (the
    tied group, best first); `clear` says which. Estimates without a value are left out.

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
        return [top], _ok(top.low)
    if _ok(top.low) and _ok(ranked[1].high) and top.low > ranked[1].high:
        return [top], True
    tied = [e for e in ranked if not (_ok(top.low) and _ok(e.high)) or e.high >= top.low]
    return tied, False


def leader_phrase(what: str, estimates: list[Estimate], fmt) -> str:
    """'most stable: A (0.52 [0.45, 0.60])' or 'most stable: no clear leader; tied: A, B, C'."""
    group, clear = leaders(estimates)
    if not group:
        return f"{what}: not estimable"
    if clear:
        e = group[0]
        return f"{what}: {e.name} ({fmt(e)})"
    shown = ", ".join(e.name for e in group[:6]) + (f" and {len(group) - 6} more" if len(group) > 6 else "")
    return f"{what}: no clear leader; intervals overlap for {shown}"


def ordering_phrase(friedman_p: float | None, ordered_names: list[str], top: int = 3) -> str:
    """Top priorities when the ordering is shown to be non-random, else say there is none."""
    if not _ok(friedman_p):
        return "ordering not testable"
    if friedman_p >= ALPHA:
        return f"no detectable ordering (Friedman p = {friedman_p:.2f})"
    return ", ".join(ordered_names[:top])
