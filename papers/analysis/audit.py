"""The statistics of an audit: frames in, result frames out (no database, no printing).

`compute_audit` takes the selected rows (model answers, outcome counts, human answers, items,
codes) and the instrument's layout, and returns one polars frame per `result_*` table. Every
bootstrap is seeded from `seed` and uses B resamples; resampled means come from multinomial
count matrices (`stats.bootstrap_counts`), so each group's bootstrap is a matrix product.
Where a statistic cannot be estimated the row says why, in a `note` column, instead of leaving an
unexplained NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import stats as sps
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform

from papers.analysis import stats

STATUSES = ("valid", "refused", "unparseable", "incomplete", "error")


@dataclass
class Layout:
    """What the statistics need to know of the instrument."""

    shown: dict[str, tuple[str, ...]]  # condition -> dimension keys, in instrument order
    orientation: dict[str, str]  # dimension -> humanistic | utility | neutral
    scale: tuple[int, int] = (1, 7)


@dataclass
class Settings:
    seed: int = 20260101
    b: int = 2000
    linkage: str = "ward"
    k: int | None = None
    stability_b: int = 200

    def as_dict(self) -> dict:
        return {"seed": self.seed, "bootstrap_b": self.b, "linkage": self.linkage, "k": self.k,
                "cluster_stability_b": self.stability_b, "ci": "percentile bootstrap, 95%"}


@dataclass
class Group:
    """The valid trials of one model x condition x task as a trials x dimensions matrix."""

    key: tuple
    dims: tuple[str, ...]
    x: np.ndarray
    positions: np.ndarray | None  # presented position (1-based) of each cell, NaN if unknown
    boot: np.ndarray | None = None  # B x k resampled means
    ranks: np.ndarray | None = None  # within-trial ranks (ratings ranked, ties averaged)
    ties: np.ndarray | None = None  # per trial sum(t^3 - t)
    boot_rank_sums: np.ndarray | None = None  # B x k
    boot_ties: np.ndarray | None = None  # B


@dataclass
class Results:
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)


def wide_groups(answers: pl.DataFrame, layout: Layout, keys: tuple[str, ...], unit: str) -> list[Group]:
    """Split long answers (keys..., unit, dimension, value[, item_order]) into one matrix per group."""
    groups = []
    if answers.height == 0:
        return groups
    for key, part in answers.sort([*keys, unit]).group_by(list(keys), maintain_order=True):
        condition = key[list(keys).index("condition")]
        dims = layout.shown[condition]
        wide = part.pivot(on="dimension", index=unit, values="value", aggregate_function="first")
        wide = wide.select(unit, *[pl.col(d) if d in wide.columns else pl.lit(None, pl.Float64).alias(d) for d in dims])
        wide = wide.drop_nulls()
        x = wide.select(dims).to_numpy().astype(np.float64)
        positions = None
        if "item_order" in part.columns:
            orders = part.unique(unit, keep="first", maintain_order=True).select(unit, "item_order")
            orders = wide.select(unit).join(orders, on=unit, how="left")["item_order"].to_list()
            positions = np.array([[o.index(d) + 1 if o and d in o else np.nan for d in dims] for o in orders], float) \
                if orders else None
        groups.append(Group(tuple(key), dims, x, positions))
    return groups


def attach_bootstrap(groups: list[Group], rng: np.random.Generator, b: int, with_ranks: bool = False) -> None:
    """Resample each group's units B times: the means, and (with_ranks) the rank sums and tie
    terms that Kendall's W needs, all from one count matrix that is then dropped."""
    for g in groups:
        m = g.x.shape[0]
        if m == 0:
            continue
        counts = stats.bootstrap_counts(rng, m, b)
        g.boot = counts @ g.x / m
        if with_ranks:
            task = g.key[-1]
            g.ranks = g.x if task == "rank" else stats.rank_rows(g.x)
            g.ties = np.zeros(m) if task == "rank" else stats.tie_term(g.ranks)
            g.boot_rank_sums = counts @ g.ranks
            g.boot_ties = counts @ g.ties


# --------------------------------------------------------------------------- within models


