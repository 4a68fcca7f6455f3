"""`papers ingest responses`: model answers collected elsewhere, parsed as collected answers are."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from papers.answers.keys import response_id
from papers.answers.parse import parse_answer
from papers.answers.write import write_responses
from papers.errors import InputError, PapersError
from papers.ingest.common import (
    LoadReport,
    already_loaded,
    bad_value,
    insert_rejects,
    load_key,
)
from papers.ingest.files import (
    BadRow,
    check_readable,
    detect_format,
    read_csv_frame,
    read_jsonl,
    remove_stale_staging,
    scan_csv,
)
from papers.ingest.response_warnings import response_warnings
from papers.instrument import WORDED_TASKS, Instrument
from papers.limits import answer_problem
from papers.store import Store, named_instrument, resolve_instrument
from papers.text import excerpt, redact, secret_values

REQUIRED = ("model", "task", "condition", "trial", "raw_text")
OPTIONAL = ("item_order", "temperature", "model_reported", "created_at", "instrument", "variant", "scenario")


def ingest_responses(store: Store, path: Path, *, instrument: str | None = None, fmt: str | None = None,
                     encoding: str | None = None, strict: bool = True, fail_on_warning: bool = False,
                     other_dimensions: bool = False) -> LoadReport:
    """Load one file of model answers: all of it or nothing, and a second load of it is a no-op.

    `strict` stops at the first bad row (else it goes to `rejects`); a load that loses more than
    a fifth of its rows warns, and with `fail_on_warning` (--strict) changes nothing. With
    `other_dimensions`, entries of an answer that name no dimension the instrument shows (answers
    about more values than it audits) are ignored and counted, instead of making it incomplete."""
    path = check_readable(Path(path))
    fmt = detect_format(path, fmt)
    remove_stale_staging()
    rows, sha, bad = _read(path, fmt, encoding, strict)
    key = load_key("responses", sha, instrument=instrument, **({"other_dimensions": "ignored"} if other_dimensions else {}))
    report = already_loaded(store, key, "responses", path)
    if report is not None:
        return report
    report = LoadReport("responses", str(path), rows=len(rows) + len(bad))
    _check_columns(path, rows)
    given = resolve_instrument(instrument, store) if instrument else None
    records, answers, more_bad = _parse_rows(store, path, rows, given, strict, other_dimensions)
    bad = sorted(bad + more_bad, key=lambda b: b.row)
    with store.transaction():
        used = {r["instrument"].sha256: r["instrument"] for r in records}
        for inst in used.values():
            store.register_instrument(inst)
        run_id = store.start_run(
            "ingest_responses",
            instrument_sha256=next(iter(used)) if len(used) == 1 else None,
            settings={"format": fmt, "instrument": instrument, "encoding": encoding, "strict": strict,
                      "other_dimensions": "ignored" if other_dimensions else "incomplete"},
            source_file=str(path), source_sha256=sha, load_key=key,
        )
        inserted = write_responses(store, [{**r, "run_id": run_id} for r in records], answers)
        insert_rejects(store, run_id, path, bad)
        report.warnings = response_warnings([r for r in records if r["response_id"] in inserted], len(bad))
        if report.warnings and fail_on_warning:
            raise InputError(f"{path}: {report.warnings[0]} --strict: nothing was loaded.")
        store.finish_run(run_id)
    report.run_id = run_id
    report.rejected = len(bad)
    for status in ("valid", "refused", "unparseable", "incomplete", "no_choice"):
        n = sum(1 for r in records if r["status"] == status and r["response_id"] in inserted)
        if n or status != "no_choice":  # dilemmas answered with both actions or neither, where there are any
            report.counts[status] = n
    skipped = len(records) - len(inserted)
    if skipped:
        report.counts["already_stored"] = skipped
        report.notes.append(f"{skipped} trials were already in the store (same request key) and were kept as stored.")
    if bad:
        report.notes.append(f"{len(bad)} rows not loaded; see the rejects table (run {run_id}).")
    if other_dimensions:
        report.notes.append(_ignored_note(records))
    return report


def _ignored_note(records: list[dict]) -> str:
    """How many answers named dimensions the instrument does not show, and which (--other-dimensions ignore)."""
    rows = [r for r in records if r["ignored"]]
    names = sorted({n for r in rows for n in r["ignored"]})
    if not rows:
        return "No answer named a dimension the instrument does not show: nothing was ignored."
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5:,} more" if len(names) > 5 else "")
    return (f"Ignored, as asked (--other-dimensions ignore): {sum(len(r['ignored']) for r in rows):,} entries in "
            f"{len(rows):,} answers naming {len(names):,} dimensions the instrument does not show ({shown}).")


def _read(path: Path, fmt: str, encoding, strict) -> tuple[list[tuple[int, dict]], str, list[BadRow]]:
    from papers.ingest.files import sha256_file

    if fmt == "csv":
        scanned = scan_csv(path, encoding=encoding, strict=strict)
        try:
            frame = read_csv_frame(scanned)
        finally:
            scanned.cleanup()
        rows = [(scanned.row_of(i), rec) for i, rec in enumerate(frame.iter_rows(named=True))]
        return rows, scanned.sha256, scanned.bad
    if fmt == "jsonl":
        unread: list[BadRow] | None = None if strict else []
        rows = list(read_jsonl(path, encoding, unread))
        if not rows:
            raise InputError(f"{path}: the file holds no {'readable ' if unread else ''}JSON lines.",
                             "export the responses again.")
        secrets = secret_values()
        return rows, sha256_file(path), [BadRow(b.row, redact(b.raw, secrets), b.reason) for b in unread or []]
    if fmt == "parquet":
        try:
            frame = pl.read_parquet(path)
        except Exception as e:  # polars raises several types for a damaged file
            raise InputError(f"{path}: not a readable Parquet file ({excerpt(str(e).splitlines()[0])}).") from e
        if frame.height == 0:
            raise InputError(f"{path}: the file has columns but no rows.", "export the responses again.")
        return list(enumerate(frame.iter_rows(named=True), start=1)), sha256_file(path), []
    raise InputError(f"{path}: unknown format '{fmt}'.", "use --format csv, jsonl or parquet.")


def _check_columns(path: Path, rows: list[tuple[int, dict]]) -> None:
    present = set()
    for _, rec in rows:
        present.update(rec)
    missing = [c for c in REQUIRED if c not in present]
    if missing:
        raise InputError(
            f"{path}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}.",
            f"a responses file needs the columns {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)}).",
        )


def _parse_rows(store, path, rows, given: Instrument | None, strict, other_dimensions: bool = False):
    instruments: dict[str | None, Instrument] = {}
    records, answers, bad = [], [], []
    seen: dict[str, int] = {}
    secrets = secret_values()
    for row, rec in rows:
        try:
            record = _record(store, row, rec, given, instruments, secrets, other_dimensions)
        except _BadField as e:
            bad.append(bad_value(path, row, e.field, e.problem, e.hint, strict, raw=e.raw))
            continue
        rid = record["response_id"]
        if rid in seen:
            bad.append(bad_value(
                path, row, "trial",
                f"repeats the trial of row {seen[rid]} (same model, task, condition, trial, item order, temperature, "
                "variant and scenario).",
                "give each replicate its own trial number, or remove the copy; pass --skip-bad-rows to keep the first.",
                strict,
            ))
            continue
        seen[rid] = row
        records.append(record)
        answers.extend(record.pop("answers"))
    return records, answers, bad


class _BadField(Exception):
    def __init__(self, field, problem, hint=None, raw: str = ""):
        super().__init__(problem)
        self.field, self.problem, self.hint, self.raw = field, problem, hint, raw


def _text(rec, name, required=True) -> str | None:
    value = rec.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if required:
            raise _BadField(name, "is empty.")
        return None
    if isinstance(value, (bool, dict, list)):
        raise _BadField(name, f"{_shown(value)} is not text.")
    value = _as_text(value, name)
    value = value.strip() if name != "raw_text" else value
    if required and not value:
        raise _BadField(name, "is empty.")
    return value or None


def _as_text(value, name) -> str:
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    elif not isinstance(value, str):
        try:
            value = str(value)
        except ValueError:  # an integer of thousands of digits
            raise _BadField(name, "is a number too long to read as text.") from None
    problem = answer_problem(value)
    if problem:  # DuckDB would be handed it whole (a 300 MB answer ended in its out-of-memory error)
        what = problem if name == "raw_text" else problem.replace("the answer is", "the value is").replace(
            "one answer", "one value")
        raise _BadField(name, f"{what}.", "shorten the value, or pass --skip-bad-rows to load the rest and keep this "
                        "row, its value cut short, in the rejects table.", raw=excerpt(value, 200))
    return value


def _record(store, row, rec, given: Instrument | None, instruments, secrets: list[str],
            other_dimensions: bool = False) -> dict:
    inst = given or _row_instrument(store, rec, instruments)
    model = _text(rec, "model")
    task = _choice(rec, "task", inst.task_keys)
    condition = _choice(rec, "condition", inst.condition_keys)
    trial = _whole(rec, "trial")
    scenario = _scenario(rec, inst, task, condition)
    # a choose answer is about its scenario's two actions: item_order lists the dimensions they serve, A first
    shown = inst.scenario(scenario).pair if scenario else inst.shown(condition)
    order = _item_order(rec, shown)
    variant = _variant(rec, inst, task)
    temperature = _number(rec, "temperature")
    raw_text = rec.get("raw_text")
    raw_text = None if raw_text is None else redact(_as_text(raw_text, "raw_text"), secrets)
    parsed = parse_answer(raw_text, task, shown, inst, item_order=order, variant=variant,
                          ignore_unknown=other_dimensions, scenario=scenario)
    rid = response_id(inst.sha256, model, task, condition, trial, order, {"temperature": temperature}, variant, scenario)
    answers = [
        {"response_id": rid, "dimension": k, "rank": parsed.ranks.get(k), "rating": parsed.ratings.get(k)}
        for k in shown
        if parsed.status == "valid" and task != "open"
    ]
    return {
        "response_id": rid, "model": model, "model_reported": redact(_text(rec, "model_reported", required=False), secrets),
        "instrument": inst, "instrument_sha256": inst.sha256, "task": task, "condition": condition,
        "trial": trial, "item_order": order, "variant": variant, "scenario": scenario, "temperature": temperature,
        "prompt": None,
        "raw_text": raw_text, "status": parsed.status, "error": parsed.error,
        "created_at": _timestamp(rec, "created_at"), "answers": answers, "ignored": parsed.ignored,
    }


def _scenario(rec, inst: Instrument, task: str, condition: str) -> str | None:
    """The dilemma a choose answer is about: one the condition asks; no scenario for other tasks."""
    value = _text(rec, "scenario", required=task == "choose")
    if task != "choose":
        if value is not None:
            raise _BadField("scenario", f"'{excerpt(value)}' is given for a {task} answer; a scenario belongs to "
                            "a choose answer only.", "leave it empty for rank, rate and open answers.")
        return None
    asked = [s.key for s in inst.scenarios(condition)]
    if value not in asked:
        shown = ", ".join(asked[:6]) + (f" ... ({len(asked)} in all)" if len(asked) > 6 else "")
        raise _BadField("scenario", f"'{excerpt(value)}' is not a dilemma the {condition} condition of {inst.label} "
                        "asks.", f"use a scenario key of its choose task, e.g. {shown or 'none: it asks no dilemma'}.")
    return value


def _variant(rec, inst: Instrument, task: str) -> str:
    """The variant of the task the answer was asked in; the task's own prompt (`default`) when not given."""
    value = _text(rec, "variant", required=False) or "default"
    allowed = inst.task(task).variant_ids if task in WORDED_TASKS else ("default",)
    if value not in allowed:
        raise _BadField("variant", f"'{excerpt(value)}' is not a variant of the {task} task of {inst.label}.",
                        f"use one of: {', '.join(allowed)} (or leave it empty for the default wording).")
    return value


