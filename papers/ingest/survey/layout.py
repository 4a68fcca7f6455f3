"""Which column of a survey export holds what: the participant ID, meta columns, answer blocks, items.

Answer columns are named `<task>_<condition>_<KEY>` (e.g. `rate_non_sentient_EI`), survey items
`item_<key>`; `participant_id` (or Qualtrics' `ResponseId`, an embedded `PROLIFIC_PID`),
`finished`, `progress` and `attention_check_passed` are the meta columns. A mapping file renames
the columns of other layouts before the layout is read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from papers.errors import InputError, located
from papers.ingest.files import normalise_encoding, open_text, separator_of
from papers.instrument import Instrument
from papers.text import excerpt

ID_COLUMNS = ("participant_id", "PROLIFIC_PID", "ResponseId")


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
    status: str | None = None  # Qualtrics' Status: IP Address, Survey Preview, Survey Test, Spam, ...
    channel: str | None = None  # Qualtrics' DistributionChannel: anonymous, email, preview, test, ...
    row_ids: bool = False  # no ID column: the spreadsheet row number is the participant ID
    ignored: list[str] = field(default_factory=list)

    @property
    def answer_columns(self) -> list[str]:
        return [c for b in self.blocks for c in b.columns.values()]

    @property
    def meta_columns(self) -> list[str]:
        return [c for c in (self.finished, self.progress, self.attention, self.status, self.channel) if c]

    @property
    def read_columns(self) -> list[str]:
        ids = [] if self.row_ids else [self.id_column]
        return [*ids, *self.answer_columns, *self.items.values(), *self.meta_columns]


HEADER_ROWS = {"csv": 1, "googleforms": 1, "qualtrics": 3, "surveymonkey": 2}


def layout_kind(path: Path, fmt: str, encoding: str | None) -> str:
    """The export's kind, by its header rows: 'qualtrics' (three header rows, ImportId JSON in the
    third), 'surveymonkey' (a second header row of options: Response, Open-Ended Response, the rows
    of a grid), else 'csv' (one header row; Google Forms exports are plain CSV)."""
    if fmt != "auto":
        return fmt
    try:
        with open(path, "rb") as raw:
            text = open_text(raw, normalise_encoding(encoding))
            head = [row for _, row in zip(range(3), csv.reader(text, delimiter=separator_of(path)))]
            text.detach()
    except (UnicodeDecodeError, csv.Error):
        return "csv"  # the full scan reports the problem with its row
    if len(head) == 3 and any('"ImportId"' in cell for cell in head[2]):
        return "qualtrics"
    if len(head) >= 2 and "" in head[0] and any(c.strip().lower() in ("response", "open-ended response") for c in head[1]):
        return "surveymonkey"
    return "csv"


def find_layout(path: Path, names: list[str], inst: Instrument, *, id_column: str | None = None,
                row_ids: bool = False) -> Layout:
    """Map the (renamed) columns onto participant ID, meta columns, answer blocks and items.

    The ID column is `id_column` when given, else the first of participant_id, PROLIFIC_PID and
    ResponseId; with `row_ids` there is none and each row's spreadsheet number is its ID."""
    id_column = "participant_id" if row_ids else _id_column(path, names, id_column)
    items = {name[len("item_"):]: name for name in names if name.startswith("item_")}
    for key, name in items.items():
        _check_item(path, name, key, inst)
    blocks: dict[tuple[str, str], Block] = {}
    for name in names:
        task, _, rest = name.partition("_")
        if task in ("rank", "rate") and rest and not name.startswith("item_"):
            condition, dim = _answer_column(path, name, task, rest, inst)
            blocks.setdefault((task, condition), Block(task, condition, {})).columns[dim] = name
    _check_blocks(path, blocks, inst)
    lower = {n.lower(): n for n in names}
    layout = Layout(id_column, [blocks[k] for k in sorted(blocks)], items, finished=lower.get("finished"),
                    progress=lower.get("progress"), attention=lower.get("attention_check_passed"),
                    status=lower.get("status"), channel=lower.get("distributionchannel"), row_ids=row_ids)
    used = {id_column, *layout.answer_columns, *items.values(), *layout.meta_columns}
    layout.ignored = [n for n in names if n not in used]
    return layout


def _id_column(path: Path, names: list[str], given: str | None) -> str:
    if given is not None:
        if given not in names:
            raise InputError(f"{located(path, 1, given)}: --id-column names a column the file does not have.",
                             "check the spelling against the header row (after any --mapping renames).")
        return given
    id_column = next((c for c in ID_COLUMNS if c in names), None)
    if id_column is None:
        raise InputError(
            f"{located(path, 1, 'participant_id')}: missing required column.",
            "name the column that identifies people with --id-column COLUMN (or rename it to participant_id in a "
            "--mapping file), or pass --row-ids to use each row's number as its ID (Google Forms exports have none).",
        )
    return id_column


def _check_item(path: Path, name: str, key: str, inst: Instrument) -> None:
    if key not in {i.key for i in inst.items}:
        raise InputError(
            f"{located(path, 1, name)}: the instrument {inst.id} has no survey item '{excerpt(key)}'.",
            f"items: {', '.join(i.key for i in inst.items) or '(none)'}; rename or drop the column.",
        )


def _answer_column(path: Path, name: str, task: str, rest: str, inst: Instrument) -> tuple[str, str]:
    """The condition and dimension an answer column `<task>_<condition>_<KEY>` names, checked."""
    if task not in inst.task_keys:
        raise InputError(f"{located(path, 1, name)}: the instrument {inst.id} has no '{excerpt(task)}' task.")
    conditions = sorted(inst.condition_keys, key=len, reverse=True)  # longest first: non_sentient before sentient
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
    return condition, dim


def _check_blocks(path: Path, blocks: dict[tuple[str, str], Block], inst: Instrument) -> None:
    if not blocks:
        raise InputError(
            f"{located(path, 1)}: no answer columns found.",
            "answer columns are named like rate_non_sentient_EI or rank_sentient_SA; "
            "use a --mapping file to rename the columns of other layouts.",
        )
    for (task, condition), block in blocks.items():
        missing = [k for k in inst.shown(condition) if k not in block.columns]
        if missing:
            raise InputError(
                f"{located(path, 1)}: the {task} answers for {condition} have no column for "
                f"{', '.join(missing)} (expected {task}_{condition}_{missing[0]} ...).",
                "every shown dimension needs a column; add it or rename it with a --mapping file.",
            )
