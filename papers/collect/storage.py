"""Storing what collection calls return: each outcome parsed and committed once, with its faults.

An outcome is committed (its response, the answers of a valid one, every failed attempt in
`llm_errors`) in the transaction of the batch it arrived with, before the next is awaited; a
trial whose key is stored already is never requested again, so a killed run resumes where it
stopped without repeating a stored trial.
"""

from __future__ import annotations

import atexit
import os

from papers.answers.write import write_responses
from papers.collect.calls import Outcome
from papers.collect.plan import Decoding, Trial
from papers.collect.rows import chunk_rows, outcome_rows
from papers.instrument import Instrument
from papers.store import Store, listed, query, unnest_listed


def pending_trials(store: Store, plan: list[Trial], retry_errors: bool) -> tuple[list[Trial], int]:
    """Trials not yet stored (and, with retry_errors, those stored as errors); and how many are reused."""
    if not plan:
        return [], 0
    stored = dict(store.sql(query("collect/stored_trials"), {"response_ids": listed(t.response_id for t in plan)}).fetchall())
    todo = [t for t in plan if t.response_id not in stored or (retry_errors and stored[t.response_id] == "error")]
    return todo, len(plan) - len(todo)


def store_outcomes(store: Store, run_id: int, instrument: Instrument, outcomes: list[Outcome], decoding: Decoding,
                   replace_errors: bool = False) -> list[str]:
    """Parse and commit outcomes that have arrived (with their faults) in one transaction.

    Returns their statuses. With `replace_errors`, a stored error row of the same trial is
    replaced by the new outcome (its faults stay in llm_errors).
    """
    with store.transaction():
        return write_outcomes(store, run_id, instrument, outcomes, decoding, replace_errors)


def write_outcomes(store: Store, run_id: int, instrument: Instrument, outcomes: list[Outcome], decoding: Decoding,
                   replace_errors: bool = False) -> list[str]:
    """store_outcomes inside the caller's transaction (a batch job's results and its state commit together)."""
    responses, answers = [], []
    for response, valid in _responses(run_id, instrument, outcomes, decoding):
        responses.append(response)
        answers += valid
    write_responses(store, responses, answers, replace_errors=replace_errors)
    log_faults(store, run_id, outcomes)
    return [r["status"] for r in responses]


_response = outcome_rows  # its name before it moved to rows.py

PARALLEL_FROM = 2000  # outcomes stored at once (a batch job's results) from which worker processes parse them
PARALLEL_CHUNK = 250  # outcomes sent to a worker at a time


def _responses(run_id: int, instrument: Instrument, outcomes: list[Outcome], decoding: Decoding):
    """The rows of each outcome (papers.collect.rows), in order. Parsing an answer is most of storing it: a
    batch job's thousands of results are parsed by worker processes on the other cores (the
    transaction stays here; a worker writes nothing), a live run's few at a time here."""
    workers = _parsers() if len(outcomes) >= PARALLEL_FROM else None
    if workers is None:
        return [outcome_rows(run_id, instrument, outcome, decoding) for outcome in outcomes]
    chunks = [outcomes[i:i + PARALLEL_CHUNK] for i in range(0, len(outcomes), PARALLEL_CHUNK)]
    return [row for rows in workers.map(chunk_rows, [(run_id, instrument, c, decoding) for c in chunks]) for row in rows]


_PARSERS: list = []


def _parsers():
    """Worker processes for parsing, one per idle core, started once per process; None unless at
    least two cores are idle (on a machine busy with other work, workers only wait for a core, and
    measured slower than parsing here). spawn, not fork: DuckDB's threads live here; each worker
    ends itself when this process is gone."""
    from papers.collect.pool import end_with_parent, idle_cores

    if not _PARSERS:
        cores = idle_cores()
        if cores < 2:
            return None
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _PARSERS.append(ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=end_with_parent, initargs=(os.getpid(),)))
        atexit.register(_PARSERS[0].shutdown, wait=False, cancel_futures=True)
    return _PARSERS[0]


def log_faults(store: Store, run_id: int, outcomes: list[Outcome], label: str = "") -> None:
    """Keep every failed attempt of these outcomes in llm_errors (inside the caller's transaction)."""
    rows = [(o.trial.response_id, run_id, attempt, label + fault)
            for o in outcomes for attempt, fault in enumerate(o.faults, 1)]
    if rows:  # one statement: a row's own statement costs DuckDB a millisecond or so
        columns = [listed(c) for c in zip(*rows)]
        store.sql("insert into llm_errors (response_id, run_id, attempt, error) select "
                  + ", ".join(unnest_listed(t) for t in ("VARCHAR", "INTEGER", "INTEGER", "VARCHAR")), columns)
