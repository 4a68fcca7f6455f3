"""The sections of a decision brief (papers.report.brief): one builder per section, each taking the
audit's data and the candidates in the order the user named them, and returning lines or rows
worded for a procurement reader.

Every comparative word follows papers.analysis.claims: "most stable" and "closest to people" only
when the leader's interval lies clear of the next one's, a profile difference only at a
Holm-adjusted p below .05, and "no detectable difference" otherwise.

How the candidates are compared, dimension by dimension: every pair of candidates gets the rows of
`papers compare` (Mann-Whitney U per dimension over valid trials, rank-biserial r with a bootstrap
interval, positive when the pair's first model gives the dimension the higher priority), and the
p-values are adjusted by Holm across the tests of *all* pairs within one condition and task. With
two candidates that family is the one `papers compare` adjusts over, so the two agree row for row;
with three to five the family grows to every pair's tests, so a difference reported between any two
candidates holds with the familywise error rate kept at 5% for the whole brief's condition and task.
Pairs were chosen over a Kruskal-Wallis test among the candidates with follow-ups because a buyer
asks which candidate differs from which, and every pairwise sentence then carries its own effect
size and interval.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable

import numpy as np
import polars as pl

from papers import compare
from papers.analysis import stats
from papers.analysis.claims import Estimate, leaders, ordering_phrase
from papers.report.reads import AuditData
from papers.report.wording import (
    condition_label,
    estimate,
    fmt,
    is_number,
    measure,
    not_computed,
    percent,
    task_label,
    where,
)

PAIRWISE_METHOD = (
    "Mann-Whitney U per dimension and pair of candidates over valid trials; effect size r (rank-biserial) "
    "with a 95% bootstrap interval, positive for the candidate that gives the dimension the higher priority; "
    "p adjusted by Holm across the tests of all {pairs} within each condition and task ({tests} tests each)"
)
OUTCOMES = ("refused", "unparseable", "incomplete", "error")  # besides valid, as result_stability shares them
Price = Callable[[str, int, int], "float | None"]


def _order(candidates: list[str]) -> Callable[[dict], tuple]:
    index = {m: i for i, m in enumerate(candidates)}
    return lambda r: (index.get(r["model"], len(index)), r.get("condition", ""), r.get("task", ""))


def _rows(data: AuditData, table: str, model: str) -> list[dict]:
    """A result table's rows of one model, by condition and task (and sample, where it has one)."""
    by = [c for c in ("sample", "condition", "task") if c in data.tables[table].columns]
    return list(data.tables[table].filter(pl.col("model") == model).sort(by).iter_rows(named=True))


def _mine(data: AuditData, table: str, candidates: list[str]) -> list[dict]:
    """A result table's rows of the candidates, in the candidates' order, then condition and task."""
    frame = data.tables[table].filter(pl.col("model").is_in(candidates))
    return sorted(frame.iter_rows(named=True), key=_order(candidates))


def blocks(data: AuditData, candidates: list[str]) -> list[tuple[str, str]]:
    """The (condition, task) pairs with results for any candidate, sorted."""
    frame = data.tables["result_profiles"].filter(pl.col("model").is_in(candidates))
    return sorted(set(frame.select("condition", "task").iter_rows()))


# ----------------------------------------------------------------------------- differences between candidates


def method_line(candidates: list[str], data: AuditData) -> str:
    """The brief's comparison method in one sentence, with the size of each Holm family."""
    pairs = math.comb(len(candidates), 2)
    dims = sorted({len(data.instrument.shown(c)) for c, _ in blocks(data, candidates)})
    tests = " or ".join(str(pairs * d) for d in dims) or "no"
    return PAIRWISE_METHOD.format(pairs="pair" if pairs == 1 else f"{pairs} pairs", tests=tests) + (
        "; with two candidates these are the rows of papers compare." if pairs == 1 else ".")


