"""The fast path: calls to OpenAI-protocol servers made with the `openai` SDK directly.

litellm spends milliseconds of CPU on every call (its logging, callbacks, cost calculation and
response objects); for a model that litellm itself would send to an OpenAI-compatible endpoint
(`openai/...`, `hosted_vllm/...`, any of them behind --api-base) the same request is sent with one
`openai.AsyncOpenAI` client per event loop, with no retries of its own. Everything around the call
stays in calls.complete: retries, Retry-After, the deadline, error statuses (the SDK's exception
names are litellm's), redaction. Cost comes from litellm's price map, read once per model.
Other providers keep going through litellm. PAPERS_FAST_PATH=0 sends everything through litellm.
A run whose calls all take the fast path never imports litellm (seconds of CPU at every start).
"""

from __future__ import annotations

import asyncio
import os
import weakref
from dataclasses import dataclass

PROVIDERS = {"openai": "OPENAI_API_KEY", "hosted_vllm": "HOSTED_VLLM_API_KEY"}  # endpoints: papers/collect/endpoints.py
FIELDS = ("messages", "temperature", "max_tokens", "seed", "response_format")


@dataclass(frozen=True)
class Route:
    name: str  # the model's name at the server
    base_url: str
    api_key: str


_ROUTES: dict[tuple, Route | None] = {}
_CLIENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_RATES: dict[str, tuple[float, float] | None] = {}


def route(model: str, api_base: str | None) -> Route | None:
    """Where the openai SDK can send this model's calls, or None: litellm makes them."""
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
    return Route(model.partition("/")[2], api_base.rstrip("/"), api_key)


def _client(where: Route):
    """One client per event loop (a worker process has its own loop)."""
    loop = asyncio.get_running_loop()
    clients = _CLIENTS.setdefault(loop, {})
    if where not in clients:
        import openai

        clients[where] = openai.AsyncOpenAI(base_url=where.base_url, api_key=where.api_key, max_retries=0)
    return clients[where]


async def acompletion(where: Route, kwargs: dict):
    """The chat completion litellm.acompletion(**kwargs) would request, sent by the openai SDK."""
    params = {k: kwargs[k] for k in FIELDS if kwargs.get(k) is not None}
    return await _client(where).chat.completions.create(model=where.name, timeout=kwargs.get("timeout"), **params)


def cost(model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """US dollars at the price map's rates for the model, or None when it has none."""
    if model not in _RATES:
        prices = price_map()
        entry = prices.get(model) or prices.get(model.partition("/")[2])
        rates = (entry or {}).get("input_cost_per_token"), (entry or {}).get("output_cost_per_token")
        _RATES[model] = rates if None not in rates else None
    rates = _RATES[model]
    if rates is None or input_tokens is None or output_tokens is None:
        return None
    return input_tokens * rates[0] + output_tokens * rates[1]


_PRICES: dict = {}


def price_map() -> dict:
    """litellm's bundled price map, read from its file: importing litellm costs seconds of CPU (and,
    without LITELLM_LOCAL_MODEL_COST_MAP, a download), which the fast path does not otherwise pay.
    litellm's own map where it is loaded already."""
    if not _PRICES:
        import sys

        if "litellm" in sys.modules:
            _PRICES.update(sys.modules["litellm"].model_cost)
        else:
            import importlib.util
            import json
            from pathlib import Path

            spec = importlib.util.find_spec("litellm")
            for folder in (spec.submodule_search_locations or []) if spec else []:
                path = Path(folder) / "model_prices_and_context_window_backup.json"
                if path.is_file():
                    _PRICES.update(json.loads(path.read_text(encoding="utf-8")))
                    break
    return _PRICES
