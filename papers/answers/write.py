"""The one write path of the tables that collection and ingest both fill.

`llm_responses` (with each valid response's `llm_answers`) is written by `papers collect` and
`papers ingest responses`; `codes` by `papers code` and `papers ingest codes`. Rows arrive as
dicts keyed by column name and become a frame typed by the store's own columns: the SQL schema
(queries/schema/) is the only definition of a table, so a migration that changes a column
changes what is written here too. Every function runs inside the caller's transaction.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Iterator

from papers.errors import StoreError
from papers.limits import MAX_ANSWER_CHARS
from papers.store import Store

GUARDED = ("raw_text", "model_reported", "error", "evidence")  # the text columns filled from outside


def write_responses(store: Store, responses: list[dict], answers: list[dict], *,
                    replace_errors: bool = False) -> set[str]:
    """Insert the responses whose key is not stored yet, with the answers of those; a response
    already stored is kept as it is (a trial is stored once). With `replace_errors`, a stored
    error of the same key is deleted first, so the new outcome replaces it. A response without
    a `created_at` is stamped with the time of the transaction. Returns the ids inserted."""
    within_caps(responses, "llm_responses")
    ids = [r["response_id"] for r in responses]
    if replace_errors:
        store.sql("delete from llm_responses where status = 'error' and response_id in (select unnest(?::varchar[]))",
                  [ids])
    stored = {r[0] for r in store.sql(
        "select response_id from llm_responses where response_id in (select unnest(?::varchar[]))", [ids]).fetchall()}
    new = [r for r in responses if r["response_id"] not in stored]
    if new:
        with registered(store, "_incoming_responses", "llm_responses", new) as columns:
            stamp = "" if "created_at" in columns else ", current_timestamp as created_at"
            store.sql(f"insert into llm_responses by name select *{stamp} from _incoming_responses")
    new_answers = [a for a in answers if a["response_id"] not in stored]
    if new_answers:
        with registered(store, "_incoming_answers", "llm_answers", new_answers):
            store.sql("insert into llm_answers by name select * from _incoming_answers")
    return {r["response_id"] for r in new}


def write_codes(store: Store, codes: list[dict], *, replace_errors_of: str | None = None) -> None:
    """Insert codes (response_id, coder, dimension, is_present, evidence, status, run_id). With
    `replace_errors_of` (a coder), that coder's error codes of the same answers are deleted first."""
    if not codes:
        return
    within_caps(codes, "codes")
    with registered(store, "_incoming_codes", "codes", codes):
        if replace_errors_of is not None:
            store.sql("delete from codes where coder = ? and status = 'error' and response_id in "
                      "(select response_id from _incoming_codes)", [replace_errors_of])
        store.sql("insert into codes by name select * from _incoming_codes")


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
def registered(store: Store, name: str, table: str, rows: list[dict]) -> Iterator[list[str]]:
    """`rows` visible to SQL as the view `name` while the block runs, typed as `table`'s columns of
    the same names (the keys of the first row); yields those column names."""
    import polars as pl

    types = column_types(store, table)
    columns = [c for c in types if c in rows[0]]
    store.con.register(name, pl.DataFrame(rows, schema={c: types[c] for c in columns}))
    try:
        yield columns
    finally:
        store.con.unregister(name)


_TYPES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> table -> polars schema


def column_types(store: Store, table: str) -> dict:
    """The polars types of a table's columns, as the store defines them. Read once per connection:
    a store's tables change only by migrations, which run when it is opened."""
    tables = _TYPES.setdefault(store.con, {})
    if table not in tables:
        tables[table] = dict(store.frame(f'select * from "{table}" limit 0').schema)
    return tables[table]
