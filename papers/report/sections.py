"""One builder per page section: each takes the audit's data (and the page's model, where the page
is a model's) and returns the rows or lines that section shows, worded for a reader.

Sections that draw figures are in papers.report.figure_sections; the method text is in
papers.report.method. Pages (papers.report.pages) put the sections together.
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from papers.analysis.claims import ordering_phrase
from papers.report import dilemmas, robustness
from papers.report.context import SummaryBox
from papers.report.method import theme_rule_text
from papers.report.reads import AuditData
from papers.report.synthetic import synthetic_notice
from papers.report.takeaway import Evidence
from papers.report.wording import (
    condition_label,
    estimate,
    fmt,
    in_order,
    is_number,
    measure,
    not_computed,
    percent,
    situation,
    task_label,
    where,
    where_columns,
)

OUTCOMES = ("refused", "unparseable", "incomplete", "error")  # besides valid, as result_stability shares them


def rows_of(data: AuditData, table: str, model: str | None = None, *, by: tuple[str, ...] = ()) -> list[dict]:
    """A result table's rows (of one model, if given), sorted by the columns given."""
    frame = data.tables[table]
    if model is not None:
        frame = frame.filter(pl.col("model") == model)
    return list((frame.sort(*by) if by else frame).iter_rows(named=True))


# ----------------------------------------------------------------------------- takeaway and notice


def evidence(data: AuditData) -> Evidence:
    """The rows the takeaways are drawn from (papers.report.takeaway), every model's."""
    inst = data.instrument
    return Evidence(summary=list(data.summary.iter_rows(named=True)),
                    agreement=list(data.tables["result_agreement"].iter_rows(named=True)),
                    robustness=robustness.rows(data), consistency=dilemmas.rows(data),
                    names={d.key: d.name for d in inst.dimensions},
                    humanistic=[d.name for d in inst.dimensions if d.orientation == "humanistic"],
                    utility=[d.name for d in inst.dimensions if d.orientation == "utility"])


def notice(data: AuditData, *, short: bool = False) -> str:
    """The synthetic-data notice of the audit's pages and PDFs, or "" (papers.report.synthetic)."""
    return synthetic_notice(data.models, list(data.sources.iter_rows(named=True)), short=short)


# ----------------------------------------------------------------------------- summary box


def summary_box(data: AuditData, model: str) -> SummaryBox:
    """"At a glance", in words: per condition and task, what the model puts first (when Friedman's
    test allows naming it), its type, how stable its answers are, how close to people, and how
    many of its answers could be used."""
    summary = data.summary.filter(pl.col("model") == model)
    priorities = [f"{situation(r['condition'], r['task'])}: {priorities_words(data, r)}"
                  for r in summary.iter_rows(named=True)]
    types = [f"{situation(r['condition'], r['task'])}: {type_words(r)}"
             f"{robustness.caveat(robustness.of(data, model, r['condition'], r['task']))}"
             for r in rows_of(data, "result_clusters", model, by=("condition", "task"))]
    stability = [f"{situation(r['condition'], r['task'])}: two trials agree with a mean Spearman rho of "
                 f"{mean_rho_text(r, words=True)}, over {r['n_trials']} trials"
                 for r in rows_of(data, "result_stability", model, by=("condition", "task"))]
    agreement = [f"Sample {r['sample']}, {situation(r['condition'], r['task']).lower()}: {fidelity_words(r)}"
                 for r in rows_of(data, "result_agreement", model, by=("sample", "condition", "task"))]
    return SummaryBox(priorities, types, stability, agreement or ["no human sample answered a matched task"],
                      quality_lines(data, model), robustness.headline(data, model))


def priorities_words(data: AuditData, r: dict) -> str:
    """The first three priorities in order when Friedman's test shows a non-random ordering
    (papers.analysis.claims decides), else what the test found."""
    names = [data.name(d) for d in r["dimensions"]]
    phrase = ordering_phrase(r["friedman_p"], names)
    return in_order(names[:3]) if phrase == ", ".join(names[:3]) else phrase


