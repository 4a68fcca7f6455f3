"""`papers compare A B`: per dimension, does model A prioritise it more than model B? In words.

Both models' answers are the rows the audit pinned, so a comparison always agrees with the audit
it names, whatever was collected since. One sign convention holds for every task: the effect size
A row's r is positive when model A gives the dimension the higher priority (a lower mean rank, a
higher mean rating) and negative when model B does; a sentence names the model with the higher
priority first and gives r in its favour, so the r printed in a sentence is that row's r or its negative.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from papers.analysis import stats
from papers.errors import InputError
from papers.instrument import Instrument, parse_instrument
from papers.store import Store, query
from papers.text import decimals

METHOD = ("Mann-Whitney U per dimension over valid trials; effect size r (rank-biserial) with a 95% bootstrap "
          "interval: a sentence gives r in favour of the model it names first (positive: that model gives the "
          "dimension the higher priority), a row's r field is positive when model_a does; p adjusted by Holm "
          "within each condition and task")


@dataclass
class Comparison:
    audit_id: str
    model_a: str
    model_b: str
    rows: list[dict] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.model_a} against {self.model_b} (audit {self.audit_id}; {METHOD})"]
        return out + ["  " + row["sentence"] for row in self.rows]

    def as_dict(self) -> dict:
        return {"audit": self.audit_id, "model_a": self.model_a, "model_b": self.model_b, "method": METHOD,
                "rows": self.rows}


def compare_models(store: Store, audit_id: str, model_a: str, model_b: str) -> Comparison:
    instrument, settings = _audit(store, audit_id)
    frame = answers_of(store, audit_id, [model_a, model_b])
    return compare_frame(frame, instrument, settings, audit_id, model_a, model_b)


def answers_of(store: Store, audit_id: str, models: list[str]) -> pl.DataFrame:
    """The valid rank and rate answers the audit pinned for these models, read once for every pair of
    them (compare_frame); a model without any is refused, naming the audit's models."""
    frame = store.frame(query("analysis/compare_answers"), {"audit": audit_id, "models": list(models)})
    present = set(frame["model"].unique().to_list())
    for model in models:
        if model not in present:
            known = [r[0] for r in store.sql("select distinct model from result_profiles where audit_id = ? order by 1",
                                             [audit_id]).fetchall()]
            raise InputError(f"model '{model}' has no valid answers in audit '{audit_id}'.",
                             f"models in this audit: {', '.join(known[:20])}{' ...' if len(known) > 20 else ''}.")
    return frame


def compare_frame(frame: pl.DataFrame, instrument: Instrument, settings: dict, audit_id: str, model_a: str,
                  model_b: str) -> Comparison:
    """The comparison of two models from their valid answers (model, condition, task, dimension, value;
    other models' rows are left out), so that a caller comparing many pairs reads the answers once.
    Each sample is sorted before it is resampled, so the intervals do not depend on the order the
    store returns rows in."""
    frame = frame.filter(pl.col("model").is_in([model_a, model_b]))
    samples = {key: np.sort(part["value"].to_numpy()) for key, part in
               frame.group_by(["model", "condition", "task", "dimension"])}
    rng = np.random.default_rng(settings.get("seed", 0))
    b = min(int(settings.get("bootstrap_b", 2000)), 2000)
    result = Comparison(audit_id, model_a, model_b)
    for condition, task in sorted({(k[1], k[2]) for k in samples}):
        block = [_row_of(samples.get((model_a, condition, task, dim)), samples.get((model_b, condition, task, dim)),
                         condition, task, dim, rng, b) for dim in instrument.shown(condition)]
        block = [row for row in block if row is not None]
        for row, q in zip(block, stats.holm(np.array([row["p"] for row in block]))):
            row["p_holm"] = float(q)
            row["name"] = instrument.dimension(row["dimension"]).name
            row["direction"] = direction(row)
            row["sentence"] = sentence(row, model_a, model_b)
        result.rows += block
    return result


def _audit(store: Store, audit_id: str) -> tuple[Instrument, dict]:
    audit = store.sql("select instrument_sha256, settings from audits where audit_id = ?", [audit_id]).fetchall()
    if not audit:
        raise InputError(f"no audit named '{audit_id}'.", "run papers analyze --audit NAME first; papers db info lists audits.")
    sha, settings = audit[0][0], json.loads(audit[0][1])
    spec = store.scalar("select spec from instruments where sha256 = ?", [sha])
    return parse_instrument(spec, source=f"store:{sha[:12]}"), settings


