"""Provider batch jobs (`papers collect --batch`): the pending trials as JSONL files of requests,
submitted through litellm's files and batches API, polled, and their results stored like live calls.

A run first checks every job of the store not yet stored: a job that has ended (completed, failed,
expired, cancelled) has its output and error files downloaded, and every request of it is stored
once, with the same parsing and statuses as a live call (a request without an answer is stored as
an error), in one transaction with the job's `stored_at`. Then the trials of the plan that are not
stored and not in a job still alive are written one request per line (`custom_id` = the response
key), in files of at most --batch-size requests and MAX_BYTES, uploaded and submitted, one model
per job. Each job's row is written once its file is uploaded, before the job is created, and the
job is created with the row's key in its metadata: a run killed in between finds the job (or
creates it from the same file) instead of submitting the trials again.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import json
import logging
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

from papers.collect.bounded import AnswerTooLarge
from papers.collect.calls import (
    EmptyResponse,
    Outcome,
    quiet_litellm,
    redact_logs,
    reported_model,
    request,
    run_secrets,
    token_count,
)
from papers.collect.endpoints import KeyRejected, Routed, public_url, rejected
from papers.collect.plan import Decoding, Trial
from papers.collect.settings import CallSettings
from papers.collect.storage import pending_trials, write_outcomes
from papers.errors import InputError, ProviderError
from papers.instrument import Instrument
from papers.limits import answer_problem, load_json
from papers.store import Store, listed, unnest_listed
from papers.text import excerpt, redact

MAX_BYTES = 190 * 2**20  # OpenAI takes input files up to 200 MB
ENDED = ("completed", "failed", "expired", "cancelled")
PROVIDERS = ("openai", "azure", "hosted_vllm", "litellm_proxy")  # batch files in the OpenAI format
ERROR_NAMES = {400: "BadRequestError", 401: "AuthenticationError", 403: "PermissionDeniedError",
               404: "NotFoundError", 408: "Timeout", 429: "RateLimitError", 500: "InternalServerError",
               503: "ServiceUnavailableError"}
MAX_RESULT_BYTES = 2**30  # a result file larger is not downloaded: litellm returns a file's content whole
STORE_CHUNK = 2000  # results parsed and written at a time, inside the job's one transaction
# litellm's own logging of a retrieved job downloads its whole output file again, to price it
NO_COST_LOGGING = {"litellm_metadata": {"batch_ignore_default_logging": True}}


@dataclass
class BatchReport(Routed):
    """What a `collect --batch` run did: jobs stored and submitted, and those still running."""

    planned: int = 0
    reused: int = 0
    submitted: int = 0
    jobs_submitted: int = 0
    stored: int = 0
    jobs_stored: int = 0
    running: int = 0
    jobs_running: int = 0
    states: Counter = field(default_factory=Counter)
    per_model: dict = field(default_factory=lambda: defaultdict(Counter))
    seconds: float = 0.0
    store_seconds: float = 0.0  # downloading, parsing and writing results
    warnings: list = field(default_factory=list)  # jobs whose results were partly unreadable, and so on

    def as_dict(self) -> dict:
        return {"batch": True, "planned": self.planned, "reused": self.reused, "submitted": self.submitted,
                "jobs_submitted": self.jobs_submitted, "stored": self.stored, "jobs_stored": self.jobs_stored,
                "running": self.running, "jobs_running": self.jobs_running, "states": dict(self.states),
                "per_model": {m: dict(c) for m, c in self.per_model.items()}, "seconds": round(self.seconds, 2),
                "store_seconds": round(self.store_seconds, 3), "warnings": list(self.warnings), **self.routing()}


def in_batch_jobs(store: Store, kind: str = "collect", model: str | None = None) -> set[str]:
    """Response keys in batch jobs of this kind (and model) whose results are not stored yet: a
    live run does not call them, nor does a batch run submit them again, until the job is stored."""
    rows = store.sql("select batch_requests.response_id from batch_requests inner join batches using (batch_key) "
                     "where batches.stored_at is null and batches.kind = ? and (? is null or batches.model = ?)",
                     [kind, model, model]).fetchall()
    return {r[0] for r in rows}


def provider_of(model: str, api_base: str | None) -> tuple[str, str]:
    """The model's name at its provider and the provider, which must take OpenAI-format batch files."""
    prefix, _, rest = model.partition("/")
    if rest and prefix in PROVIDERS:
        return rest, prefix
    if prefix == "simulated":
        raise InputError(f"--batch: {model} is a simulated model; papers submits batch jobs to "
                         f"{', '.join(PROVIDERS)} models only.", "collect it without --batch.")
    litellm = quiet_litellm()
    try:
        name, provider, _, _ = litellm.get_llm_provider(model=model, api_base=api_base)
    except Exception as e:  # noqa: BLE001 - an unknown provider
        raise InputError(f"--model {model}: litellm does not know its provider ({excerpt(str(e))}).") from None
    if provider not in PROVIDERS:
        raise InputError(f"--batch: {model} is a {provider} model; papers submits batch jobs to "
                         f"{', '.join(PROVIDERS)} models only.", "collect it without --batch.")
    return name, provider


