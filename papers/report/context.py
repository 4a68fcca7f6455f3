"""What each template renders: one documented dataclass per page, holding plain values only.

Sections (papers.report.sections, papers.report.figure_sections) fill these from an audit's data;
pages (papers.report.pages, papers.report.changes, papers.report.manifest) assemble them. Nothing
here reads the store. Table rows are dicts of strings already worded for a reader (see the
comment at each field for the keys); the templates escape every value that comes from data.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

SLUG_RE = re.compile(r"[^a-z0-9]+")


def slug(model: str) -> str:
    """A model's page name: file-name-safe, collision-free, letters, digits and dashes only."""
    base = SLUG_RE.sub("-", model.lower()).strip("-")[:60] or "model"
    return f"{base}-{hashlib.sha256(model.encode()).hexdigest()[:6]}"


@dataclass
class Link:
    href: str
    text: str


@dataclass
class Figure:
    """An SVG drawn for one page, its path relative to the page, and its caption."""

    path: str
    caption: str
    min_width: int = 0  # px: on a narrower screen the figure scrolls in its box rather than shrink (labels >= 10 px)
    pdf_width: str = ""  # its width in a PDF ("5.2in") when 100% of the text width would make it taller than a page


@dataclass
class Masthead:
    """Who published a page and when, shown under its links to the other pages."""

    site_title: str
    publisher: str  # empty when the site names none
    date: str  # the audit's date in words, "5 January 2026, 14:03 UTC"
    tool: str = ""  # the papers that made the page, "0.1.0" (not the instrument, which has its own version)


@dataclass
class SummaryBox:
    """The first thing on a model's page: what a reader who reads nothing else should know.
    Every line is worded as its evidence allows (papers.analysis.claims)."""

    priorities: list[str]  # per condition and task: the first three, or "no detectable ordering"
    types: list[str]  # per condition and task: type, orientation index with CI, and the margin
    stability: list[str]  # mean inter-trial Spearman with its CI per condition and task
    agreement: list[str]  # profile fidelity per sample: order, calibration, CCC
    quality: list[str]  # valid share and what else happened
    robustness: list[str] = field(default_factory=list)  # per condition and task: robust to wording, or not, or not measured


@dataclass
class Frame:
    """What every page of an audit carries around its content: the links to the audit's files to
    download (relative to the page) and, when any of its data is synthetic, the notice saying so."""

    downloads: list[Link]  # this page's PDF, the comparison's, the data, the manifest
    notice: str  # papers.report.synthetic; empty when nothing is synthetic


@dataclass
class ModelPage:
    """models/<slug>.html and .pdf (reports/model.qmd.j2): one model's audit."""

    audit_id: str
    model: str
    slug: str
    subtitle: str
    masthead: Masthead
    frame: Frame
    takeaway: list[str]  # the sentences the page opens with (papers.report.takeaway)
    summary: SummaryBox
    profile_figures: list[Figure]
    distribution_figures: list[Figure]  # rank tasks only
    peer_figures: list[Figure]
    conditions_table: list[dict]  # dimension, then the mean per condition key
    condition_keys: list[str]
    themes: list[dict]  # condition, theme, key, share, ci, n
    sentient_themes: list[dict]  # themes of dimensions that only some conditions show (PAPERS: SA), apart
    partial_heading: str  # "Only in the Sentient condition"
    partial_caption: str
    quotes: list[dict]  # condition, text
    theme_quotes: list[dict]  # theme, condition, evidence, text
    coder_table: list[dict]  # dimension, statistic, value, coders, n
    disagreements: list[dict]  # condition, theme, votes, text
    quality_table: list[dict]  # condition, task, outcome shares, position rho, W, mean rho, Friedman
    peers_table: list[dict]  # condition, task, cluster, cluster_label, type, orientation, p_holm, stability
    agreement_table: list[dict]  # profile fidelity: order, calibration, level, CCC
    icc_table: list[dict]  # ICC(A,1), ICC(C,1) of rating profiles, both intervals, band
    provenance: list[tuple[str, str]]
    nav: list[Link]
    method: list[str]
    conditions_heading: str  # "Non-sentient against Sentient"
    conditions_caption: str
    theme_rule: str  # the consensus rule for theme presence, in words
    robustness_table: list[dict] = field(default_factory=list)  # papers.report.robustness.table_rows
    robustness_figures: list[Figure] = field(default_factory=list)  # each wording's profile
    robustness_measured: bool = False  # asked in two wordings or more, with enough trials each
    # papers.report.overtime: the model against its previous audit on the site (status, reason, history link)
    over_time: list[dict] = field(default_factory=list)
    # papers.report.dilemmas: says and does (no rows: no dilemma was asked)
    says_table: list[dict] = field(default_factory=list)  # condition, verdict, choices, both_neither, share, rho, first
    says_worths: list[dict] = field(default_factory=list)  # condition, dimension, stated, revealed, taken
    says_figures: list[Figure] = field(default_factory=list)  # per condition: stated beside revealed
    says_against: list[dict] = field(default_factory=list)  # condition, scenario, taken, passed, count, reasons
    says_cannot_tell: str = ""


