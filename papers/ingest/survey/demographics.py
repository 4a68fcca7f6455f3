"""A Prolific demographics export, joined to the participants of a survey load as JSON attributes."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from papers.errors import InputError, located
from papers.ingest.files import read_csv_frame, scan_csv
from papers.limits import MAX_ANSWER_CHARS
from papers.text import excerpt

DEMOGRAPHIC_ID_COLUMNS = ("Participant id", "Participant ID", "participant_id", "PROLIFIC_PID", "Participant Id")


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
    _check_lengths(path, frame, scanned)
    others = [c for c in frame.columns if c != id_column]
    attributes = [json.dumps({k: v for k, v in zip(others, row)}, ensure_ascii=False)
                  for row in frame.select(others).iter_rows()]
    return pl.DataFrame({"participant_id": frame[id_column], "attributes": attributes})


def _check_lengths(path: Path, frame: pl.DataFrame, scanned) -> None:
    """Every cell is stored (in participants.attributes): one longer than papers' cap is refused."""
    for column in frame.columns:
        too_long = (frame[column].str.len_chars() > MAX_ANSWER_CHARS).arg_true()
        if len(too_long):
            raise InputError(f"{located(path, scanned.row_of(too_long[0]), column)}: the value is longer than papers' "
                             f"cap of {MAX_ANSWER_CHARS:,} characters for one value.",
                             "shorten it, or leave the column out of the demographics file.")
