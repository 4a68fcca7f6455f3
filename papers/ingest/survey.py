"""`papers ingest survey`: human survey exports (plain CSV, Qualtrics), with exclusion rules.

A survey file has one row per participant. Answer columns are named `<task>_<condition>_<KEY>`
(e.g. `rate_non_sentient_EI`), survey items `item_<key>`; `participant_id`, `finished` and
`attention_check_passed` are optional meta columns (Qualtrics' `Finished`, `Progress`,
`ResponseId` and an embedded `PROLIFIC_PID` are recognised). A mapping file renames other
layouts' columns and recodes their values.

Participants are never dropped: each is stored with `is_excluded` and the reasons, in this order:
unfinished, failed attention check, duplicate participant (later copies of an ID in the sample),
incomplete or invalid ranking (not a permutation of 1..n over the shown dimensions), incomplete
ratings, rating out of range, item out of range, no answers. A value that cannot be read as a
number where one belongs stops the load (or, with --skip-bad-rows, sends the row to `rejects`).

The file is read in batches (polars), staged in DuckDB temporary tables, and moved into the
public tables in one transaction, so memory stays bounded and a failed load leaves no trace.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from papers.errors import InputError, StoreError, located
from papers.ingest.common import LoadReport, insert_rejects, load_key
from papers.ingest.files import (
    BadRow,
    normalise_encoding,
    open_text,
    read_csv_frame,
    remove_stale_staging,
    scan_csv,
    sha256_file,
    staging_prefix,
)
from papers.instrument import Instrument
from papers.store import Store, query, resolve_instrument
from papers.text import excerpt

BATCH_ROWS = 100_000
MAX_RANK = 1_000_000  # a rank beyond any instrument's length, and far inside the store's integer
TRUE = {"1", "true", "t", "yes", "y"}
FALSE = {"0", "false", "f", "no", "n"}
ID_COLUMNS = ("participant_id", "PROLIFIC_PID", "ResponseId")
DEMOGRAPHIC_ID_COLUMNS = ("Participant id", "Participant ID", "participant_id", "PROLIFIC_PID", "Participant Id")


@dataclass
class Block:
    """The columns of one task x condition, one per shown dimension."""

    task: str
    condition: str
    columns: dict[str, str]  # dimension key -> column name

    @property
    def label(self) -> str:
        return f"{self.task} {self.condition}"


@dataclass
class Layout:
    id_column: str
    blocks: list[Block]
    items: dict[str, str]  # item key -> column
    finished: str | None = None
    progress: str | None = None
    attention: str | None = None
    ignored: list[str] = field(default_factory=list)

    @property
    def answer_columns(self) -> list[str]:
        return [c for b in self.blocks for c in b.columns.values()]


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    sha256: str | None = None

    def recode_for(self, column: str) -> dict[str, str] | None:
        for pattern, table in self.values.items():
            if fnmatch.fnmatchcase(column, pattern):
                return table
        return None


def ingest_survey(store: Store, path: Path, *, sample: str, fmt: str = "auto", mapping: Path | None = None,
                  demographics: Path | None = None, instrument: str | None = None, encoding: str | None = None,
                  strict: bool = True, progress: bool = False) -> LoadReport:
    """Load one survey export into `participants`, `human_answers` and `human_items`: all or nothing."""
    path = Path(path)
    if fmt == "auto" and path.suffix.lower() not in (".csv", ".txt"):
        raise InputError(
            f"{path}: unknown format '{path.suffix or '(no extension)'}'.",
            "export the survey as CSV (Qualtrics: Export data > CSV), or name the layout with --format csv|qualtrics.",
        )
    sample = sample.strip()
    if not sample:
        raise InputError("--sample: give the human sample a name, e.g. prolific-2026-11.")
    inst = resolve_instrument(instrument, store)
    remove_stale_staging()
    maps = load_mapping(mapping) if mapping else Mapping()
    header_rows = 3 if _layout_kind(path, fmt, encoding) == "qualtrics" else 1
    bar = _progress_bar(path, progress)
    scanned = scan_csv(path, encoding=encoding, header_rows=header_rows, strict=strict,
                       progress=(lambda n: bar.update(n)) if bar is not None else None)
    try:
        # demographics only enrich the participants: the same survey content is the same load
        key = load_key("survey", scanned.sha256, sample=sample, mapping=maps.sha256, instrument=inst.sha256,
                       demographics=None)
        report = _already_loaded(store, path, scanned.sha256, sample, maps.sha256, inst.sha256, demographics)
        if report is not None:
            return report
        names = [maps.columns.get(h, h) for h in scanned.header]
        _check_mapping_sources(mapping, maps, scanned.header)
        layout = find_layout(path, names, inst)
        demo = read_demographics(demographics, encoding) if demographics else None
        loader = _Loader(store, path, layout, maps, inst, scanned.rows, strict, sample=sample, demographics=demo,
                         stage=Path(tempfile.mkdtemp(prefix=staging_prefix("survey"))))
        try:
            bad = list(scanned.bad)
            if bar is not None:
                bar.reset(total=len(scanned.rows))
                bar.set_description(f"loading {path.name}")
            for batch in _batches(scanned, names, layout):
                bad += loader.load(batch)
                if bar is not None:
                    bar.update(batch.height)
            if bar is not None:
                bar.set_description(f"writing {path.name} to the store")
            with store.transaction():
                store.register_instrument(inst)
                run_id = store.start_run(
                    "ingest_survey", instrument_sha256=inst.sha256,
                    settings={"sample": sample, "format": "qualtrics" if header_rows == 3 else "csv",
                              "mapping": str(mapping) if mapping else None, "mapping_sha256": maps.sha256,
                              "demographics": str(demographics) if demographics else None, "strict": strict},
                    source_file=str(path), source_sha256=scanned.sha256, load_key=key,
                )
                loader.publish({"run_id": run_id, "sample": sample, "source_file": str(path),
                                "instrument_sha256": inst.sha256})
                counts = _counts(store, run_id)
                insert_rejects(store, run_id, path, sorted(bad, key=lambda b: b.row))
                store.finish_run(run_id)
        finally:
            shutil.rmtree(loader.stage, ignore_errors=True)
    finally:
        scanned.cleanup()
        if bar is not None:
            bar.close()
    report = LoadReport("survey", str(path), run_id=run_id, rows=len(scanned.rows) + len(scanned.bad))
    report.counts = counts
    report.rejected = len(bad)
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


def _layout_kind(path: Path, fmt: str, encoding: str | None) -> str:
    if fmt in ("csv", "qualtrics"):
        return fmt
    try:
        with open(path, "rb") as raw:
            text = open_text(raw, normalise_encoding(encoding))
            head = [row for _, row in zip(range(3), csv.reader(text))]
            text.detach()
    except (UnicodeDecodeError, csv.Error):
        return "csv"  # the full scan reports the problem with its row
    if len(head) == 3 and any('"ImportId"' in cell for cell in head[2]):
        return "qualtrics"
    return "csv"


def find_layout(path: Path, names: list[str], inst: Instrument) -> Layout:
    """Map the (renamed) columns onto participant ID, meta columns, answer blocks and items."""
    lower = {n.lower(): n for n in names}
    id_column = next((c for c in ID_COLUMNS if c in names), None)
    if id_column is None:
        raise InputError(
            f"{located(path, 1, 'participant_id')}: missing required column.",
            "name the participant ID column participant_id, or rename it in a --mapping file "
            "(columns: {YourColumn: participant_id}).",
        )
    blocks: dict[tuple[str, str], Block] = {}
    items: dict[str, str] = {}
    used = {id_column}
    conditions = sorted(inst.condition_keys, key=len, reverse=True)
    for name in names:
        task, _, rest = name.partition("_")
        if name.startswith("item_"):
            key = name[len("item_"):]
            if key not in {i.key for i in inst.items}:
                raise InputError(
                    f"{located(path, 1, name)}: the instrument {inst.id} has no survey item '{excerpt(key)}'.",
                    f"items: {', '.join(i.key for i in inst.items) or '(none)'}; rename or drop the column.",
                )
            items[key] = name
            used.add(name)
        elif task in ("rank", "rate") and rest:
            if task not in inst.task_keys:
                raise InputError(f"{located(path, 1, name)}: the instrument {inst.id} has no '{excerpt(task)}' task.")
            condition = next((c for c in conditions if rest.startswith(c + "_")), None)
            if condition is None:
                raise InputError(
                    f"{located(path, 1, name)}: no condition of the instrument matches this column.",
                    f"answer columns are named <task>_<condition>_<KEY>, conditions: {', '.join(inst.condition_keys)}.",
                )
            dim = rest[len(condition) + 1:]
            if dim not in inst.dimension_keys:
                raise InputError(
                    f"{located(path, 1, name)}: the instrument {inst.id} has no dimension '{excerpt(dim)}'.",
                    f"dimensions: {', '.join(inst.dimension_keys)}; rename the column with a --mapping file, or drop it.",
                )
            if dim not in inst.shown(condition):
                raise InputError(
                    f"{located(path, 1, name)}: dimension {dim} is not shown in condition {condition}.",
                    f"condition {condition} shows {', '.join(inst.shown(condition))}.",
                )
            blocks.setdefault((task, condition), Block(task, condition, {})).columns[dim] = name
            used.add(name)
    for (task, condition), block in blocks.items():
        missing = [k for k in inst.shown(condition) if k not in block.columns]
        if missing:
            raise InputError(
                f"{located(path, 1)}: the {task} answers for {condition} have no column for "
                f"{', '.join(missing)} (expected {task}_{condition}_{missing[0]} ...).",
                "every shown dimension needs a column; add it or rename it with a --mapping file.",
            )
    if not blocks:
        raise InputError(
            f"{located(path, 1)}: no answer columns found.",
            "answer columns are named like rate_non_sentient_EI or rank_sentient_SA; "
            "use a --mapping file to rename the columns of other layouts.",
        )
    layout = Layout(id_column, [blocks[k] for k in sorted(blocks)], items)
    layout.finished = lower.get("finished")
    layout.progress = lower.get("progress")
    layout.attention = lower.get("attention_check_passed")
    used |= {c for c in (layout.finished, layout.progress, layout.attention) if c}
    layout.ignored = [n for n in names if n not in used]
    return layout


def load_mapping(path: Path) -> Mapping:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as e:
        raise InputError(f"{path}: cannot read the mapping file ({excerpt(str(e).splitlines()[0])}).") from e
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a mapping file is a YAML mapping with keys 'columns' and 'values'.")
    unknown = set(raw) - {"columns", "values"}
    if unknown:
        raise InputError(f"{path}: field '{excerpt(sorted(map(str, unknown))[0])}': unknown key.",
                         "allowed keys: columns, values.")
    columns = raw.get("columns") or {}
    values = raw.get("values") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise InputError(f"{path}: field 'columns': expected file column: papers column pairs.")
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise InputError(f"{path}: field 'values': expected, per column (or glob), a mapping of raw value: code.")
    recode = {
        str(col): {_code_text(k): _code_text(v) for k, v in table.items()} for col, table in values.items()
    }
    return Mapping({str(k): v for k, v in columns.items()}, recode, sha256_file(Path(path)))


def _code_text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _check_mapping_sources(path: Path | None, maps: Mapping, header: list[str]) -> None:
    for source in maps.columns:
        if source not in header:
            raise InputError(
                f"{path}: field 'columns.{excerpt(source)}': the survey file has no column '{excerpt(source)}'.",
                "check the spelling against the file's header row.",
            )


# ----------------------------------------------------------------------------- batches


def _batches(scanned, names: list[str], layout: Layout):
    wanted = [layout.id_column, *layout.answer_columns, *layout.items.values(),
              *[c for c in (layout.finished, layout.progress, layout.attention) if c]]
    original = {n: h for n, h in zip(names, scanned.header)}
    frame = pl.scan_csv(
        scanned.path, infer_schema=False, skip_rows_after_header=scanned.skip_after_header,
        empty_string_is_null=False, encoding="utf8",
    ).select([pl.col(original[c]).alias(c) for c in wanted]).with_row_index("_i")
    try:
        yield from frame.collect_batches(chunk_size=BATCH_ROWS)
    except pl.exceptions.PolarsError as e:
        raise InputError(f"{scanned.source}: not readable as CSV ({excerpt(str(e).splitlines()[0])}).",
                         "re-save the file as CSV (UTF-8) from the program that wrote it.") from e


@dataclass
class _Loader:
    """Checks, numbers and inserts one batch of survey rows at a time, inside the load's transaction."""

    store: Store
    path: Path
    layout: Layout
    maps: Mapping
    inst: Instrument
    rows: object  # spreadsheet row of each record
    strict: bool
    sample: str = ""
    demographics: pl.DataFrame | None = None
    stage: Path | None = None  # checked batches wait here as Parquet until the load is published
    seen: pl.DataFrame | None = None  # participant_id -> copies so far in the sample
    batches: int = 0

    def __post_init__(self):
        existing = self.store.frame(
            "select participant_id, max(copy)::integer as copies from participants where sample = ? group by 1",
            [self.sample],
        )
        self.seen = existing.cast({"copies": pl.Int64})
        self.numeric = self.layout.answer_columns + list(self.layout.items.values()) + (
            [self.layout.progress] if self.layout.progress else [])
        self.flags = [c for c in (self.layout.finished, self.layout.attention) if c]

    def load(self, batch: pl.DataFrame) -> list[BadRow]:
        batch, bad = self.checked(batch)
        values = batch.select(
            "_i",
            pl.col(self.layout.id_column).alias("participant_id"),
            *[pl.col(c).cast(pl.Float64) for c in self.numeric],
            *[_flag(c).alias(c) for c in self.flags],
        )
        values = self.numbered(values)
        self.batches += 1
        self.write("participants", self.participants(values))
        self.write("answers", _answer_frame(values, self.layout))
        if self.layout.items:
            items = values.unpivot(index=["participant_id", "copy"], on=list(self.layout.items.values()),
                                   variable_name="item", value_name="value")
            items = items.filter(pl.col("value").is_not_null()).with_columns(pl.col("item").str.strip_prefix("item_"))
            self.write("items", items)
        return bad

    def write(self, part: str, frame: pl.DataFrame) -> None:
        if frame.height:
            frame.write_parquet(self.stage / f"{part}-{self.batches:06d}.parquet", compression="lz4")

    def publish(self, params: dict) -> None:
        """Move every staged batch into the public tables (inside the caller's transaction).

        Staging through Parquet keeps memory flat: DuckDB holds rows appended from Python
        frames in memory until commit, but streams a file scan straight into the table.
        """
        for part, query_name in (("participants", "ingest/insert_participants"),
                                 ("answers", "ingest/insert_human_answers"),
                                 ("items", "ingest/insert_human_items")):
            if any(self.stage.glob(f"{part}-*.parquet")):
                self.store.run_query(query_name, {**params, "staged": str(self.stage / f"{part}-*.parquet")})
        clash = self.store.sql(query("ingest/duplicate_participants"), {"sample": params["sample"]}).fetchall()
        if clash:
            raise StoreError(f"participant key repeated in sample {params['sample']}: {clash[0][:3]}; nothing was loaded.",
                             "this is a bug in papers; please report it with the file's layout.")

    def checked(self, batch: pl.DataFrame) -> tuple[pl.DataFrame, list[BadRow]]:
        """Strip, recode and blank-to-null every value; find values that do not fit their field."""
        text_columns = [c for c in batch.columns if c != "_i"]
        batch = _recode(batch.with_columns(pl.col(c).str.strip_chars() for c in text_columns), self.maps)
        batch = batch.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)) for c in text_columns)
        parsed = {c: pl.col(c).cast(pl.Float64, strict=False) for c in self.numeric}
        checks = [(c, parsed[c].is_null() & pl.col(c).is_not_null(), "is not a number") for c in self.numeric]
        checks += [(c, parsed[c].is_nan() | parsed[c].is_infinite(), "is not a finite number") for c in self.numeric]
        checks += [(c, ~pl.col(c).str.to_lowercase().is_in(list(TRUE | FALSE)), "is not yes/no, true/false or 1/0")
                   for c in self.flags]
        rank_columns = [c for b in self.layout.blocks if b.task == "rank" for c in b.columns.values()]
        checks += [(c, parsed[c].is_not_null() & (parsed[c] != parsed[c].floor()), "is not a whole number")
                   for c in rank_columns]
        checks += [(c, parsed[c].abs() > MAX_RANK, f"is not a rank (far outside 1 to {MAX_RANK:,})")
                   for c in rank_columns]
        checks.append((self.layout.id_column, pl.col(self.layout.id_column).is_null(), "is empty"))
        any_bad = batch.select(pl.any_horizontal(e.fill_null(False) for _, e, _ in checks).alias("bad"))["bad"]
        if not any_bad.any():
            return batch, []
        bad_rows: dict[int, BadRow] = {}
        for column, expr, problem in checks:
            hits = batch.filter(expr.fill_null(False)).select("_i", column)
            for index, value in hits.iter_rows():
                row = int(self.rows[index])
                if self.strict:
                    raise InputError(f"{located(self.path, row, column)}: '{excerpt(value)}' {problem}.",
                                     _value_hint(column, problem))
                bad_rows.setdefault(index, BadRow(row, _raw_row(batch, index),
                                                  f"field '{column}': '{excerpt(value)}' {problem}"))
        return batch.filter(~pl.col("_i").is_in(list(bad_rows))), list(bad_rows.values())

    def numbered(self, values: pl.DataFrame) -> pl.DataFrame:
        """Copy number of each record: 1 for the first of an ID in the sample, 2.. for later ones."""
        values = values.join(self.seen, on="participant_id", how="left").with_columns(
            copy=(pl.col("copies").fill_null(0) + pl.int_range(pl.len()).over("participant_id") + 1).cast(pl.Int32)
        ).drop("copies")
        latest = values.group_by("participant_id").agg(copies=pl.col("copy").max().cast(pl.Int64))
        self.seen = pl.concat([self.seen.join(latest, on="participant_id", how="anti"), latest])
        return values

    def participants(self, values: pl.DataFrame) -> pl.DataFrame:
        frame = _participant_frame(values, self.layout, self.inst, self.rows)
        if self.demographics is not None:
            frame = frame.join(self.demographics, on="participant_id", how="left")
        else:
            frame = frame.with_columns(attributes=pl.lit(None, pl.String))
        return frame


