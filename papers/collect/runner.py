"""Administer the instrument to models through litellm: bounded concurrency, retries, exactly once.

The run is one asyncio loop. Workers take trials from a queue, wait for a slot of the adaptive
limiter, call `litellm.acompletion` (retrying transient faults with exponential backoff that
honours Retry-After), and hand each outcome to the main loop, which parses it and commits it to
the store before it awaits the next one. A trial whose key is already stored is never requested
again, so a killed run resumes where it stopped. Replicates are distinct requests (each trial
has its own order and sampling seed) and litellm's cache is never enabled.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import os
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from papers.answers.parse import parse_answer
from papers.answers.write import write_responses
from papers.collect.plan import Decoding, Trial, make_plan
from papers.errors import ProviderError
from papers.instrument import Instrument
from papers.store import Store
from papers.text import excerpt, redact, secret_values

FATAL = ("AuthenticationError", "PermissionDeniedError", "NotFoundError", "BadRequestError",
         "ContextWindowExceededError", "ContentPolicyViolationError", "UnsupportedParamsError")


@dataclass(kw_only=True)
class CallSettings:
    """How calls are made, shared by collection and coding."""

    concurrency: int = 16
    timeout: float = 60.0
    max_retries: int = 4
    backoff: float = 1.0
    api_base: str | None = None
    max_cost: float | None = None
    retry_errors: bool = False
    processes: int = 0  # 0: one process for small runs, one per core (up to 4) from 1,000 calls


@dataclass(kw_only=True)
class CollectSettings(CallSettings):
    models: list[str]
    tasks: list[str]
    conditions: list[str]
    trials: int
    seed: int = 0
    decoding: Decoding = field(default_factory=Decoding)

    def as_dict(self) -> dict:
        return {
            "models": self.models, "tasks": self.tasks, "conditions": self.conditions, "trials": self.trials,
            "seed": self.seed, "decoding": self.decoding.key(), "concurrency": self.concurrency,
            "timeout": self.timeout, "max_retries": self.max_retries, "api_base": self.api_base,
            "max_cost": self.max_cost, "retry_errors": self.retry_errors, "processes": self.processes,
        }


@dataclass
class Outcome:
    trial: Trial  # or any job with a .model: a coding job uses the same call machinery
    text: str | None = None
    model_reported: str | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None
    faults: list[str] = field(default_factory=list)


@dataclass
class CollectReport:
    planned: int = 0
    reused: int = 0
    made: int = 0
    stopped: str | None = None
    run_id: int | None = None
    per_model: dict = field(default_factory=lambda: defaultdict(Counter))
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"planned": self.planned, "reused": self.reused, "made": self.made, "stopped": self.stopped,
                "run_id": self.run_id, "seconds": round(self.seconds, 2),
                "per_model": {m: dict(c) for m, c in self.per_model.items()}}


class AdaptiveLimiter:
    """A semaphore whose size halves on a 429 and grows back by one per 20 clean answers."""

    def __init__(self, limit: int):
        self.max = self.limit = max(1, limit)
        self.active = 0
        self.clean = 0
        self.resume_at = 0.0
        self.cond = asyncio.Condition()

    async def acquire(self) -> None:
        async with self.cond:
            await self.cond.wait_for(lambda: self.active < self.limit)
            self.active += 1
        delay = self.resume_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def release(self, rate_limited: bool = False, retry_after: float | None = None) -> None:
        async with self.cond:
            self.active -= 1
            if rate_limited:
                self.limit = max(1, self.limit // 2)
                self.clean = 0
                if retry_after:
                    self.resume_at = max(self.resume_at, time.monotonic() + retry_after)
            else:
                self.clean += 1
                if self.clean >= 20 and self.limit < self.max:
                    self.limit += 1
                    self.clean = 0
            self.cond.notify_all()


class _Redacting(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def redact_logs() -> None:
    """Key values pass through redact() before any handler sees a record of litellm's loggers."""
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Redacting) for f in logger.filters):
            logger.addFilter(_Redacting())


def plan_for(instrument: Instrument, settings: CollectSettings) -> list[Trial]:
    return make_plan(instrument, settings.models, settings.tasks, settings.conditions, settings.trials,
                     settings.seed, settings.decoding)


def pending_trials(store: Store, plan: list[Trial], retry_errors: bool) -> tuple[list[Trial], int]:
    """Trials not yet stored (and, with retry_errors, those stored as errors); and how many are reused."""
    if not plan:
        return [], 0
    ids = [t.response_id for t in plan]
    stored = dict(store.sql(
        "select response_id, status from llm_responses where response_id in (select unnest(?::varchar[]))", [ids]
    ).fetchall())
    todo = [t for t in plan if t.response_id not in stored or (retry_errors and stored[t.response_id] == "error")]
    return todo, len(plan) - len(todo)


