"""The figures of each page: which figures a page has, drawn from which rows, with what caption.

Each builder draws its SVGs into the page's own folder (papers.report.figures does the drawing)
and returns them as Figures whose paths are relative to the page.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from papers.report import figures
from papers.report.context import Figure, slug
from papers.report.reads import AuditData
from papers.report.wording import condition_label, measure, where


def sorted_groups(frame: pl.DataFrame, keys: list[str]):
    return sorted(frame.group_by(keys), key=lambda kv: kv[0])


def _of(frame: pl.DataFrame, condition: str, task: str) -> pl.DataFrame:
    return frame.filter((pl.col("condition") == condition) & (pl.col("task") == task))


def _points(frame: pl.DataFrame, dims: list[str]) -> list[tuple[float, float, float]]:
    """Mean with its interval per dimension, in the order of dims."""
    rows = {r["dimension"]: r for r in frame.iter_rows(named=True)}
    return [(rows[d]["mean"], rows[d]["ci_low"], rows[d]["ci_high"]) for d in dims]


# ----------------------------------------------------------------------------- a model's page


def profile_figures(data: AuditData, model: str, page_dir: Path) -> list[Figure]:
    """Per condition and task: the model's means with intervals, against the first human sample
    (when one answered the matched task) and the average of all audited models."""
    s = slug(model)
    prof = data.tables["result_profiles"]
    out = []
    for (condition, task), part in sorted_groups(prof.filter(pl.col("model") == model), ["condition", "task"]):
        dims = list(data.instrument.shown(condition))
        peers = _of(prof, condition, task).group_by("dimension").agg(pl.col("mean").mean())
        peer_means = dict(zip(peers["dimension"], peers["mean"]))
        samples = _of(data.tables["result_human_profiles"], condition, task)
        human = _points(samples.filter(pl.col("sample") == samples["sample"].sort()[0]), dims) if samples.height else None
        name = f"profile-{condition}-{task}.svg"
        figures.profile(page_dir / s / name, [data.name(d) for d in dims], _points(part, dims), human,
                        [peer_means[d] for d in dims], task, where(condition, task))
        out.append(Figure(f"{s}/{name}", f"Mean {measure(task)} per dimension with 95% intervals "
                          f"({condition_label(condition)}), against {'the human sample and ' if human else ''}the "
                          "average of all audited models."))
    return out


def rank_distribution_figures(data: AuditData, model: str, page_dir: Path) -> list[Figure]:
    """Per condition of the rank task: how often the model gave each dimension each rank."""
    s = slug(model)
    ranked = data.tables["result_profiles"].filter((pl.col("model") == model) & (pl.col("task") == "rank"))
    out = []
    for condition in sorted(ranked["condition"].unique().to_list()):
        dims = list(data.instrument.shown(condition))
        shares = data.rank_shares.filter((pl.col("model") == model) & (pl.col("condition") == condition))
        matrix = np.zeros((len(dims), len(dims)))
        for r in shares.iter_rows(named=True):
            if r["dimension"] in dims and 1 <= r["rank"] <= len(dims):
                matrix[dims.index(r["dimension"]), r["rank"] - 1] = r["share"]
        name, label = f"ranks-{condition}.svg", condition_label(condition)
        figures.rank_distribution(page_dir / s / name, [data.name(d) for d in dims], matrix,
                                  f"How often each rank was given ({label})")
        out.append(Figure(f"{s}/{name}", f"Distribution of ranks per dimension, {label}."))
    return out


def peer_figures(data: AuditData, model: str, page_dir: Path) -> list[Figure]:
    """One map per page: the model among its peers, in the condition with the most dimensions (the
    richest picture of its peers), on the rank task if one was run."""
    s = slug(model)
    mds = data.tables["result_mds"]
    main = "rank" if "rank" in mds["task"].to_list() else "rate"
    shown = max(data.instrument.condition_keys, key=lambda c: len(data.instrument.shown(c)))
    out = []
    for (condition, task), part in sorted_groups(_of(mds, shown, main), ["condition", "task"]):
        name = f"map-{condition}-{task}.svg"
        figures.mds_map(page_dir / s / name, map_points(data, part, condition, task), model, where(condition, task),
                        part["variance_share"][0])
        out.append(Figure(f"{s}/{name}", f"Where {model} sits among the audited models "
                          f"({where(condition, task)}): classical MDS of mean profiles."))
    return out


def map_points(data: AuditData, mds: pl.DataFrame, condition: str, task: str) -> list[tuple[str, float, float, str]]:
    """(model, x, y, type) of every model on a map; a model without a type is "not typed"."""
    kinds = dict(_of(data.tables["result_clusters"], condition, task).select("model", "model_type").iter_rows())
    return [(r["model"], r["x"], r["y"], kinds.get(r["model"], "not typed")) for r in mds.iter_rows(named=True)]


# ----------------------------------------------------------------------------- the comparison


def mean_matrix(data: AuditData, part: pl.DataFrame, condition: str) -> tuple[list[str], list[str], np.ndarray]:
    """Models (sorted) by the condition's dimensions: the mean of each."""
    dims = list(data.instrument.shown(condition))
    models = sorted(part["model"].unique().to_list())
    wide = part.pivot(on="dimension", index="model", values="mean").sort("model")
    return models, dims, wide.select(dims).to_numpy()


