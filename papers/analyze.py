"""`papers analyze`: select an audit's rows with SQL, compute its statistics, store result_* tables."""

from __future__ import annotations

import fnmatch
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import polars as pl

from papers import __version__
from papers.analysis.audit import Layout, Settings, compute_audit
from papers.analysis.claims import Estimate, leader_phrase
from papers.analysis.declines import settle
from papers.answers.scale import on_task_scale
from papers.errors import InputError, PapersError
from papers.instrument import Instrument
from papers.names import check_audit_name
from papers.store import DRIFT_TABLES, PIN_TABLES, RESULT_TABLES, Store, instrument_in_use, query
from papers.text import decimals, excerpt


@dataclass
class AnalyzeReport:
    audit_id: str
    instrument: str
    data_sha256: str
    unchanged: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    highlights: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"audit_id": self.audit_id, "instrument": self.instrument, "data_sha256": self.data_sha256,
                "models": self.models, "unchanged": self.unchanged, "rows": self.counts, "highlights": self.highlights}


def default_audit_name() -> str:
    return date.today().isoformat()


@dataclass(frozen=True)
class Window:
    """When the answers an audit takes were collected (llm_responses.created_at): from `since`
    (inclusive) to `until` (exclusive), either open. One store can hold the same models collected
    in several rounds, and each round becomes its own audit. An answer with no collection time
    (loaded from a file without created_at) falls in no window."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self):
        if self.since and self.until and not self.since < self.until:
            raise InputError(f"--since {iso_time(self.since)} is not before --until {iso_time(self.until)}: "
                             "no answer can have been collected in that window.",
                             "give --since an earlier time than --until.")

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def params(self) -> dict:
        return {"since": self.since, "until": self.until}

    def as_dict(self) -> dict:
        """The window as stored in audits.settings: nothing when it is open at both ends, so that
        an audit made before windows existed keeps its settings."""
        if not self.bounded:
            return {}
        return {"collected_since": iso_time(self.since) if self.since else None,
                "collected_until": iso_time(self.until) if self.until else None}


def parse_time(text: str, option: str) -> datetime:
    """An ISO 8601 date or date and time; one without a zone is UTC, a date alone is its midnight.

    >>> parse_time("2026-04-01", "--until").isoformat(), parse_time("2026-04-01T12:30+02:00", "--since").isoformat()
    ('2026-04-01T00:00:00+00:00', '2026-04-01T10:30:00+00:00')
    """
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{option} '{excerpt(str(text))}' is not a date or a time.",
                         f"use ISO 8601: {option} 2026-04-01 (midnight UTC) or {option} 2026-04-01T12:00:00Z.") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # year 1 ahead of UTC, or year 9999 behind it, has no UTC time
        raise InputError(f"{option} '{excerpt(str(text))}' is not a time papers can use: in UTC it falls outside "
                         "the years 1 to 9999.", f"give a time from this era, e.g. {option} 2026-04-01.") from None


def iso_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def audit_instrument(store: Store, ref: str | None) -> Instrument:
    """The instrument an audit is about: the one named, or the only one with rank or rate answers."""
    return instrument_in_use(store, ref, tasks=("rank", "rate"), what="analyze")


def layout_of(instrument: Instrument) -> Layout:
    scale = instrument.task("rate").scale if "rate" in instrument.task_keys else None
    return Layout(
        shown={c.key: c.dimensions for c in instrument.conditions},
        orientation={d.key: d.orientation for d in instrument.dimensions},
        scale=(scale.min, scale.max) if scale else (1, 7),
        scenarios={s.key: s.pair for s in instrument.task("choose").scenarios} if "choose" in instrument.task_keys else {},
    )


def run_analyze(store: Store, audit_id: str | None, *, instrument: str | None = None, settings: Settings | None = None,
                replace: bool = False, models: list[str] | None = None, window: Window | None = None) -> AnalyzeReport:
    audit_id = check_audit_name((audit_id or default_audit_name()).strip())
    settings = settings or Settings()
    window = window or Window()
    inst = audit_instrument(store, instrument)
    chosen = audit_models(store, inst, models, window)
    params = {"instrument": inst.sha256, "models": chosen, **window.params()}
    data_sha = store.scalar(query("analysis/data_hash"), params)
    report = AnalyzeReport(audit_id, inst.label, data_sha, models=chosen)
    stored_settings = {**settings.as_dict(), **window.as_dict()}
    existing = store.sql("select data_sha256, instrument_sha256, settings, models from audits where audit_id = ?",
                         [audit_id]).fetchall()
    if existing and not replace:
        old_data, old_inst, old_settings, old_models = existing[0]
        if old_data == data_sha and old_inst == inst.sha256 and json.loads(old_settings) == stored_settings \
                and list(old_models or []) == chosen:
            report.unchanged = True
            report.counts = _counts(store, audit_id)
            report.highlights = highlights(store, audit_id)
            return report
        what = "other models" if list(old_models or []) != chosen else "other data" if old_data != data_sha \
            else "other settings"
        raise PapersError(f"audit '{audit_id}' already exists with {what}.",
                          "give this analysis a new name (--audit NAME), or pass --replace to recompute that audit.")
    with store.transaction():
        _forget(store, audit_id)
        _pin(store, audit_id, params)
        results = _compute(store, audit_id, inst, settings)
        for table, frame in results.tables.items():
            _insert(store, table, audit_id, frame)
        store.sql("insert into audits (audit_id, instrument_sha256, data_sha256, settings, tool_version, models, "
                  "model_patterns) values (?, ?, ?, ?, ?, ?, ?)",
                  [audit_id, inst.sha256, data_sha, json.dumps(stored_settings), __version__, chosen,
                   list(models) if models else None])
    report.counts = _counts(store, audit_id)
    report.highlights = highlights(store, audit_id)
    return report


def audit_models(store: Store, inst: Instrument, patterns: list[str] | None, window: Window | None = None) -> list[str]:
    """The models an audit covers: every model with answers to the instrument (collected in the
    window), or those matching the given names and globs (each pattern must match at least one)."""
    window = window or Window()
    known = [r[0] for r in store.sql(query("audit/models"), {"instrument": inst.sha256, **window.params()}).fetchall()]
    if not known and window.bounded:
        raise InputError(f"no answer to {inst.label} was collected {window_text(window)}.",
                         "papers db info lists the runs and when each ran; widen --since/--until.")
    if not patterns:
        return known
    chosen = set()
    for pattern in patterns:
        hits = [m for m in known if fnmatch.fnmatchcase(m, pattern)]
        if not hits:
            shown = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
            raise InputError(f"--model '{excerpt(pattern)}': no model with answers to {inst.label} matches it.",
                             f"models in the store: {shown or 'none'}; globs such as 'openai/*' are allowed.")
        chosen.update(hits)
    return sorted(chosen)


def window_text(window: Window) -> str:
    """'between 2026-01-01T00:00:00Z and 2026-04-01T00:00:00Z', 'from ...', 'before ...'."""
    if window.since and window.until:
        return f"from {iso_time(window.since)} until (not including) {iso_time(window.until)}"
    return f"from {iso_time(window.since)} on" if window.since else f"before {iso_time(window.until)}"


def _forget(store: Store, audit_id: str) -> None:
    """Remove an audit's results and pins (before it is computed again, inside the same transaction)."""
    for table in (*RESULT_TABLES, *PIN_TABLES, "audits"):
        store.sql(f"delete from {table} where audit_id = ?", [audit_id])
    for table in DRIFT_TABLES:  # its comparisons with other audits no longer hold
        store.sql(f"delete from {table} where audit_a = ? or audit_b = ?", [audit_id, audit_id])


