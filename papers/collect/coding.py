"""Study 1: code open answers against the instrument's codebook with an LLM coder.

For every valid open answer not yet coded by the coder, the coder gets the codebook (each shown
dimension's definition, with the instrument's include/exclude examples) and the answer, and
replies per dimension: present or absent, with the exact words of the answer that show it. A
claimed theme whose quoted span is not in the answer is stored as `invalid_evidence` and not
analysed. Calls go through the same machinery as `papers collect` (litellm, bounded concurrency,
retries honouring Retry-After, each batch committed before the next is awaited), so a killed
run resumes without coding an answer twice.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from papers.answers.json_text import json_candidates
from papers.answers.reading import capped
from papers.answers.write import write_codes
from papers.collect.calls import AdaptiveLimiter, Outcome, complete, request
from papers.collect.costs import CodingEstimate, cost_limit, estimate_coding
from papers.collect.endpoints import Routed
from papers.collect.pool import run_calls
from papers.collect.settings import CallSettings
from papers.collect.storage import log_faults
from papers.instrument import Instrument
from papers.store import Store, listed, query, unnest_listed

PROMPT = """You are coding an answer for the value themes it expresses. For each theme below, decide \
whether the answer expresses it, and quote the exact words of the answer that show it.

Themes:
{themes}

The answer:
<answer>
{answer}
</answer>

Reply with JSON only, in the form {{"codes": {{"KEY": {{"present": true, "evidence": "exact words from the \
answer"}}, ...}}}}, with one entry for every theme key; use "present": false and "evidence": "" when a theme is absent."""


@dataclass
class CodingJob:
    response_id: str
    model: str  # the coder, so the call machinery can treat a job like a trial
    condition: str
    answer: str


@dataclass(kw_only=True)
class CodingSettings:
    """Which answers `papers code` codes, with which coder, and how it calls."""

    coder: str
    conditions: list[str] = field(default_factory=list)
    temperature: float = 0.0
    calls: CallSettings = field(default_factory=CallSettings)

    def as_dict(self) -> dict:
        return {**self.calls.as_dict(), "coder": self.coder, "conditions": self.conditions,
                "temperature": self.temperature}


@dataclass
class CodingReport(Routed):
    coder: str
    pending: int = 0
    coded: int = 0
    counts: Counter = field(default_factory=Counter)
    cost_usd: float = 0.0
    stopped: str | None = None
    seconds: float = 0.0
    run_id: int | None = None

    def as_dict(self) -> dict:
        return {"pending": self.pending, "coded": self.coded, "codes": dict(self.counts),
                "cost_usd": round(self.cost_usd, 6), "stopped": self.stopped, "seconds": round(self.seconds, 2),
                "run_id": self.run_id, **self.routing()}


@dataclass(frozen=True)
class CodingCall:
    """The call that codes one answer (pickled to worker processes)."""

    instrument: Instrument
    settings: CodingSettings

    async def __call__(self, job: CodingJob, limiter: AdaptiveLimiter) -> Outcome:
        messages = [{"role": "user", "content": coding_prompt(self.instrument, job.condition, job.answer)}]
        kwargs = request(self.settings.coder, messages, self.settings.calls, temperature=self.settings.temperature,
                         max_tokens=800, json_mode=True)
        return await complete(kwargs, limiter, self.settings.calls, Outcome(job))


def codebook(instrument: Instrument, condition: str) -> str:
    lines = []
    for key in instrument.shown(condition):
        d = instrument.dimension(key)
        line = f"- {key}: {d.name}. {d.definition}"
        if d.include:
            line += " Counts: " + "; ".join(d.include) + "."
        if d.exclude:
            line += " Does not count: " + "; ".join(d.exclude) + "."
        lines.append(line)
    return "\n".join(lines)


def coding_prompt(instrument: Instrument, condition: str, answer: str) -> str:
    return PROMPT.format(themes=codebook(instrument, condition), answer=answer.strip())


def _norm(text: str) -> str:
    text = text.casefold().replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(re.sub(r"[\"'`]", "", text).split())


def evidence_found(evidence: str, answer: str) -> bool:
    """Is the quoted span in the answer? Case, quotes, spacing and a trailing ellipsis are ignored."""
    span = _norm(evidence).strip(" .…")
    return bool(span) and span in _norm(answer)


def parse_codes(reply: str | None, shown: tuple[str, ...], answer: str) -> list[tuple[str, bool | None, str | None, str]]:
    """(dimension, is_present, evidence, status) for each shown dimension."""
    data = None
    for obj in json_candidates(capped(reply or "")):
        if isinstance(obj, dict) and isinstance(obj.get("codes"), dict):
            data = obj["codes"]
            break
    if data is None or not all(k in data for k in shown):
        return [(k, None, None, "unparseable") for k in shown]
    out = []
    for key in shown:
        entry = data[key]
        present = entry.get("present") if isinstance(entry, dict) else entry
        evidence = (entry.get("evidence") or "") if isinstance(entry, dict) else ""
        if not isinstance(present, bool):
            out.append((key, None, str(evidence)[:500] or None, "unparseable"))
        elif present and not evidence_found(str(evidence), answer):
            out.append((key, True, str(evidence)[:500], "invalid_evidence"))
        else:
            out.append((key, present, str(evidence)[:500] if present else None, "valid"))
    return out


def pending_jobs(store: Store, instrument: Instrument, settings: CodingSettings) -> list[CodingJob]:
    rows = store.sql(query("coding/pending"), {
        "instrument": instrument.sha256, "coder": settings.coder, "conditions": settings.conditions,
        "retry_errors": settings.calls.retry_errors}).fetchall()
    return [CodingJob(rid, settings.coder, condition, text) for rid, _model, condition, text in rows]


def estimate(instrument: Instrument, jobs: list[CodingJob], coder: str) -> CodingEstimate:
    return estimate_coding(coder, [coding_prompt(instrument, j.condition, j.answer) for j in jobs])


def code_answers(store: Store, instrument: Instrument, settings: CodingSettings, *,
                 profiles: dict | None = None) -> CodingReport:
    """Code every pending answer; returns the codes given, by status."""
    jobs = pending_jobs(store, instrument, settings)
    report = CodingReport(settings.coder, pending=len(jobs))
    if not jobs:
        return report
    report.run_id = store.start_run("code", instrument_sha256=instrument.sha256, settings=settings.as_dict())
    started = time.perf_counter()

    def on_batch(outcomes: list[Outcome]) -> str | None:
        report.counts.update(store_codes(store, report.run_id, instrument, outcomes, settings))
        report.coded += len(outcomes)
        report.cost_usd += sum(o.cost_usd or 0 for o in outcomes)
        return cost_limit(report.cost_usd, settings.calls.max_cost)

    try:
        report.stopped = run_calls(jobs, CodingCall(instrument, settings), on_batch, settings.calls, profiles)
    finally:
        report.seconds = time.perf_counter() - started
        store.finish_run(report.run_id)
    return report


def store_codes(store: Store, run_id: int, instrument: Instrument, outcomes: list[Outcome],
                settings: CodingSettings) -> Counter:
    with store.transaction():
        return write_coded(store, run_id, instrument, outcomes, settings.coder, settings.calls.retry_errors)


def write_coded(store: Store, run_id: int, instrument: Instrument, outcomes: list[Outcome], coder: str,
                replace_errors: bool) -> Counter:
    """The codes of these outcomes (with their faults), inside the caller's transaction; counts by status."""
    rows, counts = [], Counter()
    for outcome in outcomes:
        job = outcome.trial
        shown = instrument.shown(job.condition)
        if outcome.error is not None:
            codes = [(k, None, None, "error") for k in shown]
        else:
            codes = parse_codes(outcome.text, shown, job.answer)
        for dimension, present, evidence, status in codes:
            rows.append({"response_id": job.response_id, "coder": coder, "dimension": dimension,
                         "is_present": present, "evidence": evidence, "status": status, "run_id": run_id})
            counts[status] += 1
    write_codes(store, rows, replace_errors_of=coder if replace_errors else None)
    log_faults(store, run_id, outcomes, f"coding by {coder}: ")
    return counts