def profiles(groups: list[Group]) -> pl.DataFrame:
    rows = []
    for g in groups:
        model, condition, task = g.key
        m = g.x.shape[0]
        low, high = stats.percentile_ci(g.boot) if g.boot is not None else (np.full(len(g.dims), np.nan),) * 2
        if task == "rank":
            top = (g.x == 1).mean(axis=0)
        else:
            top = (g.x == g.x.max(axis=1, keepdims=True)).mean(axis=0)
        sd = g.x.std(axis=0, ddof=1) if m > 1 else np.full(len(g.dims), np.nan)
        for j, dim in enumerate(g.dims):
            rows.append({
                "model": model, "condition": condition, "task": task, "dimension": dim, "n": m,
                "mean": float(g.x[:, j].mean()), "ci_low": float(low[j]), "ci_high": float(high[j]),
                "median": float(np.median(g.x[:, j])), "sd": float(sd[j]), "top1_share": float(top[j]),
                "note": None if m > 1 else "one valid trial: no spread or interval",
            })
    return pl.DataFrame(rows, schema=PROFILE_SCHEMA)


PROFILE_SCHEMA = {
    "model": pl.String, "condition": pl.String, "task": pl.String, "dimension": pl.String, "n": pl.Int64,
    "mean": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "median": pl.Float64, "sd": pl.Float64,
    "top1_share": pl.Float64, "note": pl.String,
}


def stability(groups: list[Group], outcomes: pl.DataFrame) -> pl.DataFrame:
    shares = _outcome_shares(outcomes)
    rows = []
    seen = set()
    for g in groups:
        model, condition, task = g.key
        seen.add(g.key)
        m, k = g.x.shape
        chi2, p, w = stats.friedman_w(g.ranks.sum(axis=0), m, k, g.ties.sum())
        note = None
        if m < 2:
            note = "fewer than two valid trials: no test"
            chi2 = p = w = np.nan
        elif np.isnan(chi2):
            note = "every trial gives every dimension the same value: W undefined"
        w_low = w_high = np.nan
        if g.boot_rank_sums is not None and m >= 2:
            _, _, boot_w = stats.friedman_w(g.boot_rank_sums, m, k, g.boot_ties)
            w_low, w_high = stats.percentile_ci(boot_w)
        rho = np.nan
        if g.positions is not None and not np.isnan(g.positions).all():
            ok = ~np.isnan(g.positions)
            if np.ptp(g.x[ok]) > 0:
                rho = sps.spearmanr(g.positions[ok], g.x[ok]).statistic
        elif note is None:
            note = "item order not recorded: no position bias"
        rows.append({"model": model, "condition": condition, "task": task, "n_trials": m,
                     "friedman_chi2": float(chi2), "friedman_df": k - 1, "friedman_p": float(p), "kendall_w": float(w),
                     "w_ci_low": float(w_low), "w_ci_high": float(w_high), "position_bias_rho": float(rho),
                     **shares.get(g.key, _no_outcomes()), "note": note})
    for key, share in shares.items():  # groups with answers but none valid
        if key not in seen and key[2] != "open":
            rows.append({"model": key[0], "condition": key[1], "task": key[2], "n_trials": 0,
                         "friedman_chi2": np.nan, "friedman_df": None, "friedman_p": np.nan, "kendall_w": np.nan,
                         "w_ci_low": np.nan, "w_ci_high": np.nan, "position_bias_rho": np.nan, **share,
                         "note": "no valid trials"})
    return pl.DataFrame(rows, schema=STABILITY_SCHEMA)


STABILITY_SCHEMA = {
    "model": pl.String, "condition": pl.String, "task": pl.String, "n_trials": pl.Int64, "friedman_chi2": pl.Float64,
    "friedman_df": pl.Int64, "friedman_p": pl.Float64, "kendall_w": pl.Float64, "w_ci_low": pl.Float64,
    "w_ci_high": pl.Float64, "position_bias_rho": pl.Float64, "valid_share": pl.Float64, "refused_share": pl.Float64,
    "unparseable_share": pl.Float64, "incomplete_share": pl.Float64, "error_share": pl.Float64, "n_responses": pl.Int64,
    "note": pl.String,
}


def _no_outcomes() -> dict:
    return {f"{s}_share": np.nan for s in STATUSES} | {"n_responses": 0}


def _outcome_shares(outcomes: pl.DataFrame) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for (model, condition, task), part in outcomes.group_by(["model", "condition", "task"]):
        counts = dict(zip(part["status"].to_list(), part["n"].to_list()))
        total = sum(counts.values())
        out[(model, condition, task)] = {f"{s}_share": counts.get(s, 0) / total for s in STATUSES} | {"n_responses": total}
    return out


# --------------------------------------------------------------------------- between models