def type_words(r: dict) -> str:
    """"human-centric: orientation index 1.93 (95% CI 1.43 to 2.38), beyond the margin of ±0.25", or
    "type not computed: <reason>" when the index or its interval is declined."""
    declined = not_computed(r, "orientation_index") or not_computed(r, "orientation_ci", "orientation_ci_low")
    if declined:
        return f"type {declined}"
    index = orientation_text(r, words=True)
    kind = r["model_type"]
    where_ = "beyond" if kind in ("human-centric", "utility-driven") else "not shown beyond"
    return f"{kind}: orientation index {index}, {where_} the margin of ±{fmt(r['type_margin'])}"


def mean_rho_text(r: dict, words: bool = False) -> str:
    """mean_rho with its jackknife interval, or why either is not computed."""
    return estimate(r, "mean_rho", low="mean_rho_ci_low", high="mean_rho_ci_high", interval="mean_rho_ci", words=words)


def orientation_text(r: dict, words: bool = False) -> str:
    """The orientation index with its interval, or why either is not computed."""
    return estimate(r, "orientation_index", low="orientation_ci_low", high="orientation_ci_high",
                    interval="orientation_ci", words=words)


def fidelity_words(r: dict) -> str:
    """Order, calibration and concordance in one line, e.g. 'order r = 0.92 [...]; gaps 1.8x the
    humans' [...] (exaggerated); CCC = 0.41 [...]'; a declined statistic reads "not computed:
    <reason>" and nothing else, and statistics declined for one reason are named together."""
    parts = {"order r": estimate(r, "pearson_r", low="r_ci_low", high="r_ci_high"),
             "calibration": spread_text(r), "CCC": estimate(r, "ccc", low="ccc_ci_low", high="ccc_ci_high")}
    if r["task"] == "rate":
        parts["ICC(A,1)"] = icc_text(r)
    declined = {name: text for name, text in parts.items() if text.startswith("not computed")}
    shown = [text if name == "calibration" else f"{name} = {text}" for name, text in parts.items()
             if name not in declined]
    by_reason: dict[str, list[str]] = {}
    for name, text in declined.items():
        by_reason.setdefault(text, []).append(name)
    shown += [f"{_and(names)} {text}" for text, names in by_reason.items()]
    return "; ".join(shown)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def spread_text(r: dict) -> str:
    """"gaps 1.80x the humans' [1.43, 2.21] (exaggerated)", or "not computed: <reason>"."""
    declined = not_computed(r, "spread_ratio")
    if declined:
        return declined
    low, high = r["spread_ratio_ci_low"], r["spread_ratio_ci_high"]
    verdict = ("exaggerated" if is_number(low) and low > 1 else "compressed" if is_number(high) and high < 1
               else "calibration not distinguishable from 1")
    return f"gaps {fmt(r['spread_ratio'])}x the humans' [{fmt(low)}, {fmt(high)}] ({verdict})"


def icc_text(r: dict) -> str:
    """ICC(A,1) with the bootstrap interval and the Koo & Li band read from that same interval."""
    text = estimate(r, "icc_a1", low="icc_a1_ci_low", high="icc_a1_ci_high", interval="icc_a1_ci")
    return text if text.startswith("not computed") or not r.get("band") else f"{text}, {r['band']}"


def quality_lines(data: AuditData, model: str) -> list[str]:
    """How many rank and rate answers, the share valid, and the count of every other outcome."""
    stab = data.tables["result_stability"].filter(pl.col("model") == model)
    responses = int(stab["n_responses"].sum() or 0)
    valid = float((stab["valid_share"] * stab["n_responses"]).sum() / responses) if responses else float("nan")
    quality = [f"{responses:,} rank and rate answers, {fmt(valid * 100, 0)}% valid"]
    for status in OUTCOMES:
        n = float((stab[f"{status}_share"] * stab["n_responses"]).sum() or 0)
        if n:
            quality.append(f"{int(round(n))} {status}")
    return quality