def estimate(instrument: Instrument, settings: CollectSettings, trials: list[Trial]) -> dict:
    """Calls, tokens and cost a run would make, from litellm's token counter and bundled price map."""
    import litellm

    per_model: dict[str, dict] = {}
    for trial in trials:
        entry = per_model.setdefault(trial.model, {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
        messages = trial.messages(instrument, settings.decoding)
        try:
            tokens = litellm.token_counter(model=trial.model, messages=messages)
        except Exception:  # noqa: BLE001 - an unknown tokenizer: about four characters a token
            tokens = sum(len(m["content"]) for m in messages) // 4
        out = min(settings.decoding.max_tokens or 400, 120 if trial.task != "open" else 250)
        entry["calls"] += 1
        entry["input_tokens"] += tokens
        entry["output_tokens"] += out
        try:
            prompt_cost, completion_cost = litellm.cost_per_token(model=trial.model, prompt_tokens=tokens,
                                                                  completion_tokens=out)
            entry["cost_usd"] += prompt_cost + completion_cost
        except Exception:  # noqa: BLE001 - not in the price map
            entry["cost_usd"] = None if entry["cost_usd"] in (None, 0.0) else entry["cost_usd"]
    return per_model


def collect(store: Store, instrument: Instrument, settings: CollectSettings, *, progress: bool = False) -> CollectReport:
    """Run every pending trial of the plan; returns counts per model and outcome."""
    from papers.collect.simulated import register

    register()
    redact_logs()
    plan = plan_for(instrument, settings)
    todo, reused = pending_trials(store, plan, settings.retry_errors)
    report = CollectReport(planned=len(plan), reused=reused)
    if not todo:
        return report
    store.register_instrument(instrument)
    report.run_id = store.start_run("collect", instrument_sha256=instrument.sha256, settings=settings.as_dict())
    started = time.perf_counter()
    bar = _bar(len(todo)) if progress else None
    try:
        _execute(store, instrument, settings, todo, report, bar)
    finally:
        report.seconds = time.perf_counter() - started
        store.finish_run(report.run_id)
        if bar is not None:
            bar.close()
    return report


def processes_for(settings: CallSettings, calls: int) -> int:
    if settings.processes:
        return settings.processes
    return min(os.cpu_count() or 1, 4) if calls >= 1000 else 1


def _execute(store, instrument, settings, todo, report, bar) -> None:
    spent = 0.0

    def on_batch(outcomes: list[Outcome]) -> str | None:
        nonlocal spent
        statuses = store_outcomes(store, report.run_id, instrument, outcomes, settings.decoding, settings.retry_errors)
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
        return cost_limit(spent, settings.max_cost)

    processes = processes_for(settings, len(todo))
    if processes > 1:
        report.stopped = run_processes(todo, instrument, settings, on_batch, processes)
    else:
        report.stopped = asyncio.run(run_pool(todo, lambda trial, limiter: _call(trial, limiter, instrument, settings),
                                              on_batch, settings.concurrency))


def run_processes(jobs: list[Trial], instrument: Instrument, settings: CollectSettings, on_batch,
                  processes: int) -> str | None:
    """The same as run_pool, with the calls spread over worker processes.

    litellm spends milliseconds of CPU on every call, so one event loop saturates one core; here
    each worker process runs its own loop over its share of the trials (and of the concurrency),
    and sends each outcome back; this process stores them exactly as run_pool does, all that
    have arrived at once, before it waits for more. A stop (the cost limit, Ctrl-C, a refused
    request) reaches every worker through a shared event.
    """
    import multiprocessing
    import queue as queue_module

    context = multiprocessing.get_context("spawn")  # not fork: DuckDB and polars threads live here
    results = context.Queue()
    stop = context.Event()
    share = max(1, settings.concurrency // processes)
    workers = [context.Process(target=_process_main, daemon=True,
                               args=(jobs[i::processes], instrument, settings, share, results, stop, os.getpid()))
               for i in range(processes) if jobs[i::processes]]
    for worker in workers:
        worker.start()
    done, stopped = 0, None
    try:
        while done < len(workers):
            try:
                arrived = [results.get(timeout=1.0)]
            except queue_module.Empty:
                if not any(w.is_alive() for w in workers):
                    raise ProviderError("the collection worker processes stopped unexpectedly.",
                                        "run the same command again; every stored answer is kept.") from None
                continue
            while True:
                try:
                    arrived.append(results.get_nowait())
                except queue_module.Empty:
                    break
            done += sum(1 for kind, _ in arrived if kind == "done")
            outcomes = [item for kind, item in arrived if kind == "ok"]
            failure = next((item for kind, item in arrived if kind == "error"), None)
            reason = on_batch(outcomes) if outcomes else None
            if failure is not None:
                raise failure
            if reason and stopped is None:
                stopped = reason
                stop.set()
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
    return stopped


def _process_main(trials: list[Trial], instrument: Instrument, settings: CollectSettings, concurrency: int,
                  results, stop, parent: int) -> None:
    from papers.collect.simulated import register

    register()
    redact_logs()

    async def main() -> None:
        limiter = AdaptiveLimiter(concurrency)
        pending = iter(trials)

        async def worker() -> None:
            for trial in pending:
                # a killed storing process could not keep what is asked for now: stop paying for it
                if stop.is_set() or os.getppid() != parent:
                    return
                try:
                    outcome = await _call(trial, limiter, instrument, settings)
                except Exception as e:  # noqa: BLE001 - raised by the storing process
                    results.put(("error", e))
                    stop.set()
                    return
                results.put(("ok", outcome))

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(trials)))))

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        results.put(("done", None))