def _row(part, condition: str, task: str, dim: str, model_a: str, model_b: str, rng, b: int) -> dict | None:
    """One dimension's row from a frame of the two models' answers (model, dimension, value)."""
    x = np.sort(part.filter((part["model"] == model_a) & (part["dimension"] == dim))["value"].to_numpy())
    y = np.sort(part.filter((part["model"] == model_b) & (part["dimension"] == dim))["value"].to_numpy())
    return _row_of(x, y, condition, task, dim, rng, b)


def _row_of(x, y, condition: str, task: str, dim: str, rng, b: int) -> dict | None:
    """One dimension's row from model A's values x and model B's values y (each sorted)."""
    if x is None or y is None or len(x) == 0 or len(y) == 0:
        return None
    u, p, r = stats.rank_biserial(x, y)
    low, high = stats.percentile_ci(stats.rank_biserial_boot(x, y, rng, b))
    sign = -1.0 if task == "rank" else 1.0  # a lower rank is a higher priority
    r, (low, high) = sign * r, sorted((sign * float(low), sign * float(high)))
    if not high > low:  # the answers do not overlap (or do not vary): resampling cannot move r, so no interval
        low = high = None
    return {"condition": condition, "task": task, "dimension": dim, "n_a": len(x), "n_b": len(y),
            "mean_a": float(x.mean()), "mean_b": float(y.mean()), "u": u, "p": p, "r": float(r) + 0.0,
            "r_ci_low": low, "r_ci_high": high}


NO_INTERVAL = "no interval: every answer of one model lies beyond every answer of the other, or none varies"


def r_text(r: float, low: float | None, high: float | None) -> str:
    """"r = 0.50 [0.30, 0.70]", or the reason there is no interval (a zero-width one would claim r known exactly).

    >>> r_text(0.5, 0.3, 0.7)
    'r = 0.50 [0.30, 0.70]'
    >>> r_text(1.0, None, None).split(" (")
    ['r = 1.00', 'no interval: every answer of one model lies beyond every answer of the other, or none varies)']
    """
    if low is None or high is None:
        return f"r = {decimals(r)} ({NO_INTERVAL})"
    return f"r = {decimals(r)} [{decimals(low)}, {decimals(high)}]"


def direction(row: dict) -> str:
    """'a' or 'b' for the model that gives the dimension the higher priority, 'none' without a
    detectable difference (Holm-adjusted p of .05 or more)."""
    if not row["p_holm"] < 0.05:
        return "none"
    return "a" if row["r"] > 0 else "b"


def p_text(p: float | None) -> str:
    """A p-value as a reader meets it: '< 0.001' below a thousandth, else '= ' with three decimals.

    >>> p_text(5.5e-11), p_text(0.0456), p_text(float("nan"))
    ('< 0.001', '= 0.046', 'not computed')
    """
    if p is None or p != p:
        return "not computed"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def sentence(row: dict, a: str, b: str) -> str:
    """One line in plain words, its numbers in the sentence's order.

    >>> row = {"condition": "non_sentient", "task": "rank", "name": "Ethical Integrity", "mean_a": 3.43,
    ...        "mean_b": 2.41, "r": -0.5, "r_ci_low": -0.7, "r_ci_high": -0.3, "p_holm": 0.001, "direction": "b"}
    >>> for part in sentence(row, "A", "B").split(": ", 1): print(part)
    [non_sentient, rank] B ranks Ethical Integrity higher than A
    mean rank 2.41 vs 3.43, r = 0.50 [0.30, 0.70] in favour of B, p (Holm) = 0.001
    """
    rank = row["task"] == "rank"
    what, verb = ("mean rank", "ranks") if rank else ("mean rating", "rates")
    where = f"[{row['condition']}, {row['task']}]"
    if row["direction"] == "none":
        return (f"{where} no detectable difference on {row['name']}: {what} {row['mean_a']:.2f} ({a}) vs "
                f"{row['mean_b']:.2f} ({b}), {r_text(row['r'], row['r_ci_low'], row['r_ci_high'])}, "
                f"p (Holm) {p_text(row['p_holm'])}")
    first, second = (a, b) if row["direction"] == "a" else (b, a)
    m1, m2 = (row["mean_a"], row["mean_b"]) if row["direction"] == "a" else (row["mean_b"], row["mean_a"])
    flip = row["direction"] != "a"
    r = -row["r"] if flip else row["r"]
    low, high = (row["r_ci_low"], row["r_ci_high"]) if not flip or row["r_ci_low"] is None else \
        (-row["r_ci_high"], -row["r_ci_low"])
    return (f"{where} {first} {verb} {row['name']} higher than {second}: {what} {m1:.2f} vs {m2:.2f}, "
            f"{r_text(r + 0.0, low, high)} in favour of {first}, p (Holm) {p_text(row['p_holm'])}")
