"""An instrument as Python objects: its dimensions, conditions, tasks (with their wording variants,
scales and a choose task's dilemmas) and survey items, with its canonical form and hash, and the
prompt of one trial. papers.instrument.loading builds one from a validated YAML file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from papers import formats

DEFAULT_VARIANT = "default"


@dataclass(frozen=True)
class Scale:
    """A rating scale: its ends, their labels, which end is the most important, and optional labels
    of every point (an answer may give a point's label instead of its number)."""

    min: int
    max: int
    min_label: str = ""
    max_label: str = ""
    most_important: str = "max"  # "max": higher is more important; "min": 1 is the most important
    labels: tuple[tuple[int, str], ...] = ()

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max

    @property
    def reversed(self) -> bool:
        return self.most_important == "min"

    def to_reference(self, value: float, reference: Scale) -> float:
        """A rating on this scale as a rating on `reference`, read so that higher is more important:
        linear between the ends, the most important end of this scale onto `reference.max`.

        >>> Scale(0, 10).to_reference(10, Scale(1, 7)), Scale(1, 7, most_important="min").to_reference(1, Scale(1, 7))
        (7.0, 7.0)
        >>> Scale(1, 4, most_important="min").to_reference(2, Scale(1, 4, most_important="min"))
        3.0
        """
        share = (value - self.min) / (self.max - self.min)
        if self.reversed:
            share = 1.0 - share
        return reference.min + share * (reference.max - reference.min)

    def label_of(self, point: int) -> str | None:
        return dict(self.labels).get(point)

    @property
    def every_point_labelled(self) -> bool:
        return len(self.labels) == self.max - self.min + 1


@dataclass(frozen=True)
class Variant:
    """One wording and answer format of a rank or rate task. `default` is the task's own prompt."""

    id: str
    template: str
    format: str = formats.DEFAULT_FORMAT
    show: str = formats.DEFAULT_DISPLAY
    framing: tuple[tuple[str, str], ...] = ()  # condition -> its framing in this variant's words
    scale: Scale | None = None  # rate: the scale this variant asks for

    def framing_for(self, condition: Condition) -> str:
        return dict(self.framing).get(condition.key, condition.framing)


@dataclass(frozen=True)
class Option:
    """One action of a dilemma, and the dimension it serves."""

    serves: str
    text: str


@dataclass(frozen=True)
class Scenario:
    """A dilemma: a situation faced by an AI system and two actions, each serving one dimension."""

    key: str
    text: str
    options: tuple[Option, Option]

    @property
    def pair(self) -> tuple[str, str]:
        return (self.options[0].serves, self.options[1].serves)

    def option(self, serves: str) -> Option:
        return next(o for o in self.options if o.serves == serves)


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    orientation: str
    definition: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other names an answer may use for this dimension (e.g. an older version's)


@dataclass(frozen=True)
class Condition:
    key: str
    framing: str
    dimensions: tuple[str, ...]


@dataclass(frozen=True)
class Task:
    key: str
    prompt: str
    scale: Scale | None = None
    variants: tuple[Variant, ...] = ()  # the other wordings, beside the default (the prompt)
    scenarios: tuple[Scenario, ...] = ()  # a choose task's dilemmas

    @property
    def default(self) -> Variant:
        return Variant(DEFAULT_VARIANT, self.prompt, scale=self.scale)

    @property
    def all_variants(self) -> tuple[Variant, ...]:
        return (self.default, *self.variants)

    @property
    def variant_ids(self) -> tuple[str, ...]:
        return tuple(v.id for v in self.all_variants)

    def variant(self, variant_id: str | None) -> Variant:
        """The variant of this id (None: the default)."""
        for v in self.all_variants:
            if v.id == (variant_id or DEFAULT_VARIANT):
                return v
        raise KeyError(variant_id)


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    scale: Scale


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: str
    description: str
    dimensions: tuple[Dimension, ...]
    conditions: tuple[Condition, ...]
    tasks: tuple[Task, ...]
    items: tuple[Item, ...]
    spec: dict[str, Any] = field(repr=False, compare=False)
    source: str = ""

    @cached_property
    def canonical(self) -> str:
        return json.dumps(self.spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical.encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.id} {self.version} ({self.sha256[:12]})"

    @cached_property
    def _by_key(self) -> dict[str, dict]:
        """Dimensions, conditions, tasks and dilemmas by key, built once: a trial's prompt and its
        answer's parse look up each shown dimension."""
        choose = [t for t in self.tasks if t.key == "choose"]
        return {"dimension": {d.key: d for d in self.dimensions}, "condition": {c.key: c for c in self.conditions},
                "task": {t.key: t for t in self.tasks},
                "scenario": {s.key: s for s in choose[0].scenarios} if choose else {}}

    def dimension(self, key: str) -> Dimension:
        return self._by_key["dimension"][key]

    def scenario(self, key: str) -> Scenario:
        return self._by_key["scenario"][key]

    def scenarios(self, condition: str) -> tuple[Scenario, ...]:
        """The dilemmas a condition asks: those whose two actions serve dimensions it shows."""
        if "choose" not in self.task_keys:
            return ()
        shown = set(self.shown(condition))
        return tuple(s for s in self.task("choose").scenarios if set(s.pair) <= shown)

    def condition(self, key: str) -> Condition:
        return self._by_key["condition"][key]

    def task(self, key: str) -> Task:
        return self._by_key["task"][key]

    @property
    def condition_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.conditions)

    @property
    def task_keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.tasks)

    @property
    def dimension_keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.dimensions)

    def shown(self, condition: str) -> tuple[str, ...]:
        """Dimension keys the condition shows, in the instrument's order."""
        return self.condition(condition).dimensions

    def scale_of(self, task: str, variant: str | None = None) -> Scale | None:
        """The rating scale a variant of a task asks for (None for rank and open tasks)."""
        t = self.task(task)
        return t.variant(variant).scale if t.scale else None

    def render_prompt(self, task: str, condition: str, order: list[str] | None = None, variant: str | None = None,
                      scenario: str | None = None) -> str:
        """The prompt for one trial in one variant's words (default: the task's prompt), listing the
        shown dimensions in `order` (default: as defined), numbered from 1, so that an answer by
        position ("3, 5, 1, ...") has one reading. A choose trial shows its scenario's two actions
        as A and B, in `order` (the dimensions they serve; default: as the instrument lists them)."""
        if task == "choose":
            return self._render_choice(condition, order, variant, scenario)
        keys = list(order or self.shown(condition))
        t = self.task(task)
        v = t.variant(variant) if task in ("rank", "rate") else t.default
        lines = "\n".join(formats.item_line(i, k, self.dimension(k).name, self.dimension(k).definition, v.show)
                          for i, k in enumerate(keys, 1))
        scale = v.scale or t.scale or Scale(1, 7)
        answer = formats.instruction(task, v.format, v.show) if task in formats.FORMATS else ""
        return v.template.format(
            framing=v.framing_for(self.condition(condition)).strip(),
            dimensions=lines,
            n=len(keys),
            min=scale.min,
            max=scale.max,
            min_label=scale.min_label or "lowest",
            max_label=scale.max_label or "highest",
            answer=answer,
        ).strip()

    def _render_choice(self, condition: str, order: list[str] | None, variant: str | None, key: str | None) -> str:
        if key is None:
            raise ValueError("a choose prompt needs its scenario")
        s = self.scenario(key)
        serves = list(order or s.pair)
        if sorted(serves) != sorted(s.pair):
            raise ValueError(f"{serves} is not an order of the actions of scenario {key} ({list(s.pair)})")
        v = self.task("choose").variant(variant)
        return v.template.format(
            framing=v.framing_for(self.condition(condition)).strip(),
            scenario=s.text,
            options=formats.option_lines([s.option(d).text for d in serves]),
            answer=formats.instruction("choose", v.format, v.show),
        ).strip()
