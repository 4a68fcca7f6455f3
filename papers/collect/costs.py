"""What calls would cost (a dry run) and when spending stops a run (--max-cost).

Prices come from litellm's bundled price map; a model missing from it has an unknown cost.
Input tokens are counted by litellm's tokenizer for the model (about four characters a token
where it has none); output tokens are assumed, from the task.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from papers.collect.endpoints import Routed
from papers.collect.plan import Decoding, Trial
from papers.instrument import Instrument


@dataclass
class TrialsEstimate(Routed):
    """A dry run of `papers collect`: per model, calls, tokens and cost (None: not in the price map)."""

    per_model: dict[str, dict]
    reused: int
    batch: bool = False
    split: dict[str, dict[str, int]] = field(default_factory=dict)  # task -> variant -> calls

    def as_dict(self) -> dict:
        return {"dry_run": True, "batch": self.batch, "reused": self.reused, "per_model": self.per_model,
                "variants": self.split, **self.routing()}


@dataclass
class CodingEstimate(Routed):
    """A dry run of `papers code`."""

    coder: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None

    def as_dict(self) -> dict:
        return {"dry_run": True, "calls": self.calls, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "cost_usd": self.cost_usd, **self.routing()}


def price(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """US dollars for these tokens, or None for a model missing from litellm's price map."""
    from papers.collect.calls import quiet_litellm

    litellm = quiet_litellm()
    if not in_price_map(model):
        return None
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(model=model, prompt_tokens=input_tokens,
                                                              completion_tokens=output_tokens)
    except Exception:  # noqa: BLE001 - not in the price map
        return None
    return prompt_cost + completion_cost


def in_price_map(model: str) -> bool:
    """Whether litellm's bundled price map names the model (with or without its provider prefix);
    litellm would look elsewhere for others (a hosted_vllm/ model's server, for seconds)."""
    from papers.collect.calls import quiet_litellm

    prices = quiet_litellm().model_cost
    return model in prices or model.partition("/")[2] in prices


def batch_price(model: str, input_tokens: int, output_tokens: int) -> tuple[float | None, bool]:
    """US dollars for these tokens in a provider batch job, and whether the price map has batch rates
    for the model (else the regular rates are used: an upper bound)."""
    from papers.collect.calls import quiet_litellm

    litellm = quiet_litellm()
    if not in_price_map(model):
        return None, False
    try:
        info = litellm.get_model_info(model=model)
    except Exception:  # noqa: BLE001 - not in the price map
        return None, False
    rate_in, rate_out = info.get("input_cost_per_token_batches"), info.get("output_cost_per_token_batches")
    if rate_in is None or rate_out is None:
        return price(model, input_tokens, output_tokens), False
    return input_tokens * rate_in + output_tokens * rate_out, True


def estimate_trials(instrument: Instrument, decoding: Decoding, trials: list[Trial], reused: int,
                    batch: bool = False) -> TrialsEstimate:
    """Calls, tokens and cost these trials would make, per model (with `batch`, as provider batch
    jobs: the price map's batch rates where it has them, else its regular rates)."""
    per_model: dict[str, dict] = {}
    for trial in trials:
        entry = per_model.setdefault(trial.model, {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
        tokens = _tokens(trial.model, trial.messages(instrument, decoding))
        out = min(decoding.max_tokens or 400, 120 if trial.task != "open" else 250)
        entry["calls"] += 1
        entry["input_tokens"] += tokens
        entry["output_tokens"] += out
        if batch:
            cost, entry["batch_rates"] = batch_price(trial.model, tokens, out)
        else:
            cost = price(trial.model, tokens, out)
        entry["cost_usd"] = None if cost is None or entry["cost_usd"] is None else entry["cost_usd"] + cost
    split: dict[str, dict[str, int]] = {}
    for trial in trials:
        split.setdefault(trial.task, {}).setdefault(trial.variant, 0)
        split[trial.task][trial.variant] += 1
    return TrialsEstimate(per_model, reused, batch, split)


def estimate_coding(coder: str, prompts: list[str]) -> CodingEstimate:
    """Calls, tokens (about four characters a token) and cost of coding answers with these prompts."""
    tokens = sum(len(p) // 4 for p in prompts)
    out = 120 * len(prompts)
    return CodingEstimate(coder, len(prompts), tokens, out, price(coder, tokens, out))


def _tokens(model: str, messages: list[dict]) -> int:
    """Input tokens: counted by tiktoken (bundled with litellm) for OpenAI models; about four characters
    a token for every other model, whose tokenizer litellm would download."""
    from papers.collect.calls import quiet_litellm

    litellm = quiet_litellm()
    if _TIKTOKEN.get(model) is None:
        try:
            _TIKTOKEN[model] = litellm.get_llm_provider(model=model)[1] in ("openai", "azure")
        except Exception:  # noqa: BLE001 - an unknown provider
            _TIKTOKEN[model] = False
    if _TIKTOKEN[model]:
        try:
            return litellm.token_counter(model=model, messages=messages)
        except Exception:  # noqa: BLE001 - fall back to the estimate
            pass
    return sum(len(m["content"]) for m in messages) // 4


_TIKTOKEN: dict[str, bool] = {}


def cost_limit(spent: float, limit: float | None) -> str | None:
    """The reason to stop once `spent` reaches --max-cost, else None."""
    if limit is not None and spent >= limit:
        return f"stopped at the cost limit (${spent:.4f} of ${limit:.4f})"
    return None
