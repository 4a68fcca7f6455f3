"""The report's data: one documented context per page, read from the store alone (no API call).

`load_audit` reads an audit's result tables and a few pre-aggregated queries; `model_page` and
`comparison_page` turn them into the contexts the templates render. Contexts hold only plain
values, lists and dicts; templates escape every value that comes from data.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import polars as pl

from papers.analysis.claims import ordering_phrase
from papers.errors import InputError
from papers.instrument import Instrument, parse_instrument
from papers.store import RESULT_TABLES, Store, query

SLUG_RE = re.compile(r"[^a-z0-9]+")


def slug(model: str) -> str:
    """A file-name-safe, collision-free name for a model: letters, digits and dashes only."""
    base = SLUG_RE.sub("-", model.lower()).strip("-")[:60] or "model"
    return f"{base}-{hashlib.sha256(model.encode()).hexdigest()[:6]}"


@dataclass
class AuditData:
    audit_id: str
    created_at: str
    instrument: Instrument
    data_sha256: str
    settings: dict
    tool_version: str
    tables: dict[str, pl.DataFrame]
    rank_shares: pl.DataFrame
    provenance: pl.DataFrame
    quotes: pl.DataFrame
    theme_quotes: pl.DataFrame
    disagreements: pl.DataFrame
    summary: pl.DataFrame  # per model, condition and task: ordered dimensions, Friedman p, mean rho, type

    @property
    def models(self) -> list[str]:
        return sorted(self.tables["result_profiles"]["model"].unique().to_list())

    def name(self, key: str) -> str:
        return self.instrument.dimension(key).name


def load_audit(store: Store, audit_id: str) -> AuditData:
    rows = store.sql("select created_at, instrument_sha256, data_sha256, settings, tool_version from audits "
                     "where audit_id = ?", [audit_id]).fetchall()
    if not rows:
        known = [r[0] for r in store.sql("select audit_id from audits order by created_at desc").fetchall()]
        raise InputError(f"no audit named '{audit_id}'.",
                         f"run papers analyze --audit {audit_id} first" + (f"; audits: {', '.join(known)}." if known else "."))
    created, sha, data_sha, settings, version = rows[0]
    spec = store.scalar("select spec from instruments where sha256 = ?", [sha])
    instrument = parse_instrument(spec, source=f"store:{sha[:12]}")
    tables = {t: store.frame(f"select * exclude (audit_id) from {t} where audit_id = ?", [audit_id]) for t in RESULT_TABLES}
    params = {"instrument": sha}
    return AuditData(
        audit_id=audit_id, created_at=str(created)[:19], instrument=instrument, data_sha256=data_sha,
        settings=json.loads(settings), tool_version=version, tables=tables,
        rank_shares=store.frame(query("report/rank_distribution"), params),
        provenance=store.frame(query("report/provenance"), params),
        quotes=store.frame(query("report/quotes"), {**params, "per_model": 3}),
        theme_quotes=store.frame(query("report/theme_quotes"), params),
        disagreements=store.frame(query("report/disagreements"), params),
        summary=store.frame(query("analysis/summary"), {"audit": audit_id}),
    )


# ----------------------------------------------------------------------------- page contexts


@dataclass
class Link:
    href: str
    text: str


@dataclass
class SummaryBox:
    """The first thing on a model's page: what a reader who reads nothing else should know.
    Every line is worded as its evidence allows (papers.analysis.claims)."""

    priorities: list[str]  # per condition and task: the first three, or "no detectable ordering"
    types: list[str]  # per condition and task: type, orientation index with CI, and the margin
    stability: list[str]  # mean inter-trial Spearman with its CI per condition and task
    agreement: list[str]  # profile fidelity per sample: order, calibration, CCC
    quality: list[str]  # valid share and what else happened


@dataclass
class ModelPage:
    audit_id: str
    model: str
    slug: str
    subtitle: str
    summary: SummaryBox
    profile_figures: list[dict]  # {path, caption}
    distribution_figures: list[dict]
    peer_figures: list[dict]
    conditions_table: list[dict]  # dimension, mean per condition
    condition_keys: list[str]
    themes: list[dict]
    sentient_themes: list[dict]  # themes of dimensions that only some conditions show (PAPERS: SA), apart
    partial_heading: str  # "Only in the Sentient condition"
    partial_caption: str
    quotes: list[dict]
    theme_quotes: list[dict]
    coder_table: list[dict]
    disagreements: list[dict]
    quality_table: list[dict]
    peers_table: list[dict]
    agreement_table: list[dict]  # profile fidelity: order, calibration, level, CCC
    icc_table: list[dict]  # ICC(A,1), ICC(C,1) of rating profiles, both intervals, band
    provenance: list[tuple[str, str]]
    nav: list[Link]
    method: list[str]
    conditions_heading: str  # "Non-sentient against Sentient"
    conditions_caption: str
    theme_rule: str  # the consensus rule for theme presence, in words


@dataclass
class ComparisonPage:
    audit_id: str
    subtitle: str
    models: list[Link]
    heatmaps: list[dict]
    dendrograms: list[dict]
    maps: list[dict]
    agreement_table: list[dict]
    icc_table: list[dict]
    stability_table: list[dict]
    differences_table: list[dict]
    structure_table: list[dict]
    items_table: list[dict]
    coder_table: list[dict]
    nav: list[Link]
    method: list[str]
    provenance: list[tuple[str, str]]


def fmt(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ci(row: dict, est: str, low: str, high: str, digits: int = 2) -> str:
    return f"{fmt(row[est], digits)} [{fmt(row[low], digits)}, {fmt(row[high], digits)}]"


def condition_label(key: str) -> str:
    """A condition key as a reader's words: non_sentient -> Non-sentient."""
    return key.replace("_", "-").capitalize()


