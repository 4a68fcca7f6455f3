"""One call to a model through litellm (or over aiohttp, fast.py): retries, Retry-After, a deadline,
and nothing secret kept.

`complete` makes one request and retries transient faults with exponential backoff that honours
Retry-After (a 429 also halves the calls in flight, through the adaptive limiter); a refusal of
the request itself (bad key, unknown model) stops the run; the last fault of an exhausted retry
is the outcome's error. Every fault is kept on the outcome for `llm_errors`. Key values that a
server echoes back (in an answer, a model name or an error) are redacted before anything is kept.
Replicates are distinct requests and litellm's cache is never enabled.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from papers.collect import bounded
from papers.collect.settings import CallSettings
from papers.errors import ProviderError
from papers.limits import answer_problem
from papers.text import add_secret, excerpt, redact, secret_values

FATAL = ("AuthenticationError", "PermissionDeniedError", "NotFoundError", "BadRequestError",
         "ContextWindowExceededError", "ContentPolicyViolationError", "UnsupportedParamsError")
MAX_WAIT = 60.0  # seconds: the longest Retry-After honoured and the longest backoff (README, Guarantees)
MAX_COUNT = 2**63 - 1  # the store's token columns are 64-bit


@dataclass
class Outcome:
    trial: object  # a Trial, or any job with a .model and a .response_id (a coding job)
    text: str | None = None
    model_reported: str | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None
    faults: list[str] = field(default_factory=list)
    prompt: str | None = None  # the prompt asked, kept by the call (storing need not render it again)


class AdaptiveLimiter:
    """A semaphore whose size halves on a 429 and grows back by one per 20 clean answers."""

    def __init__(self, limit: int):
        self.max = self.limit = max(1, limit)
        self.active = 0
        self.clean = 0
        self.resume_at = 0.0
        self.cond = asyncio.Condition()
        self.secrets: list[str] | None = None  # the run's values to redact, read once (run_secrets)

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


class Timeout(Exception):
    """No complete answer within --timeout, first byte to last."""


class EmptyResponse(Exception):
    """An answer with no choice in it (HTTP 200, `choices: []`): a fault of the server, not the model's answer."""


def quiet_litellm():
    """litellm, imported with its "Provider List: ..." banner and debug hints switched off (they
    would land in --json output)."""
    litellm = sys.modules.get("litellm")
    if litellm is None:
        from papers.startup import long_lived

        with long_lived():
            import litellm
    litellm.suppress_debug_info = True
    return litellm


def request(model: str, messages: list[dict], settings: CallSettings, *, temperature: float | None,
            max_tokens: int | None, json_mode: bool, **extra) -> dict:
    """litellm's arguments for one call: no retries of its own (complete() retries), parameters a
    provider does not take dropped, JSON mode where the model supports it."""
    kwargs = {"model": model, "messages": messages, "timeout": settings.timeout, "num_retries": 0,
              "temperature": temperature, "max_tokens": max_tokens, "drop_params": True, **extra}
    api_base = settings.base_url(model)  # resolved once (endpoints.py): litellm and the SDK never pick their own
    if api_base:
        kwargs["api_base"] = api_base
    if json_mode and supports_json(model):
        kwargs["response_format"] = {"type": "json_object"}
    return kwargs


async def complete(kwargs: dict, limiter: AdaptiveLimiter, settings: CallSettings, outcome: Outcome) -> Outcome:
    """One litellm call with retries: transient faults are retried with exponential backoff that
    honours Retry-After up to MAX_WAIT (a 429 also halves the calls in flight; a longer Retry-After
    ends the trial as an error); a refusal of the request itself (bad key, unknown model) stops the
    run; the last fault of an exhausted retry is the error. The whole call, first byte to last, is
    bounded by kwargs["timeout"]. Key values echoed by the server are redacted before anything is kept."""
    from papers.collect import fast

    where = fast.route(kwargs["model"], kwargs.get("api_base"))
    litellm = quiet_litellm() if where is None else None
    if limiter.secrets is None:  # one limiter per run and event loop: the environment is read once, not per call
        limiter.secrets = run_secrets(settings)
    secrets = limiter.secrets
    seconds = kwargs.get("timeout") or MAX_WAIT
    for attempt in range(settings.max_retries + 1):
        await limiter.acquire()
        started = time.perf_counter()
        budget = bounded.Budget(time.monotonic() + seconds)
        try:
            if where is not None:  # reads its body within the budget itself
                response = await _within(fast.acompletion(where, kwargs, budget), seconds, budget)
            else:
                with bounded.reading(budget):
                    response = await _within(litellm.acompletion(**kwargs), seconds, budget)
        except Exception as e:  # noqa: BLE001 - classified by _fault
            wait = await _fault(e, kwargs["model"], limiter, outcome, secrets, settings.endpoint(kwargs["model"]))
            if attempt == settings.max_retries or wait is None:
                outcome.error = outcome.faults[-1]
                outcome.latency_ms = (time.perf_counter() - started) * 1000
                return outcome
            delay = min(settings.backoff * (2 ** attempt) * (0.5 + random.random()), MAX_WAIT)
            await asyncio.sleep(max(delay, wait))
            continue
        await limiter.release()
        outcome.latency_ms = (time.perf_counter() - started) * 1000
        _read_response(outcome, response, kwargs["model"], secrets, fast_path=where is not None)
        return outcome
    return outcome