# ----------------------------------------------------------------------------- a model's conditions


def conditions_section(data: AuditData, model: str) -> dict:
    """The model's mean per dimension in each condition, side by side, on its main task (rank if run)."""
    mine = data.tables["result_profiles"].filter(pl.col("model") == model)
    conditions = sorted(mine["condition"].unique().to_list())
    task = "rank" if "rank" in mine["task"].to_list() else "rate"
    table = []
    for d in data.instrument.dimension_keys:
        row = {"dimension": data.name(d)}
        for c in conditions:
            hit = mine.filter((pl.col("condition") == c) & (pl.col("task") == task) & (pl.col("dimension") == d))
            row[c] = fmt(hit["mean"][0]) if hit.height else "not shown"
        table.append(row)
    return {"conditions_table": table, "condition_keys": conditions,
            "conditions_heading": " against ".join(condition_label(c) for c in conditions),
            "conditions_caption": conditions_caption(data, task)}


def conditions_caption(data: AuditData, task: str) -> str:
    """What the conditions table shows, and which dimensions only some conditions show."""
    text = f"Mean {measure(task)} per condition"
    text += "" if task == "rank" or "rank" not in data.instrument.task_keys else " (no rank task was run for this model)"
    conditions = data.instrument.conditions
    for d in data.instrument.dimension_keys:
        showing = [condition_label(c.key) for c in conditions if d in c.dimensions]
        if 0 < len(showing) < len(conditions):
            text += f"; {data.name(d)} is shown only in the {', '.join(showing)} condition"
    return text + "."


# ----------------------------------------------------------------------------- open answers


def themes_section(data: AuditData, model: str) -> dict:
    """Theme shares of the model's coded open answers: those of dimensions every condition shows,
    and apart, those only some conditions show (they cannot be compared across conditions)."""
    common = set.intersection(*(set(c.dimensions) for c in data.instrument.conditions))
    themes = [{"condition": condition_label(r["condition"]), "theme": data.name(r["dimension"]), "key": r["dimension"],
               "share": percent(r["share"]), "ci": f"[{percent(r['ci_low'])}, {percent(r['ci_high'])}]", "n": r["n"]}
              for r in rows_of(data, "result_themes", model, by=("condition", "dimension"))]
    return {"themes": [t for t in themes if t["key"] in common],
            "sentient_themes": [t for t in themes if t["key"] not in common],
            **partial_texts(data, common), "theme_rule": theme_rule_text(data)}


def partial_texts(data: AuditData, common: set[str]) -> dict[str, str]:
    """Heading and caption of the themes of dimensions that only some conditions show."""
    conditions = data.instrument.conditions
    showing = sorted({condition_label(c.key) for c in conditions if set(c.dimensions) - common})
    hidden = sorted({condition_label(c.key) for c in conditions if not set(c.dimensions) - common})
    names = ", ".join(data.name(d) for d in data.instrument.dimension_keys if d not in common)
    return {"partial_heading": f"Only in the {', '.join(showing)} condition" if showing else "Only in some conditions",
            "partial_caption": f"Themes of dimensions that only some conditions show ({names}), kept apart: the "
                               f"{', '.join(hidden) or 'other'} framing never offered them."}


def quotes_section(data: AuditData, model: str) -> dict:
    """Answers in the model's own words: one per theme a coder marked (with the coder's evidence),
    and short answers to fall back on when nothing is coded."""
    theme_quotes = [{"theme": data.name(r["dimension"]), "condition": condition_label(r["condition"]),
                     "evidence": r["evidence"] or "", "text": r["raw_text"]}
                    for r in data.theme_quotes.filter(pl.col("model") == model).iter_rows(named=True)][:8]
    quotes = [{"condition": condition_label(r["condition"]), "text": r["raw_text"]}
              for r in data.quotes.filter(pl.col("model") == model).iter_rows(named=True)]
    return {"theme_quotes": theme_quotes, "quotes": quotes}