def task_label(task: str) -> str:
    return {"rank": "ranking", "rate": "rating"}.get(task, task)


def where(condition: str, task: str) -> str:
    return f"{condition_label(condition)}, {task_label(task)}"


def summary_box(data: AuditData, model: str) -> SummaryBox:
    summary = data.summary.filter(pl.col("model") == model)
    priorities = [f"{where(r['condition'], r['task'])}: "
                  + ordering_phrase(r["friedman_p"], [data.name(d) for d in r["dimensions"]])
                  for r in summary.iter_rows(named=True)]
    types = [f"{where(r['condition'], r['task'])}: {r['model_type']}, orientation index "
             f"{ci(r, 'orientation_index', 'orientation_ci_low', 'orientation_ci_high')} (margin ±{fmt(r['type_margin'])})"
             for r in _rows(data, "result_clusters", model)]
    stability = [f"{where(r['condition'], r['task'])}: mean rho = "
                 f"{ci(r, 'mean_rho', 'mean_rho_ci_low', 'mean_rho_ci_high')} over {r['n_trials']} trials"
                 for r in _rows(data, "result_stability", model)]
    agreement = [f"sample {r['sample']}, {where(r['condition'], r['task'])}: {fidelity_words(r)}"
                 for r in _rows(data, "result_agreement", model, "sample")] or ["no human sample matched"]
    return SummaryBox(priorities, types, stability, agreement, quality_lines(data, model))


def _rows(data: AuditData, table: str, model: str, *first: str) -> list[dict]:
    frame = data.tables[table].filter(pl.col("model") == model)
    return list(frame.sort(*first, "condition", "task").iter_rows(named=True))


def fidelity_words(r: dict) -> str:
    """Order, calibration and concordance in one line, e.g. 'order r = 0.92 [...], gaps 1.8x the
    humans' [...] (exaggerated), CCC = 0.41 [...]'."""
    spread = r["spread_ratio"]
    low, high = r["spread_ratio_ci_low"], r["spread_ratio_ci_high"]
    verdict = ("exaggerated" if _num(low) and low > 1 else "compressed" if _num(high) and high < 1
               else "calibration not distinguishable from 1")
    text = (f"order r = {ci(r, 'pearson_r', 'r_ci_low', 'r_ci_high')}; gaps {fmt(spread)}x the humans' "
            f"[{fmt(low)}, {fmt(high)}] ({verdict}); CCC = {ci(r, 'ccc', 'ccc_ci_low', 'ccc_ci_high')}")
    if r["task"] == "rate" and _num(r["icc_a1"]):
        text += f"; ICC(A,1) = {ci(r, 'icc_a1', 'icc_a1_ci_low', 'icc_a1_ci_high')}, {r['band']}"
    return text


def _num(x) -> bool:
    return x is not None and x == x


def quality_lines(data: AuditData, model: str) -> list[str]:
    stab = data.tables["result_stability"].filter(pl.col("model") == model)
    responses = int(stab["n_responses"].sum() or 0)
    valid = float((stab["valid_share"] * stab["n_responses"]).sum() / responses) if responses else float("nan")
    quality = [f"{responses:,} rank and rate answers, {fmt(valid * 100, 0)}% valid"]
    for status in ("refused", "unparseable", "incomplete", "error"):
        n = float((stab[f"{status}_share"] * stab["n_responses"]).sum() or 0)
        if n:
            quality.append(f"{int(round(n))} {status}")
    return quality