def _recode(batch: pl.DataFrame, maps: Mapping) -> pl.DataFrame:
    exprs = []
    for column in batch.columns:
        table = maps.recode_for(column) if column != "_i" else None
        if not table:
            continue
        default = table.get("*")
        pairs = {k: v for k, v in table.items() if k != "*"}
        exprs.append(pl.col(column).replace_strict(
            list(pairs), list(pairs.values()), default=pl.col(column) if default is None else pl.lit(default),
            return_dtype=pl.String))
    return batch.with_columns(exprs) if exprs else batch


def _flag(column: str) -> pl.Expr:
    text = pl.col(column).str.to_lowercase()
    return pl.when(text.is_in(list(TRUE))).then(True).when(text.is_in(list(FALSE))).then(False).otherwise(None)


def _participant_frame(values: pl.DataFrame, layout: Layout, inst: Instrument, rows) -> pl.DataFrame:
    """participant_id, copy, source_row and the exclusion reasons, in the documented order."""
    reasons: list[pl.Expr] = []
    if layout.finished:
        reasons.append(pl.when(pl.col(layout.finished) == False).then(pl.lit("unfinished")))  # noqa: E712
    elif layout.progress:
        reasons.append(pl.when(pl.col(layout.progress) < 100).then(pl.lit("unfinished")))
    if layout.attention:
        reasons.append(pl.when(pl.col(layout.attention) == False).then(pl.lit("failed attention check")))  # noqa: E712
    reasons.append(pl.when(pl.col("copy") > 1).then(pl.format("duplicate participant (copy {})", pl.col("copy"))))
    answered = []
    for block in layout.blocks:
        cols = list(block.columns.values())
        n = len(cols)
        filled = pl.sum_horizontal(pl.col(c).is_not_null() for c in cols)
        answered.append(filled > 0)
        if block.task == "rank":
            # Whole ranks 1..n form a permutation iff the sum of 2^(rank-1) is 2^n - 1: any repeat
            # carries in binary and leaves fewer than n bits set.
            in_range = pl.all_horizontal((pl.col(c) >= 1) & (pl.col(c) <= n) for c in cols)
            bits = pl.sum_horizontal(pl.lit(2.0).pow(pl.col(c) - 1) for c in cols)
            perm = in_range & (bits == 2.0**n - 1)
            reasons.append(pl.when((filled > 0) & (filled < n)).then(pl.lit(f"incomplete ranking ({block.condition})"))
                           .when((filled == n) & ~perm).then(pl.lit(f"invalid ranking ({block.condition})")))
        else:
            scale = inst.task("rate").scale
            off = pl.any_horizontal((pl.col(c) < scale.min) | (pl.col(c) > scale.max) for c in cols)
            reasons.append(pl.when((filled > 0) & (filled < n)).then(pl.lit(f"incomplete ratings ({block.condition})")))
            reasons.append(pl.when(off).then(pl.lit(f"rating out of range ({block.condition})")))
    for item in inst.items:
        column = layout.items.get(item.key)
        if column:
            reasons.append(pl.when((pl.col(column) < item.scale.min) | (pl.col(column) > item.scale.max))
                           .then(pl.lit(f"item {item.key} out of range")))
    reasons.append(pl.when(~pl.any_horizontal(answered)).then(pl.lit("no answers")))
    row_numbers = pl.Series("source_row", rows[values["_i"].to_numpy()], dtype=pl.Int32)
    return values.select(
        "participant_id", "copy",
        pl.concat_str(reasons, separator="; ", ignore_nulls=True).alias("exclusion_reason"),
    ).with_columns(row_numbers, pl.col("exclusion_reason").replace("", None))


