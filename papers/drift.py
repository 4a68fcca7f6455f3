"""`papers drift --audit A --audit B`: did the models of two audits change between them?

A is the earlier audit and B the later one (say, two collection rounds of the same models, each
analyzed with `papers analyze --since/--until`). Every model in both is compared condition by
condition and task by task on the rows each audit pinned (papers.analysis.drift says how), and the
comparison is kept in result_drift, result_drift_profiles and result_drift_models, keyed by the
pair. Two audits of different instruments are never compared. The report calls `compare_audits`
too, without saving, to compare each audit with the previous audit of each model on the site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from papers.analysis.declines import settle
from papers.analysis.drift import DriftSettings, DriftTables, drift, nested
from papers.answers.scale import on_task_scale
from papers.errors import InputError
from papers.instrument import Instrument, parse_instrument
from papers.store import DRIFT_TABLES, Store, query

METHOD = ("per condition x task, on the variants both audits asked: the change in each dimension's mean rank or "
          "rating (later minus earlier) with Welch's 95% interval and t test, Holm across the dimensions; a "
          "permutation test of the whole profile (trials permuted between the audits within each variant; the "
          "distance between the mean profiles and the largest Welch |t|, combined by their smaller p), Holm across "
          "the model's conditions and tasks; changed when any adjusted profile p is below 0.05")


@dataclass
class DriftReport:
    audit_a: str
    audit_b: str
    instrument: str
    models: list[dict] = field(default_factory=list)  # papers.analysis.drift.nested, one object per model
    only_a: list[str] = field(default_factory=list)  # models in the earlier audit only
    only_b: list[str] = field(default_factory=list)  # models in the later audit only

    def as_json(self) -> list[dict]:
        """One object per model, its audits first (the keys the README lists)."""
        return [{"audit_a": self.audit_a, "audit_b": self.audit_b, **m} for m in self.models]

    def lines(self) -> list[str]:
        out = [f"Drift from audit {self.audit_a} to audit {self.audit_b} ({self.instrument}; {METHOD})."]
        out += [f"{m['model']}: {m['reason']}" for m in self.models]
        out += [f"Only in {self.audit_a}, not compared: {', '.join(self.only_a)}."] * bool(self.only_a)
        out += [f"Only in {self.audit_b}, not compared: {', '.join(self.only_b)}."] * bool(self.only_b)
        return out


@dataclass(frozen=True)
class AuditInfo:
    audit_id: str
    instrument: Instrument
    settings: dict
    models: list[str]


def audit_info(store: Store, audit_id: str) -> AuditInfo:
    rows = store.sql("select instrument_sha256, settings, models from audits where audit_id = ?", [audit_id]).fetchall()
    if not rows:
        known = [r[0] for r in store.sql("select audit_id from audits order by created_at desc").fetchall()]
        raise InputError(f"no audit named '{audit_id}'.",
                         f"audits in the store: {', '.join(known[:20]) or 'none'}; papers analyze --audit NAME makes one.")
    sha, settings, models = rows[0]
    spec = store.scalar("select spec from instruments where sha256 = ?", [sha])
    return AuditInfo(audit_id, parse_instrument(spec, source=f"store:{sha[:12]}"), json.loads(settings),
                     list(models or []))


def check_pair(a: AuditInfo, b: AuditInfo) -> None:
    """Refuse to compare an audit with itself, or audits of two instruments."""
    if a.audit_id == b.audit_id:
        raise InputError(f"--audit {a.audit_id} is given twice: drift compares two audits.",
                         "give the earlier audit first and the later one second: papers drift --audit A --audit B.")
    if a.instrument.sha256 != b.instrument.sha256:
        raise InputError(
            f"audits '{a.audit_id}' and '{b.audit_id}' were made on different instruments ({a.instrument.label}, "
            f"SHA-256 {a.instrument.sha256[:12]}; {b.instrument.label}, SHA-256 {b.instrument.sha256[:12]}); answers "
            "to different instruments are never compared, so drift cannot tell a changed model from changed questions.",
            "compare two audits of the same instrument (papers db info lists each audit's instrument).")


def compare_audits(store: Store, audit_a: str, audit_b: str, models: list[str] | None = None) -> tuple[DriftReport,
                                                                                                       DriftTables]:
    """Compare the models of both audits (or those of `models` in both); the report and the tables
    as stored (declines applied), without saving them."""
    a, b = audit_info(store, audit_a), audit_info(store, audit_b)
    check_pair(a, b)
    both = sorted(set(a.models) & set(b.models) & set(models if models is not None else a.models))
    if not both:
        raise InputError(f"audits '{audit_a}' and '{audit_b}' have no model in common: nothing to compare.",
                         f"{audit_a} audited {', '.join(a.models[:10]) or 'no model'}; "
                         f"{audit_b} audited {', '.join(b.models[:10]) or 'no model'}.")
    inst = b.instrument
    tables = drift(_answers(store, audit_a, inst, both), _answers(store, audit_b, inst, both),
                   {c.key: c.dimensions for c in inst.conditions}, {d.key: d.name for d in inst.dimensions},
                   _reported(store, audit_a, audit_b), DriftSettings(seed=int(b.settings.get("seed", 20260101))))
    tables = DriftTables(settle("result_drift", tables.dimensions), settle("result_drift_profiles", tables.profiles),
                         tables.models)
    report = DriftReport(audit_a, audit_b, inst.label, nested(tables, {d.key: d.name for d in inst.dimensions}),
                         sorted(set(a.models) - set(b.models)), sorted(set(b.models) - set(a.models)))
    return report, tables


def run_drift(store: Store, audit_a: str, audit_b: str) -> DriftReport:
    """Compare two audits and keep the comparison in the result_drift tables (replacing an earlier
    comparison of the same pair)."""
    report, tables = compare_audits(store, audit_a, audit_b)
    with store.transaction():
        for table in DRIFT_TABLES:
            store.sql(f"delete from {table} where audit_a = ? and audit_b = ?", [audit_a, audit_b])
        for table, frame in zip(DRIFT_TABLES, (tables.dimensions, tables.profiles, tables.models)):
            _insert(store, table, frame.with_columns(audit_a=pl.lit(audit_a), audit_b=pl.lit(audit_b)))
    return report


def _answers(store: Store, audit_id: str, inst: Instrument, models: list[str]) -> pl.DataFrame:
    frame = store.frame(query("analysis/model_answers"), {"audit": audit_id})
    return on_task_scale(frame.filter(pl.col("model").is_in(models)), inst)


def _reported(store: Store, audit_a: str, audit_b: str) -> dict[str, tuple[list[str], list[str]]]:
    before, after = ({m: list(r) for m, r in store.sql(query("drift/reported"), {"audit": audit}).fetchall()}
                     for audit in (audit_a, audit_b))
    return {m: (before.get(m, []), after.get(m, [])) for m in set(before) | set(after)}


def _insert(store: Store, table: str, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        return
    store.con.register("_drift", frame)
    try:
        store.sql(f"insert into {table} by name select * from _drift")
    finally:
        store.con.unregister("_drift")