def differences(groups: list[Group]) -> pl.DataFrame:
    rows = []
    by_ct: dict[tuple, list[Group]] = {}
    for g in groups:
        by_ct.setdefault(g.key[1:], []).append(g)
    for (condition, task), members in sorted(by_ct.items()):
        dims = members[0].dims
        block = []
        for j, dim in enumerate(dims):
            samples = [g.x[:, j] for g in members if g.x.shape[0] > 0]
            n = sum(len(s) for s in samples)
            h = p = eps = np.nan
            note = None
            if len(samples) < 2:
                note = "one model only: nothing to compare"
            elif np.ptp(np.concatenate(samples)) == 0:
                h, p, eps, note = 0.0, 1.0, 0.0, "every model gives this dimension the same value"
            else:
                h, p = sps.kruskal(*samples)
                eps = stats.epsilon_squared(h, n)
            block.append({"condition": condition, "task": task, "dimension": dim, "kruskal_h": float(h),
                          "df": len(samples) - 1, "p": float(p), "epsilon2": float(eps), "n": n, "note": note})
        adjusted = stats.holm(np.array([r["p"] for r in block]))
        for r, q in zip(block, adjusted):
            r["p_holm"] = float(q)
        rows += block
    return pl.DataFrame(rows, schema={
        "condition": pl.String, "task": pl.String, "dimension": pl.String, "kruskal_h": pl.Float64, "df": pl.Int64,
        "p": pl.Float64, "p_holm": pl.Float64, "epsilon2": pl.Float64, "n": pl.Int64, "note": pl.String})


def orientation_index(means: np.ndarray, dims: tuple[str, ...], layout: Layout, task: str) -> np.ndarray:
    """Mean score of humanistic minus utility dimensions, signed so that positive = human-centric.

    For ranks (1 = first) it is mean rank of utility dimensions minus mean rank of humanistic
    ones; for ratings, mean humanistic rating minus mean utility rating. Works on (..., k)."""
    hum = [j for j, d in enumerate(dims) if layout.orientation.get(d) == "humanistic"]
    uti = [j for j, d in enumerate(dims) if layout.orientation.get(d) == "utility"]
    if not hum or not uti:
        return np.full(means.shape[:-1], np.nan)
    diff = means[..., uti].mean(axis=-1) - means[..., hum].mean(axis=-1)
    return diff if task == "rank" else -diff


def model_type(index: float) -> str:
    if np.isnan(index):
        return "not typed"
    return "human-centric" if index > 0 else "utility-driven" if index < 0 else "balanced"


def clear_type(low: float, high: float) -> str:
    """A model's type only when the 95% interval of its orientation index excludes zero."""
    if np.isnan(low) or np.isnan(high):
        return "not typed"
    if low > 0:
        return "human-centric"
    if high < 0:
        return "utility-driven"
    return "no clear type"