def heatmap_figures(data: AuditData, site_dir: Path) -> list[Figure]:
    out = []
    for (condition, task), part in sorted_groups(data.tables["result_profiles"], ["condition", "task"]):
        models, dims, values = mean_matrix(data, part, condition)
        name, label = f"heatmap-{condition}-{task}.svg", condition_label(condition)
        drawn = figures.heatmap(site_dir / "figures" / name, models, dims, values, task,
                                f"Mean {measure(task)} by model ({label})")
        out.append(Figure(f"figures/{name}", f"Models by dimensions, mean {measure(task)}, {label}. Columns: "
                          f"{dimension_key(data, dims)}.", min_width=figures.min_width(drawn),
                          pdf_width=figures.pdf_width(drawn)))
    return out


def dimension_key(data: AuditData, dims: list[str]) -> str:
    """The short names a figure's columns use, spelled out: "PC Purposeful Contribution, AG Adaptive Growth"."""
    return ", ".join(f"{d} {data.name(d)}" if data.name(d) != d else d for d in dims)


def dendrogram_figures(data: AuditData, site_dir: Path) -> list[Figure]:
    """Hierarchical clustering of the mean profiles, wherever there are three models or more."""
    out = []
    for (condition, task), part in sorted_groups(data.tables["result_profiles"], ["condition", "task"]):
        models, _, values = mean_matrix(data, part, condition)
        if len(models) < 3:
            continue
        # a model not clustered (every profile the same) has no cluster: one colour for all
        labels = dict(_of(data.tables["result_clusters"], condition, task).select("model", "cluster").iter_rows())
        name = f"dendrogram-{condition}-{task}.svg"
        figures.dendrogram(site_dir / "figures" / name, models, values, [labels.get(m) or 1 for m in models],
                           data.settings.get("linkage", "ward"), f"Clusters of mean profiles ({where(condition, task)})")
        out.append(Figure(f"figures/{name}", f"Hierarchical clustering, {where(condition, task)}; "
                          "label colours mark the clusters."))
    return out


def map_figures(data: AuditData, site_dir: Path) -> list[Figure]:
    out = []
    for (condition, task), _ in sorted_groups(data.tables["result_profiles"], ["condition", "task"]):
        mds = _of(data.tables["result_mds"], condition, task)
        name = f"map-{condition}-{task}.svg"
        figures.mds_map(site_dir / "figures" / name, map_points(data, mds, condition, task), None,
                        where(condition, task), mds["variance_share"][0] if mds.height else float("nan"))
        out.append(Figure(f"figures/{name}", f"Map of models (classical MDS), {where(condition, task)}."))
    return out
