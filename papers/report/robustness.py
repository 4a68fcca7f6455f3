"""Robustness to wording on the pages: the verdict beside each conclusion, the section of a model's
page, the column of the comparison and the clause of the takeaway.

Everything here reads `result_robustness` and `result_variant_profiles` (papers.analysis.robustness)
and words them under one rule: a conclusion is "not robust to wording" only where the analysis
found the profile to move with the wording; where robustness was not measured (one wording asked,
or too few trials per wording) the page says so instead of implying either.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from papers.report.context import Figure, slug
from papers.report.reads import AuditData
from papers.report.wording import fmt, percent, situation, where

NOT_ROBUST = "not robust to wording"


def rows(data: AuditData, model: str | None = None) -> list[dict]:
    """The result_robustness rows of the audit (of one model), in condition and task order."""
    table = data.tables.get("result_robustness")
    if table is None or table.height == 0:
        return []
    if model is not None:
        table = table.filter(pl.col("model") == model)
    return sorted(table.iter_rows(named=True), key=lambda r: (r["model"], r["condition"], r["task"]))


def verdict(row: dict | None) -> str:
    """"robust to wording", "not robust to wording", or "not measured: <reason>"."""
    if row is None:
        return "not measured: no robustness results in this audit"
    if row["robust"] is None:
        return "not measured: " + _reason(row)
    return "robust to wording" if row["robust"] else NOT_ROBUST


def _reason(row: dict) -> str:
    """Why robustness was not measured: the note's "robustness: <reason>" segment."""
    for segment in (row.get("note") or "").split("; "):
        if segment.startswith("robustness: "):
            return segment.removeprefix("robustness: ")
    return "robustness to wording not measured"


def caveat(row: dict | None) -> str:
    """" (not robust to wording)" after a type, a cluster or a top priority that moves with the
    wording; "" where it holds or was not measured."""
    return f" ({NOT_ROBUST})" if row is not None and row["robust"] is False else ""


def of(data: AuditData, model: str, condition: str, task: str) -> dict | None:
    return next((r for r in rows(data, model) if (r["condition"], r["task"]) == (condition, task)), None)


def table_rows(data: AuditData, model: str) -> list[dict]:
    """The Robustness section's table: per condition and task, the wordings, the verdict with its
    reason, the wording share, each wording's top, the correlations and the position bias."""
    out = []
    for r in rows(data, model):
        measured = r["robust"] is not None
        out.append({
            "where": where(r["condition"], r["task"]),
            "wordings": f"{r['n_variants']} ({r['n_trials']} trials)",
            "verdict": verdict(r),
            "reason": _reason_words(r, _names(data)) if measured else "",
            "share": _share(r).replace(" of the profile's variance", "") if measured else "n/a",
            "tops": _tops(data, r) if measured else "n/a",
            "rho": f"{fmt(r['min_rho'])} / {fmt(r['mean_rho'])}" if measured else "n/a",
            "position": position_text(r),
        })
    return out


def _reason_words(r: dict, names: dict[str, str]) -> str:
    """The reason of a verdict, with the dimensions' names and the wording share with its interval."""
    figure = (f"wording explains {_share(r)}")
    if r["robust"]:
        return f"The profile holds across the {r['n_variants']} wordings ({figure})."
    return f"{_moved(r, names)} ({figure})."


def _share(r: dict) -> str:
    return (f"{percent(r['wording_share'])} [{percent(r['wording_share_ci_low'])}, "
            f"{percent(r['wording_share_ci_high'])}] of the profile's variance, p = {_p(r['wording_p_holm'])} (Holm)")


def _p(p) -> str:
    return "n/a" if p is None else "< 0.001" if p < 0.001 else f"{p:.3f}"


def _tops(data: AuditData, r: dict) -> str:
    """"Ethical Integrity in 4 of 6; Robust Functionality in 2"."""
    counts: dict[str, int] = {}
    for item in (r["top_by_variant"] or "").split("; "):
        if ": " in item:
            key = item.split(": ", 1)[1]
            counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "; ".join(f"{data.name(k)} in {n}{' of ' + str(r['n_variants']) if i == 0 else ''}"
                     for i, (k, n) in enumerate(ordered))


