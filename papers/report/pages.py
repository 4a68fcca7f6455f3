"""Build page contexts and their figures from an audit's data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from papers.report import figures
from papers.report.context import (
    CAVEATS,
    AuditData,
    ComparisonPage,
    Link,
    ModelPage,
    ci,
    condition_label,
    fmt,
    method_text,
    slug,
    summary_box,
    task_label,
    theme_rule_text,
    where,
)


def _where(r: dict) -> dict:
    """A row's condition and task as a reader's words."""
    return {"condition": condition_label(r["condition"]), "task": task_label(r["task"])}


def _sorted_groups(frame: pl.DataFrame, keys: list[str]):
    return sorted(frame.group_by(keys), key=lambda kv: kv[0])


def model_page(data: AuditData, model: str, page_dir: Path, nav: list[Link]) -> ModelPage:
    """The context of models/<slug>.html, drawing its figures into page_dir/<slug>/."""
    s = slug(model)
    fig_dir = page_dir / s
    prof = data.tables["result_profiles"]
    human = data.tables["result_human_profiles"]
    mine = prof.filter(pl.col("model") == model)
    profile_figures, distribution_figures = [], []
    for (condition, task), part in _sorted_groups(mine, ["condition", "task"]):
        dims = list(data.instrument.shown(condition))
        names = [data.name(d) for d in dims]
        rows = {r["dimension"]: r for r in part.iter_rows(named=True)}
        model_points = [(rows[d]["mean"], rows[d]["ci_low"], rows[d]["ci_high"]) for d in dims]
        peers = prof.filter((pl.col("condition") == condition) & (pl.col("task") == task)).group_by("dimension").agg(
            pl.col("mean").mean())
        peer_means = dict(zip(peers["dimension"], peers["mean"]))
        samples = human.filter((pl.col("condition") == condition) & (pl.col("task") == task))
        human_points = None
        if samples.height:
            first = samples["sample"].sort()[0]
            hrows = {r["dimension"]: r for r in samples.filter(pl.col("sample") == first).iter_rows(named=True)}
            human_points = [(hrows[d]["mean"], hrows[d]["ci_low"], hrows[d]["ci_high"]) for d in dims]
        name = f"profile-{condition}-{task}.svg"
        figures.profile(fig_dir / name, names, model_points, human_points, [peer_means[d] for d in dims], task,
                        where(condition, task))
        measure = "rank" if task == "rank" else "rating"
        profile_figures.append({"path": f"{s}/{name}", "caption":
                                f"Mean {measure} per dimension with 95% intervals ({condition_label(condition)}), against "
                                f"{'the human sample and ' if human_points else ''}the average of all audited models."})
        if task == "rank":
            shares = data.rank_shares.filter((pl.col("model") == model) & (pl.col("condition") == condition))
            matrix = np.zeros((len(dims), len(dims)))
            for r in shares.iter_rows(named=True):
                if r["dimension"] in dims and 1 <= r["rank"] <= len(dims):
                    matrix[dims.index(r["dimension"]), r["rank"] - 1] = r["share"]
            name, label = f"ranks-{condition}.svg", condition_label(condition)
            figures.rank_distribution(fig_dir / name, names, matrix, f"How often each rank was given ({label})")
            distribution_figures.append({"path": f"{s}/{name}", "caption": f"Distribution of ranks per dimension, {label}."})
    clusters = data.tables["result_clusters"]
    peer_figures = []
    mds_all = data.tables["result_mds"]
    main = "rank" if "rank" in mds_all["task"].to_list() else "rate"
    # one map per page, of the condition with the most dimensions (the richest picture of its peers)
    shown = max(data.instrument.condition_keys, key=lambda c: len(data.instrument.shown(c)))
    mine_mds = mds_all.filter((pl.col("task") == main) & (pl.col("condition") == shown))
    for (condition, task), part in _sorted_groups(mine_mds, ["condition", "task"]):
        kinds = dict(clusters.filter((pl.col("condition") == condition) & (pl.col("task") == task))
                     .select("model", "model_type").iter_rows())
        points = [(r["model"], r["x"], r["y"], kinds.get(r["model"], "not typed")) for r in part.iter_rows(named=True)]
        name = f"map-{condition}-{task}.svg"
        figures.mds_map(fig_dir / name, points, model, where(condition, task), part["variance_share"][0])
        peer_figures.append({"path": f"{s}/{name}", "caption": f"Where {model} sits among the audited models "
                             f"({where(condition, task)}): classical MDS of mean profiles."})
    conditions = sorted(mine["condition"].unique().to_list())
    task = "rank" if "rank" in mine["task"].to_list() else "rate"
    table = []
    for d in data.instrument.dimension_keys:
        row = {"dimension": data.name(d)}
        for c in conditions:
            hit = mine.filter((pl.col("condition") == c) & (pl.col("task") == task) & (pl.col("dimension") == d))
            row[c] = fmt(hit["mean"][0]) if hit.height else "not shown"
        table.append(row)
    common = set.intersection(*(set(c.dimensions) for c in data.instrument.conditions))
    all_themes = [{"condition": condition_label(r["condition"]), "theme": data.name(r["dimension"]), "key": r["dimension"],
                   "share": fmt(r["share"] * 100, 0) + "%",
                   "ci": f"[{fmt(r['ci_low'] * 100, 0)}%, {fmt(r['ci_high'] * 100, 0)}%]", "n": r["n"]}
                  for r in data.tables["result_themes"].filter(pl.col("model") == model).sort("condition", "dimension")
                  .iter_rows(named=True)]
    themes = [t for t in all_themes if t["key"] in common]
    sentient_themes = [t for t in all_themes if t["key"] not in common]
    theme_quotes = [{"theme": data.name(r["dimension"]), "condition": condition_label(r["condition"]),
                     "evidence": r["evidence"] or "",
                     "text": r["raw_text"]}
                    for r in data.theme_quotes.filter(pl.col("model") == model).iter_rows(named=True)][:8]
    coder_table = [{"dimension": data.name(r["dimension"]), "statistic": r["statistic"].replace("_", " "),
                    "value": ci(r, "value", "ci_low", "ci_high"), "coders": r["coders"], "n": r["n_units"]}
                   for r in data.tables["result_coder_agreement"].iter_rows(named=True)]
    disagreements = [{"condition": condition_label(r["condition"]), "theme": data.name(r["dimension"]), "votes": r["votes"],
                      "text": r["raw_text"]}
                     for r in data.disagreements.filter(pl.col("model") == model).iter_rows(named=True)][:10]
    quotes = [{"condition": condition_label(r["condition"]), "text": r["raw_text"]}
              for r in data.quotes.filter(pl.col("model") == model).iter_rows(named=True)]
    quality = [{**_where(r), "responses": r["n_responses"],
                "valid": fmt(r["valid_share"] * 100, 0) + "%", "refused": fmt(r["refused_share"] * 100, 0) + "%",
                "unparseable": fmt(r["unparseable_share"] * 100, 0) + "%",
                "incomplete": fmt(r["incomplete_share"] * 100, 0) + "%", "error": fmt(r["error_share"] * 100, 0) + "%",
                "position_rho": fmt(r["position_bias_rho"]), "w": fmt(r["kendall_w"]),
                "mean_rho": ci(r, "mean_rho", "mean_rho_ci_low", "mean_rho_ci_high"),
                "friedman": f"chi2({fmt(r['friedman_df'])}) = {fmt(r['friedman_chi2'], 1)}, p = {fmt(r['friedman_p'], 3)}"}
               for r in data.tables["result_stability"].filter(pl.col("model") == model).sort("condition", "task")
               .iter_rows(named=True)]
    peers_table = [{**_where(r), "cluster": r["cluster"], "cluster_label": r["label"],
                    "type": r["model_type"],
                    "orientation": ci(r, "orientation_index", "orientation_ci_low", "orientation_ci_high"),
                    "p_holm": fmt(r["type_p_holm"], 3), "stability": fmt(r["stability_jaccard"])}
                   for r in clusters.filter(pl.col("model") == model).sort("condition", "task").iter_rows(named=True)]
    return ModelPage(
        audit_id=data.audit_id, model=model, slug=s,
        subtitle=f"Audit {data.audit_id}, {data.created_at} UTC · instrument {data.instrument.label}",
        summary=summary_box(data, model), profile_figures=profile_figures,
        distribution_figures=distribution_figures, peer_figures=peer_figures, conditions_table=table,
        condition_keys=conditions, themes=themes, sentient_themes=sentient_themes, quotes=quotes,
        **partial_texts(data, common),
        theme_quotes=theme_quotes, coder_table=coder_table, disagreements=disagreements,
        quality_table=quality, peers_table=peers_table,
        agreement_table=agreement_rows(data, model), icc_table=icc_rows(data, model),
        provenance=provenance(data, model), nav=nav, method=method_text(data) + CAVEATS,
        conditions_heading=" against ".join(condition_label(c) for c in conditions),
        conditions_caption=conditions_caption(data, task), theme_rule=theme_rule_text(data),
    )


def partial_texts(data: AuditData, common: set[str]) -> dict[str, str]:
    """Heading and caption of the themes of dimensions that only some conditions show."""
    conditions = data.instrument.conditions
    showing = sorted({condition_label(c.key) for c in conditions if set(c.dimensions) - common})
    hidden = sorted({condition_label(c.key) for c in conditions if not set(c.dimensions) - common})
    names = ", ".join(data.name(d) for d in data.instrument.dimension_keys if d not in common)
    return {"partial_heading": f"Only in the {', '.join(showing)} condition" if showing else "Only in some conditions",
            "partial_caption": f"Themes of dimensions that only some conditions show ({names}), kept apart: the "
                               f"{', '.join(hidden) or 'other'} framing never offered them."}


def conditions_caption(data: AuditData, task: str) -> str:
    """What the conditions table shows, and which dimensions only some conditions show."""
    text = f"Mean {'rank' if task == 'rank' else 'rating'} per condition"
    text += "" if task == "rank" or "rank" not in data.instrument.task_keys else " (no rank task was run for this model)"
    conditions = data.instrument.conditions
    for d in data.instrument.dimension_keys:
        showing = [condition_label(c.key) for c in conditions if d in c.dimensions]
        if 0 < len(showing) < len(conditions):
            text += f"; {data.name(d)} is shown only in the {', '.join(showing)} condition"
    return text + "."


def agreement_rows(data: AuditData, model: str | None = None) -> list[dict]:
    """Profile fidelity rows, closest (by CCC) first within each sample, condition and task."""
    frame = data.tables["result_agreement"]
    if model is not None:
        frame = frame.filter(pl.col("model") == model)
    return [{"model": r["model"], "sample": r["sample"], "condition": condition_label(r["condition"]),
             "task": task_label(r["task"]), "rank": r["rank_by_ccc"], "r": ci(r, "pearson_r", "r_ci_low", "r_ci_high"),
             "rho": fmt(r["spearman_rho"]), "spread": ci(r, "spread_ratio", "spread_ratio_ci_low", "spread_ratio_ci_high"),
             "level": ci(r, "level_shift", "level_shift_ci_low", "level_shift_ci_high") if r["task"] == "rate" else "-",
             "ccc": ci(r, "ccc", "ccc_ci_low", "ccc_ci_high"), "n": f"{r['n_trials']} / {r['n_participants']}"}
            for r in frame.sort("sample", "condition", "task", "rank_by_ccc", nulls_last=True).iter_rows(named=True)]


def icc_rows(data: AuditData, model: str | None = None) -> list[dict]:
    """ICC(A,1) and ICC(C,1) of rating profiles, with both intervals and the Koo & Li band."""
    frame = data.tables["result_agreement"].filter(pl.col("task") == "rate")
    if model is not None:
        frame = frame.filter(pl.col("model") == model)
    return [{"model": r["model"], "sample": r["sample"], "condition": condition_label(r["condition"]),
             "icc_a1": ci(r, "icc_a1", "icc_a1_ci_low", "icc_a1_ci_high"),
             "icc_a1_f": f"[{fmt(r['icc_a1_f_ci_low'])}, {fmt(r['icc_a1_f_ci_high'])}]", "band": r["band"] or "n/a",
             "icc_c1": ci(r, "icc_c1", "icc_c1_ci_low", "icc_c1_ci_high")}
            for r in frame.sort("sample", "condition", "model").iter_rows(named=True)]


def provenance(data: AuditData, model: str | None) -> list[tuple[str, str]]:
    rows = [("Audit", f"{data.audit_id}, computed {data.created_at} UTC with papers {data.tool_version}"),
            ("Instrument", f"{data.instrument.id} {data.instrument.version}, SHA-256 {data.instrument.sha256}"),
            ("Audit data", f"SHA-256 {data.data_sha256}"),
            ("Statistics", f"bootstrap B = {data.settings.get('bootstrap_b')}, seed {data.settings.get('seed')}, "
                           f"{data.settings.get('linkage')} linkage, k {data.settings.get('k') or 'by silhouette'}")]
    if model is not None:
        prov = data.provenance.filter(pl.col("model") == model)
        if prov.height:
            p = prov.row(0, named=True)
            cost = f"${p['cost_usd']:.4f}" if p["cost_usd"] else "not known (no price for this model)"
            rows = [("Model requested", model), ("Model reported by the API", p["model_reported"] or "not reported"),
                    ("Answers", f"{p['responses']:,} ({p['valid']:,} valid), {str(p['first_answer'])[:16]} to "
                                f"{str(p['last_answer'])[:16]} UTC"),
                    ("Source", p["sources"] or "n/a"), ("Temperature", p["temperatures"] or "not recorded"),
                    ("Tokens", f"{int(p['input_tokens'] or 0):,} in, {int(p['output_tokens'] or 0):,} out"),
                    ("Cost", cost)] + rows
    return rows


def comparison_page(data: AuditData, site_dir: Path, nav: list[Link]) -> ComparisonPage:
    fig_dir = site_dir / "figures"
    prof = data.tables["result_profiles"]
    clusters = data.tables["result_clusters"]
    heatmaps, dendrograms, maps = [], [], []
    for (condition, task), part in _sorted_groups(prof, ["condition", "task"]):
        dims = list(data.instrument.shown(condition))
        models = sorted(part["model"].unique().to_list())
        wide = part.pivot(on="dimension", index="model", values="mean").sort("model")
        values = wide.select(dims).to_numpy()
        name = f"heatmap-{condition}-{task}.svg"
        measure = "rank" if task == "rank" else "rating"
        label = condition_label(condition)
        figures.heatmap(fig_dir / name, models, dims, values, task, f"Mean {measure} by model ({label})")
        heatmaps.append({"path": f"figures/{name}", "caption": f"Models by dimensions, mean {measure}, {label}."})
        labels = dict(clusters.filter((pl.col("condition") == condition) & (pl.col("task") == task))
                      .select("model", "cluster").iter_rows())
        if len(models) >= 3:
            name = f"dendrogram-{condition}-{task}.svg"
            figures.dendrogram(fig_dir / name, models, values, [labels.get(m, 1) for m in models],
                               data.settings.get("linkage", "ward"), f"Clusters of mean profiles ({where(condition, task)})")
            dendrograms.append({"path": f"figures/{name}", "caption": f"Hierarchical clustering, {where(condition, task)}; "
                                "label colours mark the clusters."})
        mds = data.tables["result_mds"].filter((pl.col("condition") == condition) & (pl.col("task") == task))
        kinds = dict(clusters.filter((pl.col("condition") == condition) & (pl.col("task") == task))
                     .select("model", "model_type").iter_rows())
        name = f"map-{condition}-{task}.svg"
        figures.mds_map(fig_dir / name, [(r["model"], r["x"], r["y"], kinds.get(r["model"], "not typed"))
                                         for r in mds.iter_rows(named=True)], None, where(condition, task),
                        mds["variance_share"][0] if mds.height else float("nan"))
        maps.append({"path": f"figures/{name}", "caption": f"Map of models (classical MDS), {where(condition, task)}."})
    stability = [{"model": r["model"], **_where(r), "n": r["n_trials"],
                  "mean_rho": ci(r, "mean_rho", "mean_rho_ci_low", "mean_rho_ci_high"), "w": fmt(r["kendall_w"]),
                  "p": fmt(r["friedman_p"], 3),
                  "valid": fmt(r["valid_share"] * 100, 0) + "%", "position_rho": fmt(r["position_bias_rho"])}
                 for r in data.tables["result_stability"].sort("condition", "task", "model").iter_rows(named=True)]
    differences = [{**_where(r), "dimension": data.name(r["dimension"]),
                    "h": fmt(r["kruskal_h"], 1), "df": r["df"], "p_holm": fmt(r["p_holm"], 4),
                    "epsilon2": fmt(r["epsilon2"]), "note": r["note"] or ""}
                   for r in data.tables["result_differences"].sort("condition", "task", "dimension").iter_rows(named=True)]
    structure = [{**_where(r), "models": r["n_models"], "k": r["k"],
                  "cophenetic": fmt(r["cophenetic_r"]), "silhouette": fmt(r["silhouette"]),
                  "p_het": fmt(r["p_heterogeneity"], 3), "p_clu": fmt(r["p_clustering"], 3),
                  "mds_share": fmt(r["mds_variance_share"] * 100 if r["mds_variance_share"] == r["mds_variance_share"]
                                   else float("nan"), 0) + "%", "note": r["note"] or ""}
                 for r in data.tables["result_structure"].iter_rows(named=True)]
    items = [{"sample": r["sample"], "item": r["item"], "n": r["n"], "mean": ci(r, "mean", "ci_low", "ci_high")}
             for r in data.tables["result_items"].iter_rows(named=True)]
    coders = [{"dimension": data.name(r["dimension"]), "statistic": r["statistic"], "value": ci(r, "value", "ci_low", "ci_high"),
               "coders": r["coders"], "n": r["n_units"]} for r in data.tables["result_coder_agreement"].iter_rows(named=True)]
    return ComparisonPage(
        audit_id=data.audit_id,
        subtitle=f"Audit {data.audit_id}, {data.created_at} UTC · {len(data.models)} models · instrument {data.instrument.label}",
        models=[Link(f"models/{slug(m)}.html", m) for m in data.models], heatmaps=heatmaps, dendrograms=dendrograms,
        maps=maps, agreement_table=agreement_rows(data), icc_table=icc_rows(data), stability_table=stability,
        differences_table=differences, structure_table=structure, items_table=items, coder_table=coders, nav=nav,
        method=method_text(data) + CAVEATS,
        provenance=provenance(data, None),
    )
