"""What calls would cost (a dry run) and when spending stops a run (--max-cost).

Prices come from litellm's bundled price map; a model missing from it has an unknown cost.
Input tokens are counted by litellm's tokenizer for the model (about four characters a token
where it has none); output tokens are assumed, from the task.
"""

from __future__ import annotations

from dataclasses import dataclass

from papers.collect.plan import Decoding, Trial
from papers.instrument import Instrument


@dataclass
class TrialsEstimate:
    """A dry run of `papers collect`: per model, calls, tokens and cost (None: not in the price map)."""

    per_model: dict[str, dict]
    reused: int

    def as_dict(self) -> dict:
        return {"dry_run": True, "reused": self.reused, "per_model": self.per_model}


@dataclass
class CodingEstimate:
    """A dry run of `papers code`."""

    coder: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None

    def as_dict(self) -> dict:
        return {"dry_run": True, "calls": self.calls, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "cost_usd": self.cost_usd}


def price(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """US dollars for these tokens, or None for a model missing from litellm's price map."""
    import litellm

    try:
        prompt_cost, completion_cost = litellm.cost_per_token(model=model, prompt_tokens=input_tokens,
                                                              completion_tokens=output_tokens)
    except Exception:  # noqa: BLE001 - not in the price map
        return None
    return prompt_cost + completion_cost


def estimate_trials(instrument: Instrument, decoding: Decoding, trials: list[Trial], reused: int) -> TrialsEstimate:
    """Calls, tokens and cost these trials would make, per model."""
    per_model: dict[str, dict] = {}
    for trial in trials:
        entry = per_model.setdefault(trial.model, {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
        tokens = _tokens(trial.model, trial.messages(instrument, decoding))
        out = min(decoding.max_tokens or 400, 120 if trial.task != "open" else 250)
        entry["calls"] += 1
        entry["input_tokens"] += tokens
        entry["output_tokens"] += out
        cost = price(trial.model, tokens, out)
        entry["cost_usd"] = None if cost is None or entry["cost_usd"] is None else entry["cost_usd"] + cost
    return TrialsEstimate(per_model, reused)


def estimate_coding(coder: str, prompts: list[str]) -> CodingEstimate:
    """Calls, tokens (about four characters a token) and cost of coding answers with these prompts."""
    tokens = sum(len(p) // 4 for p in prompts)
    out = 120 * len(prompts)
    return CodingEstimate(coder, len(prompts), tokens, out, price(coder, tokens, out))


def _tokens(model: str, messages: list[dict]) -> int:
    import litellm

    try:
        return litellm.token_counter(model=model, messages=messages)
    except Exception:  # noqa: BLE001 - an unknown tokenizer: about four characters a token
        return sum(len(m["content"]) for m in messages) // 4


def cost_limit(spent: float, limit: float | None) -> str | None:
    """The reason to stop once `spent` reaches --max-cost, else None."""
    if limit is not None and spent >= limit:
        return f"stopped at the cost limit (${spent:.4f} of ${limit:.4f})"
    return None
