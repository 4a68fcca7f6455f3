"""Every store read of the report, in one place: a report is a pure function of these rows.

Questions live as named SQL (queries/report/*.sql, and queries/analysis/summary.sql for the
ordered priorities the summaries and the changes page share). What stays inline here only fetches
rows by key: an audit's row, its instrument's spec, one audit's result tables, the audit names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from papers.errors import InputError
from papers.instrument import Instrument, parse_instrument
from papers.store import RESULT_TABLES, Store, query

# the inputs an audit pinned, exported as Parquet beside its pages
PINNED_QUERIES = ("model_answers", "model_choices", "model_outcomes", "human_answers", "human_items", "codes")
QUOTES_PER_MODEL = 3


@dataclass
class AuditData:
    """What the report knows of one audit, read once: its settings and instrument, its result
    tables (without the audit_id column) and the pre-aggregated rows the pages quote."""

    audit_id: str
    created_at: str
    instrument: Instrument
    data_sha256: str
    settings: dict
    tool_version: str
    tables: dict[str, pl.DataFrame]  # every result_* table, by name
    # the report's own questions (queries/report), each over the rows the audit pinned
    rank_shares: pl.DataFrame  # report/rank_distribution: share of trials giving each rank
    provenance: pl.DataFrame  # report/provenance: per model, what the API reported, tokens, cost
    quotes: pl.DataFrame  # report/quotes: a few short valid open answers per model and condition
    theme_quotes: pl.DataFrame  # report/theme_quotes: one coded answer per model, condition and theme
    disagreements: pl.DataFrame  # report/disagreements: answers the coders disagree on
    sources: pl.DataFrame  # report/sources: the loads, collections and coders the pinned rows came from
    summary: pl.DataFrame  # analysis/summary: per model, condition and task: ordered dimensions, Friedman p, type
    # report/choice_reasons: the answers behind the dilemmas each model most went against its stated order in
    choice_reasons: pl.DataFrame

    # papers.report.overtime.since_previous, set when the audit is published into a site: {"statuses": {model:
    # Since}, "drift": {result_drift table: rows}}; empty for a report outside a site
    over_time: dict = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        return sorted(self.tables["result_profiles"]["model"].unique().to_list())

    def name(self, key: str) -> str:
        return self.instrument.dimension(key).name


def load_audit(store: Store, audit_id: str) -> AuditData:
    rows = store.sql("select created_at, instrument_sha256, data_sha256, settings, tool_version from audits "
                     "where audit_id = ?", [audit_id]).fetchall()
    if not rows:
        known = audit_ids(store)
        raise InputError(f"no audit named '{audit_id}'.",
                         f"run papers analyze --audit {audit_id} first" + (f"; audits: {', '.join(known)}." if known else "."))
    created, sha, data_sha, settings, version = rows[0]
    spec = store.scalar("select spec from instruments where sha256 = ?", [sha])
    params = {"audit": audit_id}  # the report's own questions read only the rows the audit pinned
    return AuditData(
        audit_id=audit_id, created_at=str(created)[:19], instrument=parse_instrument(spec, source=f"store:{sha[:12]}"),
        data_sha256=data_sha, settings=json.loads(settings), tool_version=version, tables=result_tables(store, audit_id),
        rank_shares=store.frame(query("report/rank_distribution"), params),
        provenance=store.frame(query("report/provenance"), params),
        quotes=store.frame(query("report/quotes"), {**params, "per_model": QUOTES_PER_MODEL}),
        theme_quotes=store.frame(query("report/theme_quotes"), params),
        disagreements=store.frame(query("report/disagreements"), params),
        sources=store.frame(query("report/sources"), params),
        summary=summary(store, audit_id),
        choice_reasons=store.frame(query("report/choice_reasons"), params),
    )


def result_tables(store: Store, audit_id: str) -> dict[str, pl.DataFrame]:
    return {t: in_order(store.frame(f"select * exclude (audit_id) from {t} where audit_id = ?", [audit_id]))
            for t in RESULT_TABLES}


def summary(store: Store, audit_id: str) -> pl.DataFrame:
    """Per model, condition and task: dimensions in priority order (first_dimension is the first
    priority), Friedman p, mean rho, type and the best CCC with a human sample."""
    return store.frame(query("analysis/summary"), {"audit": audit_id})


def audit_ids(store: Store, *, besides: str | None = None) -> list[str]:
    """The store's audit names, newest first (all of them, or all but one)."""
    rows = store.sql("select audit_id from audits where audit_id is distinct from ? order by created_at desc",
                     [besides]).fetchall()
    return [r[0] for r in rows]


def pinned_rows(store: Store, data: AuditData) -> dict[str, pl.DataFrame]:
    """The exact input rows the audit used, by name (each query takes the audit or its instrument),
    each sorted by all its columns so the same rows are always written in the same order."""
    params = {"audit": data.audit_id, "instrument": data.instrument.sha256}
    return {name: in_order(store.frame(query(f"analysis/{name}"), params)) for name in PINNED_QUERIES}


def in_order(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows sorted by every column (nulls last), whatever order the store returned them in."""
    return frame.sort(frame.columns, nulls_last=True) if frame.width and frame.height else frame