def _answer_frame(values: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    """Long answers (participant_id, copy, task, condition, dimension, value) of the answered blocks."""
    parts = []
    for block in layout.blocks:
        cols = list(block.columns.values())
        answered = values.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in cols))
        if answered.height == 0:
            continue
        long = answered.select("participant_id", "copy", *[pl.col(c).alias(k) for k, c in block.columns.items()]).unpivot(
            index=["participant_id", "copy"], variable_name="dimension", value_name="value")
        parts.append(long.with_columns(task=pl.lit(block.task), condition=pl.lit(block.condition)))
    return pl.concat(parts) if parts else pl.DataFrame()


def _raw_row(batch: pl.DataFrame, index: int) -> str:
    row = batch.filter(pl.col("_i") == index).drop("_i").row(0)
    return ",".join("" if v is None else str(v) for v in row)[:2000]


def _value_hint(column: str, problem: str) -> str:
    if "number" in problem:
        return (f"'{column}' holds numbers; leave a missing answer empty, recode text answers with a --mapping "
                "file (values: {column: {text: number}}), or pass --skip-bad-rows to keep this row in rejects.")
    if "empty" in problem:
        return "every row needs a participant ID; pass --skip-bad-rows to keep this row in rejects."
    return "recode the column's values with a --mapping file, or pass --skip-bad-rows to keep this row in rejects."


