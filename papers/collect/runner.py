"""Administer the instrument to models: plan the trials, call for the pending ones, store each answer.

A run plans every trial (papers/collect/plan.py), leaves out those already stored, and hands the
rest to the pool (pool.py), which makes the calls (calls.py) and passes each batch of outcomes
that has arrived to storage (storage.py) before it awaits more. Spending is summed as answers
are stored; at --max-cost no new call starts.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from papers.collect.batches import in_batch_jobs
from papers.collect.calls import AdaptiveLimiter, Outcome, complete, request
from papers.collect.costs import cost_limit
from papers.collect.endpoints import Routed
from papers.collect.plan import Decoding, Trial, choose_variants, make_plan
from papers.collect.pool import run_calls
from papers.collect.settings import CallSettings
from papers.collect.storage import pending_trials, store_outcomes
from papers.instrument import Instrument
from papers.outcomes import STATUSES
from papers.store import Store


@dataclass(kw_only=True)
class CollectSettings:
    """What `papers collect` administers (the plan), and how it calls."""

    models: list[str]
    tasks: list[str]
    conditions: list[str]
    trials: int
    seed: int = 0
    decoding: Decoding = field(default_factory=Decoding)
    calls: CallSettings = field(default_factory=CallSettings)
    variants: str = "all"  # all | default | ID,... (papers.collect.plan.choose_variants)

    def as_dict(self) -> dict:
        return {"models": self.models, "tasks": self.tasks, "conditions": self.conditions, "trials": self.trials,
                "seed": self.seed, "variants": self.variants, "decoding": self.decoding.key(), **self.calls.as_dict()}


@dataclass
class CollectReport(Routed):
    planned: int = 0
    reused: int = 0
    made: int = 0
    stopped: str | None = None
    run_id: int | None = None
    per_model: dict = field(default_factory=lambda: defaultdict(Counter))
    seconds: float = 0.0
    in_batch: int = 0  # pending trials not called: they are in batch jobs not yet stored

    def as_dict(self) -> dict:
        return {"planned": self.planned, "reused": self.reused, "made": self.made, "stopped": self.stopped,
                "in_batch": self.in_batch,
                "run_id": self.run_id, "seconds": round(self.seconds, 2),
                "per_model": {m: dict(c) for m, c in self.per_model.items()}, **self.routing()}


@dataclass(frozen=True)
class TrialCall:
    """The call of one trial (pickled to worker processes)."""

    instrument: Instrument
    decoding: Decoding
    settings: CallSettings

    async def __call__(self, trial: Trial, limiter: AdaptiveLimiter) -> Outcome:
        messages = trial.messages(self.instrument, self.decoding)
        kwargs = request(trial.model, messages, self.settings, temperature=self.decoding.temperature,
                         max_tokens=self.decoding.max_tokens, json_mode=trial.wants_json(self.instrument),
                         seed=trial.sampling_seed)
        return await complete(kwargs, limiter, self.settings, Outcome(trial, prompt=messages[-1]["content"]))


def plan_for(instrument: Instrument, settings: CollectSettings) -> list[Trial]:
    return make_plan(instrument, settings.models, settings.tasks, settings.conditions, settings.trials,
                     settings.seed, settings.decoding, choose_variants(instrument, settings.tasks, settings.variants))


def collect(store: Store, instrument: Instrument, settings: CollectSettings, *, profiles: dict | None = None,
            progress: bool = False) -> CollectReport:
    """Run every pending trial of the plan; returns counts per model and outcome."""
    plan = plan_for(instrument, settings)
    todo, reused = pending_trials(store, plan, settings.calls.retry_errors)
    in_jobs = in_batch_jobs(store)
    report = CollectReport(planned=len(plan), reused=reused)
    if in_jobs:  # called live as well, they would be paid twice
        report.in_batch = sum(t.response_id in in_jobs for t in todo)
        todo = [t for t in todo if t.response_id not in in_jobs]
    if not todo:
        return report
    store.register_instrument(instrument)
    report.run_id = store.start_run("collect", instrument_sha256=instrument.sha256, settings=settings.as_dict())
    started = time.perf_counter()
    bar = _bar(len(todo)) if progress else None
    store.sql("set threads = 1")  # each batch is a few small statements: DuckDB's other threads would only cost CPU
    try:
        report.stopped = run_calls(todo, TrialCall(instrument, settings.decoding, settings.calls),
                                   _storing(store, instrument, settings, report, bar), settings.calls, profiles)
    finally:
        report.seconds = time.perf_counter() - started
        store.sql("reset threads")
        store.finish_run(report.run_id)
        if bar is not None:
            bar.close()
    return report


def _storing(store: Store, instrument: Instrument, settings: CollectSettings, report: CollectReport, bar):
    """The pool's on_batch: store the outcomes, count them into the report, stop at the cost limit."""
    spent = 0.0

    def on_batch(outcomes: list[Outcome]) -> str | None:
        nonlocal spent
        statuses = store_outcomes(store, report.run_id, instrument, outcomes, settings.decoding,
                                  settings.calls.retry_errors)
        for outcome, status in zip(outcomes, statuses):
            report.made += 1
            counts = report.per_model[outcome.trial.model]
            counts[status] += 1
            counts["input_tokens"] += outcome.input_tokens or 0
            counts["output_tokens"] += outcome.output_tokens or 0
            counts["latency_ms"] += outcome.latency_ms or 0
            if outcome.cost_usd:
                spent += outcome.cost_usd
                counts["cost_micro_usd"] += round(outcome.cost_usd * 1e6)
        if bar is not None:
            bar.update(len(outcomes))
            bar.set_postfix(_postfix(report), refresh=False)
        return cost_limit(spent, settings.calls.max_cost)

    return on_batch


def _bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="collecting", unit=" trials", disable=None, leave=False)


def _postfix(report: CollectReport) -> dict:
    totals: Counter = Counter()
    for counts in report.per_model.values():
        totals.update(counts)
    return {k: totals[k] for k in STATUSES if totals[k]}
