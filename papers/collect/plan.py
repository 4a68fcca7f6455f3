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

A choose task's trials go through the condition's dilemmas in passes (`choice_schedule`): each pass
asks every scenario once, in rounds that take one scenario of every pair of dimensions, pairs in a
seeded order (so a run cut short has asked every pair about as often); within a pair the dimension
whose action is shown first alternates from round to round, from a seeded start, and the next pass
shows every scenario the other way round, so each action is shown first as often as second. Its
item order is the dimensions its actions serve, A first.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from papers.answers.keys import DEFAULT_VARIANT, response_id
from papers.errors import InputError
from papers.instrument import WORDED_TASKS, Instrument
from papers.text import excerpt


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
    scenario: str | None = None  # a choose trial's dilemma

    def wants_json(self, instrument: Instrument) -> bool:
        """Does this trial ask for a JSON answer (so the provider's JSON mode may be switched on)?"""
        return (self.task in ("rank", "rate", "choose")
                and instrument.task(self.task).variant(self.variant).format == "json")

    def messages(self, instrument: Instrument, decoding: Decoding) -> list[dict]:
        prompt = instrument.render_prompt(self.task, self.condition, list(self.item_order), self.variant, self.scenario)
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
                if task == "choose":
                    plan += _choice_trials(instrument, model, condition, trials, seed, decoding, chosen)
                    continue
                shown = list(instrument.shown(condition))
                for t in range(trials):
                    variant = chosen[t % len(chosen)]
                    order = latin_order(shown, seed, task, condition, variant, t // len(chosen))
                    sampling_seed = _sampling_seed(shown, seed, task, condition, t)
                    rid = response_id(instrument.sha256, model, task, condition, t, order,
                                      {**decoding.key(), "seed": seed}, variant)
                    plan.append(Trial(model, task, condition, t, tuple(order), sampling_seed, rid, variant))
    return plan


def choice_schedule(instrument: Instrument, condition: str, trials: int, seed: int) -> list[tuple[str, tuple[str, str]]]:
    """(scenario key, the dimensions its actions serve in the order shown) of a condition's first
    `trials` choose trials.

    >>> from papers.instrument import load_instrument
    >>> plan = choice_schedule(load_instrument(), "non_sentient", 100, 0)
    >>> len({key for key, _ in plan}), sum(order[0] == "EI" for _, order in plan) == sum(order[1] == "EI" for _, order in plan)
    (50, True)
    """
    scenarios = instrument.scenarios(condition)
    if not scenarios:
        return []
    rng = _rng(seed, "choose", condition, "rounds")
    pairs: dict[tuple, list] = {}
    for s in scenarios:
        pairs.setdefault(tuple(sorted(s.pair)), []).append(s)
    for members in pairs.values():
        rng.shuffle(members)
    keys = list(pairs)
    rng.shuffle(keys)
    coins = {k: rng.randrange(2) for k in keys}
    # a pass: round r takes the r-th scenario of every pair, which shows the pair's dimensions in turn first
    passes = [(pairs[k][r], k[(coins[k] + r) % 2]) for r in range(max(map(len, pairs.values()))) for k in keys
              if r < len(pairs[k])]
    out = []
    for t in range(trials):
        s, lead = passes[t % len(passes)]
        if (t // len(passes)) % 2 == 1:  # the next pass shows it the other way round
            lead = next(d for d in s.pair if d != lead)
        out.append((s.key, (lead, next(d for d in s.pair if d != lead))))
    return out


def _choice_trials(instrument: Instrument, model: str, condition: str, trials: int, seed: int, decoding: Decoding,
                   chosen: list[str]) -> list[Trial]:
    """A condition's choose trials: scenarios and the order of their actions by `choice_schedule`,
    wordings in turn (trial t asks variant t mod V)."""
    shown = list(instrument.shown(condition))
    out = []
    for t, (key, order) in enumerate(choice_schedule(instrument, condition, trials, seed)):
        variant = chosen[t % len(chosen)]
        rid = response_id(instrument.sha256, model, "choose", condition, t, list(order),
                          {**decoding.key(), "seed": seed}, variant, key)
        out.append(Trial(model, "choose", condition, t, tuple(order), _sampling_seed(shown, seed, "choose", condition, t),
                         rid, variant, key))
    return out


def default_variants(instrument: Instrument, task: str) -> list[str]:
    """Every variant of a rank, rate or choose task; the default wording of any other."""
    if task in ("rank", "rate", "choose"):
        return list(instrument.task(task).variant_ids)
    return [DEFAULT_VARIANT]


def choose_variants(instrument: Instrument, tasks: list[str], choice: str) -> dict[str, list[str]]:
    """`--variants all|default|ID,...` as the variant ids of each task; an id a task lacks is
    skipped for that task, and every id must belong to one of the tasks."""
    choice = "all" if choice is None else choice.strip()
    if choice == "all":
        return {task: default_variants(instrument, task) for task in tasks}
    if choice == DEFAULT_VARIANT:
        return {task: [DEFAULT_VARIANT] for task in tasks}
    wanted = list(dict.fromkeys(v.strip() for v in choice.split(",") if v.strip()))
    if not wanted:  # an empty --variants (an unset shell variable) is a mistake, not a quiet "all"
        raise InputError(f"--variants names no variant: '{excerpt(choice)}'.",
                         "give all, default, or variant ids separated by commas (papers instrument show lists them).")
    out = {task: [v for v in instrument.task(task).variant_ids if v in wanted] if task in WORDED_TASKS
           else [DEFAULT_VARIANT] for task in tasks}
    known = {v for task in tasks if task in WORDED_TASKS for v in instrument.task(task).variant_ids}
    for v in wanted:
        if v not in known:
            raise InputError(f"--variants: '{excerpt(v)}' is not a variant of {', '.join(tasks)} in {instrument.label}.",
                             f"variants: {', '.join(sorted(known)) or 'default only'}; or all, or default.")
    for task, ids in out.items():
        if not ids:
            raise InputError(f"--variants: none of {excerpt(', '.join(wanted))} is a variant of the {task} task.",
                             f"{task} variants: {', '.join(instrument.task(task).variant_ids)}.")
    return out