@dataclass
class Request:
    """One request of a batch file: its line, and what batch_requests keeps to store its result."""

    custom_id: str
    line: bytes
    row: tuple  # task, condition, trial, item_order, sampling_seed, variant, scenario (None where a job has none)


def request_of(custom_id: str, kwargs: dict, name: str, row: tuple) -> Request:
    """A batch request for the call `kwargs` (calls.request's arguments): the same request as a live call."""
    body = {"model": name, **{k: kwargs[k] for k in ("messages", "temperature", "max_tokens", "seed",
                                                     "response_format") if kwargs.get(k) is not None}}
    line = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
    return Request(custom_id, (json.dumps(line, ensure_ascii=False) + "\n").encode(), row)


def trial_request(trial: Trial, instrument: Instrument, decoding: Decoding, settings: CallSettings,
                  name: str) -> Request:
    kwargs = request(trial.model, trial.messages(instrument, decoding), settings, temperature=decoding.temperature,
                     max_tokens=decoding.max_tokens, json_mode=trial.wants_json(instrument), seed=trial.sampling_seed)
    return request_of(trial.response_id, kwargs, name,
                      (trial.task, trial.condition, trial.trial, list(trial.item_order), trial.sampling_seed,
                       trial.variant, trial.scenario))


def split(lines: list[bytes], max_requests: int, max_bytes: int = MAX_BYTES) -> list[list[int]]:
    """Indices of `lines` in files of at most max_requests lines and max_bytes bytes each."""
    files, current, size = [], [], 0
    for i, line in enumerate(lines):
        if len(line) > max_bytes:
            raise InputError(f"a request of {len(line):,} bytes is larger than a batch file may be "
                             f"({max_bytes:,} bytes).", "collect it without --batch.")
        if current and (len(current) >= max_requests or size + len(line) > max_bytes):
            files.append(current)
            current, size = [], 0
        current.append(i)
        size += len(line)
    if current:
        files.append(current)
    return files


