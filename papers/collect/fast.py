"""The fast path: calls to OpenAI-protocol servers made over aiohttp, speaking the protocol directly.

litellm spends milliseconds of CPU on every call (its logging, callbacks, cost calculation and
response objects), and the openai SDK two more (its request transforms, httpx, pydantic models):
on a 2-core machine that CPU, not the server, set the pace (bench/collect.py). For a model that
litellm itself would send to an OpenAI-compatible endpoint (`openai/...`, `hosted_vllm/...`, any
of them behind --api-base) the same request (the fields of FIELDS, as litellm and the SDK send them)
is posted here with one aiohttp session per event loop and no retries of its own. What the SDK
does on the way is done here too: the key as a Bearer header, or the user and password of the
URL as Basic (the key is then not sent); the URL joined as the SDK joins it; a status of 400 or
more raised as the SDK's exception of that name (RateLimitError, AuthenticationError, ...) with
its status, headers and body. The body is read through papers.collect.bounded (decompressed and
counted a piece at a time, cut at the cap or the deadline) and decoded with papers' JSON loader
(nesting bounded). Everything else stays in calls.complete: retries, Retry-After, the deadline,
error statuses, redaction. Cost comes from litellm's price file, read once per model (price_entry).
Other providers keep going through litellm. PAPERS_FAST_PATH=0 sends everything through litellm.
A run whose calls all take the fast path imports neither litellm nor the openai SDK.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import weakref
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import unquote

PROVIDERS = {"openai": "OPENAI_API_KEY", "hosted_vllm": "HOSTED_VLLM_API_KEY"}  # endpoints: papers/collect/endpoints.py
FIELDS = ("messages", "temperature", "max_tokens", "seed", "response_format")
# The openai SDK's exception for each status (papers/collect/calls.py classifies faults by these names)
STATUS_ERRORS = {400: "BadRequestError", 401: "AuthenticationError", 403: "PermissionDeniedError", 404: "NotFoundError",
                 409: "ConflictError", 422: "UnprocessableEntityError", 429: "RateLimitError"}


@dataclass(frozen=True)
class Route:
    name: str  # the model's name at the server
    base_url: str  # credentials included: never stored or printed
    api_key: str

    @property
    def url(self) -> str:
        """Where a chat completion is posted: the SDK's join (base URL, a slash, the path), query and all."""
        return _parts(self.base_url)[0] + "/chat/completions"

    @property
    def headers(self) -> dict:
        _, user, password = _parts(self.base_url)
        if user is not None:  # credentials in the URL are the request's, as httpx sends them
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            authorization = f"Basic {token}"
        else:
            authorization = f"Bearer {self.api_key}"
        return {"Authorization": authorization, "Content-Type": "application/json", "Accept": "application/json",
                "Accept-Encoding": "gzip, deflate"}


def _parts(base_url: str) -> tuple[str, str | None, str]:
    """The base URL without its user and password (and without a trailing slash), the user (None
    where there is none) and the password, both decoded."""
    scheme, sep, rest = base_url.partition("://")
    authority, slash, tail = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    url = f"{scheme}{sep}{host if at else authority}{slash}{tail}".rstrip("/")
    if not at:
        return url, None, ""
    user, _, password = userinfo.partition(":")
    return url, unquote(user), unquote(password)


class APIError(Exception):
    """A fault of a fast-path call, named after the openai SDK's exception for it (see STATUS_ERRORS)."""

    status_code: int | None = None

    def __init__(self, message: str, status_code: int | None = None, headers=None):
        super().__init__(message)
        self.status_code = status_code
        self.response = SimpleNamespace(headers=headers or {}, status_code=status_code)  # as the SDK's: Retry-After


def _error_class(name: str) -> type[APIError]:
    if name not in _ERRORS:
        _ERRORS[name] = type(name, (APIError,), {})
    return _ERRORS[name]


_ERRORS: dict[str, type[APIError]] = {}


def status_error(status: int, headers, body: bytes) -> APIError:
    """The SDK's exception for an HTTP status of 400 or more: `Error code: 429 - {...}`, the body as
    the SDK shows it (decoded JSON, else its text)."""
    name = STATUS_ERRORS.get(status) or ("InternalServerError" if status >= 500 else "APIStatusError")
    text = body.decode("utf-8", "replace")
    try:
        from papers.limits import load_json

        shown = load_json(text)
    except ValueError:
        shown = text
    return _error_class(name)(f"Error code: {status} - {shown}", status, headers)


_ROUTES: dict[tuple, Route | None] = {}
_SESSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> aiohttp session
_RATES: dict[str, tuple[float, float] | None] = {}


def route(model: str, api_base: str | None) -> Route | None:
    """Where the fast path can send this model's calls, or None: litellm makes them."""
    key = (model, api_base)
    if key not in _ROUTES:
        _ROUTES[key] = _route(model, api_base)
    return _ROUTES[key]


def provider(model: str) -> str | None:
    """The OpenAI-protocol provider a model string names by its prefix (openai/, hosted_vllm/), or None."""
    prefix, _, name = model.partition("/")
    return prefix if name and prefix in PROVIDERS else None