def coder_rows(data: AuditData, *, readable_statistic: bool) -> list[dict]:
    """Agreement between coders per theme, over all coded answers of the audit."""
    return [{"dimension": data.name(r["dimension"]),
             "statistic": r["statistic"].replace("_", " ") if readable_statistic else r["statistic"],
             "value": estimate(r, "value", low="ci_low", high="ci_high", interval="ci"), "coders": r["coders"],
             "n": r["n_units"]}
            for r in rows_of(data, "result_coder_agreement")]


def disagreement_rows(data: AuditData, model: str) -> list[dict]:
    """The model's answers the coders disagree on, with who said what (the first ten)."""
    return [{"condition": condition_label(r["condition"]), "theme": data.name(r["dimension"]), "votes": r["votes"],
             "text": r["raw_text"]}
            for r in data.disagreements.filter(pl.col("model") == model).iter_rows(named=True)][:10]


# ----------------------------------------------------------------------------- data quality, stability, peers


def quality_rows(data: AuditData, model: str) -> list[dict]:
    """Per condition and task: outcome shares and position bias (data quality) and the stability
    statistics (mean rho, Kendall's W, Friedman's test); the page shows them as two tables."""
    return [{**where_columns(r), "responses": r["n_responses"], "valid": percent(r["valid_share"]),
             **{status: percent(r[f"{status}_share"]) for status in OUTCOMES},
             "position_rho": estimate(r, "position_bias_rho"), "w": estimate(r, "kendall_w"),
             "mean_rho": mean_rho_text(r), "friedman": friedman_text(r)}
            for r in rows_of(data, "result_stability", model, by=("condition", "task"))]


def peers_rows(data: AuditData, model: str) -> list[dict]:
    """The model's type, orientation index and cluster per condition and task."""
    return [{**where_columns(r), "cluster": r["cluster"], "cluster_label": r["label"],
             "type": (r["model_type"] or "not typed") + robustness.caveat(robustness.of(data, model, r["condition"],
                                                                                        r["task"])),
             "orientation": orientation_text(r),
             "p_holm": fmt(r["type_p_holm"], 3) if is_number(r["type_p_holm"]) else "-",
             "stability": estimate(r, "stability_jaccard")}
            for r in rows_of(data, "result_clusters", model, by=("condition", "task"))]


# ----------------------------------------------------------------------------- agreement with humans


def agreement_rows(data: AuditData, model: str | None = None) -> list[dict]:
    """Profile fidelity rows, closest (by CCC) first within each sample, condition and task."""
    frame = data.tables["result_agreement"]
    if model is not None:
        frame = frame.filter(pl.col("model") == model)
    return [{"model": r["model"], "sample": r["sample"], "condition": condition_label(r["condition"]),
             "task": task_label(r["task"]), "rank": r["rank_by_ccc"],
             "r": estimate(r, "pearson_r", low="r_ci_low", high="r_ci_high"), "rho": estimate(r, "spearman_rho"),
             "spread": estimate(r, "spread_ratio", low="spread_ratio_ci_low", high="spread_ratio_ci_high"),
             "level": estimate(r, "level_shift", low="level_shift_ci_low", high="level_shift_ci_high",
                               interval="level_shift_ci") if r["task"] == "rate" else "-",
             "ccc": estimate(r, "ccc", low="ccc_ci_low", high="ccc_ci_high"), "n": f"{r['n_trials']} / {r['n_participants']}"}
            for r in frame.sort("sample", "condition", "task", "rank_by_ccc", nulls_last=True).iter_rows(named=True)]


def icc_rows(data: AuditData, model: str | None = None) -> list[dict]:
    """ICC(A,1) and ICC(C,1) of rating profiles, with both intervals and the Koo & Li band."""
    frame = data.tables["result_agreement"].filter(pl.col("task") == "rate")
    if model is not None:
        frame = frame.filter(pl.col("model") == model)
    return [{"model": r["model"], "sample": r["sample"], "condition": condition_label(r["condition"]),
             "icc_a1": estimate(r, "icc_a1", low="icc_a1_ci_low", high="icc_a1_ci_high", interval="icc_a1_ci"),
             "icc_a1_f": f_interval_text(r), "band": r["band"] or "-",
             "icc_c1": estimate(r, "icc_c1", low="icc_c1_ci_low", high="icc_c1_ci_high")}
            for r in frame.sort("sample", "condition", "model").iter_rows(named=True)]