def structure(groups: list[Group], layout: Layout, settings: Settings, rng: np.random.Generator):
    cluster_rows, mds_rows, summary_rows = [], [], []
    by_ct: dict[tuple, list[Group]] = {}
    for g in groups:
        if g.x.shape[0] > 0:
            by_ct.setdefault(g.key[1:], []).append(g)
    for (condition, task), members in sorted(by_ct.items()):
        members = sorted(members, key=lambda g: g.key[0])
        models = [g.key[0] for g in members]
        dims = members[0].dims
        profile = np.vstack([g.x.mean(axis=0) for g in members])
        index = orientation_index(profile, dims, layout, task)
        index_ci = [stats.percentile_ci(orientation_index(g.boot, dims, layout, task)) for g in members]
        n = len(models)
        labels = np.ones(n, dtype=int)
        k = 1
        coph = sil = np.nan
        stab = np.full(n, np.nan)
        note = None
        if n < 3:
            note = "fewer than three models: not clustered"
        else:
            z = hierarchy.linkage(profile, method=settings.linkage, metric="euclidean")
            distances = pdist(profile)
            if np.ptp(distances) == 0 and distances[0] == 0:
                note = "all models have the same profile: not clustered"
            else:
                coph = float(hierarchy.cophenet(z, distances)[0])
                k, sil = _choose_k(z, squareform(distances), settings.k, n)
                labels = hierarchy.fcluster(z, k, criterion="maxclust")
                stab = _cluster_stability(members, labels, k, settings, rng)
        cluster_type = {c: model_type(float(np.mean(index[labels == c]))) for c in np.unique(labels)}
        coords, share = stats.classical_mds(squareform(pdist(profile)) if n > 1 else np.zeros((1, 1)))
        for i, model in enumerate(models):
            low, high = (float(v) for v in index_ci[i])
            cluster_rows.append({"condition": condition, "task": task, "model": model, "cluster": int(labels[i]),
                                 "label": cluster_type[labels[i]], "orientation_index": float(index[i]),
                                 "orientation_ci_low": low, "orientation_ci_high": high,
                                 "model_type": clear_type(low, high), "stability_jaccard": float(stab[i]),
                                 "note": note})
            mds_rows.append({"condition": condition, "task": task, "model": model, "x": float(coords[i, 0]),
                             "y": float(coords[i, 1]), "variance_share": share,
                             "note": None if n > 2 else "fewer than three models: the map is trivial"})
        summary_rows.append({"condition": condition, "task": task, "n_models": n, "k": k, "linkage": settings.linkage,
                             "cophenetic_r": coph, "silhouette": sil, "mds_variance_share": share, "note": note})
    clusters = pl.DataFrame(cluster_rows, schema={
        "condition": pl.String, "task": pl.String, "model": pl.String, "cluster": pl.Int64, "label": pl.String,
        "orientation_index": pl.Float64, "orientation_ci_low": pl.Float64, "orientation_ci_high": pl.Float64,
        "model_type": pl.String, "stability_jaccard": pl.Float64, "note": pl.String})
    mds = pl.DataFrame(mds_rows, schema={
        "condition": pl.String, "task": pl.String, "model": pl.String, "x": pl.Float64, "y": pl.Float64,
        "variance_share": pl.Float64, "note": pl.String})
    summary = pl.DataFrame(summary_rows, schema={
        "condition": pl.String, "task": pl.String, "n_models": pl.Int64, "k": pl.Int64, "linkage": pl.String,
        "cophenetic_r": pl.Float64, "silhouette": pl.Float64, "mds_variance_share": pl.Float64, "note": pl.String})
    return clusters, mds, summary


def _choose_k(z, d, k_given, n) -> tuple[int, float]:
    if k_given:
        k = min(k_given, n)
        labels = hierarchy.fcluster(z, k, criterion="maxclust")
        return k, stats.silhouette(d, labels)
    best = (2, -np.inf)
    for k in range(2, min(8, n - 1) + 1):
        score = stats.silhouette(d, hierarchy.fcluster(z, k, criterion="maxclust"))
        if score > best[1]:
            best = (k, score)
    return best


def _cluster_stability(members: list[Group], labels: np.ndarray, k: int, settings: Settings,
                       rng: np.random.Generator) -> np.ndarray:
    """Clusterwise Jaccard stability (Hennig 2007): re-cluster bootstrap profiles (resampled
    trials within each model) into k clusters; for each original cluster, the best Jaccard match
    among the new clusters; averaged over re-clusterings. Each model gets its cluster's value."""
    b = min(settings.stability_b, members[0].boot.shape[0])
    original = {c: set(np.flatnonzero(labels == c)) for c in np.unique(labels)}
    scores = {c: [] for c in original}
    for r in range(b):
        profile = np.vstack([g.boot[r] for g in members])
        new = hierarchy.fcluster(hierarchy.linkage(profile, method=settings.linkage), k, criterion="maxclust")
        clusters = [set(np.flatnonzero(new == c)) for c in np.unique(new)]
        for c, members_c in original.items():
            scores[c].append(max(stats.jaccard(members_c, other) for other in clusters))
    per_cluster = {c: float(np.mean(v)) for c, v in scores.items()}
    return np.array([per_cluster[c] for c in labels])


# --------------------------------------------------------------------------- human benchmark


def human_profiles(groups: list[Group], excluded: dict[str, int]) -> pl.DataFrame:
    rows = []
    for g in groups:
        sample, condition, task = g.key
        low, high = stats.percentile_ci(g.boot)
        for j, dim in enumerate(g.dims):
            rows.append({"sample": sample, "condition": condition, "task": task, "dimension": dim,
                         "n": g.x.shape[0], "mean": float(g.x[:, j].mean()), "ci_low": float(low[j]),
                         "ci_high": float(high[j]), "sd": float(g.x[:, j].std(ddof=1)) if g.x.shape[0] > 1 else np.nan,
                         "n_excluded": excluded.get(sample, 0)})
    return pl.DataFrame(rows, schema={
        "sample": pl.String, "condition": pl.String, "task": pl.String, "dimension": pl.String, "n": pl.Int64,
        "mean": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "sd": pl.Float64, "n_excluded": pl.Int64})