def _route(model: str, api_base: str | None) -> Route | None:
    kind = provider(model)
    if os.environ.get("PAPERS_FAST_PATH", "1") == "0" or kind is None:
        return None
    key_name = PROVIDERS[kind]
    if not api_base:  # a run passes the endpoint it resolved; a caller that did not gets the same reading
        from papers.collect.endpoints import DotEnv, endpoint_of

        api_base = endpoint_of(model, None, "", DotEnv()).url
    api_key = os.environ.get(key_name) or ("fake-api-key" if kind == "hosted_vllm" else None)
    if not api_base or not api_key:
        return None  # litellm says what is missing
    return Route(model.partition("/")[2], api_base, api_key)


def _session():
    """One aiohttp session per event loop (a worker process has its own loop). Bodies arrive as the
    server sent them (auto_decompress off): papers.collect.bounded decompresses them within the cap."""
    loop = asyncio.get_running_loop()
    session = _SESSIONS.get(loop)
    if session is None or session.closed:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
        session = aiohttp.ClientSession(connector=connector, auto_decompress=False, raise_for_status=False,
                                        timeout=aiohttp.ClientTimeout(total=None), trust_env=False)
        _SESSIONS[loop] = session
    return session


async def close() -> None:
    """Close this event loop's session (at the end of a run's calls, before its loop closes)."""
    session = _SESSIONS.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


async def acompletion(where: Route, kwargs: dict, budget):
    """The chat completion litellm.acompletion(**kwargs) would request, posted over aiohttp; its
    body read within `budget` (papers.collect.bounded.Budget). Returns the completion with the
    attributes calls.complete reads (choices[0].message.content, model, usage)."""
    from papers.collect.bounded import read_body

    body = {"model": where.name, **{k: kwargs[k] for k in FIELDS if kwargs.get(k) is not None}}
    try:
        async with _session().post(where.url, data=json.dumps(body).encode(), headers=where.headers) as response:
            raw = await read_body(response.content.iter_any(), response.headers.get("Content-Encoding", ""), budget)
    except (OSError, asyncio.TimeoutError) as e:
        raise _error_class("APIConnectionError")(f"Connection error: {type(e).__name__}: {e}") from None
    except Exception as e:
        if type(e).__module__.startswith("aiohttp"):  # the server hung up, sent no valid HTTP, ...
            raise _error_class("APIConnectionError")(f"Connection error: {type(e).__name__}: {e}") from None
        raise
    if response.status >= 400:
        raise status_error(response.status, response.headers, raw)
    return completion(raw)


def completion(raw: bytes):
    """A chat completion's body as the attributes the SDK's object has: `choices` (each with a
    `message` whose `content` is as the server sent it), `model`, `usage` (prompt_tokens,
    completion_tokens as sent); None where the server sent no such field."""
    from papers.limits import load_json

    try:
        data = load_json(raw)
    except ValueError as e:  # not JSON, or nested deeper than papers reads
        raise _error_class("APIResponseValidationError")(f"the server's answer is not a JSON completion ({e})") from None
    if not isinstance(data, dict):
        raise _error_class("APIResponseValidationError")("the server's answer is not a JSON object")
    choices = data.get("choices")
    usage = data.get("usage")
    return SimpleNamespace(
        choices=[_choice(c) for c in choices] if isinstance(choices, list) else None,
        model=data.get("model"),
        usage=SimpleNamespace(prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"))
        if isinstance(usage, dict) else None)


def _choice(choice) -> SimpleNamespace:
    message = choice.get("message") if isinstance(choice, dict) else None
    return SimpleNamespace(message=SimpleNamespace(content=message.get("content")) if isinstance(message, dict) else None)


def cost(model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """US dollars at the price map's rates for the model, or None when it has none."""
    if model not in _RATES:
        _RATES[model] = rates(model)
    found = _RATES[model]
    if found is None or input_tokens is None or output_tokens is None:
        return None
    return input_tokens * found[0] + output_tokens * found[1]


def rates(model: str) -> tuple[float, float] | None:
    """The model's input and output price per token in litellm's price map (under the model string,
    else its name at the provider), or None where it has none."""
    entry = price_entry(model) or price_entry(model.partition("/")[2])
    found = (entry or {}).get("input_cost_per_token"), (entry or {}).get("output_cost_per_token")
    return found if None not in found else None


def price_entry(name: str) -> dict | None:
    """litellm's price map entry of one model, read from its bundled file: importing litellm costs
    seconds of CPU (and, without LITELLM_LOCAL_MODEL_COST_MAP, a download), which the fast path does
    not otherwise pay; and the whole map is megabytes of objects, so only the entry asked for is
    decoded (the file lists its models one per line, at most four spaces in). litellm's own
    map where it is loaded already; the whole file decoded where its layout is another."""
    import sys

    if "litellm" in sys.modules:
        return sys.modules["litellm"].model_cost.get(name)
    return file_entry(_price_text(), name)


def file_entry(text: str, name: str) -> dict | None:
    """The entry `name` of the price file's text (see price_entry)."""
    if not text.startswith('{\n    "'):
        return json.loads(text).get(name) if text else None
    import re

    # a model's line starts at most four spaces in; the keys inside an entry start eight or more in
    found = re.search(r"^ {0,4}" + re.escape(json.dumps(name)) + r": (?=\{)", text, re.MULTILINE)
    return json.JSONDecoder().raw_decode(text, found.end())[0] if found else None


def _price_text() -> str:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("litellm")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "model_prices_and_context_window_backup.json"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""