def position_text(r: dict) -> str:
    """The position bias with its interval and its direction in words, or why it is not computed."""
    if r["position_bias"] is None:
        return "not computed: the order items were shown in is not recorded" if not r["variants"] else "not computed"
    unit = "rank places" if r["task"] == "rank" else "scale points"
    value, low, high = r["position_bias"], r["position_bias_ci_low"], r["position_bias_ci_high"]
    way = ("items shown earlier are preferred (primacy)" if low > 0 else
           "items shown later are preferred (recency)" if high < 0 else "no bias shown")
    return f"{value:+.2f} [{low:+.2f}, {high:+.2f}] {unit} per place nearer the top: {way}"


def headline(data: AuditData, model: str) -> list[str]:
    """Lines for the "At a glance" box: per condition and task, the verdict with its figure."""
    return [f"{situation(r['condition'], r['task'])}: {verdict(r)}" +
            (f" ({_moved(r, _names(data))})" if r["robust"] is False else "") for r in rows(data, model)]


def _names(data: AuditData) -> dict[str, str]:
    return {d.key: d.name for d in data.instrument.dimensions}


def section(data: AuditData, model: str, page_dir: Path) -> dict:
    """The model page's Robustness section: its table, its figures, and whether anything was measured."""
    return {"robustness_table": table_rows(data, model), "robustness_figures": figures(data, model, page_dir),
            "robustness_measured": any(r["robust"] is not None for r in rows(data, model))}


def figures(data: AuditData, model: str, page_dir: Path) -> list[Figure]:
    """Per condition and task asked in two wordings or more: each wording's profile with its intervals."""
    from papers.report import figures as draw

    per = data.tables.get("result_variant_profiles")
    if per is None or per.height == 0:
        return []
    s, out = slug(model), []
    mine = per.filter(pl.col("model") == model)
    for (condition, task), part in sorted(mine.group_by(["condition", "task"]), key=lambda kv: kv[0]):
        variants = sorted(part["variant"].unique().to_list(), key=lambda v: (v != "default", v))
        if len(variants) < 2:
            continue
        dims = list(data.instrument.shown(condition))
        points = {v: _points(part.filter(pl.col("variant") == v), dims) for v in variants}
        name = f"wordings-{condition}-{task}.svg"
        draw.wordings(page_dir / s / name, [data.name(d) for d in dims], points, task,
                      f"Each wording's profile ({where(condition, task)})")
        out.append(Figure(f"{s}/{name}", f"Mean {'rank' if task == 'rank' else 'rating'} per dimension in each of the "
                          f"{len(variants)} wordings, with 95% intervals ({where(condition, task)})."))
    return out


def _points(frame: pl.DataFrame, dims: list[str]) -> list[tuple[float, float, float]]:
    by = {r["dimension"]: r for r in frame.iter_rows(named=True)}
    return [(by[d]["mean"], by[d]["ci_low"], by[d]["ci_high"]) for d in dims]


# ----------------------------------------------------------------------------- the takeaway


def sentence(model: str, robustness: list[dict], names: dict[str, str]) -> str:
    """The takeaway's clause on wording: the profile holds in every wording, or where it does not and
    how (the top of each wording), or that the audit asked one wording only and cannot tell."""
    mine = [r for r in robustness if r["model"] == model]
    if not mine:
        return ""
    measured = [r for r in mine if r["robust"] is not None]
    fragile = [r for r in measured if r["robust"] is False]
    if not measured:
        return ("It was asked in one wording only (or too few trials per wording), so the audit cannot say whether "
                "these conclusions would survive other words or answer formats.")
    if not fragile:
        n = max(r["n_variants"] for r in measured)
        rest = "" if len(measured) == len(mine) else " where this was measured"
        return f"Its answers held across the {n} wordings of the questions{rest}: the profile is robust to wording."
    first = fragile[0]
    detail = _moved(first, names)
    more = f" (and in {len(fragile) - 1} other way{'s' if len(fragile) > 2 else ''} it was asked)" if len(fragile) > 1 else ""
    return (f"Its answers are not robust to wording: {situation(first['condition'], first['task']).lower()}, "
            f"{detail}{more}; read its priorities and type with that in mind.")


