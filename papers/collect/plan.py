"""The trial plan: which calls a collection makes, as a pure function of its settings.

For each model x task x condition there are N trials, spread evenly over the task's chosen
variants (wordings and answer formats): trial t uses variant t mod V, so a run stopped early has
asked every variant about as often. Within a variant, the item orders come in blocks of n (the
number of dimensions shown): each block is a Latin square, every dimension shown once at every
position, built from a permutation and a shuffle of its rows drawn from a generator seeded by
(seed, task, condition, variant, block). Every model sees the same orders (order effects are
balanced across models and measurable afterwards), and the same settings always give the same
plan. Each trial also carries a sampling seed, seeded by (seed, task, condition, t), passed to
providers that accept one.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from papers.answers.keys import DEFAULT_VARIANT, response_id
from papers.errors import InputError
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
    variant: str = DEFAULT_VARIANT

    def wants_json(self, instrument: Instrument) -> bool:
        """Does this trial ask for a JSON answer (so the provider's JSON mode may be switched on)?"""
        return self.task in ("rank", "rate") and instrument.task(self.task).variant(self.variant).format == "json"

    def messages(self, instrument: Instrument, decoding: Decoding) -> list[dict]:
        prompt = instrument.render_prompt(self.task, self.condition, list(self.item_order), self.variant)
        system = [{"role": "system", "content": decoding.system_prompt}] if decoding.system_prompt else []
        return system + [{"role": "user", "content": prompt}]


def _rng(seed: int, *parts) -> random.Random:
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def latin_order(shown: list[str], seed: int, task: str, condition: str, variant: str, j: int) -> list[str]:
    """The item order of a variant's j-th trial: row j mod n of the Latin square of block j // n.

    >>> rows = [latin_order(list("ABCD"), 0, "rank", "c", "default", j) for j in range(4)]
    >>> all(sorted(r[p] for r in rows) == list("ABCD") for p in range(4))  # each item once at each position
    True
    """
    n = len(shown)
    rng = _rng(seed, task, condition, variant, "block", j // n)
    base = shown[:]
    rng.shuffle(base)
    shifts = list(range(n))
    rng.shuffle(shifts)
    shift = shifts[j % n]
    return [base[(shift + i) % n] for i in range(n)]


def _sampling_seed(shown: list[str], seed: int, task: str, condition: str, t: int) -> int:
    """Trial t's sampling seed, drawn as plans drew it before item orders were Latin squares (after
    a shuffle of the shown dimensions), so a trial keeps the seed it always had."""
    rng = _rng(seed, task, condition, t)
    rng.shuffle(shown[:])
    return rng.randrange(2**31)


def make_plan(instrument: Instrument, models: list[str], tasks: list[str], conditions: list[str],
              trials: int, seed: int = 0, decoding: Decoding = Decoding(),
              variants: dict[str, list[str]] | None = None) -> list[Trial]:
    """Every trial of the collection, in a stable order (model, task, condition, trial).

    `variants` maps a task to the variant ids to spread its trials over (default: every variant
    of a rank or rate task, the default wording of an open task)."""
    plan = []
    for model in models:
        for task in tasks:
            chosen = (variants or {}).get(task) or default_variants(instrument, task)
            for condition in conditions:
                shown = list(instrument.shown(condition))
                for t in range(trials):
                    variant = chosen[t % len(chosen)]
                    order = latin_order(shown, seed, task, condition, variant, t // len(chosen))
                    sampling_seed = _sampling_seed(shown, seed, task, condition, t)
                    rid = response_id(instrument.sha256, model, task, condition, t, order,
                                      {**decoding.key(), "seed": seed}, variant)
                    plan.append(Trial(model, task, condition, t, tuple(order), sampling_seed, rid, variant))
    return plan


def default_variants(instrument: Instrument, task: str) -> list[str]:
    """Every variant of a rank or rate task; the default wording of any other."""
    if task in ("rank", "rate"):
        return list(instrument.task(task).variant_ids)
    return [DEFAULT_VARIANT]


def choose_variants(instrument: Instrument, tasks: list[str], choice: str) -> dict[str, list[str]]:
    """`--variants all|default|ID,...` as the variant ids of each task; an id a task lacks is
    skipped for that task, and every id must belong to one of the tasks."""
    choice = (choice or "all").strip()
    if choice == "all":
        return {task: default_variants(instrument, task) for task in tasks}
    if choice == DEFAULT_VARIANT:
        return {task: [DEFAULT_VARIANT] for task in tasks}
    wanted = [v.strip() for v in choice.split(",") if v.strip()]
    out = {task: [v for v in instrument.task(task).variant_ids if v in wanted] if task in ("rank", "rate")
           else [DEFAULT_VARIANT] for task in tasks}
    known = {v for task in tasks if task in ("rank", "rate") for v in instrument.task(task).variant_ids}
    for v in wanted:
        if v not in known:
            raise InputError(f"--variants: '{v}' is not a variant of {', '.join(tasks)} in {instrument.label}.",
                             f"variants: {', '.join(sorted(known)) or 'default only'}; or all, or default.")
    for task, ids in out.items():
        if not ids:
            raise InputError(f"--variants: none of {', '.join(wanted)} is a variant of the {task} task.",
                             f"{task} variants: {', '.join(instrument.task(task).variant_ids)}.")
    return out
