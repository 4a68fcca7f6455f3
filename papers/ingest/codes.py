"""Human coders: a code sheet to fill in, and loading the filled sheet into `codes`."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from papers.errors import InputError, located
from papers.ingest.common import LoadReport, already_loaded, load_key
from papers.ingest.files import read_csv_frame, remove_stale_staging, scan_csv
from papers.instrument import Instrument
from papers.store import Store

NOT_SHOWN = "NA"


def export_codesheet(store: Store, out: Path, instrument: Instrument, unblind: bool = False) -> int:
    """Write a CSV for human coders: response_id, condition, (model), answer, one 0/1 column per
    dimension key (NA where the condition did not show that dimension). Rows are in an order
    unrelated to the model, so a blinded coder cannot infer it from the order."""
    rows = store.sql(
        "select response_id, condition, model, raw_text from llm_responses "
        "where instrument_sha256 = ? and task = 'open' and status = 'valid'", [instrument.sha256]).fetchall()
    if not rows:
        raise InputError("there are no valid open answers to code.", "collect some with papers collect --task open.")
    rows.sort(key=lambda r: hashlib.sha256(r[0].encode()).hexdigest())
    keys = instrument.dimension_keys
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["response_id", "condition", *(["model"] if unblind else []), "answer", *keys])
        for rid, condition, model, text in rows:
            shown = instrument.shown(condition)
            writer.writerow([rid, condition, *([model] if unblind else []), text,
                             *["" if k in shown else NOT_SHOWN for k in keys]])
    return len(rows)


def ingest_codes(store: Store, path: Path, coder: str, instrument: Instrument, encoding: str | None = None) -> LoadReport:
    """Load a filled code sheet as coder `coder`: all of it or nothing; the same file again is a no-op."""
    coder = coder.strip()
    if not coder:
        raise InputError("--coder: give the human coder a name, e.g. alice.")
    remove_stale_staging()
    scanned = scan_csv(Path(path), encoding=encoding, can_skip=False)
    try:
        key = load_key("codes", scanned.sha256, coder=coder, instrument=instrument.sha256)
        report = already_loaded(store, key, "codes", Path(path))
        if report is not None:
            return report
        frame = read_csv_frame(scanned)
    finally:
        scanned.cleanup()
    missing = [c for c in ("response_id", *instrument.dimension_keys) if c not in frame.columns]
    if missing:
        raise InputError(f"{located(path, 1, missing[0])}: missing required column.",
                         "start from a sheet written by papers export codesheet; keep its columns.")
    known = dict(store.sql(
        "select response_id, condition from llm_responses where instrument_sha256 = ? and task = 'open' and status = 'valid'",
        [instrument.sha256]).fetchall())
    already = {r[0] for r in store.sql("select distinct response_id from codes where coder = ?", [coder]).fetchall()}
    rows, seen = [], {}
    for index, record in enumerate(frame.iter_rows(named=True)):
        row = scanned.row_of(index)
        rid = (record["response_id"] or "").strip()
        if rid not in known:
            raise InputError(f"{located(path, row, 'response_id')}: '{rid}' is not an open answer in the store.",
                             "code sheets name answers by the response_id that papers export codesheet wrote.")
        if rid in seen:
            raise InputError(f"{located(path, row, 'response_id')}: '{rid}' appears twice (also row {seen[rid]}).")
        if rid in already:
            raise InputError(f"{located(path, row, 'response_id')}: answer '{rid}' is already coded by '{coder}'.",
                             "load another coder's sheet under another --coder name.")
        seen[rid] = row
        shown = instrument.shown(known[rid])
        for dim in instrument.dimension_keys:
            value = (record[dim] or "").strip()
            if dim not in shown:
                if value not in ("", NOT_SHOWN, "0"):
                    raise InputError(f"{located(path, row, dim)}: '{value}' but {dim} was not shown in condition "
                                     f"{known[rid]}.", "leave it NA.")
                continue
            if value not in ("0", "1"):
                shown_value = value or "(empty)"
                raise InputError(f"{located(path, row, dim)}: {shown_value} is not 0 or 1.",
                                 "code every shown theme: 1 if the answer expresses it, 0 if not.")
            rows.append((rid, coder, dim, value == "1", None, "valid"))
    if not rows:
        raise InputError(f"{path}: the sheet has no coded answers.")
    with store.transaction():
        run_id = store.start_run("ingest_codes", instrument_sha256=instrument.sha256, settings={"coder": coder},
                                 source_file=str(path), source_sha256=scanned.sha256, load_key=key)
        store.con.executemany(
            "insert into codes (response_id, coder, dimension, is_present, evidence, status, run_id) "
            "values (?, ?, ?, ?, ?, ?, ?)", [(*r, run_id) for r in rows])
        store.finish_run(run_id)
    report = LoadReport("codes", str(path), run_id=run_id, rows=len(seen))
    report.counts = {"answers": len(seen), "codes": len(rows), "present": sum(1 for r in rows if r[3])}
    return report
