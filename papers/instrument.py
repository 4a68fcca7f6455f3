"""Instruments: load, validate and hash the YAML files that define what models and people answer.

An instrument has dimensions (key, name, definition, orientation), conditions (a framing text and
the dimensions it shows), tasks (`rank`, `rate`, `open`, `choose`) and optional survey items. A
`choose` task holds dilemmas: scenarios, each with two actions tagged with the dimension each serves. Its identity is
the SHA-256 of its canonical form: the validated spec, with defaults filled in, serialised as JSON
with sorted keys. Comments, key order and YAML layout therefore do not change the hash; any change
of wording does.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from papers import formats
from papers.errors import InstrumentError
from papers.limits import DocumentError, load_yaml
from papers.text import excerpt

BUNDLED_DIR = Path(__file__).parent / "instruments"
DEFAULT_INSTRUMENT = "papers"
ORIENTATIONS = ("humanistic", "utility", "neutral")
TASK_TYPES = ("rank", "rate", "open", "choose")
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
SEMVER_RE = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
PROMPT_FIELDS = {
    "rank": {"framing", "dimensions", "n", "answer"},
    "rate": {"framing", "dimensions", "n", "min", "max", "min_label", "max_label", "answer"},
    "open": {"framing", "dimensions", "n"},
    "choose": {"framing", "scenario", "options", "answer"},
}
# what a variant's template must contain: the condition's framing, the items, the answer format's
# instruction and, for ratings, the ends of the variant's scale
VARIANT_FIELDS = {"rank": {"framing", "dimensions", "answer"}, "rate": {"framing", "dimensions", "answer", "min", "max"},
                  "choose": {"framing", "scenario", "options", "answer"}}
WORDED_TASKS = ("rank", "rate", "choose")  # the tasks that may list wording variants
# the balance `papers instrument validate` asks of a choose task (DILEMMA_RULES says why)
MIN_SCENARIOS_PER_PAIR = 5
MAX_OPTION_RATIO = 1.5  # the longer action of a scenario at most this many times the shorter, in characters
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

    def dimension(self, key: str) -> Dimension:
        return {d.key: d for d in self.dimensions}[key]

    def scenario(self, key: str) -> Scenario:
        return {s.key: s for s in self.task("choose").scenarios}[key]

    def scenarios(self, condition: str) -> tuple[Scenario, ...]:
        """The dilemmas a condition asks: those whose two actions serve dimensions it shows."""
        if "choose" not in self.task_keys:
            return ()
        shown = set(self.shown(condition))
        return tuple(s for s in self.task("choose").scenarios if set(s.pair) <= shown)

    def condition(self, key: str) -> Condition:
        return {c.key: c for c in self.conditions}[key]

    def task(self, key: str) -> Task:
        return {t.key: t for t in self.tasks}[key]

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


# --------------------------------------------------------------------------------------------
# Loading


def bundled_instruments() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUNDLED_DIR.glob("*.yaml"))}


def load_instrument(ref: str | Path | None = None) -> Instrument:
    """Load an instrument from a path, or a bundled one by name (default: the PAPERS instrument)."""
    ref = DEFAULT_INSTRUMENT if ref is None else ref
    path = Path(ref)
    bundled = bundled_instruments()
    if not path.is_file():
        if str(ref) in bundled:
            path = bundled[str(ref)]
        else:
            names = ", ".join(bundled)
            raise InstrumentError(
                f"{ref}: no such instrument file, and no bundled instrument of that name.",
                f"give the path of a YAML instrument, or one of the bundled names: {names}.",
            )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InstrumentError(f"{path}: cannot read the instrument file ({excerpt(e, 200)}).") from e
    return parse_instrument(text, source=str(path))


def parse_instrument(text: str, source: str = "<instrument>") -> Instrument:
    try:
        raw = load_yaml(text)
    except DocumentError as e:  # an alias, or beyond papers' size and depth limits
        raise InstrumentError(f"{source}: not read ({e}).") from e
    except yaml.YAMLError as e:
        where = ""
        mark = getattr(e, "problem_mark", None)
        if mark is not None:
            where = f", line {mark.line + 1}"
        problem = getattr(e, "problem", None) or type(e).__name__
        raise InstrumentError(f"{source}{where}: not valid YAML ({excerpt(problem)}).") from e
    spec = _Validator(source).instrument(raw)
    return _build(spec, source)


def _scale(s: dict | None) -> Scale | None:
    if not s:
        return None
    labels = tuple(sorted((int(k), v) for k, v in (s.get("labels") or {}).items()))
    return Scale(s["min"], s["max"], s["min_label"], s["max_label"], s.get("most_important", "max"), labels)


def _variant(v: dict[str, Any]) -> Variant:
    return Variant(v["id"], v["template"], v["format"], v.get("show", formats.DEFAULT_DISPLAY),
                   tuple(sorted((v.get("framing") or {}).items())), _scale(v.get("scale")))


def _scenario(s: dict[str, Any]) -> Scenario:
    first, second = (Option(o["serves"], o["text"]) for o in s["options"])
    return Scenario(s["key"], s["text"], (first, second))


def _build(spec: dict[str, Any], source: str) -> Instrument:
    scale = _scale

    return Instrument(
        id=spec["id"],
        version=spec["version"],
        title=spec["title"],
        description=spec["description"],
        dimensions=tuple(
            Dimension(
                d["key"], d["name"], d["orientation"], d["definition"],
                tuple(d["include"]), tuple(d["exclude"]), tuple(d.get("aliases", ())),
            )
            for d in spec["dimensions"]
        ),
        conditions=tuple(
            Condition(c["key"], c["framing"], tuple(c["dimensions"])) for c in spec["conditions"]
        ),
        tasks=tuple(Task(k, t["prompt"], scale(t.get("scale")), tuple(_variant(v) for v in t.get("variants", ())),
                         tuple(_scenario(s) for s in t.get("scenarios", ())))
                    for k, t in spec["tasks"].items()),
        items=tuple(Item(i["key"], i["text"], scale(i["scale"])) for i in spec["items"]),
        spec=spec,
        source=source,
    )


class _Validator:
    """Checks a parsed YAML document field by field; every error names the field's path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, problem: str, hint: str | None = None) -> None:
        raise InstrumentError(f"{self.source}: field '{excerpt(path, 120)}': {problem}", hint)

    def mapping(self, value, path, allowed, required):
        if not isinstance(value, dict) and not path:
            # the whole file is not a mapping: say what it is, and quote none of it
            what = f"text of {len(value)} characters" if isinstance(value, str) else _kind(value)
            self.fail("(top level)", f"expected a mapping of id, version, dimensions, ..., got {what}.",
                      "is this the instrument file? See papers/instruments/papers.yaml for the format.")
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {_kind(value)}.")
        for key in value:
            if key not in allowed:
                self.fail(
                    _join(path, key), "unknown key.",
                    f"allowed keys here: {', '.join(sorted(allowed))}.",
                )
        for key in required:
            if key not in value or value[key] is None:
                self.fail(_join(path, key), "missing (required).")
        return value

    def text(self, value, path, required=True) -> str:
        if value is None and not required:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(path, f"expected non-empty text, got {_kind(value)}.")
        return value.strip()

    def key(self, value, path, pattern=KEY_RE, what="a key of letters and digits") -> str:
        value = self.text(value, path)
        if not pattern.match(value):
            self.fail(path, f"'{excerpt(value)}' is not {what}.")
        return value

    def scale(self, value, path) -> dict[str, Any]:
        allowed = {"min", "max", "min_label", "max_label", "most_important", "labels"}
        value = self.mapping(value, path, allowed, ("min", "max"))
        lo, hi = value["min"], value["max"]
        for name, v in (("min", lo), ("max", hi)):
            if isinstance(v, bool) or not isinstance(v, int):
                self.fail(f"{path}.{name}", f"expected a whole number, got {_kind(v)}.")
        if lo >= hi:
            self.fail(path, f"wrong scale: min ({lo}) must be below max ({hi}).")
        labels = self.point_labels(value.get("labels"), f"{path}.labels", lo, hi)
        out = {
            "min": lo,
            "max": hi,
            "min_label": self.text(value.get("min_label"), f"{path}.min_label", required=False) or labels.get(str(lo), ""),
            "max_label": self.text(value.get("max_label"), f"{path}.max_label", required=False) or labels.get(str(hi), ""),
        }
        most = self.text(value.get("most_important"), f"{path}.most_important", required=False) or "max"
        if most not in ("max", "min"):
            self.fail(f"{path}.most_important", f"'{excerpt(most)}' is not max or min.",
                      "max: higher numbers are more important (the default); min: 1 is the most important.")
        # only when given: instruments written before these fields existed keep their hash
        return {**out, **({"most_important": most} if most == "min" else {}), **({"labels": labels} if labels else {})}

    def point_labels(self, value, path, lo: int, hi: int) -> dict[str, str]:
        """Labels of scale points, {point: text}; each point on the scale, each text naming one point."""
        if value is None:
            return {}
        if not isinstance(value, dict) or not value:
            self.fail(path, f"expected a mapping of scale point to its label, got {_kind(value)}.")
        out, seen = {}, {}
        for point, text in value.items():
            if isinstance(point, bool) or not isinstance(point, int) or not lo <= point <= hi:
                self.fail(f"{path}.{excerpt(point)}", f"'{excerpt(point)}' is not a whole number from {lo} to {hi}.")
            text = self.text(text, f"{path}.{point}")
            norm = " ".join(text.lower().split())
            if norm in seen:
                self.fail(f"{path}.{point}", f"the label '{excerpt(text)}' also names point {seen[norm]}.",
                          "give each point its own label, so that an answer in words has one reading.")
            seen[norm] = point
            out[str(point)] = text
        return dict(sorted(out.items(), key=lambda kv: int(kv[0])))

    def unique(self, entries, path, what):
        seen: dict[str, int] = {}
        for i, entry in enumerate(entries):
            if entry["key"] in seen:
                self.fail(
                    f"{path}[{i}].key",
                    f"duplicate {what} '{excerpt(entry['key'])}' (also at {path}[{seen[entry['key']]}]).",
                )
            seen[entry["key"]] = i

    def distinct_names(self, dims: list[dict]) -> None:
        """Every key, name and alias names one dimension only (whatever its case), so an answer that
        uses it cannot be read two ways."""
        owner: dict[str, tuple[str, str]] = {}
        for i, d in enumerate(dims):
            for field_name, value in [("key", d["key"]), ("name", d["name"])] + [
                    (f"aliases[{j}]", a) for j, a in enumerate(d.get("aliases", []))]:
                label = " ".join(value.split()).lower()
                if label in owner and owner[label][0] != d["key"]:
                    self.fail(f"dimensions[{i}].{field_name}", f"'{excerpt(value)}' already names dimension "
                              f"{owner[label][0]} ({owner[label][1]}).", "give each dimension its own names.")
                owner[label] = (d["key"], field_name)

    def sequence(self, value, path):
        if not isinstance(value, list) or not value:
            self.fail(path, f"expected a non-empty list, got {_kind(value)}.")
        return value

    def instrument(self, raw) -> dict[str, Any]:
        top = {"id", "version", "title", "description", "dimensions", "conditions", "tasks", "items"}
        raw = self.mapping(raw, "", top, ("id", "version", "dimensions", "conditions", "tasks"))
        version = self.text(raw["version"], "version")
        if not SEMVER_RE.match(version):
            self.fail("version", f"'{excerpt(version)}' is not a semantic version such as 1.0.0.")
        dims = [self.dimension(d, f"dimensions[{i}]")
                for i, d in enumerate(self.sequence(raw["dimensions"], "dimensions"))]
        self.unique(dims, "dimensions", "dimension")
        self.distinct_names(dims)
        keys = [d["key"] for d in dims]
        conds = [self.condition(c, f"conditions[{i}]", keys)
                 for i, c in enumerate(self.sequence(raw["conditions"], "conditions"))]
        self.unique(conds, "conditions", "condition")
        items = [self.item(it, f"items[{i}]") for i, it in enumerate(raw.get("items") or [])]
        self.unique(items, "items", "item")
        condition_keys = [c["key"] for c in conds]
        return {
            "id": self.key(raw["id"], "id", SLUG_RE, "an id of lowercase letters, digits and _"),
            "version": version,
            "title": self.text(raw.get("title"), "title", required=False) or str(raw["id"]),
            "description": self.text(raw.get("description"), "description", required=False),
            "dimensions": dims,
            "conditions": conds,
            "tasks": self.tasks(raw["tasks"], condition_keys, keys),
            "items": items,
        }

    def dimension(self, raw, path) -> dict[str, Any]:
        allowed = {"key", "name", "orientation", "definition", "include", "exclude", "aliases"}
        raw = self.mapping(raw, path, allowed, ("key", "name", "orientation", "definition"))
        orientation = self.text(raw["orientation"], f"{path}.orientation")
        if orientation not in ORIENTATIONS:
            self.fail(f"{path}.orientation", f"'{excerpt(orientation)}' is not one of {', '.join(ORIENTATIONS)}.")
        examples = {}
        for name in ("include", "exclude"):
            value = raw.get(name) or []
            if not isinstance(value, list):
                self.fail(f"{path}.{name}", f"expected a list of example texts, got {_kind(value)}.")
            examples[name] = [self.text(v, f"{path}.{name}[{i}]") for i, v in enumerate(value)]
        aliases = raw.get("aliases") or []
        if not isinstance(aliases, list):
            self.fail(f"{path}.aliases", f"expected a list of other names, got {_kind(aliases)}.")
        # only when given: instruments written before aliases existed keep their hash
        extra = {"aliases": [self.text(v, f"{path}.aliases[{i}]") for i, v in enumerate(aliases)]} if aliases else {}
        return {
            "key": self.key(raw["key"], f"{path}.key"),
            "name": self.text(raw["name"], f"{path}.name"),
            "orientation": orientation,
            "definition": self.text(raw["definition"], f"{path}.definition"),
            **examples,
            **extra,
        }

    def condition(self, raw, path, dimension_keys) -> dict[str, Any]:
        raw = self.mapping(raw, path, {"key", "framing", "dimensions"}, ("key", "framing", "dimensions"))
        shown = self.sequence(raw["dimensions"], f"{path}.dimensions")
        for i, k in enumerate(shown):
            if k not in dimension_keys:
                self.fail(
                    f"{path}.dimensions[{i}]", f"condition shows unknown dimension '{excerpt(k)}'.",
                    f"defined dimensions: {', '.join(dimension_keys)}.",
                )
        if len(set(shown)) != len(shown):
            self.fail(f"{path}.dimensions", "a dimension is listed twice.")
        if len(shown) < 2:
            self.fail(f"{path}.dimensions", "a condition must show at least two dimensions.")
        return {
            "key": self.key(raw["key"], f"{path}.key", SLUG_RE, "a key of lowercase letters, digits and _"),
            "framing": self.text(raw["framing"], f"{path}.framing"),
            "dimensions": list(shown),
        }

    def tasks(self, raw, condition_keys: list[str], dimension_keys: list[str]) -> dict[str, Any]:
        raw = self.mapping(raw, "tasks", set(TASK_TYPES), ())
        if not raw:
            self.fail("tasks", "define at least one of rank, rate, open, choose.")
        out = {}
        for key in TASK_TYPES:
            if key not in raw:
                continue
            path = f"tasks.{key}"
            allowed = ({"prompt"} | ({"scale"} if key == "rate" else set()) | ({"variants"} if key in WORDED_TASKS else set())
                       | ({"scenarios"} if key == "choose" else set()))
            task = self.mapping(raw[key], path, allowed, ("prompt", "scenarios") if key == "choose" else ("prompt",))
            prompt = self.text(task["prompt"], f"{path}.prompt")
            self.placeholders(prompt, f"{path}.prompt", PROMPT_FIELDS[key],
                              required=VARIANT_FIELDS[key] if key == "choose" else frozenset())
            out[key] = {"prompt": prompt}
            if key == "rate":
                out[key]["scale"] = self.scale(task.get("scale") or {"min": 1, "max": 7}, f"{path}.scale")
            if task.get("variants") is not None:
                out[key]["variants"] = self.variants(task["variants"], path, key, condition_keys, out[key].get("scale"))
            if key == "choose":
                out[key]["scenarios"] = self.scenarios(task["scenarios"], f"{path}.scenarios", dimension_keys)
        return out

    def scenarios(self, raw, path: str, dimension_keys: list[str]) -> list[dict]:
        """A choose task's dilemmas: each a key, a situation and two actions serving two dimensions."""
        out = [self.scenario(s, f"{path}[{i}]", dimension_keys) for i, s in enumerate(self.sequence(raw, path))]
        self.unique(out, path, "scenario")
        return out

    def scenario(self, raw, path: str, dimension_keys: list[str]) -> dict[str, Any]:
        raw = self.mapping(raw, path, {"key", "text", "options"}, ("key", "text", "options"))
        options = self.sequence(raw["options"], f"{path}.options")
        if len(options) != 2:
            self.fail(f"{path}.options", f"a dilemma has two actions, got {len(options)}.")
        out = []
        for i, option in enumerate(options):
            where = f"{path}.options[{i}]"
            option = self.mapping(option, where, {"serves", "text"}, ("serves", "text"))
            serves = self.text(option["serves"], f"{where}.serves")
            if serves not in dimension_keys:
                self.fail(f"{where}.serves", f"unknown dimension '{excerpt(serves)}'.",
                          f"defined dimensions: {', '.join(dimension_keys)}.")
            out.append({"serves": serves, "text": self.text(option["text"], f"{where}.text")})
        if out[0]["serves"] == out[1]["serves"]:
            self.fail(f"{path}.options", f"both actions serve {out[0]['serves']}: a dilemma sets two dimensions "
                      "against each other.")
        if " ".join(out[0]["text"].lower().split()) == " ".join(out[1]["text"].lower().split()):
            self.fail(f"{path}.options", "both actions have the same text.")
        return {"key": self.key(raw["key"], f"{path}.key", SLUG_RE, "a key of lowercase letters, digits, - and _"),
                "text": self.text(raw["text"], f"{path}.text"), "options": out}

    def variants(self, raw, path: str, task: str, condition_keys: list[str], scale: dict | None) -> list[dict]:
        """A task's other wordings: each an id, a template, an answer format, a display of the items,
        optional framings per condition and, for ratings, its own scale."""
        if not isinstance(raw, list):
            self.fail(f"{path}.variants", f"expected a list of variants, got {_kind(raw)}.")
        out = [self.variant(v, f"{path}.variants[{i}]", task, condition_keys, scale) for i, v in enumerate(raw)]
        seen: dict[str, int] = {}
        for i, v in enumerate(out):
            if v["id"] in seen:
                self.fail(f"{path}.variants[{i}].id",
                          f"duplicate variant '{excerpt(v['id'])}' (also at {path}.variants[{seen[v['id']]}]).")
            seen[v["id"]] = i
        return out

    def variant(self, raw, path: str, task: str, condition_keys: list[str], scale: dict | None) -> dict[str, Any]:
        allowed = ({"id", "template", "format", "framing"} | ({"show"} if task != "choose" else set())
                   | ({"scale"} if task == "rate" else set()))
        raw = self.mapping(raw, path, allowed, ("id", "template", "format"))
        vid = self.key(raw["id"], f"{path}.id", SLUG_RE, "an id of lowercase letters, digits, - and _")
        if vid == DEFAULT_VARIANT:
            self.fail(f"{path}.id", "'default' is the task's own prompt.", "give this variant another id.")
        fmt = self.text(raw["format"], f"{path}.format")
        if fmt not in formats.FORMATS[task]:
            self.fail(f"{path}.format", f"no parser reads the answer format '{excerpt(fmt)}' of a {task} task.",
                      f"formats of {task} answers: {', '.join(formats.FORMATS[task])}.")
        show = self.text(raw.get("show"), f"{path}.show", required=False) or formats.DEFAULT_DISPLAY
        if show not in formats.DISPLAYS:
            self.fail(f"{path}.show", f"'{excerpt(show)}' is not one of {', '.join(formats.DISPLAYS)}.")
        if show in formats.NAMELESS and fmt != "positions":
            self.fail(f"{path}.format", f"the items are shown by {show} only, so an answer can refer to them by "
                      "number alone.", "use format: positions with this display.")
        template = self.text(raw["template"], f"{path}.template")
        self.placeholders(template, f"{path}.template", PROMPT_FIELDS[task], required=VARIANT_FIELDS[task])
        out = {"id": vid, "template": template, "format": fmt, **({"show": show} if task != "choose" else {})}
        if raw.get("framing") is not None:
            out["framing"] = self.framings(raw["framing"], f"{path}.framing", condition_keys)
        if task == "rate":
            out["scale"] = self.scale(raw["scale"], f"{path}.scale") if raw.get("scale") is not None else scale
        return out

    def framings(self, raw, path: str, condition_keys: list[str]) -> dict[str, str]:
        raw = self.mapping(raw, path, set(condition_keys), ())
        return {k: self.text(v, f"{path}.{k}") for k, v in raw.items()}

    def placeholders(self, prompt, path, allowed, required=frozenset()):
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(prompt) if f is not None}
        except ValueError as e:
            self.fail(path, f"malformed placeholder ({excerpt(e)}).", "write literal braces as {{ and }}.")
        unknown = names - allowed
        if unknown:
            self.fail(
                path, f"unknown placeholder {{{excerpt(sorted(unknown)[0])}}}.",
                f"available: {', '.join('{' + a + '}' for a in sorted(allowed))}; write literal braces as {{{{ and }}}}.",
            )
        missing = sorted(set(required) - names)
        if missing:
            self.fail(path, f"the template misses the placeholder {{{missing[0]}}}.",
                      f"a variant's template holds {', '.join('{' + a + '}' for a in sorted(required))}.")

    def item(self, raw, path) -> dict[str, Any]:
        raw = self.mapping(raw, path, {"key", "text", "scale"}, ("key", "text", "scale"))
        return {
            "key": self.key(raw["key"], f"{path}.key", SLUG_RE, "a key of lowercase letters, digits and _"),
            "text": self.text(raw["text"], f"{path}.text"),
            "scale": self.scale(raw["scale"], f"{path}.scale"),
        }