async def _fault(error: Exception, model: str, limiter: AdaptiveLimiter, outcome: Outcome, secrets: list[str],
                 endpoint=None) -> float | None:
    """Release the slot and keep the fault on the outcome; raise if the request itself was refused
    (credentials refused: KeyRejected, naming the key's variable and the endpoint). Returns the
    seconds to wait at least before a retry (0: just the backoff), or None when the server asked
    for a wait longer than MAX_WAIT: the trial ends as an error."""
    name = type(error).__name__
    rate_limited = name == "RateLimitError"
    wait = _retry_after(error) if rate_limited else None
    too_long = wait is not None and wait > MAX_WAIT
    await limiter.release(rate_limited=rate_limited, retry_after=None if too_long else wait)
    message = redact(f"{name}: {_short(error)}", secrets)
    if isinstance(error, bounded.AnswerTooLarge):  # asked again, it would be paid for again: an error row now
        outcome.faults.append(message + "; not asked again in this run (--retry-errors asks again)")
        return None
    if too_long:
        message += (f" (Retry-After asked for {wait:,.0f} s, longer than the {MAX_WAIT:g} s papers waits; "
                    "run again later with --retry-errors)")
    outcome.faults.append(message)
    status = getattr(error, "status_code", None)
    if name in ("AuthenticationError", "PermissionDeniedError") or status in (401, 403):
        from papers.collect.endpoints import rejected

        raise rejected(model, endpoint, status, message) from error
    if name in FATAL:
        raise ProviderError(f"{model}: the provider refused the request ({message}).",
                            "check the model name, --api-base and the API key in the environment or .env.") from error
    return None if too_long else (wait or 0)


async def _within(call, seconds: float, budget: bounded.Budget):
    """The response of `call`, complete within `seconds` and within papers' caps; a server that
    drips its answer byte by byte keeps litellm's read timeout from firing, so the deadline is set
    here, around the call (and checked as the body arrives, papers.collect.bounded). A limit the
    body passed is raised as itself, however the client library wrapped it."""
    try:
        async with asyncio.timeout(seconds):  # no task of its own, unlike asyncio.wait_for before 3.12
            response = await call
    except TimeoutError:
        raise Timeout(f"no complete answer within {seconds:g} s (--timeout)") from None
    except Exception as e:
        if isinstance(budget.error, bounded.PastDeadline):
            raise Timeout(f"no complete answer within {seconds:g} s (--timeout)") from None
        if budget.error is not None:
            raise budget.error from e
        raise
    if not getattr(response, "choices", None):
        raise EmptyResponse("the server answered HTTP 200 without a choice (choices: [])")
    problem = answer_problem(getattr(getattr(response.choices[0], "message", None), "content", None))
    if problem:
        raise bounded.AnswerTooLarge(problem)
    return response


def _read_response(outcome: Outcome, response, model: str, secrets: list[str], fast_path: bool = False) -> None:
    text = getattr(getattr(response.choices[0], "message", None), "content", None)
    outcome.text = redact(text if text is None or isinstance(text, str) else str(text), secrets)
    outcome.model_reported = reported_model(getattr(response, "model", None), outcome, secrets)
    usage = getattr(response, "usage", None)
    if usage is not None:
        outcome.input_tokens = token_count(usage, "prompt_tokens", outcome)
        outcome.output_tokens = token_count(usage, "completion_tokens", outcome)
    if fast_path:
        from papers.collect.fast import cost

        cost = cost(model, outcome.input_tokens, outcome.output_tokens)
    else:
        cost = _cost(response, model)
    outcome.cost_usd = cost if isinstance(cost, (int, float)) and math.isfinite(cost) else None


_NO_PRICE: set[str] = set()


MAX_MODEL_CHARS = 256  # a model name the server reports, stored; a longer one is cut, with a note


def reported_model(reported, outcome: Outcome, secrets: list[str]) -> str | None:
    """The model name a server reported, redacted, and cut to MAX_MODEL_CHARS with a note in llm_errors."""
    if reported is None:
        return None
    text = redact(reported if isinstance(reported, str) else excerpt(reported, MAX_MODEL_CHARS + 1), secrets)
    if len(text) > MAX_MODEL_CHARS:
        outcome.faults.append(f"model: the reported model name is {len(text):,} characters long; stored cut to "
                              f"{MAX_MODEL_CHARS}")
        text = text[:MAX_MODEL_CHARS]
    return text


def _cost(response, model: str):
    """What the call cost, as litellm reports or prices it; a model missing from the price map has
    no cost, and is asked about once."""
    litellm = quiet_litellm()

    hidden = getattr(response, "_hidden_params", {}) or {}
    cost = hidden.get("response_cost")
    if cost is None and model not in _NO_PRICE and not model.startswith("simulated/"):
        try:
            cost = litellm.completion_cost(completion_response=response)
        except Exception:  # noqa: BLE001 - not in the price map
            _NO_PRICE.add(model)
            cost = None
    return cost


def token_count(usage, name: str, outcome: Outcome) -> int | None:
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


_JSON_SUPPORT: dict[str, bool] = {}


def supports_json(model: str) -> bool:
    from papers.collect.fast import provider

    if provider(model) is not None:
        return True  # an OpenAI-protocol endpoint (litellm says the same, without its import)
    if model not in _JSON_SUPPORT:
        litellm = quiet_litellm()

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


def run_secrets(settings: CallSettings) -> list[str]:
    """The values to redact in a run's answers and errors: the environment's keys and the run's own
    credentials (its endpoints' URL passwords and tokens), registered in this process so that
    litellm's log records are redacted of them too, in whichever process makes the calls."""
    for value in settings.secrets():
        add_secret(value, minimum=1)
    return secret_values()


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