def cost_limit(spent: float, limit: float | None) -> str | None:
    if limit is not None and spent >= limit:
        return f"stopped at the cost limit (${spent:.4f} of ${limit:.4f})"
    return None


async def run_pool(jobs: list, call, on_batch, concurrency: int) -> str | None:
    """Run `call(job, limiter)` for every job with at most `concurrency` in flight.

    Outcomes are handed to `on_batch` (on a thread: DuckDB releases the GIL while it writes, so
    the event loop keeps serving calls in flight) as soon as they arrive, all that have arrived
    at once, and are committed before the next is awaited. `on_batch` returns a reason to stop
    (the cost limit): no new call starts, the calls in flight are still stored. Returns it.
    """
    limiter = AdaptiveLimiter(concurrency)
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    results: asyncio.Queue = asyncio.Queue()
    stop = asyncio.Event()

    async def worker() -> None:
        while not stop.is_set():
            try:
                job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await results.put(await call(job, limiter))
            except Exception as e:  # noqa: BLE001 - handed to the main loop, which raises it
                await results.put(e)
                return

    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(jobs)))]
    remaining = len(jobs)
    stopped = None
    try:
        while remaining:
            arrived = [await results.get()]
            while not results.empty():
                arrived.append(results.get_nowait())
            remaining -= len(arrived)
            failure = next((o for o in arrived if isinstance(o, BaseException)), None)
            outcomes = [o for o in arrived if isinstance(o, Outcome)]
            reason = await asyncio.to_thread(on_batch, outcomes) if outcomes else None
            if failure is not None:
                raise failure
            if reason and not stop.is_set():
                stopped = reason
                stop.set()
                while not queue.empty():
                    queue.get_nowait()
                    remaining -= 1
    finally:
        stop.set()
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return stopped


async def _call(trial: Trial, limiter: AdaptiveLimiter, instrument: Instrument, settings: CollectSettings) -> Outcome:
    kwargs = {
        "model": trial.model, "messages": trial.messages(instrument, settings.decoding), "timeout": settings.timeout,
        "num_retries": 0, "temperature": settings.decoding.temperature, "max_tokens": settings.decoding.max_tokens,
        "seed": trial.sampling_seed, "drop_params": True,
    }
    if settings.api_base:
        kwargs["api_base"] = settings.api_base
    if trial.task != "open" and _supports_json(trial.model):
        kwargs["response_format"] = {"type": "json_object"}
    return await complete(kwargs, limiter, settings.max_retries, settings.backoff, Outcome(trial))


MAX_WAIT = 60.0  # seconds: the longest Retry-After honoured and the longest backoff (README, Guarantees)


class Timeout(Exception):
    """No complete answer within --timeout, first byte to last."""


class EmptyResponse(Exception):
    """An answer with no choice in it (HTTP 200, `choices: []`): a fault of the server, not the model's answer."""