def agreement(model_groups: list[Group], human_groups: list[Group]) -> pl.DataFrame:
    rows = []
    humans = {(g.key[1], g.key[2]): [] for g in human_groups}
    for g in human_groups:
        humans[(g.key[1], g.key[2])].append(g)
    for mg in model_groups:
        model, condition, task = mg.key
        for hg in humans.get((condition, task), []):
            if mg.x.shape[0] == 0 or hg.x.shape[0] == 0:
                continue
            a, h = mg.x.mean(axis=0), hg.x.mean(axis=0)
            icc_a, icc_c = stats.icc_two_way(a, h)
            r = stats.pearson_rows(a, h)
            boot_a, boot_c = stats.icc_two_way(mg.boot, hg.boot)
            boot_r = stats.pearson_rows(mg.boot, hg.boot)
            boot_mad = np.abs(mg.boot - hg.boot).mean(axis=-1)
            rho = sps.spearmanr(a, h).statistic if np.ptp(a) > 0 and np.ptp(h) > 0 else np.nan
            ci = {name: stats.percentile_ci(values) for name, values in
                  (("r", boot_r), ("a", boot_a), ("c", boot_c), ("mad", boot_mad))}
            note = None
            if np.isnan(r):
                note = "a profile is constant: correlation and ICC not estimable"
            rows.append({
                "model": model, "sample": hg.key[0], "condition": condition, "task": task,
                "n_participants": hg.x.shape[0], "n_trials": mg.x.shape[0],
                "pearson_r": float(r), "r_ci_low": float(ci["r"][0]), "r_ci_high": float(ci["r"][1]),
                "spearman_rho": float(rho), "icc_a1": float(icc_a), "icc_a1_ci_low": float(ci["a"][0]),
                "icc_a1_ci_high": float(ci["a"][1]), "icc_c1": float(icc_c), "icc_c1_ci_low": float(ci["c"][0]),
                "icc_c1_ci_high": float(ci["c"][1]), "mad": float(np.abs(a - h).mean()),
                "mad_ci_low": float(ci["mad"][0]), "mad_ci_high": float(ci["mad"][1]),
                "band": stats.koo_li_band(float(icc_a)), "note": note,
            })
    frame = pl.DataFrame(rows, schema={
        "model": pl.String, "sample": pl.String, "condition": pl.String, "task": pl.String,
        "n_participants": pl.Int64, "n_trials": pl.Int64, "pearson_r": pl.Float64, "r_ci_low": pl.Float64,
        "r_ci_high": pl.Float64, "spearman_rho": pl.Float64, "icc_a1": pl.Float64, "icc_a1_ci_low": pl.Float64,
        "icc_a1_ci_high": pl.Float64, "icc_c1": pl.Float64, "icc_c1_ci_low": pl.Float64, "icc_c1_ci_high": pl.Float64,
        "mad": pl.Float64, "mad_ci_low": pl.Float64, "mad_ci_high": pl.Float64, "band": pl.String, "note": pl.String})
    return frame.with_columns(
        rank_by_icc=pl.col("icc_a1").rank("ordinal", descending=True).over("sample", "condition", "task").cast(pl.Int64)
    ).sort("sample", "condition", "task", "rank_by_icc")


def items_summary(items: pl.DataFrame, rng: np.random.Generator, b: int) -> pl.DataFrame:
    rows = []
    for (sample, item), part in items.sort("sample", "item").group_by(["sample", "item"], maintain_order=True):
        x = part["value"].to_numpy().astype(float)
        boot = stats.bootstrap_counts(rng, len(x), b) @ x / len(x)
        low, high = stats.percentile_ci(boot)
        rows.append({"sample": sample, "item": item, "n": len(x), "mean": float(x.mean()),
                     "ci_low": float(low), "ci_high": float(high), "sd": float(x.std(ddof=1)) if len(x) > 1 else np.nan,
                     "median": float(np.median(x))})
    return pl.DataFrame(rows, schema={"sample": pl.String, "item": pl.String, "n": pl.Int64, "mean": pl.Float64,
                                      "ci_low": pl.Float64, "ci_high": pl.Float64, "sd": pl.Float64, "median": pl.Float64})


# --------------------------------------------------------------------------- Study 1