def pairwise(store, data: AuditData, candidates: list[str]) -> list[dict]:
    """The rows of `papers compare` for every pair of candidates, the pair's models as model_a and
    model_b, with p_holm, direction and sentence recomputed over every pair's tests of a condition
    and task (one Holm family per condition and task). The answers are read once for every pair."""
    answers = compare.answers_of(store, data.audit_id, candidates)
    rows = [{**row, "model_a": a, "model_b": b}
            for a, b in itertools.combinations(candidates, 2)
            for row in compare.compare_frame(answers, data.instrument, data.settings, data.audit_id, a, b).rows]
    for _, family in itertools.groupby(sorted(rows, key=_family), key=_family):
        family = list(family)
        for row, q in zip(family, stats.holm(np.array([row["p"] for row in family]))):
            row["p_holm"] = float(q)
            row["direction"] = compare.direction(row)
            row["sentence"] = plain_sentence(row)
    return sorted(rows, key=lambda r: (r["condition"], r["task"]))


def _family(row: dict) -> tuple[str, str]:
    return row["condition"], row["task"]


def plain_sentence(row: dict) -> str:
    """compare.sentence without its "[condition, task]" prefix: the brief heads each block with it."""
    text = compare.sentence(row, row["model_a"], row["model_b"])
    return text.removeprefix(f"[{row['condition']}, {row['task']}] ")


def difference_blocks(data: AuditData, rows: list[dict], candidates: list[str]) -> list[dict]:
    """Per condition and task, per dimension: the sentence of every pair that differs, and the pairs
    that do not. With two candidates the no-difference sentence is given whole, numbers included."""
    out = []
    for (condition, task), family in itertools.groupby(rows, key=_family):
        family = list(family)
        dims = []
        for dim in data.instrument.shown(condition):
            mine = [r for r in family if r["dimension"] == dim]
            if not mine:
                continue
            found = [r["sentence"] for r in mine if r["direction"] != "none"]
            same = [r for r in mine if r["direction"] == "none"]
            if len(candidates) == 2:
                found += [r["sentence"] for r in same]
                none = ""
            elif same and len(same) == len(mine) == math.comb(len(candidates), 2):
                none = "no detectable difference between any two candidates"
            else:
                none = ("no detectable difference between " + "; ".join(f"{r['model_a']} and {r['model_b']}"
                                                                         for r in same)) if same else ""
            dims.append({"name": data.name(dim), "findings": found, "none": none})
        differ = sum(r["direction"] != "none" for r in family)
        out.append({"where": where(condition, task), "dimensions": dims,
                    "count": f"{differ} of {len(family)} tests show a difference (p (Holm) < .05)."})
    return out


def profile_differences(rows: list[dict], candidates: list[str], top: int = 3) -> tuple[str, list[str]]:
    """The summary's line on profiles (how many tests differ) and the largest differences in words."""
    found = [r for r in rows if r["direction"] != "none"]
    pairs = "the two candidates" if len(candidates) == 2 else "any two candidates"
    if not rows:
        return "Profiles: no condition and task has valid answers from two candidates, so none is compared.", []
    if not found:
        return (f"Profiles: no detectable difference between {pairs} on any dimension, in any condition and task "
                f"({len(rows)} tests, Holm-adjusted)."), []
    head = (f"Profiles: {len(found)} of {len(rows)} dimension tests show a difference between {pairs} "
            f"(p (Holm) < .05); the largest {min(top, len(found))}:")
    largest, seen = [], set()
    for r in sorted(found, key=lambda r: -abs(r["r"])):
        key = (r["model_a"], r["model_b"], r["dimension"])
        if key in seen:
            continue
        seen.add(key)
        largest.append(f"{where(r['condition'], r['task'])}: {r['sentence']}.")
        if len(seen) == top:
            break
    return head, largest


# ----------------------------------------------------------------------------- each candidate in one line each