async def complete(kwargs: dict, limiter: AdaptiveLimiter, max_retries: int, backoff: float, outcome: Outcome) -> Outcome:
    """One litellm call with retries: transient faults are retried with exponential backoff that
    honours Retry-After up to MAX_WAIT (a 429 also halves the calls in flight; a longer Retry-After
    ends the trial as an error); a refusal of the request itself (bad key, unknown model) stops the
    run; the last fault of an exhausted retry is the error. The whole call, first byte to last, is
    bounded by kwargs["timeout"]. Key values echoed by the server are redacted before anything is kept."""
    import litellm

    model = kwargs["model"]
    secrets = secret_values()
    for attempt in range(max_retries + 1):
        await limiter.acquire()
        started = time.perf_counter()
        try:
            response = await _within(litellm.acompletion(**kwargs), kwargs.get("timeout") or MAX_WAIT)
        except Exception as e:  # noqa: BLE001 - classified below
            name = type(e).__name__
            rate_limited = name == "RateLimitError"
            wait = _retry_after(e) if rate_limited else None
            too_long = wait is not None and wait > MAX_WAIT
            await limiter.release(rate_limited=rate_limited, retry_after=None if too_long else wait)
            message = redact(f"{name}: {_short(e)}", secrets)
            if too_long:
                message += (f" (Retry-After asked for {wait:,.0f} s, longer than the {MAX_WAIT:g} s papers waits; "
                            "run again later with --retry-errors)")
            outcome.faults.append(message)
            if name in FATAL:
                raise ProviderError(f"{model}: the provider refused the request ({message}).",
                                    "check the model name, --api-base and the API key in the environment or .env.") from e
            if attempt == max_retries or too_long:
                outcome.error = message
                outcome.latency_ms = (time.perf_counter() - started) * 1000
                return outcome
            delay = min(backoff * (2 ** attempt) * (0.5 + random.random()), MAX_WAIT)
            await asyncio.sleep(max(delay, wait or 0))
            continue
        await limiter.release()
        outcome.latency_ms = (time.perf_counter() - started) * 1000
        _read_response(outcome, response, model, secrets)
        return outcome
    return outcome


async def _within(call, seconds: float):
    """The response of `call`, complete within `seconds`; a server that drips its answer byte by
    byte keeps litellm's read timeout from firing, so the deadline is set here, around the call."""
    try:
        response = await asyncio.wait_for(call, seconds)
    except asyncio.TimeoutError:
        raise Timeout(f"no complete answer within {seconds:g} s (--timeout)") from None
    if not getattr(response, "choices", None):
        raise EmptyResponse("the server answered HTTP 200 without a choice (choices: [])")
    return response


def _read_response(outcome: Outcome, response, model: str, secrets: list[str]) -> None:
    import litellm

    text = getattr(getattr(response.choices[0], "message", None), "content", None)
    outcome.text = redact(text if text is None or isinstance(text, str) else str(text), secrets)
    reported = getattr(response, "model", None)
    outcome.model_reported = redact(None if reported is None else str(reported), secrets)
    usage = getattr(response, "usage", None)
    if usage is not None:
        outcome.input_tokens = _count(usage, "prompt_tokens", outcome)
        outcome.output_tokens = _count(usage, "completion_tokens", outcome)
    hidden = getattr(response, "_hidden_params", {}) or {}
    cost = hidden.get("response_cost")
    if cost is None and model not in _NO_PRICE and not model.startswith("simulated/"):
        try:
            cost = litellm.completion_cost(completion_response=response)
        except Exception:  # noqa: BLE001 - a model missing from the price map has no cost; ask once
            _NO_PRICE.add(model)
            cost = None
    outcome.cost_usd = cost if isinstance(cost, (int, float)) and math.isfinite(cost) else None


MAX_COUNT = 2**63 - 1  # the store's token columns are 64-bit


def _count(usage, name: str, outcome: Outcome) -> int | None:
    """A token count as the server reported it; one that is not a whole number from 0 to 2^63 - 1 is
    stored as empty, with a note in llm_errors, rather than stopping collection."""
    value = getattr(usage, name, None)
    if value is None:
        return None
    whole = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if isinstance(value, bool) or not whole or not 0 <= value <= MAX_COUNT:
        outcome.faults.append(f"usage: {name} {excerpt(value)} is not a token count; stored as empty")
        return None
    return int(value)


_NO_PRICE: set[str] = set()


_JSON_SUPPORT: dict[str, bool] = {}


def _supports_json(model: str) -> bool:
    if model not in _JSON_SUPPORT:
        import litellm

        try:
            _JSON_SUPPORT[model] = "response_format" in (litellm.get_supported_openai_params(model=model) or [])
        except Exception:  # noqa: BLE001 - unknown provider: ask in the prompt only
            _JSON_SUPPORT[model] = False
    return _JSON_SUPPORT[model]


def _retry_after(error) -> float | None:
    headers = getattr(error, "litellm_response_headers", None)
    if headers is None:
        response = getattr(error, "response", None)
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    return parse_retry_after(headers.get("retry-after") or headers.get("Retry-After"))


