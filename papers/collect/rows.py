"""An outcome of a call (or a batch job's result) as the rows it is stored as: parsing its answer.

Apart from storage.py so that the worker processes parsing a batch job's results import only what
parsing needs (not DuckDB: each worker starts in a fraction of a second)."""

from __future__ import annotations

from papers.answers.parse import parse_answer
from papers.collect.calls import Outcome
from papers.collect.plan import Decoding
from papers.instrument import Instrument


def outcome_rows(run_id: int, instrument: Instrument, outcome: Outcome, decoding: Decoding) -> tuple[dict, list[dict]]:
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



def chunk_rows(job: tuple) -> list[tuple[dict, list[dict]]]:
    """outcome_rows of (run_id, instrument, outcomes, decoding): one worker's share."""
    run_id, instrument, outcomes, decoding = job
    return [outcome_rows(run_id, instrument, outcome, decoding) for outcome in outcomes]