class Jobs:
    """The store's batch jobs of one kind, and the provider's API for them (keys from the environment)."""

    def __init__(self, store: Store, settings: CallSettings, kind: str, rebuild):
        """`rebuild(batch_row, request_rows)`: the jobs (trials, coding jobs) that a stored job's
        batch_requests rows (response_id, task, condition, trial, item_order, sampling_seed) stand for."""
        quiet_litellm()
        redact_logs()
        self.store, self.settings, self.kind, self.rebuild = store, settings, kind, rebuild
        self.secrets = run_secrets(settings)

    async def _api(self, what: str, call, **kwargs):
        """One call of litellm's files or batches API; a fault is a ProviderError with nothing secret in it."""
        litellm = quiet_litellm()
        try:
            return await asyncio.wait_for(getattr(litellm, call)(**kwargs), max(self.settings.timeout, 60.0))
        except asyncio.TimeoutError:
            raise ProviderError(f"{what}: no answer from the provider within "
                                f"{max(self.settings.timeout, 60.0):g} s.",
                                "run the same command again; every stored answer and job is kept.") from None
        except Exception as e:  # noqa: BLE001 - reported, redacted
            message = redact(f"{type(e).__name__}: {' '.join(str(e).split())[:300]}", self.secrets)
            status = getattr(e, "status_code", None)
            if type(e).__name__ in ("AuthenticationError", "PermissionDeniedError") or status in (401, 403):
                owner = self._owner(kwargs)
                raise rejected(owner.model if owner else what, owner, status, message) from None
            raise ProviderError(f"{what}: the provider refused or failed ({message}).",
                                "check the model, --api-base and the API key; run the same command again: every "
                                "stored answer and job is kept.") from None

    @staticmethod
    def _where(provider: str, api_base: str | None) -> dict:
        return {"custom_llm_provider": provider, **({"api_base": api_base} if api_base else {})}

    def _base(self, model: str, stored: str | None) -> str | None:
        """The URL to reach a stored job at: the job's endpoint (kept without credentials) with the
        credentials this run was given for it, where this run's endpoint for the model is the same."""
        current = self.settings.endpoint(model)
        if current is not None and (stored is None or public_url(current.url) == stored):
            return current.url
        return stored

    def _owner(self, where: dict):
        """The run's endpoint a files or batches API call went to (for naming its key), or None."""
        base, provider = where.get("api_base"), where.get("custom_llm_provider")
        return next((e for e in self.settings.endpoints if e.url == base and e.url is not None), None) or next(
            (e for e in self.settings.endpoints if e.model.startswith(f"{provider}/")), None)

    # ------------------------------------------------------------------ submitting

    def alive(self, model: str | None = None) -> set[str]:
        """Response keys in jobs (of this model) whose results are not stored yet: never submitted
        again meanwhile."""
        return in_batch_jobs(self.store, self.kind, model)

    async def submit(self, run_id: int, model: str, requests: list[Request], meta: dict, report: BatchReport) -> None:
        """Upload and submit one model's requests, in files within the limits; `meta` has the
        instrument's SHA-256 and the settings its results are stored with."""
        _, provider = provider_of(model, self.settings.base_url(model))
        for indices in split([r.line for r in requests], self.settings.batch_size):
            chunk = [requests[i] for i in indices]
            await self._submit_file(run_id, model, provider, chunk, meta)
            report.submitted += len(chunk)
            report.jobs_submitted += 1

    async def _submit_file(self, run_id: int, model: str, provider: str, requests: list[Request], meta: dict) -> None:
        base = self.settings.base_url(model)
        where = self._where(provider, base)
        with tempfile.TemporaryFile() as data:  # uploaded from a file: no copy of the requests in memory
            for r in requests:
                data.write(r.line)
            data.seek(0)
            uploaded = await self._api(f"uploading a batch file of {len(requests):,} requests for {model}",
                                       "acreate_file", file=("papers-batch.jsonl", data), purpose="batch", **where)
        key = uuid.uuid4().hex
        with self.store.transaction():
            self.store.sql(
                "insert into batches (batch_key, kind, run_id, model, provider, api_base, instrument_sha256, settings,"
                " requests, input_file_id, status) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'uploaded')",
                [key, self.kind, run_id, model, provider, public_url(base), meta["instrument_sha256"],
                 json.dumps(meta["settings"]), len(requests), uploaded.id])
            columns = list(zip(*(r.row for r in requests)))  # one list per column: one statement, not a row each
            types = ("VARCHAR", "VARCHAR", "VARCHAR", "INTEGER", "VARCHAR[]", "BIGINT", "VARCHAR", "VARCHAR")
            self.store.sql("insert into batch_requests (batch_key, response_id, task, condition, trial, item_order, "
                           "sampling_seed, variant, scenario) select ?, " + ", ".join(map(unnest_listed, types)),
                           [key, *map(listed, [[r.custom_id for r in requests], *columns])])
        await self._create(key, model, provider, base, uploaded.id)

    async def _create(self, key: str, model: str, provider: str, api_base: str | None, file_id: str) -> None:
        job = await self._api(f"creating the batch job of {model}", "acreate_batch", completion_window="24h",
                              endpoint="/v1/chat/completions", input_file_id=file_id,
                              metadata={"papers_batch": key}, **self._where(provider, api_base))
        self._update(key, job)

    def _update(self, key: str, job) -> None:
        counts = getattr(job, "request_counts", None)
        self.store.sql(
            "update batches set provider_batch_id = ?, status = ?, output_file_id = ?, error_file_id = ?, "
            "completed = ?, failed = ?, checked_at = current_timestamp where batch_key = ?",
            [job.id, str(job.status), job.output_file_id, job.error_file_id, getattr(counts, "completed", None),
             getattr(counts, "failed", None), key])

    # ------------------------------------------------------------------ checking and storing

    def unstored(self) -> list[dict]:
        cursor = self.store.sql("select * from batches where stored_at is null and kind = ? order by submitted_at",
                                [self.kind])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    async def check(self, report: BatchReport, on_results) -> None:
        """Check every job not yet stored; store the results of those that have ended (through
        `on_results(job, outcomes)`, inside the job's transaction); count the rest as running."""
        report.running = report.jobs_running = 0
        report.states.clear()
        for job in self.unstored():
            base = self._base(job["model"], job["api_base"])
            where = self._where(job["provider"], base)
            if job["provider_batch_id"] is None:  # killed between the upload and the job's id
                if await self._adopt(job, where) is None:
                    await self._create(job["batch_key"], job["model"], job["provider"], base, job["input_file_id"])
                job = next(j for j in self.unstored() if j["batch_key"] == job["batch_key"])
            try:
                state = await self._api(f"checking batch job {job['provider_batch_id']}", "aretrieve_batch",
                                        batch_id=job["provider_batch_id"], **where, **NO_COST_LOGGING)
            except KeyRejected:
                raise  # no job can be checked with a key the provider refuses
            except ProviderError as e:  # one job the provider cannot answer for blocks no other
                report.warnings.append(f"{e.message} Its requests are not submitted again until it is stored; "
                                       "run the same command again later.")
                continue
            self._update(job["batch_key"], state)
            if str(state.status) in ENDED:
                storing = time.perf_counter()
                await self._store(job, state, where, on_results, report)
                report.store_seconds += time.perf_counter() - storing
                report.jobs_stored += 1
            else:
                report.running += job["requests"]
                report.jobs_running += 1
                report.states[str(state.status)] += 1

    async def _adopt(self, job: dict, where: dict):
        """The provider's job created from this row's file (a run killed before it wrote the job's id)."""
        page = await self._api("listing the provider's batch jobs", "alist_batches", limit=100, **where)
        for found in getattr(page, "data", None) or []:
            metadata = getattr(found, "metadata", None) or {}
            if metadata.get("papers_batch") == job["batch_key"] or found.input_file_id == job["input_file_id"]:
                self._update(job["batch_key"], found)
                return found
        return None

    async def _store(self, job: dict, state, where: dict, on_results, report: BatchReport) -> None:
        """Store every request of an ended job once, with a warning naming the job where its
        result files were odd (see _results): an unreadable file never blocks this job or any other."""
        results, problems, repeated = await self._results(job, state, where)
        requests = self._requests(job["batch_key"])
        unknown = results.keys() - {r[0] for r in requests}
        notes = []
        if repeated:
            notes.append(f"{_count(len(repeated), 'request')} {'has' if len(repeated) == 1 else 'have'} more than "
                         "one result line (for each, the first answer is stored, or an error where its answers differ)")
        if unknown:
            notes.append(f"{_count(len(unknown), 'result line')} {'names' if len(unknown) == 1 else 'name'} "
                         "requests the job never had, ignored ("
                         + ", ".join(excerpt(u, 60) for u in sorted(unknown)[:3]) + (", ..." if len(unknown) > 3 else "")
                         + ")")
        ended = f"the batch job ended {state.status}" + _job_errors(state)
        if problems:
            ended += "; " + "; ".join(problems)
            notes.append("; ".join(problems) + ". Its requests without a readable result are stored as errors; "
                         "--retry-errors submits them again")
        if notes:
            report.warnings.append(f"batch job {job['provider_batch_id']} ({job['model']}): " + "; ".join(notes) + ".")
        with self.store.transaction():
            for chunk in _chunks(requests, STORE_CHUNK):
                outcomes = [self.outcome(item, results.get(item.response_id), job["model"], ended)
                            for item in self.rebuild(job, chunk)]
                on_results(job, outcomes)
            self.store.sql("update batches set stored_at = current_timestamp where batch_key = ?", [job["batch_key"]])

    async def _results(self, job: dict, state, where: dict) -> tuple[dict, list[str], set[str]]:
        """The job's results by custom_id, what made some unreadable, and the ids with more than one
        line. A file that cannot be downloaded, or a line that is not a result object, leaves its
        requests without a result: they are stored as errors, which --retry-errors submits again.
        Of several lines for one request (in either file) _either keeps one."""
        results: dict[str, dict] = {}
        problems: list[str] = []
        repeated: set[str] = set()
        for file_id in (state.output_file_id, state.error_file_id):
            if not file_id:
                continue
            size = await self._size(file_id, where)
            if size is not None and size > MAX_RESULT_BYTES:
                problems.append(f"result file {file_id} has {size:,} bytes, more than papers reads "
                                f"({MAX_RESULT_BYTES:,}); submit smaller jobs with --batch-size")
                continue
            try:
                content = await self._api(f"downloading the results of batch job {job['provider_batch_id']}",
                                          "afile_content", file_id=file_id, **where)
            except KeyRejected:
                raise
            except ProviderError as e:
                problems.append(f"result file {file_id} could not be downloaded ({excerpt(e.message.rstrip('.'), 300)})")
                continue
            bad = []
            for number, line in enumerate(io.BytesIO(content.content), 1):  # a line at a time, not a list of all
                if not line.strip():
                    continue
                row = _json_line(line)
                if row is None:
                    bad.append(number)
                else:
                    custom_id, kept = str(row.get("custom_id")), _kept(row)
                    if custom_id in results:
                        repeated.add(custom_id)
                        kept = _either(results[custom_id], kept)
                    results[custom_id] = kept
            del content
            if bad:
                problems.append(f"result file {file_id}: {len(bad)} {'line is' if len(bad) == 1 else 'lines are'} "
                                f"not a JSON result object (line {', '.join(map(str, bad[:5]))}"
                                f"{', ...' if len(bad) > 5 else ''})")
        return results, problems, repeated

    async def _size(self, file_id: str, where: dict) -> int | None:
        """A result file's size in bytes as the provider states it (None where it does not)."""
        try:
            found = await self._api(f"reading the size of result file {file_id}", "afile_retrieve",
                                    file_id=file_id, **where)
        except KeyRejected:
            raise
        except ProviderError:
            return None  # downloading it reports the fault
        size = getattr(found, "bytes", None)
        return size if isinstance(size, int) else None

    def _requests(self, key: str) -> list[tuple]:
        """The job's requests (response_id, task, condition, trial, item_order, sampling_seed, variant,
        scenario). The item order is read as one string and split here: DuckDB builds a Python list
        of a list column four times slower (dimension keys are names of letters and digits)."""
        rows = self.store.sql("select response_id, task, condition, trial, array_to_string(item_order, chr(31)), "
                              "sampling_seed, variant, scenario from batch_requests where batch_key = ? "
                              "order by response_id", [key]).fetchall()
        return [(*r[:4], None if r[4] is None else tuple(r[4].split("\x1f")) if r[4] else (), *r[5:]) for r in rows]

    def outcome(self, trial, row: dict | None, model: str, ended: str) -> Outcome:
        """A result line as the outcome of a live call: the answer, or the error it stored."""
        outcome = Outcome(trial)
        response = (row or {}).get("response") or {}
        body = response.get("body") if isinstance(response, dict) and isinstance(response.get("body"), dict) else {}
        status = response.get("status_code") if isinstance(response, dict) else None
        error = (row or {}).get("error")
        if row is None:
            outcome.faults.append(f"BatchError: no result for this request ({ended})")
        elif not error and not isinstance(response, dict):
            outcome.faults.append(redact(f"BatchError: the result's response is not an object "
                                         f"({excerpt(response, 200)})", self.secrets))
        elif error:
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message") if isinstance(error, dict) else error
            outcome.faults.append(redact(f"BatchError: {code or 'error'}: {excerpt(message, 300)}", self.secrets))
        elif status != 200:
            name = ERROR_NAMES.get(status, "APIStatusError")
            detail = (body.get("error") or {}).get("message") if isinstance(body.get("error"), dict) else body
            outcome.faults.append(redact(f"{name}: status {status}: {excerpt(detail, 300)}", self.secrets))
        else:
            self._read(outcome, body, model)
        if outcome.faults and outcome.text is None:
            outcome.error = outcome.faults[-1]
        return outcome

    def _read(self, outcome: Outcome, body: dict, model: str) -> None:
        choices = body.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            outcome.faults.append(f"{EmptyResponse.__name__}: the server answered HTTP 200 without a choice "
                                  "(choices: [])")
            return
        message = choices[0].get("message") or {}
        if not isinstance(message, dict):
            outcome.faults.append(redact(f"{EmptyResponse.__name__}: the server answered HTTP 200 with a message "
                                         f"that is not an object ({excerpt(message, 200)})", self.secrets))
            return
        text = message.get("content")
        text = "" if text is None else text if isinstance(text, str) else str(text)
        problem = answer_problem(text)
        outcome.text = None if problem else redact(text, self.secrets)
        outcome.model_reported = reported_model(body.get("model"), outcome, self.secrets)
        usage = body.get("usage")
        if isinstance(usage, dict):
            usage = SimpleNamespace(**{k: usage.get(k) for k in ("prompt_tokens", "completion_tokens")})
            outcome.input_tokens = token_count(usage, "prompt_tokens", outcome)
            outcome.output_tokens = token_count(usage, "completion_tokens", outcome)
        if outcome.input_tokens is not None and outcome.output_tokens is not None:
            from papers.collect.costs import batch_price

            outcome.cost_usd = batch_price(model, outcome.input_tokens, outcome.output_tokens)[0]
        if problem:  # as a live call's: an error row (its tokens and cost kept), which --retry-errors submits again
            outcome.faults.append(f"{AnswerTooLarge.__name__}: {problem}")


