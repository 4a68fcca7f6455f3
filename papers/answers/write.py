"""The one write path of the tables that collection and ingest both fill.

`llm_responses` (with each valid response's `llm_answers`) is written by `papers collect` and
`papers ingest responses`; `codes` by `papers code` and `papers ingest codes`. Rows arrive as
dicts keyed by column name and are read typed by the store's own columns: the SQL schema
(queries/schema/) is the only definition of a table, so a migration that changes a column
changes what is written here too. Every function runs inside the caller's transaction.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import tempfile
import weakref
from typing import Iterator

from papers.errors import StoreError
from papers.limits import MAX_ANSWER_CHARS
from papers.store import Store, listed, unnest_listed

GUARDED = ("raw_text", "model_reported", "error", "evidence")  # the text columns filled from outside


def write_responses(store: Store, responses: list[dict], answers: list[dict], *,
                    replace_errors: bool = False) -> set[str]:
    """Insert the responses whose key is not stored yet, with the answers of those; a response
    already stored is kept as it is (a trial is stored once). With `replace_errors`, a stored
    error of the same key is deleted first, so the new outcome replaces it. A response without
    a `created_at` is stamped with the time of the transaction. Returns the ids inserted."""
    if not responses:
        return set()
    within_caps(responses, "llm_responses")
    if replace_errors:
        store.sql(f"delete from llm_responses where status = 'error' and response_id in (select {unnest_listed()})",
                  [listed(r["response_id"] for r in responses)])
    stored = {r[0] for r in store.sql(
        f"select response_id from llm_responses where response_id in (select {unnest_listed()})",
        [listed(r["response_id"] for r in responses)]).fetchall()}
    new = [r for r in responses if r["response_id"] not in stored]
    if new:
        with rows_source(store, "llm_responses", new) as (source, columns):
            stamp = "" if "created_at" in columns else ", current_timestamp as created_at"
            store.sql(f"insert into llm_responses by name select *{stamp} from {source}")
    new_answers = [a for a in answers if a["response_id"] not in stored]
    if new_answers:
        with rows_source(store, "llm_answers", new_answers) as (source, _):
            store.sql(f"insert into llm_answers by name select * from {source}")
    return {r["response_id"] for r in new}


def write_codes(store: Store, codes: list[dict], *, replace_errors_of: str | None = None) -> None:
    """Insert codes (response_id, coder, dimension, is_present, evidence, status, run_id). With
    `replace_errors_of` (a coder), that coder's error codes of the same answers are deleted first."""
    if not codes:
        return
    within_caps(codes, "codes")
    if replace_errors_of is not None:
        store.sql(f"delete from codes where coder = ? and status = 'error' and response_id in (select {unnest_listed()})",
                  [replace_errors_of, listed({c["response_id"] for c in codes})])
    with rows_source(store, "codes", codes) as (source, _):
        store.sql(f"insert into codes by name select * from {source}")


def within_caps(rows: list[dict], table: str) -> None:
    """The last guard of papers' cap on an answer (papers.limits): collect and ingest turn a longer
    one into an error row or a message first, so this fires only on a bug, before DuckDB is handed
    hundreds of megabytes (which ended in its out-of-memory error, the batch lost)."""
    for row in rows:
        for column in GUARDED:
            value = row.get(column)
            if isinstance(value, str) and len(value) > MAX_ANSWER_CHARS:
                raise StoreError(f"{table}: the {column} of {row.get('response_id')} is {len(value):,} characters "
                                 f"long, more than papers' cap of {MAX_ANSWER_CHARS:,}; nothing of this batch was "
                                 "written.", "this is a bug in papers: please report it with the command you ran.")


@contextlib.contextmanager
def rows_source(store: Store, table: str, rows: list[dict]) -> Iterator[tuple[str, list[str]]]:
    """`rows` as a table function to select from while the block runs, typed as `table`'s columns
    of the same names (the keys of the first row); yields it and those column names.

    The rows reach DuckDB as JSON lines in a temporary file that its JSON reader reads with the
    table's own types: neither polars nor pyarrow is imported (a collecting process stays small and
    starts fast; bench/collect.py), and twenty thousand rows take a fraction of a second. The
    file's name is papers' own (tempfile's), written into the statement as a quoted literal."""
    types = column_types(store, table)
    columns = [c for c in types if c in rows[0]]
    spec = ", ".join(f"'{c}': '{types[c]}'" for c in columns)  # names and types from the store's own schema
    longest = 0
    encode = json.JSONEncoder(ensure_ascii=False, default=_json_value).encode  # one encoder, not one per row
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".jsonl", prefix="papers-rows-") as file:
        for row in rows:
            line = encode({c: row.get(c) for c in columns})
            longest = max(longest, len(line))
            file.write(line + "\n")
        file.flush()
        path = file.name.replace("'", "''")
        # DuckDB's buffers are as large as the largest object allowed: as large as this batch needs
        size = max(MIN_OBJECT_BYTES, 4 * longest + 1)  # a character is at most 4 bytes of UTF-8
        yield (f"read_json('{path}', columns = {{{spec}}}, format = 'newline_delimited', "
               f"maximum_object_size = {size})"), columns


MIN_OBJECT_BYTES = 2**20


def _json_value(value):
    """What json cannot write itself: a time as ISO 8601 (one without a zone is UTC, as the store reads it)."""
    if isinstance(value, datetime.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a value papers stores")


_TYPES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> table -> column -> DuckDB type


def column_types(store: Store, table: str) -> dict:
    """The DuckDB types of a table's columns, as the store defines them. Read once per connection:
    a store's tables change only by migrations, which run when it is opened."""
    tables = _TYPES.setdefault(store.con, {})
    if table not in tables:
        tables[table] = dict(store.sql("select column_name, data_type from duckdb_columns() where table_name = ? "
                                       "and schema_name = 'main' order by column_index", [table]).fetchall())
    return tables[table]