def _moved(r: dict, names: dict[str, str]) -> str:
    """"Ethical Integrity comes first in 4 of 6 wordings; in the other 2 Robust Functionality does"."""
    tops = [item.split(": ", 1)[1] for item in (r["top_by_variant"] or "").split("; ") if ": " in item]
    top, n = r["top"], r["n_variants"]
    others: dict[str, int] = {}
    for t in tops:
        if t != top:
            others[t] = others.get(t, 0) + 1
    name = names.get(top, top)
    if not others:
        return f"{name} comes first in every wording, but the order below it moves"
    rest = "; ".join(f"in {k} {names.get(t, t)} does" for t, k in sorted(others.items(), key=lambda kv: -kv[1]))
    return f"{name} comes first in {r['top_variants']} of {n} wordings; {rest}"


def comparison_sentence(robustness: list[dict]) -> str:
    """The comparison takeaway's clause: how many models held their profiles across the wordings."""
    models = sorted({r["model"] for r in robustness})
    measured = {m for m in models if any(r["model"] == m and r["robust"] is not None for r in robustness)}
    if not measured:
        return ("The models were asked in one wording only (or with too few trials per wording), so the audit cannot "
                "say whether their conclusions would survive other words or answer formats.") if models else ""
    fragile = sorted({r["model"] for r in robustness if r["robust"] is False})
    n = max(r["n_variants"] for r in robustness if r["robust"] is not None)
    held = len(measured) - len(fragile)
    text = f"Across the {n} wordings of the questions, {held} of the {len(measured)} models measured held their profiles"
    if not fragile:
        return text + "."
    names = ", ".join(fragile[:4]) + (f" and {len(fragile) - 4} more" if len(fragile) > 4 else "")
    return f"{text}; {names} {'is' if len(fragile) == 1 else 'are'} not robust to wording, and marked so wherever named."


def flagged(robustness: list[dict], model: str, situations: list[tuple[str, str]] | None = None) -> str:
    """" (not robust to wording)" after a model named as a leader, if it is not robust in one of
    the situations (condition, task) it leads in; else ""."""
    for r in robustness:
        if r["model"] == model and r["robust"] is False and (situations is None or (r["condition"], r["task"])
                                                               in situations):
            return f" ({NOT_ROBUST})"
    return ""


def limit(robustness: list[dict], model: str | None = None, dilemmas: bool = False) -> str:
    """What the audit cannot tell, with the wordings it did ask (and, where dilemmas were asked, that
    their choices are still hypothetical)."""
    mine = [r for r in robustness if model is None or r["model"] == model]
    measured = [r for r in mine if r["robust"] is not None]
    who, whose = ("the model", "its") if model else ("the models", "their")
    acts = (f"how {who} act{'s' if model else ''} beyond the dilemmas {'it was' if model else 'they were'} asked, whose "
            "choices are hypothetical and given in words" if dilemmas else
            f"whether {who} act{'s' if model else ''} on these priorities")
    they = f"{whose.capitalize()} stated priorities are" if dilemmas else "They are"
    if not measured:
        return (f"What the audit cannot tell: {acts}. {they} {whose} answers to one questionnaire in one wording, and "
                "another wording may move them.")
    n = max(r["n_variants"] for r in measured)
    return (f"What the audit cannot tell: {acts}. {they} {whose} answers to one questionnaire, asked in {n} wordings "
            "this project wrote; wordings unlike these may still move them.")


# ----------------------------------------------------------------------------- the method section