def parse_retry_after(value, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds (`120`) or an HTTP-date, a date without
    a zone read as UTC. Anything else (empty, `soon`, negative, a past date) is None: the caller
    falls back to its backoff."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until(text, now or datetime.now(timezone.utc))
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _seconds_until(text: str, now: datetime) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - now).total_seconds()


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:300]


def store_outcomes(store: Store, run_id: int, instrument: Instrument, outcomes: list[Outcome], decoding: Decoding,
                   replace_errors: bool = False) -> list[str]:
    """Parse and commit outcomes that have arrived (with their faults) in one transaction.

    Returns their statuses. With `replace_errors`, a stored error row of the same trial is
    replaced by the new outcome (its faults stay in llm_errors).
    """
    responses, answers, statuses = [], [], []
    for outcome in outcomes:
        trial = outcome.trial
        shown = instrument.shown(trial.condition)
        if outcome.error is not None:
            status, error = "error", outcome.error
        else:
            parsed = parse_answer(outcome.text, trial.task, shown, instrument)
            status, error = parsed.status, parsed.error
            if status == "valid" and trial.task != "open":
                answers += [{"response_id": trial.response_id, "dimension": k, "rank": parsed.ranks.get(k),
                             "rating": parsed.ratings.get(k)} for k in shown]
        statuses.append(status)
        responses.append({
            "response_id": trial.response_id, "run_id": run_id, "model": trial.model,
            "model_reported": outcome.model_reported, "instrument_sha256": instrument.sha256, "task": trial.task,
            "condition": trial.condition, "trial": trial.trial, "item_order": list(trial.item_order),
            "temperature": decoding.temperature, "prompt": trial.messages(instrument, decoding)[-1]["content"],
            "raw_text": outcome.text, "status": status, "error": error, "latency_ms": outcome.latency_ms,
            "input_tokens": outcome.input_tokens, "output_tokens": outcome.output_tokens, "cost_usd": outcome.cost_usd,
        })
    with store.transaction():
        write_responses(store, responses, answers, replace_errors=replace_errors)
        log_faults(store, run_id, outcomes)
    return statuses


def log_faults(store: Store, run_id: int, outcomes: list[Outcome], label: str = "") -> None:
    """Keep every failed attempt of these outcomes in llm_errors (inside the caller's transaction)."""
    rows = [(o.trial.response_id, run_id, attempt, label + fault)
            for o in outcomes for attempt, fault in enumerate(o.faults, 1)]
    if rows:
        store.con.executemany("insert into llm_errors (response_id, run_id, attempt, error) values (?, ?, ?, ?)", rows)


def _bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="collecting", unit=" trials", disable=None, leave=False)


def _postfix(report: CollectReport) -> dict:
    totals: Counter = Counter()
    for counts in report.per_model.values():
        totals.update(counts)
    return {k: totals[k] for k in ("valid", "refused", "unparseable", "incomplete", "error") if totals[k]}


def summary_lines(report: CollectReport) -> list[str]:
    lines = [f"{report.planned:,} trials planned: {report.made:,} calls made now, {report.reused:,} already stored "
             f"(not requested again), {sum(c['error'] for c in report.per_model.values()):,} failed."]
    if report.stopped:
        lines.append(report.stopped + "; everything so far is stored. Run the same command to continue.")
    for model, c in sorted(report.per_model.items()):
        n = sum(c[s] for s in ("valid", "refused", "unparseable", "incomplete", "error"))
        cost = f"${c['cost_micro_usd'] / 1e6:.4f}" if c["cost_micro_usd"] else "cost n/a"
        lines.append(
            f"  {model}: {n} trials, valid {c['valid'] / n:.0%}, refused {c['refused']}, unparseable {c['unparseable']}, "
            f"incomplete {c['incomplete']}, errors {c['error']}; tokens {c['input_tokens']:,} in / "
            f"{c['output_tokens']:,} out; {cost}; mean latency {c['latency_ms'] / n:.0f} ms")
    lines.append(f"Took {report.seconds:.1f} s.")
    return lines


def dry_run_lines(per_model: dict, reused: int) -> list[str]:
    calls = sum(e["calls"] for e in per_model.values())
    lines = [f"Dry run: {calls:,} calls would be made ({reused:,} trials already stored); nothing was called."]
    for model, e in sorted(per_model.items()):
        cost = "unknown (not in litellm's price map)" if e["cost_usd"] is None else f"${e['cost_usd']:.4f}"
        lines.append(f"  {model}: {e['calls']:,} calls, about {e['input_tokens']:,} input and "
                     f"{e['output_tokens']:,} output tokens, estimated cost {cost}")
    return lines