def code_in_batches(store: Store, instrument: Instrument, settings: CodingSettings, progress=None):
    """`papers code --batch`: as `papers collect --batch` (papers/collect/batches.py), for the
    answers the coder has not coded; an answer in a job not yet stored is not submitted again."""
    from papers.collect.batches import BatchReport, Jobs, provider_of, request_of, run_batches
    from papers.store import resolve_instrument

    coder = settings.coder

    def rebuild(job: dict, rows: list[tuple]) -> list[CodingJob]:
        answers = dict(store.sql("select response_id, raw_text from llm_responses where response_id in "
                                 f"(select {unnest_listed()})", [listed(r[0] for r in rows)]).fetchall())
        return [CodingJob(rid, job["model"], condition, answers.get(rid) or "") for rid, _, condition, *_ in rows]

    jobs = Jobs(store, settings.calls, "code", rebuild)
    report = BatchReport()
    instruments = {instrument.sha256: instrument}
    started = time.perf_counter()

    def on_results(job: dict, outcomes: list[Outcome]) -> None:
        sha = job["instrument_sha256"]
        if sha not in instruments:
            instruments[sha] = resolve_instrument(sha, store)
        counts = write_coded(store, job["run_id"], instruments[sha], outcomes, job["model"], replace_errors=True)
        report.per_model[job["model"]].update(counts)
        report.stored += len(outcomes)

    async def main() -> None:
        report.planned = len(pending_jobs(store, instrument, settings))
        await jobs.check(report, on_results)
        alive = jobs.alive(coder)
        todo = [j for j in pending_jobs(store, instrument, settings) if j.response_id not in alive]
        if todo:
            name = provider_of(coder, settings.calls.api_base)[0]
            run_id = store.start_run("code", instrument_sha256=instrument.sha256, settings=settings.as_dict())
            requests = []
            for job in todo:
                messages = [{"role": "user", "content": coding_prompt(instrument, job.condition, job.answer)}]
                kwargs = request(coder, messages, settings.calls, temperature=settings.temperature, max_tokens=800,
                                 json_mode=True)
                requests.append(request_of(job.response_id, kwargs, name, (None, job.condition, None, None, None, None, None)))
            meta = {"instrument_sha256": instrument.sha256, "settings": {"temperature": settings.temperature}}
            await jobs.submit(run_id, coder, requests, meta, report)
            store.finish_run(run_id)
        if report.jobs_submitted:
            await jobs.check(report, on_results)
        while settings.calls.wait and report.jobs_running:
            if progress is not None:
                progress(report)
            await asyncio.sleep(settings.calls.poll_interval)
            await jobs.check(report, on_results)

    run_batches(main, report, started)
    return report