def method(data: AuditData) -> list[str]:
    """The method section's paragraphs on wordings, scales and robustness, from this audit's instrument."""
    inst = data.instrument
    out = []
    tasks = [inst.task(t) for t in ("rank", "rate") if t in inst.task_keys]
    varied = [t for t in tasks if t.variants]
    if varied:
        listing = "; ".join(f"{t.key}: {', '.join(t.variant_ids)}" for t in varied)
        out.append(
            f"Wordings: the instrument asks each of its rank and rate tasks in several variants of its own ({listing}): "
            "the question in other words (including the system's role and the framing of each condition), the "
            "items shown by key, name and definition, by name and definition, by name only or by definition only, "
            "answers asked for as JSON, as item numbers or one line per item, and ratings on other scales. A "
            "collection spreads each model's trials evenly over the variants and, within each, shows every dimension "
            "at every position equally often (Latin squares), the same orders for every model. Profiles, stability, "
            "types and agreement pool every variant's trials.")
    scales = _scale_text(inst)
    if scales:
        out.append(scales)
    out.append(
        "Robustness to wording: per model, condition and task, the share of the profile's variance that belongs to the "
        "wordings (the dimension-by-wording interaction against the dimension effect, each estimated net of trial "
        "noise; a basic bootstrap interval resampling trials within wordings), a permutation test of whether the "
        "profile, or the order of its first two values, depends on the wording (999 shuffles of the wording labels, "
        "the two combined by their minimum p), Holm-adjusted across the model's conditions and tasks, each "
        "wording's profile correlated with the others' pooled, and each wording's first value. A model is called not "
        "robust to wording where the adjusted test rejects at 5% and a conclusion moves (another value comes first in "
        "some wording, or the wordings explain at least 5% of the profile's variance); its type, cluster and top "
        "priorities are then marked so. By simulation (bench/robustness.py) a model whose answers do not depend on "
        "the wording is called robust in every condition and task at least 95% of the time, and one whose first two "
        "values trade places in a third of the wordings is caught at least 90% of the time at 90 trials. Robust "
        "means no change this audit could detect, among these wordings written by this project; wordings unlike them "
        "(other languages, personas, free answers) may still move a profile. Position bias is what an item gains per "
        "place nearer the top of its list (minus the slope of importance on position, with a fixed effect per "
        "wording and dimension), with a cluster-robust interval over trials.")
    return out


def _scale_text(inst) -> str:
    """How ratings given on each variant's scale (and people's, on the task's) become the scale analysed."""
    if "rate" not in inst.task_keys:
        return ""
    task = inst.task("rate")
    base = task.scale
    seen, parts = set(), []
    for v in task.all_variants:
        scale = v.scale or base
        key = (scale.min, scale.max, scale.reversed)
        if key in seen:
            continue
        seen.add(key)
        slope = (scale.to_reference(scale.max, base) - scale.to_reference(scale.min, base)) / (scale.max - scale.min)
        offset = scale.to_reference(scale.min, base) - slope * scale.min
        most = scale.min if scale.reversed else scale.max
        parts.append(f"{scale.min}-{scale.max} with {most} the most important becomes {_linear(offset, slope)}")
    direction = (f"On the task's own scale, {base.min} is the most important ({base.min_label or 'its low end'}): "
                 "people and models answered it so, their answers are stored as given, and every page shows them "
                 f"turned around, {base.min + base.max} - x, so that higher means more important. "
                 if base.reversed else "")
    return (f"Scales: ratings are stored as answered and analysed on the rate task's {base.min}-{base.max} scale, "
            f"higher meaning more important. {direction}A rating x given on " + "; on ".join(parts) + ".")


def _linear(offset: float, slope: float) -> str:
    """"x", "8 - x", "1 + 0.6x": offset + slope x in a reader's notation.

    >>> _linear(0, 1), _linear(8, -1), _linear(1, 0.6)
    ('x', '8 - x', '1 + 0.6x')
    """
    term = "x" if abs(abs(slope) - 1) < 1e-12 else f"{abs(slope):g}x"
    if abs(offset) < 1e-12:
        return term if slope > 0 else f"-{term}"
    return f"{offset:g} {'+' if slope > 0 else '-'} {term}"


def brief_line(data: AuditData, model: str) -> str:
    """A candidate's line in a decision brief, short enough for its one-page summary: robust to
    wording everywhere, or where it is not (its model page tells how), or why it was not measured."""
    mine = rows(data, model)
    measured = [r for r in mine if r["robust"] is not None]
    if not measured:
        return "not measured (" + (_short(_reason(mine[0])) if mine else "no robustness results in this audit") + ")"
    moved = [where(r["condition"], r["task"]).lower() for r in measured if r["robust"] is False]
    n = max(r["n_variants"] for r in measured)
    if not moved:
        return f"yes, across {n} wordings" + ("" if len(measured) == len(mine) else f" ({len(measured)} of "
                                                                                   f"{len(mine)} measured)")
    return "no: " + "; ".join(moved) + f" (of {n} wordings)"


def _short(reason: str) -> str:
    if reason.startswith("only 1 wording"):
        return "asked in one wording"
    if reason.startswith("fewer than"):
        return "too few trials per wording"
    if reason.startswith("no order"):
        return "no order of priorities to move"
    return reason
