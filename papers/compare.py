"""`papers compare A B`: per dimension, does model A prioritise it more than model B? In words."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from papers.analysis import stats
from papers.errors import InputError
from papers.instrument import parse_instrument
from papers.store import Store, query


@dataclass
class Comparison:
    audit_id: str
    model_a: str
    model_b: str
    rows: list[dict] = field(default_factory=list)
    stale: bool = False

    def lines(self) -> list[str]:
        out = [f"Note: the store has changed since audit {self.audit_id} was computed; these numbers use the "
               "current data. Run papers analyze again to bring the audit up to date."] if self.stale else []
        out += [f"{self.model_a} against {self.model_b} (audit {self.audit_id}; Mann-Whitney U per dimension, "
               "rank-biserial r with a 95% bootstrap interval, Holm-adjusted p within each condition and task)"]
        for row in self.rows:
            out.append("  " + row["sentence"])
        return out


def compare_models(store: Store, audit_id: str, model_a: str, model_b: str) -> Comparison:
    audit = store.sql("select instrument_sha256, settings, data_sha256 from audits where audit_id = ?",
                      [audit_id]).fetchall()
    if not audit:
        raise InputError(f"no audit named '{audit_id}'.", "run papers analyze --audit NAME first; papers db info lists audits.")
    sha, settings = audit[0][0], json.loads(audit[0][1])
    spec = store.scalar("select spec from instruments where sha256 = ?", [sha])
    instrument = parse_instrument(spec, source=f"store:{sha[:12]}")
    frame = store.frame(query("analysis/compare_answers"), {"instrument": sha, "model_a": model_a, "model_b": model_b})
    present = set(frame["model"].unique().to_list())
    for model in (model_a, model_b):
        if model not in present:
            known = [r[0] for r in store.sql("select distinct model from result_profiles where audit_id = ? order by 1",
                                             [audit_id]).fetchall()]
            raise InputError(f"model '{model}' has no valid answers in audit '{audit_id}'.",
                             f"models in this audit: {', '.join(known[:20])}{' ...' if len(known) > 20 else ''}.")
    rng = np.random.default_rng(settings.get("seed", 0))
    b = min(int(settings.get("bootstrap_b", 2000)), 2000)
    result = Comparison(audit_id, model_a, model_b)
    if store.scalar(query("analysis/data_hash"), {"instrument": sha}) != audit[0][2]:
        result.stale = True
    for (condition, task), part in sorted(frame.group_by(["condition", "task"]), key=lambda kv: kv[0]):
        block = []
        for dim in instrument.shown(condition):
            x = part.filter((part["model"] == model_a) & (part["dimension"] == dim))["value"].to_numpy()
            y = part.filter((part["model"] == model_b) & (part["dimension"] == dim))["value"].to_numpy()
            if len(x) == 0 or len(y) == 0:
                continue
            u, p, r = stats.rank_biserial(x, y)
            low, high = stats.percentile_ci(stats.rank_biserial_boot(x, y, rng, b))
            block.append({"condition": condition, "task": task, "dimension": dim, "n_a": len(x), "n_b": len(y),
                          "mean_a": float(x.mean()), "mean_b": float(y.mean()), "u": u, "p": p, "r": r,
                          "r_ci_low": float(low), "r_ci_high": float(high)})
        for row, q in zip(block, stats.holm(np.array([row["p"] for row in block]))):
            row["p_holm"] = float(q)
            row["sentence"] = sentence(row, model_a, model_b, instrument.dimension(row["dimension"]).name)
        result.rows += block
    return result


def sentence(row: dict, a: str, b: str, name: str) -> str:
    """One line in plain words. For ranks a lower mean is a higher priority; for ratings, higher."""
    rank = row["task"] == "rank"
    what = "mean rank" if rank else "mean rating"
    where = f"[{row['condition']}, {row['task']}]"
    numbers = (f"{what} {row['mean_a']:.2f} vs {row['mean_b']:.2f}, r = {row['r']:.2f} "
               f"[{row['r_ci_low']:.2f}, {row['r_ci_high']:.2f}], p (Holm) = {row['p_holm']:.3g}")
    if not row["p_holm"] < 0.05:
        return f"{where} no clear difference on {name}: {numbers}"
    a_higher = (row["r"] < 0) if rank else (row["r"] > 0)
    first, second = (a, b) if a_higher else (b, a)
    verb = "ranks" if rank else "rates"
    return f"{where} {first} {verb} {name} higher than {second}: {numbers}"