async def _release_clients() -> None:
    """Close the HTTP clients litellm cached in this event loop and forget them: the next loop (a
    second command in the same process) would otherwise reuse clients bound to a closed loop."""
    litellm = quiet_litellm()
    cache = litellm.in_memory_llm_clients_cache
    for client in list(getattr(cache, "cache_dict", {}).values()):
        close = getattr(client, "close", None)
        if close is not None and asyncio.iscoroutinefunction(close):
            with contextlib.suppress(Exception):
                await close()
    cache.flush_cache()
    gc.collect()  # the files and batches API make a client per call; closed here, in their own loop
    await asyncio.sleep(0.05)


def _json_line(line: bytes) -> dict | None:
    """A result line as an object, or None where it is not JSON or not an object."""
    try:
        row = load_json(line)
    except ValueError:  # not JSON, or nested deeper than papers reads
        return None
    return row if isinstance(row, dict) else None


def _kept(row: dict) -> dict:
    """What storing a result line reads of it (the answer's text, model, usage; the error), so that
    a job's results held at once take little memory."""
    response = row.get("response")
    if not isinstance(response, dict) or not isinstance(response.get("body"), dict):
        return row
    body = response["body"]
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        choices = [{"message": {"content": message.get("content")}} if isinstance(message, dict) else choices[0]]
    kept = {k: body[k] for k in ("model", "usage", "error") if k in body}
    if choices is not None:
        kept["choices"] = choices
    return {"custom_id": row.get("custom_id"), "error": row.get("error"),
            "response": {"status_code": response.get("status_code"), "body": kept}}