def friedman_text(r: dict) -> str:
    """"chi2(4) = 52.3, p = 0.000", or why the test was not computed."""
    return not_computed(r, "friedman", "friedman_chi2") or \
        f"chi2({fmt(r['friedman_df'])}) = {fmt(r['friedman_chi2'], 1)}, p = {fmt(r['friedman_p'], 3)}"


def f_interval_text(r: dict) -> str:
    """McGraw & Wong's F-based ICC(A,1) interval, or why it was not computed."""
    return not_computed(r, "icc_a1", "icc_a1") or not_computed(r, "icc_a1_f_ci", "icc_a1_f_ci_low") or \
        f"[{fmt(r['icc_a1_f_ci_low'])}, {fmt(r['icc_a1_f_ci_high'])}]"


# ----------------------------------------------------------------------------- provenance


def provenance(data: AuditData, model: str | None) -> list[tuple[str, str]]:
    """Where the numbers come from: the audit, instrument, data hash and statistics settings, and
    for a model's page first what its API reported, where its calls went, when, from which sources,
    at what cost; the pages of all models (model None) list every model's endpoint."""
    settings = data.settings
    rows = [("Audit", f"{data.audit_id}, computed {data.created_at} UTC with the papers audit tool, version "
                      f"{data.tool_version}"),
            ("Instrument", f"{data.instrument.id} {data.instrument.version}, SHA-256 {data.instrument.sha256}"),
            ("Audit data", f"SHA-256 {data.data_sha256}"),
            ("Statistics", f"bootstrap B = {settings.get('bootstrap_b')}, seed {settings.get('seed')}, "
                           f"{settings.get('linkage')} linkage, k {settings.get('k') or 'by silhouette'}")]
    if model is None:
        return endpoint_rows(data) + rows
    prov = data.provenance.filter(pl.col("model") == model)
    return model_provenance(model, prov.row(0, named=True)) + rows if prov.height else rows


NO_ENDPOINT = "not recorded (answers loaded from a file, or collected before papers recorded endpoints)"


def endpoint_rows(data: AuditData) -> list[tuple[str, str]]:
    """One row naming where each model's calls went, for the pages about every model."""
    ends = [f"{r['model']}: {r['endpoints'] or NO_ENDPOINT}" for r in data.provenance.sort("model").iter_rows(named=True)]
    return [("Endpoints", "; ".join(ends))] if ends else []


def model_provenance(model: str, p: dict) -> list[tuple[str, str]]:
    cost = f"${p['cost_usd']:.4f}" if p["cost_usd"] else "not known (no price for this model)"
    return [("Model requested", model), ("Model reported by the API", p["model_reported"] or "not reported"),
            ("Answers", f"{p['responses']:,} ({p['valid']:,} valid), {str(p['first_answer'])[:16]} to "
                        f"{str(p['last_answer'])[:16]} UTC"),
            ("Endpoint", p["endpoints"] or NO_ENDPOINT),
            ("Source", p["sources"] or "n/a"), ("Temperature", p["temperatures"] or "not recorded"),
            ("Tokens", f"{int(p['input_tokens'] or 0):,} in, {int(p['output_tokens'] or 0):,} out"),
            ("Cost", cost)]


# ----------------------------------------------------------------------------- the comparison's tables


def stability_rows(data: AuditData) -> list[dict]:
    """Every model's stability and data quality, by condition and task."""
    return [{"model": r["model"], **where_columns(r), "n": r["n_trials"],
             "mean_rho": mean_rho_text(r), "w": estimate(r, "kendall_w"),
             "p": estimate(r, "friedman", "friedman_p", digits=3), "valid": percent(r["valid_share"]),
             "position_rho": estimate(r, "position_bias_rho")}
            for r in rows_of(data, "result_stability", by=("condition", "task", "model"))]


