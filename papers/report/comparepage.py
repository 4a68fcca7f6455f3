"""compare.html: a reader ticks 2 to 5 models of an audit and sees their profiles side by side.

The page holds its data (every model's profile per condition and task with its intervals, and for
every pair of models the rows `papers compare` prints) as JSON inside itself, and draws its chart
in the browser with Observable Plot and D3, copied from reports/vendor/ into the audit's assets/
folder beside reports/compare.js; all are listed in the manifest. So it works from file:// and any
static host, and asks nothing of any other host. Past MAX_PAIRED_MODELS models the differences of
every pair are not precomputed (their number grows as the square of the models'): the page says so
and names `papers compare`.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

from papers.compare import METHOD, compare_frame, p_text, r_text
from papers.report.context import Link, Masthead, slug
from papers.report.reads import AuditData
from papers.report.templating import render
from papers.report.wording import condition_label
from papers.resources import project_path
from papers.store import Store, query
from papers.text import printable

ASSETS = "assets"
VENDORED = ("d3.min.js", "plot.umd.min.js", "d3-LICENSE.txt", "plot-LICENSE.txt")
VERSIONS = {"d3": "7.9.2", "plot": "0.6.17"}  # reports/vendor/README.md
MAX_PAIRED_MODELS = 20


def write_compare_page(store: Store, data: AuditData, build: Path, masthead: Masthead, notice: str) -> Path:
    """compare.html and its assets/ in the audit being built in `build`."""
    assets = build / ASSETS
    assets.mkdir(exist_ok=True)
    for name in VENDORED:
        shutil.copy(project_path("reports", "vendor", name), assets / name)
    shutil.copy(project_path("reports", "compare.js"), assets / "compare.js")
    models = [{"model": m, "slug": slug(m), "href": f"models/{slug(m)}.html"} for m in data.models]
    page = {"audit_id": data.audit_id, "masthead": masthead, "notice": notice, "models": models,
            "groups": groups(data), "instrument": data.instrument.label, "method": METHOD,
            "css": project_path("reports", "style.css").read_text(encoding="utf-8"),
            "nav": [Link("../index.html", "All audit versions"), Link("index.html", "Comparison of all models")],
            "plot_version": VERSIONS["plot"], "d3_version": VERSIONS["d3"],
            "data_json": script_json(page_data(store, data))}
    return render("compare.html.j2", build / "compare.html", page=page)


def groups(data: AuditData) -> list[dict]:
    """Each condition x task the audit has profiles for, with its dimensions and value axis."""
    profiles = data.tables["result_profiles"]
    out = []
    for condition, task in sorted(set(zip(profiles["condition"].to_list(), profiles["task"].to_list()))):
        dims = [d for d in data.instrument.shown(condition)]
        rank = task == "rank"
        scale = data.instrument.task("rate").scale if not rank and "rate" in data.instrument.task_keys else None
        out.append({"key": f"{condition}/{task}", "condition": condition, "task": task,
                    "label": f"{condition_label(condition)}, {'ranking' if rank else 'rating'}",
                    "dims": [{"key": d, "name": data.name(d)} for d in dims],
                    "axis": "mean rank (1 = highest priority) →" if rank else "mean rating (higher = more important) →",
                    "what": "mean rank" if rank else "mean rating", "reverse": rank,
                    "domain": [1, len(dims)] if rank else [scale.min if scale else 1, scale.max if scale else 7]})
    return out


def page_data(store: Store, data: AuditData) -> dict:
    """What compare.js reads: models, groups, profiles and the rows of every pair."""
    models = [{"model": printable(m), "slug": slug(m)} for m in data.models]  # as the pages show names
    profiles: dict[str, dict] = {}
    for g in groups(data):
        for m in data.models:
            rows = {r["dimension"]: r for r in data.tables["result_profiles"].filter(
                (data.tables["result_profiles"]["model"] == m) & (data.tables["result_profiles"]["condition"] == g["condition"])
                & (data.tables["result_profiles"]["task"] == g["task"])).iter_rows(named=True)}
            if rows:
                profiles.setdefault(slug(m), {})[g["key"]] = [_cell(rows.get(d["key"])) for d in g["dims"]]
    pairs, note = pair_rows(store, data)
    return {"audit": data.audit_id, "models": models, "groups": groups(data), "profiles": profiles, "pairs": pairs,
            "pairs_note": note}


def _cell(row: dict | None) -> list | None:
    if row is None or row["mean"] is None or row["mean"] != row["mean"]:
        return None
    low, high = row.get("ci_low"), row.get("ci_high")
    ok = low is not None and high is not None and low == low and high == high
    return [round(row["mean"], 4), round(low, 4) if ok else None, round(high, 4) if ok else None]


def pair_rows(store: Store, data: AuditData) -> tuple[dict, str]:
    """For every pair of models (in the audit's order), per condition and task, the rows `papers
    compare` prints, worded as it words them; and why there are none, past MAX_PAIRED_MODELS."""
    if len(data.models) > MAX_PAIRED_MODELS:
        return {}, (f"With {len(data.models)} models the differences of every pair are not computed for this page "
                    f"(it does so up to {MAX_PAIRED_MODELS}): papers compare A B --audit {data.audit_id} prints them "
                    "for any two.")
    out = {}
    answers = store.frame(query("analysis/model_answers"), {"audit": data.audit_id})  # read once for every pair
    for a, b in itertools.combinations(data.models, 2):
        result = compare_frame(answers, data.instrument, data.settings, data.audit_id, a, b)
        by_group: dict[str, list] = {}
        for row in result.rows:
            higher = {"a": printable(a), "b": printable(b)}.get(row["direction"], "no detectable difference")
            by_group.setdefault(f"{row['condition']}/{row['task']}", []).append({
                "name": row["name"], "higher": higher, "mean_a": f"{row['mean_a']:.2f}", "mean_b": f"{row['mean_b']:.2f}",
                "r": r_text(row["r"], row["r_ci_low"], row["r_ci_high"]).removeprefix("r = "),
                "p": p_text(row["p_holm"]).replace("= ", "")})
        out[f"{slug(a)} {slug(b)}"] = by_group
    return out, ""


def script_json(value) -> str:
    """JSON to place inside <script type="application/json">: no '<', '>' or '&' as such, so no text
    from data can close the element or start markup there."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