def type_line(data: AuditData, model: str) -> str:
    """The candidate's type in every condition and task, grouped by type."""
    rows = _rows(data, "result_clusters", model)
    if not rows:
        return "not typed"
    by_type: dict[str, list[str]] = {}
    for r in rows:
        by_type.setdefault(r["model_type"], []).append(where(r["condition"], r["task"]))
    margin = fmt(rows[0]["type_margin"])
    if len(by_type) == 1:
        kind = next(iter(by_type))
        return f"{kind} in {'the only' if len(rows) == 1 else 'all ' + str(len(rows))} conditions and tasks (margin ±{margin})"
    return "; ".join(f"{kind} ({'; '.join(places)})" for kind, places in by_type.items()) + f" (margin ±{margin})"


def stability_line(data: AuditData, model: str) -> str:
    """Mean rho with its interval: its lowest and highest over conditions and tasks."""
    rows = [r for r in _rows(data, "result_stability", model)
            if is_number(r["mean_rho"])]
    if not rows:
        return "not estimable"
    rows.sort(key=lambda r: r["mean_rho"])
    low, high = rows[0], rows[-1]
    if len(rows) == 1:
        return f"two trials agree with mean rho {_rho(low)} ({where(low['condition'], low['task'])})"
    return (f"two trials agree with mean rho from {_rho(low)} ({where(low['condition'], low['task'])}) to {_rho(high)} "
            f"({where(high['condition'], high['task'])})")


def _rho(r: dict) -> str:
    return estimate(r, "mean_rho", low="mean_rho_ci_low", high="mean_rho_ci_high", interval="mean_rho_ci")


def fidelity_line(data: AuditData, model: str) -> str:
    """Per human sample: CCC (lowest to highest over conditions and tasks), order r, and where the
    gaps between priorities are exaggerated or compressed."""
    mine = _rows(data, "result_agreement", model)
    rows = [r for r in mine if is_number(r["ccc"])]
    if not mine:
        return "no human sample answered a matched task"
    if not rows:  # every pair declined: say why, once per reason
        return "; ".join(dict.fromkeys(f"profile fidelity {not_computed(r, 'ccc')}" for r in mine))
    parts = []
    for sample in sorted({r["sample"] for r in rows}):
        mine = sorted((r for r in rows if r["sample"] == sample), key=lambda r: r["ccc"])
        low, high = mine[0], mine[-1]
        wide = sum(_gaps(r) == ", exaggerated" for r in mine)
        narrow = sum(_gaps(r) == ", compressed" for r in mine)
        counts = [f"{word} in {n}" for word, n in (("exaggerated", wide), ("compressed", narrow)) if n]
        of = f" of {len(mine)} conditions and tasks" if len(mine) > 1 else ""
        gaps = f"gaps {' and '.join(counts)}{of}" if counts else "gaps not distinguishable from the humans'"
        rs = sorted(r["pearson_r"] for r in mine if is_number(r["pearson_r"]))
        order = "" if not rs else f"order r {fmt(rs[0])}; " if len(rs) == 1 or fmt(rs[0]) == fmt(rs[-1]) else \
            f"order r {fmt(rs[0])} to {fmt(rs[-1])}; "
        ccc = (f"concordance (CCC) {_ccc(low)} ({where(low['condition'], low['task'])})" if len(mine) == 1 else
               f"concordance (CCC) from {_ccc(low)} ({where(low['condition'], low['task'])}) to {_ccc(high)} "
               f"({where(high['condition'], high['task'])})")
        parts.append(f"sample {sample}: {ccc}; {order}{gaps}")
    return "; ".join(parts)


def _ccc(r: dict) -> str:
    return estimate(r, "ccc", low="ccc_ci_low", high="ccc_ci_high")


def quality_line(data: AuditData, model: str) -> str:
    """How many rank and rate answers, the share valid, and the count of every other outcome."""
    rows = _rows(data, "result_stability", model)
    responses = sum(r["n_responses"] or 0 for r in rows)
    if not responses:
        return "no rank or rate answers"
    counts = {status: round(sum((r[f"{status}_share"] or 0) * (r["n_responses"] or 0) for r in rows))
              for status in ("valid", *OUTCOMES)}
    others = [f"{counts[status]} {status}" for status in OUTCOMES if counts[status]]
    return ", ".join([f"{responses:,} rank and rate answers, {percent(counts['valid'] / responses)} valid", *others])