def _counts(store: Store, run_id: int) -> dict[str, int]:
    row = store.sql(
        "select count(*), count(*) filter (where is_excluded), count(*) filter (where copy > 1) "
        "from participants where run_id = ?", [run_id]).fetchall()[0]
    return {"participants": row[0], "excluded": row[1], "duplicates": row[2]}


def read_demographics(path: Path, encoding: str | None) -> pl.DataFrame:
    """A Prolific demographics export as (participant_id, attributes JSON)."""
    scanned = scan_csv(path, encoding=encoding, can_skip=False)
    try:
        frame = read_csv_frame(scanned)
    finally:
        scanned.cleanup()
    id_column = next((c for c in DEMOGRAPHIC_ID_COLUMNS if c in frame.columns), None)
    if id_column is None:
        raise InputError(
            f"{located(path, 1, 'Participant id')}: missing participant ID column.",
            "a Prolific demographics export has a 'Participant id' column; rename it if yours differs.",
        )
    duplicated = frame.with_row_index("_i").filter(pl.col(id_column).is_duplicated()).head(2)
    if duplicated.height:
        index = duplicated["_i"][1]
        raise InputError(
            f"{located(path, scanned.row_of(index), id_column)}: participant "
            f"'{excerpt(duplicated[id_column][1])}' appears twice.",
            "keep one row per participant in the demographics file.",
        )
    others = [c for c in frame.columns if c != id_column]
    attributes = [json.dumps({k: v for k, v in zip(others, row)}, ensure_ascii=False)
                  for row in frame.select(others).iter_rows()]
    return pl.DataFrame({"participant_id": frame[id_column], "attributes": attributes})


def _progress_bar(path: Path, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc=f"checking {path.name}", unit=" rows", unit_scale=True, disable=None, leave=False)