def differences_rows(data: AuditData) -> list[dict]:
    """Per dimension: do the models differ (Kruskal-Wallis, Holm-adjusted, epsilon-squared)?"""
    return [{**where_columns(r), "dimension": data.name(r["dimension"]), "h": fmt(r["kruskal_h"], 1), "df": r["df"],
             "p_holm": fmt(r["p_holm"], 4), "epsilon2": fmt(r["epsilon2"]), "note": r["note"] or ""}
            for r in rows_of(data, "result_differences", by=("condition", "task", "dimension"))]


def types_section(data: AuditData) -> dict:
    """Every model's type per condition and task, one column each (as papers analyze counts them),
    and a caption with the counts."""
    clusters = data.tables["result_clusters"]
    situations = sorted({(r["condition"], r["task"]) for r in clusters.iter_rows(named=True)})
    columns = [{"key": f"{c}/{t}", "label": where(c, t)} for c, t in situations]
    kinds = {(r["model"], f"{r['condition']}/{r['task']}"): r["model_type"] or "not typed"
             for r in clusters.iter_rows(named=True)}
    caveats = {(r["model"], f"{r['condition']}/{r['task']}"): robustness.caveat(r) for r in robustness.rows(data)}
    counts = []
    for column in columns:
        split = Counter(kinds.get((m, column["key"]), "not analysed") for m in data.models)
        counts.append(f"{column['label']}: " + ", ".join(f"{n} {kind}" for kind, n in split.most_common()))
    table = [{"model": m, **{c["key"]: kinds.get((m, c["key"]), "not analysed") + caveats.get((m, c["key"]), "")
                             for c in columns}, "robust": robust_cell(data, m), "says": dilemmas.cell(data, m)}
             for m in data.models]
    caption = ("A type is given only when the orientation index lies beyond the margin after Holm's correction "
               "across models (see the method); " + "; ".join(counts) + ". Robust to wording: whether the model's "
               "profile held across the instrument's wordings (each model's page shows how it moved where it did "
               "not); a type marked not robust to wording is one a reader should not rely on. Says and does: per "
               "condition, whether the model's choices in dilemmas follow its stated priorities (acts on it) or depart "
               "from them, with the share that follow them and its 95% interval (chance 0.50); not shown where the "
               "interval covers chance.") if counts else ""
    return {"types_table": table, "types_columns": columns, "types_caption": caption}


def robust_cell(data: AuditData, model: str) -> str:
    """The comparison's "robust to wording" column: yes in every way asked, no (where), or not measured."""
    mine = robustness.rows(data, model)
    measured = [r for r in mine if r["robust"] is not None]
    if not measured:
        return "not measured"
    moved = [where(r["condition"], r["task"]).lower() for r in measured if r["robust"] is False]
    if not moved:
        return "yes" if len(measured) == len(mine) else f"yes where measured ({len(measured)} of {len(mine)})"
    return "no: " + "; ".join(moved)


def structure_rows(data: AuditData) -> list[dict]:
    """Clusters and map per condition and task, with the tests that allow naming clusters."""
    return [{**where_columns(r), "models": r["n_models"], "k": r["k"], "cophenetic": fmt(r["cophenetic_r"]),
             "silhouette": fmt(r["silhouette"]), "p_het": fmt(r["p_heterogeneity"], 3),
             "p_clu": fmt(r["p_clustering"], 3), "mds_share": percent(r["mds_variance_share"]), "note": r["note"] or ""}
            for r in rows_of(data, "result_structure")]


def items_rows(data: AuditData) -> list[dict]:
    """The human samples' extra survey items, each on its own scale."""
    return [{"sample": r["sample"], "item": r["item"], "n": r["n"],
             "mean": estimate(r, "mean", low="ci_low", high="ci_high", interval="ci")}
            for r in rows_of(data, "result_items")]