def _pin(store: Store, audit_id: str, params: dict) -> None:
    for name in ("audit/pin_responses", "audit/pin_participants", "audit/pin_codes"):
        store.run_query(name, {**params, "audit": audit_id})


def _compute(store: Store, audit_id: str, inst: Instrument, settings: Settings):
    """The audit's statistics, from the rows it pinned."""
    params = {"audit": audit_id, "instrument": inst.sha256}
    answers = on_task_scale(store.frame(query("analysis/model_answers"), params), inst)
    if answers.height == 0:
        raise InputError(f"no valid rank or rate answers for {inst.label}: nothing to analyze.",
                         "papers db info shows what the store holds.")
    outcomes = store.frame(query("analysis/model_outcomes"), params)
    human = on_task_scale(store.frame(query("analysis/human_answers"), params), inst)
    excluded = dict(store.sql(query("analysis/human_excluded"), params).fetchall())
    items = store.frame(query("analysis/human_items"), params)
    codes = store.frame(query("analysis/codes"), params)
    choices = store.frame(query("analysis/model_choices"), params)
    return compute_audit(answers, outcomes, human, excluded, items, codes, layout_of(inst), settings, choices=choices)


def _insert(store: Store, table: str, audit_id: str, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        return
    frame = settle(table, frame)  # every table, its own statistics' or not: no NaN and no -0.0 is stored
    store.con.register("_result", frame.with_columns(audit_id=pl.lit(audit_id)))
    try:
        store.sql(f"insert into {table} by name select * from _result")
    finally:
        store.con.unregister("_result")


def _counts(store: Store, audit_id: str) -> dict[str, int]:
    return {t: store.scalar(f"select count(*) from {t} where audit_id = ?", [audit_id]) for t in RESULT_TABLES}


def highlights(store: Store, audit_id: str) -> list[str]:
    """A few lines a reader wants first, each worded as the evidence allows (papers.analysis.claims):
    per condition and task, how the models split by type, whether clusters exist and which model
    is most stable; per human sample, the model closest to it."""
    lines = []
    groups: dict[tuple, list[dict]] = {}
    for row in store.frame(query("analysis/summary"), {"audit": audit_id}).iter_rows(named=True):
        groups.setdefault((row["condition"], row["task"]), []).append(row)
    structure = {(c, t): (k, note) for c, t, k, note in store.sql(
        "select condition, task, k, note from result_structure where audit_id = ?", [audit_id]).fetchall()}
    for (condition, task), members in groups.items():
        kinds = Counter(m["model_type"] or "not typed" for m in members)
        split = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
        k, note = structure.get((condition, task), (1, None))
        clusters = f"{k} clusters" if k and k > 1 else (note or "no cluster structure")
        stable = leader_phrase("most stable", [
            Estimate(m["model"], m["mean_rho"], m["mean_rho_ci_low"], m["mean_rho_ci_high"]) for m in members],
            lambda e: f"mean rho = {decimals(e.value)} [{decimals(e.low)}, {decimals(e.high)}]")
        count = f"{len(members)} model{'s' if len(members) != 1 else ''}"
        lines.append(f"{condition} / {task}: {count}: {split}; {clusters}; {stable}")
    closest: dict[tuple, list[Estimate]] = {}
    for model, sample, condition, task, ccc, low, high in store.sql(
            "select model, sample, condition, task, ccc, ccc_ci_low, ccc_ci_high from result_agreement "
            "where audit_id = ? order by all", [audit_id]).fetchall():
        closest.setdefault((sample, condition, task), []).append(Estimate(model, ccc, low, high))
    for (sample, condition, task), estimates in closest.items():
        lines.append(leader_phrase(f"closest to humans ({sample}, {condition} / {task}, by CCC)", estimates,
                                   lambda e: f"CCC = {decimals(e.value)} [{decimals(e.low)}, {decimals(e.high)}]"))
    return lines + robustness_highlights(store, audit_id)


def robustness_highlights(store: Store, audit_id: str) -> list[str]:
    """One line on robustness to wording: how many models held their profiles across the wordings,
    which did not (in how many of their conditions and tasks), and how many were not measured."""
    rows = store.sql("select model, count(*) filter (where robust is not null), count(*) filter (where not robust) "
                     "from result_robustness where audit_id = ? group by 1 order by 1", [audit_id]).fetchall()
    if not rows:
        return []
    measured = [(m, n, bad) for m, n, bad in rows if n]
    fragile = [f"{m} ({bad} of {n})" for m, n, bad in measured if bad]
    unmeasured = len(rows) - len(measured)
    text = (f"robust to wording: {len(measured) - len(fragile)} of {len(measured)} models measured held their "
            "profiles in every condition and task")
    text += f"; not robust: {', '.join(fragile)}" if fragile else ""
    text += (f"; {unmeasured} not measured (one wording, too few trials per wording, or no order of priorities)"
             if unmeasured else "")
    return [text]