def themes(codes: pl.DataFrame) -> pl.DataFrame:
    """Share of open answers showing each theme: a theme is present when at least half of the
    coders of that answer marked it (one coder: that coder). Wilson 95% interval."""
    schema = {"model": pl.String, "condition": pl.String, "dimension": pl.String, "n": pl.Int64, "share": pl.Float64,
              "ci_low": pl.Float64, "ci_high": pl.Float64, "coders": pl.Int64}
    if codes.height == 0:
        return pl.DataFrame(schema=schema)
    consensus = codes.group_by("model", "condition", "response_id", "dimension").agg(
        present=(pl.col("is_present").cast(pl.Float64).mean() >= 0.5), coders=pl.col("coder").n_unique())
    summary = consensus.group_by("model", "condition", "dimension").agg(
        n=pl.len(), k=pl.col("present").sum(), coders=pl.col("coders").max()).sort("model", "condition", "dimension")
    low, high = stats.wilson_ci(summary["k"].to_numpy(), summary["n"].to_numpy())
    return summary.with_columns(share=pl.col("k") / pl.col("n"), ci_low=pl.Series(low), ci_high=pl.Series(high)) \
        .select(list(schema)).cast(schema)


def coder_agreement(codes: pl.DataFrame, rng: np.random.Generator, b: int) -> pl.DataFrame:
    """Per dimension: Cohen's kappa when exactly two coders coded the shared answers,
    Krippendorff's alpha (nominal) for more; a percentile bootstrap over answers for the CI."""
    schema = {"dimension": pl.String, "coders": pl.String, "statistic": pl.String, "value": pl.Float64,
              "ci_low": pl.Float64, "ci_high": pl.Float64, "n_units": pl.Int64, "note": pl.String}
    rows = []
    for (dimension,), part in codes.sort("dimension").group_by(["dimension"], maintain_order=True):
        wide = part.pivot(on="coder", index="response_id", values="is_present", aggregate_function="first")
        coders = sorted(c for c in wide.columns if c != "response_id")
        if len(coders) < 2:
            continue
        matrix = wide.select(coders).cast(pl.Float64).to_numpy()
        matrix = matrix[(~np.isnan(matrix)).sum(axis=1) >= 2]
        if len(coders) == 2:
            name = "cohen_kappa"

            def statistic(m):
                return stats.cohen_kappa(m[:, 0], m[:, 1])
        else:
            name = "krippendorff_alpha"
            statistic = stats.krippendorff_alpha_nominal
        n = matrix.shape[0]
        value = statistic(matrix) if n else np.nan
        replicates = np.array([statistic(matrix[rng.integers(0, n, n)]) for _ in range(min(b, 1000))]) if n else np.array([])
        low, high = stats.percentile_ci(replicates) if n else (np.nan, np.nan)
        rows.append({"dimension": dimension, "coders": ", ".join(coders), "statistic": name, "value": value,
                     "ci_low": float(low), "ci_high": float(high), "n_units": n,
                     "note": None if not np.isnan(value) else "no variation in the codes: agreement not estimable"})
    return pl.DataFrame(rows, schema=schema)


# --------------------------------------------------------------------------- the whole audit


def compute_audit(answers: pl.DataFrame, outcomes: pl.DataFrame, human: pl.DataFrame, excluded: dict[str, int],
                  items: pl.DataFrame, codes: pl.DataFrame, layout: Layout, settings: Settings) -> Results:
    rng = np.random.default_rng(settings.seed)
    model_groups = wide_groups(answers, layout, ("model", "condition", "task"), "response_id")
    attach_bootstrap(model_groups, rng, settings.b, with_ranks=True)
    human_groups = wide_groups(human, layout, ("sample", "condition", "task"), "participant")
    attach_bootstrap(human_groups, rng, settings.b)
    clusters, mds, structure_summary = structure(model_groups, layout, settings, rng)
    results = Results()
    results.tables = {
        "result_profiles": profiles(model_groups),
        "result_stability": stability(model_groups, outcomes),
        "result_differences": differences(model_groups),
        "result_clusters": clusters,
        "result_mds": mds,
        "result_structure": structure_summary,
        "result_human_profiles": human_profiles(human_groups, excluded),
        "result_agreement": agreement(model_groups, human_groups),
        "result_items": items_summary(items, rng, settings.b),
        "result_themes": themes(codes),
        "result_coder_agreement": coder_agreement(codes, rng, settings.b),
    }
    return results