def _answered(row: dict) -> bool:
    response = row.get("response")
    return not row.get("error") and isinstance(response, dict) and response.get("status_code") == 200


def _either(first: dict, second: dict) -> dict:
    """The result kept of two lines for one request: an answer over an error (whichever file
    each came from), the first of two errors or of two equal answers, and an error where two
    answers differ (which stays, whatever line comes after)."""
    if first.get("conflict") or not _answered(second):
        return first
    if not _answered(first):
        return second
    if json.dumps(first["response"], sort_keys=True) == json.dumps(second["response"], sort_keys=True):
        return first
    return {"custom_id": first.get("custom_id"), "conflict": True, "response": None,
            "error": {"code": "conflicting_results", "message": "the job's result files hold different answers "
                      "for this request; none is stored"}}


def _job_errors(state) -> str:
    errors = getattr(getattr(state, "errors", None), "data", None) or []
    messages = [getattr(e, "message", None) or str(e) for e in errors][:3]
    return f" ({'; '.join(excerpt(m, 200) for m in messages)})" if messages else ""


def _count(n: int, noun: str) -> str:
    """'1 request', '3 requests'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def collect_batches(store: Store, instrument: Instrument, plan: list[Trial], decoding: Decoding,
                    settings: CallSettings, settings_record: dict, progress=None) -> BatchReport:
    """`papers collect --batch`: store what ended, submit what is pending, and with --wait repeat
    until every job is stored."""
    from papers.store import resolve_instrument

    def rebuild(job: dict, rows: list[tuple]) -> list[Trial]:
        return [Trial(job["model"], task, condition, trial, tuple(order or ()), seed, rid, variant or "default", scenario)
                for rid, task, condition, trial, order, seed, variant, scenario in rows]

    jobs = Jobs(store, settings, "collect", rebuild)
    report = BatchReport(planned=len(plan))
    started = time.perf_counter()
    instruments = {instrument.sha256: instrument}

    def on_results(job: dict, outcomes: list[Outcome]) -> None:
        sha = job["instrument_sha256"]
        if sha not in instruments:
            instruments[sha] = resolve_instrument(sha, store)
        saved = json.loads(job["settings"] or "{}")
        job_decoding = Decoding(saved.get("temperature"), saved.get("max_tokens"), saved.get("system_prompt"))
        statuses = write_outcomes(store, job["run_id"], instruments[sha], outcomes, job_decoding, replace_errors=True)
        for outcome, status in zip(outcomes, statuses):
            counts = report.per_model[job["model"]]
            counts[status] += 1
            counts["input_tokens"] += outcome.input_tokens or 0
            counts["output_tokens"] += outcome.output_tokens or 0
            counts["cost_micro_usd"] += round((outcome.cost_usd or 0) * 1e6)
        report.stored += len(outcomes)

    async def main() -> None:
        report.reused = pending_trials(store, plan, settings.retry_errors)[1]
        await jobs.check(report, on_results)
        todo = pending_trials(store, plan, settings.retry_errors)[0]
        alive = jobs.alive()
        todo = [t for t in todo if t.response_id not in alive]
        if todo:
            await _submit_trials(store, jobs, todo, instrument, decoding, settings, settings_record, report)
        if report.jobs_submitted:
            await jobs.check(report, on_results)
        while settings.wait and report.jobs_running:
            if progress is not None:
                progress(report)
            await asyncio.sleep(settings.poll_interval)
            await jobs.check(report, on_results)

    run_batches(main, report, started)
    return report


async def _submit_trials(store: Store, jobs: Jobs, todo: list[Trial], instrument: Instrument, decoding: Decoding,
                         settings: CallSettings, settings_record: dict, report: BatchReport) -> None:
    """Submit the pending trials as one collect run: a job per model (split by size), every model
    checked before anything is uploaded."""
    for trial in todo:
        provider_of(trial.model, settings.api_base)
    store.register_instrument(instrument)
    run_id = store.start_run("collect", instrument_sha256=instrument.sha256, settings=settings_record)
    meta = {"instrument_sha256": instrument.sha256, "settings": {
        "temperature": decoding.temperature, "max_tokens": decoding.max_tokens,
        "system_prompt": decoding.system_prompt}}
    by_model: dict[str, list[Trial]] = defaultdict(list)
    for trial in todo:
        by_model[trial.model].append(trial)
    for model, trials in by_model.items():
        name = provider_of(model, settings.api_base)[0]
        requests = [trial_request(t, instrument, decoding, settings, name) for t in trials]
        await jobs.submit(run_id, model, requests, meta, report)
    store.finish_run(run_id)


def run_batches(main, report: BatchReport, started: float) -> None:
    """Run `main` in an event loop, closing litellm's clients at the end."""
    async def run() -> None:
        try:
            await main()
        finally:
            await _release_clients()

    try:
        with _silent_litellm():
            asyncio.run(run())
    finally:
        report.seconds = time.perf_counter() - started


@contextlib.contextmanager
def _silent_litellm():
    """litellm's loggers off while batch jobs are handled: its own callbacks log a provider's
    refusal (a result file gone, say) with a full traceback, which papers reports in one line."""
    loggers = [logging.getLogger(name) for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, before):
            logger.disabled = disabled
