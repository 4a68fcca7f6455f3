"""Storing what collection calls return: each outcome parsed and committed once, with its faults.

An outcome is committed (its response, the answers of a valid one, every failed attempt in
`llm_errors`) in the transaction of the batch it arrived with, before the next is awaited; a
trial whose key is stored already is never requested again, so a killed run resumes where it
stopped without repeating a stored trial.
"""

from __future__ import annotations

from papers.answers.parse import parse_answer
from papers.answers.write import write_responses
from papers.collect.calls import Outcome
from papers.collect.plan import Decoding, Trial
from papers.instrument import Instrument
from papers.store import Store, query


def pending_trials(store: Store, plan: list[Trial], retry_errors: bool) -> tuple[list[Trial], int]:
    """Trials not yet stored (and, with retry_errors, those stored as errors); and how many are reused."""
    if not plan:
        return [], 0
    stored = dict(store.sql(query("collect/stored_trials"), {"response_ids": [t.response_id for t in plan]}).fetchall())
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
    for outcome in outcomes:
        response, valid = _response(run_id, instrument, outcome, decoding)
        responses.append(response)
        answers += valid
    write_responses(store, responses, answers, replace_errors=replace_errors)
    log_faults(store, run_id, outcomes)
    return [r["status"] for r in responses]


def _response(run_id: int, instrument: Instrument, outcome: Outcome, decoding: Decoding) -> tuple[dict, list[dict]]:
    """An outcome as an llm_responses row, and its llm_answers rows when it is a valid ranking or rating."""
    trial = outcome.trial
    # a choose trial's answer ranks the two dimensions its actions serve: 1 for the one chosen
    shown = trial.item_order if trial.task == "choose" else instrument.shown(trial.condition)
    answers = []
    if outcome.error is not None:
        status, error = "error", outcome.error
    else:
        parsed = parse_answer(outcome.text, trial.task, shown, instrument, item_order=trial.item_order,
                              variant=trial.variant, scenario=trial.scenario)
        status, error = parsed.status, parsed.error
        if status == "valid" and trial.task != "open":
            answers = [{"response_id": trial.response_id, "dimension": k, "rank": parsed.ranks.get(k),
                        "rating": parsed.ratings.get(k)} for k in shown]
    response = {
        "response_id": trial.response_id, "run_id": run_id, "model": trial.model,
        "model_reported": outcome.model_reported, "instrument_sha256": instrument.sha256, "task": trial.task,
        "condition": trial.condition, "trial": trial.trial, "item_order": list(trial.item_order),
        "variant": trial.variant, "scenario": trial.scenario,
        "temperature": decoding.temperature,
        "prompt": outcome.prompt if outcome.prompt is not None else trial.messages(instrument, decoding)[-1]["content"],
        "raw_text": outcome.text, "status": status, "error": error, "latency_ms": outcome.latency_ms,
        "input_tokens": outcome.input_tokens, "output_tokens": outcome.output_tokens, "cost_usd": outcome.cost_usd,
    }
    return response, answers


def log_faults(store: Store, run_id: int, outcomes: list[Outcome], label: str = "") -> None:
    """Keep every failed attempt of these outcomes in llm_errors (inside the caller's transaction)."""
    rows = [(o.trial.response_id, run_id, attempt, label + fault)
            for o in outcomes for attempt, fault in enumerate(o.faults, 1)]
    if rows:  # one statement: a row's own statement costs DuckDB a millisecond or so
        columns = [list(c) for c in zip(*rows)]
        store.sql("insert into llm_errors (response_id, run_id, attempt, error) select unnest(?::varchar[]), "
                  "unnest(?::integer[]), unnest(?::integer[]), unnest(?::varchar[])", columns)