def _row_instrument(store, rec, instruments) -> Instrument:
    """The instrument a row names: by name only, never a file (see named_instrument)."""
    ref = _text(rec, "instrument", required=False)
    if ref not in instruments:
        try:
            instruments[ref] = named_instrument(ref, store) if ref else resolve_instrument(None, store)
        except PapersError as e:
            raise _BadField("instrument", e.message, e.hint) from e
    return instruments[ref]


def _choice(rec, name, allowed) -> str:
    value = _text(rec, name)
    if value not in allowed:
        raise _BadField(name, f"'{excerpt(value)}' is not one of the instrument's {name}s.",
                        f"use one of: {', '.join(allowed)}.")
    return value


MAX_TRIAL = 2**31 - 1  # the store's trial column is a 32-bit integer


def _whole(rec, name) -> int:
    value = rec.get(name)
    hint = "trials are numbered 0, 1, 2, ..."
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _BadField(name, f"{_shown(value)} is not a whole number.", hint)
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise _BadField(name, f"{_shown(value)} is not a whole number.", hint) from None
    if not number.is_integer() or number < 0:
        raise _BadField(name, f"{_shown(value)} is not a whole number of 0 or more.", hint)
    if number > MAX_TRIAL:
        raise _BadField(name, f"{_shown(value)} is larger than the largest trial number, {MAX_TRIAL:,}.", hint)
    return int(number)