def cost_line(cost: dict) -> str:
    """Cost and latency per 1,000 calls in one line (see cost_rows)."""
    if cost["per_1000"] is not None:
        money = f"${cost['per_1000']:,.2f} per 1,000 calls at list price"
    elif cost["recorded_per_1000"] is not None:
        money = f"${cost['recorded_per_1000']:,.2f} per 1,000 calls as recorded when collected (no list price)"
    else:
        money = "not known per 1,000 calls (no list price for this model)"
    if cost["latency_s"] is None:
        return f"{money}; latency not recorded"
    return (f"{money}; {cost['latency_s']:.2f} s a call on average, "
            f"{_duration(cost['latency_s'] * 1000)} for 1,000 calls one after another")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        minutes = seconds / 60
        return f"{minutes:.1f} min" if minutes < 10 else f"{minutes:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ----------------------------------------------------------------------------- comparisons in words


def leader_lines(what: str, estimates_by_block: dict[str, list[Estimate]], none: str) -> list[str]:
    """Who leads clearly where (claims.leaders: the leader's interval clear of the runner-up's), one
    line per leading candidate, and one line for the places where no candidate leads clearly."""
    clear: dict[str, list[str]] = {}
    tied = []
    for place, estimates in estimates_by_block.items():
        group, is_clear = leaders(estimates)
        if is_clear and len(estimates) > 1:
            e = group[0]
            clear.setdefault(e.name, []).append(f"{place} ({fmt(e.value)} [{fmt(e.low)}, {fmt(e.high)}])")
        elif group:
            tied.append(place)
    lines = [f"{what}: {name} in {'; '.join(places)}." for name, places in clear.items()]
    if tied:
        lines.append(f"{none} in {'any condition and task' if not clear else '; '.join(tied)}: the intervals overlap.")
    return lines


def stability_leaders(data: AuditData, candidates: list[str]) -> list[str]:
    by_block: dict[str, list[Estimate]] = {}
    for r in _mine(data, "result_stability", candidates):
        by_block.setdefault(where(r["condition"], r["task"]), []).append(
            Estimate(r["model"], r["mean_rho"], r["mean_rho_ci_low"], r["mean_rho_ci_high"]))
    return leader_lines("Most stable", dict(sorted(by_block.items())), "No candidate is clearly the most stable")


def closest_leaders(data: AuditData, candidates: list[str]) -> list[str]:
    by_block: dict[str, list[Estimate]] = {}
    for r in _mine(data, "result_agreement", candidates):
        place = f"{where(r['condition'], r['task'])}, sample {r['sample']}"
        by_block.setdefault(place, []).append(Estimate(r["model"], r["ccc"], r["ccc_ci_low"], r["ccc_ci_high"]))
    if not by_block:
        return ["Closeness to people: no human sample answered a matched task."]
    return leader_lines("Closest to people (CCC)", dict(sorted(by_block.items())),
                        "No candidate is clearly the closest to people")


def type_differences(data: AuditData, candidates: list[str]) -> str:
    """One sentence on the candidates' types: the same everywhere, or who is which."""
    rows = _mine(data, "result_clusters", candidates)
    kinds = {m: sorted({r["model_type"] for r in rows if r["model"] == m}) for m in candidates}
    if all(len(k) == 1 for k in kinds.values()):
        groups: dict[str, list[str]] = {}
        for m in candidates:
            groups.setdefault(kinds[m][0], []).append(m)
        if len(groups) == 1:
            return f"Type: all candidates are {kinds[candidates[0]][0]} in every condition and task."
        return ("Type, the same in every condition and task: "
                + "; ".join(f"{kind}: {', '.join(models)}" for kind, models in groups.items()) + ".")
    varies = [m for m, k in kinds.items() if len(k) > 1]
    return (f"Type: {', '.join(varies)} {'is' if len(varies) == 1 else 'are'} typed differently in different "
            "conditions and tasks; see each candidate's type line and the Type section.")


