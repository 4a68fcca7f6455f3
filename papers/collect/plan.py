"""The trial plan: which calls a collection makes, as a pure function of its settings.

For each model x task x condition there are N trials. Trial t of a task and condition shows the
condition's dimensions in an order drawn from a generator seeded by (seed, task, condition, t),
so every model sees the same orders (order effects are balanced across models and can be
measured afterwards) and the same settings always give the same plan. Each trial also carries a
sampling seed derived the same way, passed to providers that accept one.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from papers.answers.keys import response_id
from papers.instrument import Instrument


@dataclass(frozen=True)
class Decoding:
    temperature: float | None = 1.0
    max_tokens: int | None = 400
    system_prompt: str | None = None

    def key(self) -> dict:
        """The settings that make a request different, as stored in the response key."""
        system = hashlib.sha256(self.system_prompt.encode()).hexdigest()[:16] if self.system_prompt else None
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "system": system}


@dataclass(frozen=True)
class Trial:
    model: str
    task: str
    condition: str
    trial: int
    item_order: tuple[str, ...]
    sampling_seed: int
    response_id: str = field(compare=False)

    def messages(self, instrument: Instrument, decoding: Decoding) -> list[dict]:
        prompt = instrument.render_prompt(self.task, self.condition, list(self.item_order))
        system = [{"role": "system", "content": decoding.system_prompt}] if decoding.system_prompt else []
        return system + [{"role": "user", "content": prompt}]


def _rng(seed: int, *parts) -> random.Random:
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def make_plan(instrument: Instrument, models: list[str], tasks: list[str], conditions: list[str],
              trials: int, seed: int = 0, decoding: Decoding = Decoding()) -> list[Trial]:
    """Every trial of the collection, in a stable order (model, task, condition, trial)."""
    plan = []
    for model in models:
        for task in tasks:
            for condition in conditions:
                shown = list(instrument.shown(condition))
                for t in range(trials):
                    rng = _rng(seed, task, condition, t)
                    order = shown[:]
                    rng.shuffle(order)
                    sampling_seed = rng.randrange(2**31)
                    rid = response_id(instrument.sha256, model, task, condition, t, order,
                                      {**decoding.key(), "seed": seed})
                    plan.append(Trial(model, task, condition, t, tuple(order), sampling_seed, rid))
    return plan
