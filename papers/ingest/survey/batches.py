"""Survey rows in batches: read, recoded, checked, numbered and staged as Parquet, then published.

A value that cannot be read as a number where one belongs stops the load (strict), or sends its
row to `rejects` (--skip-bad-rows); every row keeps its spreadsheet row number for messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from papers.errors import InputError, StoreError, located
from papers.ingest.files import BadRow
from papers.ingest.survey.layout import Layout
from papers.ingest.survey.mapping import Mapping, recode
from papers.ingest.survey.rows import FALSE, TRUE, answer_frame, flag, item_frame, participant_frame
from papers.instrument import Instrument
from papers.limits import MAX_ANSWER_CHARS
from papers.store import Store, query
from papers.text import excerpt

BATCH_ROWS = 100_000
MAX_RANK = 1_000_000  # a rank beyond any instrument's length, and far inside the store's integer


def batches(scanned, names: list[str], layout: Layout):
    wanted = layout.read_columns
    original = {n: h for n, h in zip(names, scanned.header)}
    frame = pl.scan_csv(
        scanned.path, infer_schema=False, skip_rows_after_header=scanned.skip_after_header,
        empty_string_is_null=False, encoding="utf8", separator=scanned.separator,
    ).select([pl.col(original[c]).alias(c) for c in wanted]).with_row_index("_i")
    try:
        yield from frame.collect_batches(chunk_size=BATCH_ROWS)
    except pl.exceptions.PolarsError as e:
        raise InputError(f"{scanned.source}: not readable as CSV ({excerpt(str(e).splitlines()[0])}).",
                         "re-save the file as CSV (UTF-8) from the program that wrote it.") from e


@dataclass
class BatchLoader:
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
        self.texts = [c for c in (self.layout.status, self.layout.channel) if c]

    def load(self, batch: pl.DataFrame) -> list[BadRow]:
        batch, bad = self.checked(batch)
        values = batch.select(
            "_i",
            self.participant_id(batch),
            *[pl.col(c).cast(pl.Float64) for c in self.numeric],
            *[flag(c).alias(c) for c in self.flags],
            *[pl.col(c) for c in self.texts],
        )
        values = self.numbered(values)
        self.batches += 1
        self.write("participants", self.participants(values))
        self.write("answers", answer_frame(values, self.layout))
        if self.layout.items:
            self.write("items", item_frame(values, self.layout))
        return bad

    def participant_id(self, batch: pl.DataFrame) -> pl.Series | pl.Expr:
        """The ID column, or with --row-ids the spreadsheet row of each record ("row-12")."""
        if not self.layout.row_ids:
            return pl.col(self.layout.id_column).alias("participant_id")
        rows = self.rows[batch["_i"].to_numpy()]
        return pl.Series("participant_id", [f"row-{r}" for r in rows], dtype=pl.String)

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
        batch = recode(batch.with_columns(pl.col(c).str.strip_chars() for c in text_columns), self.maps)
        batch = batch.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)) for c in text_columns)
        parsed = {c: pl.col(c).cast(pl.Float64, strict=False) for c in self.numeric}
        checks = [(c, pl.col(c).str.len_chars() > MAX_ANSWER_CHARS,  # an ID is stored: DuckDB would hold it whole
                   f"is longer than papers' cap of {MAX_ANSWER_CHARS:,} characters for one value") for c in text_columns]
        checks += [(c, parsed[c].is_null() & pl.col(c).is_not_null(), "is not a number") for c in self.numeric]
        checks += [(c, parsed[c].is_nan() | parsed[c].is_infinite(), "is not a finite number") for c in self.numeric]
        checks += [(c, ~pl.col(c).str.to_lowercase().is_in(list(TRUE | FALSE)), "is not yes/no, true/false or 1/0")
                   for c in self.flags]
        rank_columns = [c for b in self.layout.blocks if b.task == "rank" for c in b.columns.values()]
        checks += [(c, parsed[c].is_not_null() & (parsed[c] != parsed[c].floor()), "is not a whole number")
                   for c in rank_columns]
        checks += [(c, parsed[c].abs() > MAX_RANK, f"is not a rank (far outside 1 to {MAX_RANK:,})")
                   for c in rank_columns]
        if not self.layout.row_ids:
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
        frame = participant_frame(values, self.layout, self.inst, self.rows)
        if self.demographics is not None:
            frame = frame.join(self.demographics, on="participant_id", how="left")
        else:
            frame = frame.with_columns(attributes=pl.lit(None, pl.String))
        return frame


def _raw_row(batch: pl.DataFrame, index: int) -> str:
    row = batch.filter(pl.col("_i") == index).drop("_i").row(0)
    return ",".join("" if v is None else str(v) for v in row)[:2000]


def _value_hint(column: str, problem: str) -> str:
    if "papers' cap" in problem:
        return "shorten the value, or pass --skip-bad-rows to keep this row, cut short, in rejects."
    if "number" in problem:
        return (f"'{column}' holds numbers; leave a missing answer empty, recode text answers with a --mapping "
                "file (values: {column: {text: number}}), or pass --skip-bad-rows to keep this row in rejects.")
    if "empty" in problem:
        return "every row needs a participant ID; pass --skip-bad-rows to keep this row in rejects."
    return "recode the column's values with a --mapping file, or pass --skip-bad-rows to keep this row in rejects."