def _join(path: str, key) -> str:
    return f"{path}.{excerpt(key)}" if path else excerpt(key)


def _kind(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"text '{excerpt(value)}'" if isinstance(value, str) else excerpt(value)


def _scale_text(scale: Scale | None) -> str:
    if scale is None:
        return ""
    most = f", {scale.min if scale.reversed else scale.max} = most important"
    return f" (scale {scale.min}-{scale.max}{most})"


DILEMMA_RULES = (
    f"every pair of dimensions a condition shows has at least {MIN_SCENARIOS_PER_PAIR} scenarios (a pair's worth "
    "difference rests on more than one situation); within each pair and over each dimension's scenarios, each "
    "dimension's action is listed first about as often as second (at most one apart), so the written order "
    f"favours none; and the longer action of a scenario is at most {MAX_OPTION_RATIO:g} times the shorter, so "
    "that neither stands out by its length"
)


def dilemma_balance(instrument: Instrument) -> list[str]:
    """What is off in the balance of an instrument's dilemmas (DILEMMA_RULES), one line each; [] when
    it has none or they are balanced. Prompts show the actions in a seeded, balanced order anyway:
    the written order matters to a reader of the instrument and to a survey that keeps it."""
    if "choose" not in instrument.task_keys:
        return []
    scenarios = instrument.task("choose").scenarios
    problems = [f"scenario {s.key}: no condition shows both {s.pair[0]} and {s.pair[1]}, so it is never asked"
                for s in scenarios if not any(s in instrument.scenarios(c) for c in instrument.condition_keys)]
    for s in scenarios:
        short, long = sorted(len(o.text) for o in s.options)
        if long > MAX_OPTION_RATIO * short:
            problems.append(f"scenario {s.key}: its actions are {short} and {long} characters long, more than "
                            f"{MAX_OPTION_RATIO:g} times apart; shorten the longer or lengthen the shorter")
    for condition in instrument.condition_keys:
        problems += _pair_balance(instrument, condition)
    return list(dict.fromkeys(problems))


def check_dilemma_balance(instrument: Instrument) -> None:
    """Raise an InstrumentError naming every balance problem of the instrument's dilemmas, if any."""
    problems = dilemma_balance(instrument)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise InstrumentError(f"{instrument.source}: the choose task's dilemmas are not balanced "
                              f"({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{listed}",
                              f"a balanced choose task: {DILEMMA_RULES}.")


def _pair_balance(instrument: Instrument, condition: str) -> list[str]:
    """A condition's pairs with too few scenarios, and the pairs and dimensions listed first too often."""
    asked = instrument.scenarios(condition)
    shown = instrument.shown(condition)
    out, first, second = [], dict.fromkeys(shown, 0), dict.fromkeys(shown, 0)
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            mine = [s for s in asked if set(s.pair) == {a, b}]
            if len(mine) < MIN_SCENARIOS_PER_PAIR:
                out.append(f"{condition}: {a} and {b} have {len(mine)} scenario{'s' if len(mine) != 1 else ''}, "
                           f"fewer than {MIN_SCENARIOS_PER_PAIR}")
            leads = sum(s.pair[0] == a for s in mine)
            if abs(2 * leads - len(mine)) > 1:
                keys = ", ".join(s.key for s in mine if s.pair[0] == (a if 2 * leads > len(mine) else b))
                out.append(f"{condition}: of the {len(mine)} scenarios of {a} and {b}, {max(leads, len(mine) - leads)} "
                           f"list {a if 2 * leads > len(mine) else b} first ({keys}); list each first about as often")
    for s in asked:
        first[s.pair[0]] += 1
        second[s.pair[1]] += 1
    for d in shown:
        if abs(first[d] - second[d]) > 1:
            out.append(f"{condition}: {d}'s action is listed first in {first[d]} scenarios and second in {second[d]}; "
                       "list it first about as often as second")
    return out


def describe(instrument: Instrument) -> str:
    """A readable, plain-text rendering of an instrument for `papers instrument show`."""
    out = [
        f"{instrument.title}",
        f"id {instrument.id}, version {instrument.version}",
        f"sha256 {instrument.sha256}",
        f"source {instrument.source}",
    ]
    if instrument.description:
        out += ["", instrument.description]
    out += ["", "Dimensions"]
    for d in instrument.dimensions:
        out.append(f"  {d.key:<4} {d.name} [{d.orientation}]")
        out.append(f"       {d.definition}")
    out += ["", "Conditions"]
    for c in instrument.conditions:
        out.append(f"  {c.key}: shows {', '.join(c.dimensions)}")
        out.append(f"       {c.framing}")
    out += ["", "Tasks"]
    for t in instrument.tasks:
        out.append(f"  {t.key}{_scale_text(t.scale)}")
        if t.variants:
            scale = ", scale" if t.scale else ""
            shown = "items shown as, " if t.key != "choose" else ""
            out.append(f"       {len(t.all_variants)} variants (wording, {shown}answer format{scale}):")
            for v in t.all_variants:
                scale = _scale_text(v.scale) if v.scale != t.scale else ""
                framing = ", own framing" if v.framing else ""
                shown = f"{v.show.replace('_', ' + ')}, " if t.key != "choose" else ""
                out.append(f"       - {v.id}: {shown}{v.format}{framing}{scale}")
        if t.scenarios:
            per = ", ".join(f"{len(instrument.scenarios(c))} in {c}" for c in instrument.condition_keys)
            out.append(f"       {len(t.scenarios)} scenarios, each two actions serving two dimensions ({per})")
    if instrument.items:
        out += ["", "Survey items"]
        for i in instrument.items:
            out.append(f"  {i.key} ({i.scale.min}-{i.scale.max}): {i.text}")
    return "\n".join(out)
