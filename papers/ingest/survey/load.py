"""`papers ingest survey`: load one survey export (plain CSV, Qualtrics) into the store, all or nothing.

A survey file has one row per participant (see `layout` for the columns, `mapping` for other
layouts, `rows` for the exclusion rules). A value that cannot be read as a number where one belongs
stops the load (or, with --skip-bad-rows, sends the row to `rejects`).

The file is read in batches (polars), each checked batch staged as Parquet, and the staged files
moved into the public tables in one transaction, so memory stays bounded and a failed load leaves
no trace.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from papers.errors import InputError
from papers.ingest.common import LoadReport, insert_rejects, load_key
from papers.ingest.files import BadRow, remove_stale_staging, scan_csv, staging_prefix
from papers.ingest.survey.batches import BatchLoader, batches
from papers.ingest.survey.demographics import read_demographics
from papers.ingest.survey.layout import HEADER_ROWS, Layout, find_layout, layout_kind
from papers.ingest.survey.mapping import Mapping, check_mapping_sources, load_mapping
from papers.ingest.survey.warnings import load_warnings
from papers.instrument import Instrument
from papers.store import Store, query, resolve_instrument


@dataclass
class SurveyLoad:
    """One load's inputs, checked: the file, its sample, layout kind, mapping and instrument."""

    path: Path
    sample: str
    inst: Instrument
    maps: Mapping
    mapping: Path | None
    demographics: Path | None
    encoding: str | None
    strict: bool
    kind: str  # csv, qualtrics or surveymonkey (see layout.layout_kind)
    id_column: str | None = None
    row_ids: bool = False
    fail_on_warning: bool = False  # --strict: a load that warns changes nothing

    @property
    def header_rows(self) -> int:
        return HEADER_ROWS[self.kind]

    def settings(self) -> dict:
        return {"sample": self.sample, "format": self.kind,
                "mapping": str(self.mapping) if self.mapping else None, "mapping_sha256": self.maps.sha256,
                "demographics": str(self.demographics) if self.demographics else None, "strict": self.strict,
                "id_column": self.id_column, "participant_ids": "row numbers" if self.row_ids else "from the file"}


def ingest_survey(store: Store, path: Path, *, sample: str, fmt: str = "auto", mapping: Path | None = None,
                  demographics: Path | None = None, instrument: str | None = None, encoding: str | None = None,
                  strict: bool = True, progress: bool = False, id_column: str | None = None, row_ids: bool = False,
                  fail_on_warning: bool = False) -> LoadReport:
    """Load one survey export into `participants`, `human_answers` and `human_items`: all or nothing.

    `strict` stops at the first unreadable row (else it goes to `rejects`); `fail_on_warning`
    (--strict) refuses a load whose summary warns, leaving the store unchanged."""
    load = _checked_request(store, Path(path), sample, fmt, mapping, demographics, instrument, encoding, strict)
    load.id_column, load.row_ids, load.fail_on_warning = id_column, row_ids, fail_on_warning
    remove_stale_staging()
    bar = _progress_bar(load.path, progress)
    scanned = scan_csv(load.path, encoding=encoding, header_rows=load.header_rows, strict=strict,
                       combine_headers=load.kind == "surveymonkey",
                       progress=(lambda n: bar.update(n)) if bar is not None else None)
    try:
        report = _already_loaded(store, load.path, scanned.sha256, load.sample, load.maps.sha256, load.inst.sha256,
                                 demographics)
        if report is not None:
            return report
        names = [load.maps.columns.get(h, h) for h in scanned.header]
        check_mapping_sources(mapping, load.maps, scanned.header)
        layout = find_layout(load.path, names, load.inst, id_column=load.id_column, row_ids=load.row_ids)
        run_id, counts, bad, warnings = _stage_and_publish(store, load, scanned, names, layout, bar)
    finally:
        scanned.cleanup()
        if bar is not None:
            bar.close()
    report = _report(load, scanned, layout, run_id, counts, bad)
    report.warnings = warnings
    return report


def _checked_request(store: Store, path: Path, sample: str, fmt: str, mapping: Path | None, demographics: Path | None,
                     instrument: str | None, encoding: str | None, strict: bool) -> SurveyLoad:
    if fmt == "auto" and path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        raise InputError(
            f"{path}: unknown format '{path.suffix or '(no extension)'}'.",
            "export the survey as CSV or TSV (Qualtrics: Export data > CSV), or name the layout with --format "
            "csv|qualtrics|surveymonkey|googleforms.",
        )
    sample = sample.strip()
    if not sample:
        raise InputError("--sample: give the human sample a name, e.g. prolific-2026-11.")
    inst = resolve_instrument(instrument, store)
    maps = load_mapping(mapping) if mapping else Mapping()
    return SurveyLoad(path, sample, inst, maps, mapping, demographics, encoding, strict, layout_kind(path, fmt, encoding))