@dataclass
class ComparisonPage:
    """index.html and comparison.pdf of an audit (reports/comparison.qmd.j2): all models."""

    audit_id: str
    subtitle: str
    masthead: Masthead
    frame: Frame
    takeaway: list[str]  # the sentences the page opens with (papers.report.takeaway)
    models: list[Link]
    heatmaps: list[Figure]
    types_table: list[dict]  # model, then its type per condition and task (keys of types_columns)
    types_columns: list[dict]  # key, label: the condition and task of each column
    types_caption: str  # how many models of each type, per condition and task
    dendrograms: list[Figure]
    maps: list[Figure]
    agreement_table: list[dict]
    icc_table: list[dict]
    stability_table: list[dict]  # model, condition, task, n, mean_rho, w, p, valid, position_rho
    differences_table: list[dict]  # condition, task, dimension, h, df, p_holm, epsilon2, note
    structure_table: list[dict]  # condition, task, models, k, cophenetic, silhouette, p_het, p_clu, mds_share, note
    items_table: list[dict]  # sample, item, n, mean
    coder_table: list[dict]
    nav: list[Link]
    method: list[str]
    provenance: list[tuple[str, str]]


@dataclass
class ChangesPage:
    """changes.html (reports/changes.qmd.j2): what changed since the previous published audit."""

    audit_id: str
    previous: str
    added: list[str]  # models in this audit only
    dropped: list[str]  # models in the previous audit only
    rows: list[dict]  # model, condition, task, first, type, ccc: each "before -> now", or one value if equal
    nav: list[Link]
    masthead: Masthead
    frame: Frame


@dataclass
class PublishedAudit:
    """One row of the site root's list of audits, read from that audit's manifest."""

    folder: str
    audit_id: str
    published: str  # the audit's date in words, "5 January 2026"
    published_iso: str  # and as ISO 8601, for <time datetime>
    models: int
    instrument_id: str
    instrument_version: str
    instrument_sha256: str
    data_sha256: str
    signed: bool  # a minisign signature of its manifest is published beside it
    briefs: list[dict] = field(default_factory=list)  # name, html, pdf: briefs added since (manifest.published_briefs)


@dataclass
class RootIndex:
    """The site root's index.html (reports/root_index.html.j2): every published audit, last published
    first, the latest linked at the top, under the publisher's title and name."""

    audits: list[PublishedAudit]
    css: str  # the site's own stylesheet, inlined
    version: str  # of papers
    title: str
    publisher: str
    description: str
    base_url: str
    models: list[dict] = field(default_factory=list)  # papers.report.overtime.model_rows: each model over time
