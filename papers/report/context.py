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
    )


# ----------------------------------------------------------------------------- page contexts


@dataclass
class Link:
    href: str
    text: str


@dataclass
class SummaryBox:
    """The first thing on a model's page: what a reader who reads nothing else should know."""

    priorities: list[str]  # per condition: "non_sentient: Ethical Integrity, Positive Relationality, ..."
    types: list[str]  # per condition and task: type, orientation index and CI
    stability: list[str]  # W with CI per condition and task
    agreement: list[str]  # ICC(A,1) with CI and band per sample
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
    sentient_themes: list[dict]  # the themes of the sentient condition's own dimension (SA), apart
    quotes: list[dict]
    theme_quotes: list[dict]
    coder_table: list[dict]
    disagreements: list[dict]
    quality_table: list[dict]
    peers_table: list[dict]
    agreement_table: list[dict]
    provenance: list[tuple[str, str]]
    nav: list[Link]
    method: list[str]


@dataclass
class ComparisonPage:
    audit_id: str
    subtitle: str
    models: list[Link]
    heatmaps: list[dict]
    dendrograms: list[dict]
    maps: list[dict]
    agreement_table: list[dict]
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


def summary_box(data: AuditData, model: str) -> SummaryBox:
    prof = data.tables["result_profiles"].filter(pl.col("model") == model)
    priorities = []
    for (condition, task), part in sorted(prof.group_by(["condition", "task"]), key=lambda kv: kv[0]):
        ordered = part.sort("mean", descending=task != "rank")["dimension"].to_list()
        priorities.append(f"{condition} ({task}): " + ", ".join(data.name(d) for d in ordered[:3]))
    types = []
    for row in data.tables["result_clusters"].filter(pl.col("model") == model).sort("condition", "task").iter_rows(named=True):
        types.append(f"{row['condition']} ({row['task']}): {row['model_type']}, orientation index "
                     f"{ci(row, 'orientation_index', 'orientation_ci_low', 'orientation_ci_high')}")
    stability = [f"{r['condition']} ({r['task']}): W = {ci(r, 'kendall_w', 'w_ci_low', 'w_ci_high')} over {r['n_trials']} trials"
                 for r in data.tables["result_stability"].filter(pl.col("model") == model).sort("condition", "task")
                 .iter_rows(named=True)]
    agreement = [f"{r['sample']}, {r['condition']} ({r['task']}): ICC(A,1) = "
                 f"{ci(r, 'icc_a1', 'icc_a1_ci_low', 'icc_a1_ci_high')}, {r['band']}"
                 for r in data.tables["result_agreement"].filter(pl.col("model") == model).sort("sample", "condition", "task")
                 .iter_rows(named=True)] or ["no human sample matched"]
    stab = data.tables["result_stability"].filter(pl.col("model") == model)
    responses = int(stab["n_responses"].sum() or 0)
    valid = float((stab["valid_share"] * stab["n_responses"]).sum() / responses) if responses else float("nan")
    quality = [f"{responses:,} rank and rate answers, {fmt(valid * 100, 0)}% valid"]
    for status in ("refused", "unparseable", "incomplete", "error"):
        n = float((stab[f"{status}_share"] * stab["n_responses"]).sum() or 0)
        if n:
            quality.append(f"{int(round(n))} {status}")
    return SummaryBox(priorities, types, stability, agreement, quality)


METHOD = [
    "Each trial asked the model to rank (or rate, 1-7) the value dimensions shown in its condition, in a "
    "seeded random order; every model saw the same orders. Answers were parsed into ranks or ratings; "
    "refusals, unparseable and incomplete answers are counted, not used.",
    "Means come with percentile-bootstrap 95% intervals over trials (B resamples, seed in the provenance). "
    "Stability is Friedman's chi-square with trials as blocks and Kendall's W (tie-corrected for ratings), "
    "with a bootstrap interval. Position bias is the Spearman correlation of presented position and answer.",
    "Types: the orientation index is the mean rank of utility dimensions minus that of humanistic ones "
    "(ratings: humanistic minus utility); a model is called human-centric or utility-driven only when its "
    "95% interval excludes zero. Clusters: Ward linkage of mean profiles, k by silhouette, stability as "
    "clusterwise Jaccard over bootstrap re-clusterings.",
    "Agreement with humans compares mean profiles over the dimensions: Pearson r, Spearman rho, ICC(A,1) "
    "(absolute agreement) and ICC(C,1) (consistency) after McGraw & Wong (1996), with bootstrap intervals "
    "resampling trials and participants; bands after Koo & Li (2016).",
]
CAVEATS = [
    "Forced choice: a ranking forces an order even where a model would not express one, and answers shift "
    "when the wording or the answer format changes (Röttger et al., ACL 2024).",
    "Prompt sensitivity: these results hold for this instrument's wording (see its hash) and these decoding "
    "settings; another wording is another instrument.",
    "Self-report is not behaviour: what a model says it values need not predict what it does.",
]