def _stage_and_publish(store: Store, load: SurveyLoad, scanned, names: list[str], layout: Layout,
                       bar) -> tuple[int, dict[str, int], list[BadRow], list[str]]:
    """Check and stage every batch, then publish them with the run in one transaction."""
    demo = read_demographics(load.demographics, load.encoding) if load.demographics else None
    loader = BatchLoader(store, load.path, layout, load.maps, load.inst, scanned.rows, load.strict, sample=load.sample,
                     demographics=demo, stage=Path(tempfile.mkdtemp(prefix=staging_prefix("survey"))))
    try:
        bad = list(scanned.bad)
        if bar is not None:
            bar.reset(total=len(scanned.rows))
            bar.set_description(f"loading {load.path.name}")
        for batch in batches(scanned, names, layout):
            bad += loader.load(batch)
            if bar is not None:
                bar.update(batch.height)
        if bar is not None:
            bar.set_description(f"writing {load.path.name} to the store")
        # demographics only enrich the participants: the same survey content is the same load
        key = load_key("survey", scanned.sha256, sample=load.sample, mapping=load.maps.sha256,
                       instrument=load.inst.sha256, demographics=None)
        with store.transaction():
            store.register_instrument(load.inst)
            run_id = store.start_run("ingest_survey", instrument_sha256=load.inst.sha256, settings=load.settings(),
                                     source_file=str(load.path), source_sha256=scanned.sha256, load_key=key)
            loader.publish({"run_id": run_id, "sample": load.sample, "source_file": str(load.path),
                            "instrument_sha256": load.inst.sha256})
            counts = _counts(store, run_id)
            warnings = load_warnings(store, load, run_id, counts, len(scanned.rows) + len(scanned.bad), len(bad))
            if warnings and load.fail_on_warning:
                raise InputError(f"{warnings[0]} --strict: nothing was loaded.")
            insert_rejects(store, run_id, load.path, sorted(bad, key=lambda b: b.row))
            store.finish_run(run_id)
    finally:
        shutil.rmtree(loader.stage, ignore_errors=True)
    return run_id, counts, bad, warnings


def _report(load: SurveyLoad, scanned, layout: Layout, run_id: int, counts: dict[str, int],
            bad: list[BadRow]) -> LoadReport:
    report = LoadReport("survey", str(load.path), run_id=run_id, rows=len(scanned.rows) + len(scanned.bad))
    report.counts = counts
    report.rejected = len(bad)
    if counts["duplicates"]:
        report.notes.append(f"{counts['duplicates']:,} records repeat a participant ID already in sample {load.sample}: "
                            "they are kept, excluded as duplicates and not counted as participants again.")
    if layout.ignored:
        shown = ", ".join(layout.ignored[:8]) + (" ..." if len(layout.ignored) > 8 else "")
        report.notes.append(f"{len(layout.ignored)} columns not used: {shown}")
    if bad:
        report.notes.append(f"{len(bad)} rows not loaded; see the rejects table (run {run_id}).")
    return report


def _already_loaded(store: Store, path: Path, sha256: str, sample: str, mapping_sha256: str | None,
                    instrument_sha256: str, demographics: Path | None) -> LoadReport | None:
    rows = store.sql(query("ingest/survey_loaded"), {"sha256": sha256, "sample": sample, "mapping": mapping_sha256,
                                                     "instrument": instrument_sha256}).fetchall()
    if not rows:
        return None
    run_id, source = rows[0]
    report = LoadReport("survey", str(path), run_id=run_id, already_loaded=True)
    report.notes.append(f"{path}: already loaded (run {run_id}, from {source}); nothing changed.")
    if demographics is not None:
        report.notes.append(f"{demographics} was not joined: demographics join only the load that first stores "
                            "the participants.")
    return report


# ----------------------------------------------------------------------------- layout


# ----------------------------------------------------------------------------- batches


def _counts(store: Store, run_id: int) -> dict[str, int]:
    row = store.sql(query("ingest/load_counts"), {"run_id": run_id}).fetchall()[0]
    return {"participants": row[0], "excluded_records": row[1], "duplicates": row[2]}


def _progress_bar(path: Path, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc=f"checking {path.name}", unit=" rows", unit_scale=True, disable=None, leave=False)