def cost_differences(costs: list[dict], source: str | None) -> list[str]:
    """The candidates' list prices side by side, with the price map that gave them (`source`, None
    when no call reported its tokens: then nothing is priced and each candidate's line says so)."""
    if source is None:
        return []
    known = [c for c in costs if c["per_1000"] is not None]
    if not known:
        return [f"Cost: {source} has no list price for {'either' if len(costs) == 2 else 'any'} candidate; "
                "their latency and tokens per call are under Cost and latency."]
    unknown = [c["model"] for c in costs if c["per_1000"] is None]
    text = (f"Cost per 1,000 calls at list price ({source}): "
            + ", ".join(f"{c['model']} ${c['per_1000']:,.2f}" for c in known))
    return [text + (f"; not known for {', '.join(unknown)}." if unknown else ".")]


# ----------------------------------------------------------------------------- tables


def p_value(p) -> str:
    """A p-value for a table: three decimals, "< 0.001" below that (never "0.000")."""
    return "< 0.001" if is_number(p) and p < 0.001 else fmt(p, 3)


def stability_rows(data: AuditData, candidates: list[str]) -> list[dict]:
    return [{"model": r["model"], "where": where(r["condition"], r["task"]), "mean_rho": _rho(r),
             "friedman_p": p_value(r["friedman_p"]), "trials": r["n_trials"]}
            for r in _mine(data, "result_stability", candidates)]


def type_rows(data: AuditData, candidates: list[str]) -> list[dict]:
    return [{"model": r["model"], "where": where(r["condition"], r["task"]), "type": r["model_type"] or "not typed",
             "orientation": estimate(r, "orientation_index", low="orientation_ci_low", high="orientation_ci_high",
                                     interval="orientation_ci"),
             "margin": f"±{fmt(r['type_margin'])}", "p_holm": p_value(r["type_p_holm"])}
            for r in _mine(data, "result_clusters", candidates)]


def agreement_rows(data: AuditData, candidates: list[str]) -> list[dict]:
    """Profile fidelity to each human sample: order (r), calibration (spread ratio, with what it
    means), level (ratings) and CCC, per sample, condition and task, candidates in the order given."""
    index = {m: i for i, m in enumerate(candidates)}
    rows = sorted(_mine(data, "result_agreement", candidates),
                  key=lambda r: (r["sample"], r["condition"], r["task"], index[r["model"]]))
    return [{"model": r["model"], "sample": r["sample"], "where": where(r["condition"], r["task"]),
             "r": estimate(r, "pearson_r", low="r_ci_low", high="r_ci_high"),
             "spread": estimate(r, "spread_ratio", low="spread_ratio_ci_low", high="spread_ratio_ci_high") + _gaps(r),
             "level": estimate(r, "level_shift", low="level_shift_ci_low", high="level_shift_ci_high",
                               interval="level_shift_ci") if r["task"] == "rate" else "-",
             "ccc": _ccc(r), "n": f"{r['n_trials']} / {r['n_participants']}"}
            for r in rows]


def _gaps(r: dict) -> str:
    if is_number(r["spread_ratio_ci_low"]) and r["spread_ratio_ci_low"] > 1:
        return ", exaggerated"
    if is_number(r["spread_ratio_ci_high"]) and r["spread_ratio_ci_high"] < 1:
        return ", compressed"
    return ""


def quality_rows(data: AuditData, candidates: list[str]) -> list[dict]:
    """Per candidate, condition and task: the answers and the share of each outcome."""
    return [{"model": r["model"], "where": where(r["condition"], r["task"]), "responses": r["n_responses"],
             "valid": percent(r["valid_share"]), **{status: percent(r[f"{status}_share"]) for status in OUTCOMES}}
            for r in _mine(data, "result_stability", candidates)]


def main_task(data: AuditData, candidates: list[str]) -> str:
    tasks = {t for _, t in blocks(data, candidates)}
    return "rank" if "rank" in tasks else "rate"


