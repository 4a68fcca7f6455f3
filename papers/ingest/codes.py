"""`papers ingest codes`: a code sheet filled by a human coder, loaded into `codes`.

The sheet comes from `papers export codesheet` (papers/export.py), which names each answer by an
`answer_id` salted for that export; `codesheet_ids` maps the ids back to response ids. Sheets
written before ids were salted name answers by response id, and still load.
"""

from __future__ import annotations

from pathlib import Path

from papers.answers.codesheet import ID_COLUMN, LEGACY_ID_COLUMN, NOT_SHOWN
from papers.answers.write import write_codes
from papers.errors import InputError, located
from papers.ingest.common import LoadReport, already_loaded, load_key
from papers.ingest.files import read_csv_frame, remove_stale_staging, scan_csv
from papers.instrument import Instrument
from papers.store import Store, listed, query, unnest_listed
from papers.text import excerpt


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
    id_column = _id_column(path, frame.columns, instrument)
    answers = _Answers(store, instrument, coder, frame[id_column].str.strip_chars().to_list(),
                       legacy=id_column == LEGACY_ID_COLUMN)
    rows, seen = [], {}
    for index, record in enumerate(frame.iter_rows(named=True)):
        row = scanned.row_of(index)
        sheet_id = (record[id_column] or "").strip()
        rid = answers.response_id(path, row, id_column, sheet_id)
        if rid in seen:
            raise InputError(f"{located(path, row, id_column)}: '{excerpt(sheet_id)}' appears twice (also row {seen[rid]}).")
        seen[rid] = row
        rows += [{"response_id": rid, "coder": coder, "dimension": dim, "is_present": present, "evidence": None,
                  "status": "valid"} for dim, present in _codes(path, row, record, instrument, answers.condition[rid])]
    if not rows:
        raise InputError(f"{path}: the sheet has no coded answers.")
    with store.transaction():
        run_id = store.start_run("ingest_codes", instrument_sha256=instrument.sha256, settings={"coder": coder},
                                 source_file=str(path), source_sha256=scanned.sha256, load_key=key)
        write_codes(store, [{**r, "run_id": run_id} for r in rows])
        store.finish_run(run_id)
    report = LoadReport("codes", str(path), run_id=run_id, rows=len(seen))
    report.counts = {"answers": len(seen), "codes": len(rows), "present": sum(1 for r in rows if r["is_present"])}
    return report


def _id_column(path: Path, columns: list[str], instrument: Instrument) -> str:
    id_column = next((c for c in (ID_COLUMN, LEGACY_ID_COLUMN) if c in columns), ID_COLUMN)
    missing = [c for c in (id_column, *instrument.dimension_keys) if c not in columns]
    if missing:
        raise InputError(f"{located(path, 1, missing[0])}: missing required column.",
                         "start from a sheet written by papers export codesheet; keep its columns.")
    return id_column


class _Answers:
    """The open answers a sheet may code, by the ids sheets name them with."""

    def __init__(self, store: Store, instrument: Instrument, coder: str, sheet_ids: list, legacy: bool):
        self.condition = {rid: condition for rid, condition, _model, _text in store.sql(
            query("coding/open_answers"), {"instrument": instrument.sha256}).fetchall()}
        self.by_sheet_id = {} if legacy else dict(store.sql(
            "select sheet_id, response_id from codesheet_ids where sheet_id in "
            f"(select {unnest_listed()})", [listed(i for i in sheet_ids if i)]).fetchall())
        self.legacy = legacy
        self.coded = {r[0] for r in store.sql(query("coding/coded_by"), {"coder": coder}).fetchall()}
        self.coder = coder

    def response_id(self, path: Path, row: int, column: str, sheet_id: str) -> str:
        rid = sheet_id if self.legacy else self.by_sheet_id.get(sheet_id)
        if rid not in self.condition:
            raise InputError(f"{located(path, row, column)}: '{excerpt(sheet_id)}' is not an open answer of a code "
                             "sheet exported from this store.",
                             "code sheets name answers by the answer_id that papers export codesheet wrote; "
                             "load the sheet into the store it was exported from (--db).")
        if rid in self.coded:
            raise InputError(f"{located(path, row, column)}: answer '{excerpt(sheet_id)}' is already coded by "
                             f"'{excerpt(self.coder)}'.", "load another coder's sheet under another --coder name.")
        return rid


def _codes(path: Path, row: int, record: dict, instrument: Instrument, condition: str) -> list[tuple[str, bool]]:
    """(dimension, present) of each shown dimension of one sheet row."""
    shown = instrument.shown(condition)
    codes = []
    for dim in instrument.dimension_keys:
        value = (record[dim] or "").strip()
        if dim not in shown:
            if value not in ("", NOT_SHOWN, "0"):
                raise InputError(f"{located(path, row, dim)}: '{excerpt(value)}' but {dim} was not shown in condition "
                                 f"{condition}.", "leave it NA.")
            continue
        if value not in ("0", "1"):
            raise InputError(f"{located(path, row, dim)}: {excerpt(value) or '(empty)'} is not 0 or 1.",
                             "code every shown theme: 1 if the answer expresses it, 0 if not.")
        codes.append((dim, value == "1"))
    return codes