def method_text(data: AuditData) -> list[str]:
    """How the numbers were made, from this audit's instrument and settings."""
    inst, settings = data.instrument, data.settings
    by = {o: [d.name for d in inst.dimensions if d.orientation == o] for o in ("humanistic", "utility", "neutral")}
    tasks = [t for t in ("rank", "rate") if t in inst.task_keys]
    scale = inst.task("rate").scale if "rate" in tasks else None
    asked = " or ".join(["rank"] * ("rank" in tasks) + [f"rate ({scale.min}-{scale.max})"] * ("rate" in tasks))
    conditions = "; ".join(f"{condition_label(c.key)}: {', '.join(data.name(d) for d in c.dimensions)}"
                           for c in inst.conditions)
    margin = settings.get("type_margin", 0.25)
    margins = [f"{margin:g} rank places"] * ("rank" in tasks)
    if scale:
        margins.append(f"{margin * (scale.max - scale.min) / 6:.2g} points on the {scale.min}-{scale.max} rating scale")
    k = settings.get("k")
    return [
        f"Each trial asked the model to {asked} the value dimensions shown in its condition, in a seeded random "
        f"order; every model saw the same orders. Conditions and the dimensions they show: {conditions}. Answers "
        "were parsed into ranks or ratings; refusals, unparseable and incomplete answers are counted, not used.",
        f"Means come with percentile-bootstrap 95% intervals over trials (B = {settings.get('bootstrap_b')}, seed "
        f"{settings.get('seed')}). \"Top priorities\" are named only when Friedman's test (trials as blocks) finds a "
        "non-random ordering (p < .05). Stability is the mean Spearman correlation between trials (mean rho), "
        "with a jackknife 95% interval; unlike Kendall's W, shown as a description, it does not grow or shrink "
        "with the number of trials, so models with different numbers of valid trials can be compared. \"Most "
        "stable\" and \"closest to humans\" are said only when the leader's interval does not overlap the next one's.",
        f"Types: the orientation index is the mean rank of the utility dimensions ({', '.join(by['utility']) or 'none'}) "
        f"minus that of the humanistic ones ({', '.join(by['humanistic']) or 'none'}); for ratings, humanistic minus "
        f"utility; {', '.join(by['neutral']) or 'no dimension'} count as neutral. A model is called human-centric or "
        f"utility-driven only when its index is shown to lie beyond a margin of ±{' or ±'.join(margins)} by a "
        "one-sided t test, after Holm's correction across the models; otherwise "
        "\"no clear type\".",
        f"Clusters: {settings.get('linkage', 'ward')} linkage of the mean profiles, "
        f"{'k = ' + str(k) + ' as set' if k else 'k by silhouette'}, reported only when two permutation tests "
        f"(B = {settings.get('structure_permutations', 199)} reassignments of trials to models) show that the models "
        "differ more than identical models would and that they form groups rather than a cloud; otherwise the "
        "audit says there is no cluster structure. Cluster stability is the clusterwise Jaccard index over "
        "bootstrap re-clusterings; a cluster's label comes from its centre's orientation interval.",
        "Agreement with humans is profile fidelity, this project's operationalisation of the measure of Lau et al. "
        "(2026), whose formula is not public: order (Pearson r and Spearman rho of the mean profiles), calibration "
        "(spread ratio: SD of the model's dimension means over the humans'; above 1 the model exaggerates the gaps "
        "between priorities), level (mean difference, ratings only) and Lin's concordance correlation (CCC), "
        "corrected for the sampling noise in the means, with percentile-bootstrap intervals resampling trials and "
        "participants. For ratings, ICC(A,1) and ICC(C,1) (McGraw & Wong 1996) are added with the F-based interval, "
        "which treats the dimensions as a sample of possible dimensions; a Koo & Li (2016) band is named only when "
        "both intervals lie in it. For rankings ICC(A,1) is not reported: every rank profile has the same mean, so "
        "it cannot measure absolute agreement. With five or six dimensions every profile statistic is imprecise: "
        "read the intervals, not the points.",
    ]


def theme_rule_text(data: AuditData) -> str:
    rule = data.settings.get("theme_rule", "default")
    if rule in (None, "default"):
        return ("a theme counts as present when every coder marked it (two coders) or a majority did (three or "
                "more); one coder's code counts as it is")
    return {"all": "a theme counts as present when every coder of the answer marked it",
            "majority": "a theme counts as present when more than half of the answer's coders marked it",
            "any": "a theme counts as present when any coder of the answer marked it"}[rule]


CAVEATS = [
    "Forced choice: a ranking forces an order even where a model would not express one, and answers shift "
    "when the wording or the answer format changes (Röttger et al., ACL 2024).",
    "Prompt sensitivity: these results hold for this instrument's wording (see its hash) and these decoding "
    "settings; another wording is another instrument.",
    "Self-report is not behaviour: what a model says it values need not predict what it does.",
]