def conditions_section(data: AuditData, candidates: list[str]) -> dict:
    """Each candidate's mean per dimension in every condition, on the main task (rank if run), and
    its first priorities per condition, worded as Friedman's test allows."""
    task = main_task(data, candidates)
    prof = data.tables["result_profiles"].filter(pl.col("model").is_in(candidates) & (pl.col("task") == task))
    conditions = sorted(prof["condition"].unique().to_list())
    means = {(r["model"], r["condition"], r["dimension"]): r["mean"] for r in prof.iter_rows(named=True)}
    table = [{"dimension": data.name(d),
              "cells": [" / ".join(fmt(means[(m, c, d)]) if (m, c, d) in means else "not shown" for c in conditions)
                        for m in candidates]}
             for d in data.instrument.dimension_keys]
    summary = data.summary.filter(pl.col("model").is_in(candidates) & (pl.col("task") == task))
    firsts = {(r["model"], r["condition"]): ordering_phrase(r["friedman_p"], [data.name(d) for d in r["dimensions"]])
              for r in summary.iter_rows(named=True)}
    priorities = [f"{m}: " + "; ".join(f"{condition_label(c)}: {firsts[(m, c)]}" for c in conditions if (m, c) in firsts)
                  for m in candidates]
    return {"condition_keys": conditions, "conditions_table": table, "priorities": priorities,
            "conditions_caption": f"Mean {measure(task)} per dimension, "
                                  f"{' / '.join(condition_label(c) for c in conditions)} in each cell "
                                  f"({task_label(task)} task; \"not shown\": that condition does not offer the dimension)."}


def cost_rows(usage: pl.DataFrame, candidates: list[str], price: Price | None) -> list[dict]:
    """Per candidate, over the calls the audit pinned: tokens per call, latency, and the cost of
    1,000 calls at the mean tokens per call, priced by `price` (papers.collect.costs.price: litellm's
    price map; None: no price) and as recorded when the answers were collected."""
    found = {r["model"]: r for r in usage.iter_rows(named=True)}
    out = []
    for m in candidates:
        u = found.get(m, {})
        tokens_in, tokens_out = u.get("input_tokens_per_call"), u.get("output_tokens_per_call")
        per_1000 = None
        if price is not None and is_number(tokens_in):
            cost = price(m, round(tokens_in), round(tokens_out or 0))
            per_1000 = None if cost is None else cost * 1000
        recorded = (u["cost_usd"] / u["calls_with_cost"] * 1000) if u.get("calls_with_cost") else None
        latency = u["latency_ms_mean"] / 1000 if is_number(u.get("latency_ms_mean")) else None
        out.append({"model": m, "calls": u.get("calls", 0), "tokens_in": tokens_in, "tokens_out": tokens_out,
                    "per_1000": per_1000, "recorded_per_1000": recorded, "recorded_calls": u.get("calls_with_cost", 0),
                    "latency_s": latency,
                    "latency_median_s": u["latency_ms_median"] / 1000 if is_number(u.get("latency_ms_median")) else None})
    return out


def cost_table(costs: list[dict]) -> list[dict]:
    """The cost rows as a reader's table cells."""
    def money(x):
        return "not known" if x is None else f"${x:,.2f}"

    def seconds(x):
        return "not recorded" if x is None else f"{x:.2f} s"

    return [{"model": c["model"], "calls": f"{c['calls']:,}",
             "tokens": (f"{fmt(c['tokens_in'], 0)} in, {fmt(c['tokens_out'], 0)} out" if is_number(c["tokens_in"])
                        else "not reported"),
             "per_1000": money(c["per_1000"]),
             "recorded": (money(c["recorded_per_1000"]) + (f" ({c['recorded_calls']:,} of {c['calls']:,} calls)"
                                                          if c["recorded_calls"] != c["calls"] else ""))
             if c["recorded_per_1000"] is not None else "none recorded",
             "latency": seconds(c["latency_s"]), "median": seconds(c["latency_median_s"]),
             "thousand": "not recorded" if c["latency_s"] is None else _duration(c["latency_s"] * 1000)}
            for c in costs]