def _number(rec, name) -> float | None:
    value = rec.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _BadField(name, f"{_shown(value)} is not a number.")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise _BadField(name, f"{_shown(value)} is not a number.") from None
    if math.isinf(number):
        raise _BadField(name, f"{_shown(value)} is not a finite number.")
    return None if math.isnan(number) else number


def _shown(value) -> str:
    """A value as a message quotes it: JSON's spelling for true/false/null, a short excerpt of text."""
    if value is None or isinstance(value, (bool, dict, list)):
        return excerpt(json.dumps(value) if not isinstance(value, (dict, list)) else type(value).__name__)
    return f"'{excerpt(value)}'"


def _item_order(rec, shown) -> list[str] | None:
    value = rec.get("item_order")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):
                raise _BadField("item_order", "is not a JSON list of dimension keys.") from None
        else:
            value = [v.strip() for v in text.replace(";", ",").replace("|", ",").split(",")]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _BadField("item_order", f"{_shown(value)} is not a list of dimension keys.",
                        f"list each of {', '.join(shown)} once, in the order they were presented.")
    value = [str(v) for v in value]
    if sorted(value) != sorted(shown):
        raise _BadField(
            "item_order", f"'{excerpt(','.join(value))}' is not an order of the shown dimensions.",
            f"list each of {', '.join(shown)} once, in the order they were presented.",
        )
    return value


def _timestamp(rec, name) -> datetime | None:
    value = rec.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _BadField(name, f"{_shown(value)} is not an ISO 8601 time such as 2026-11-27T09:30:00Z.") from None
    try:  # year 1 ahead of UTC or year 9999 behind it would be stored as 1 BC or the year 10000
        if moment.tzinfo is not None:
            moment.astimezone(timezone.utc)
    except OverflowError:
        raise _BadField(name, f"{_shown(value)} is not a time papers can use: in UTC it falls outside the years "
                              "1 to 9999.") from None
    return moment
