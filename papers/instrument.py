"""Instruments: load, validate and hash the YAML files that define what models and people answer.

An instrument has dimensions (key, name, definition, orientation), conditions (a framing text and
the dimensions it shows), tasks (`rank`, `rate`, `open`) and optional survey items. Its identity is
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

from papers.errors import InstrumentError
from papers.text import excerpt

BUNDLED_DIR = Path(__file__).parent / "instruments"
DEFAULT_INSTRUMENT = "papers"
ORIENTATIONS = ("humanistic", "utility", "neutral")
TASK_TYPES = ("rank", "rate", "open")
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
SEMVER_RE = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
PROMPT_FIELDS = {
    "rank": {"framing", "dimensions", "n"},
    "rate": {"framing", "dimensions", "n", "min", "max", "min_label", "max_label"},
    "open": {"framing", "dimensions", "n"},
}


@dataclass(frozen=True)
class Scale:
    min: int
    max: int
    min_label: str = ""
    max_label: str = ""

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


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

    def render_prompt(self, task: str, condition: str, order: list[str] | None = None) -> str:
        """The prompt for one trial, listing the shown dimensions in `order` (default: as defined),
        numbered from 1, so that an answer by position ("3, 5, 1, ...") has one reading."""
        keys = list(order or self.shown(condition))
        t = self.task(task)
        lines = "\n".join(
            f"{i}. {k}: {self.dimension(k).name}. {self.dimension(k).definition}" for i, k in enumerate(keys, 1)
        )
        scale = t.scale or Scale(1, 7)
        return t.prompt.format(
            framing=self.condition(condition).framing.strip(),
            dimensions=lines,
            n=len(keys),
            min=scale.min,
            max=scale.max,
            min_label=scale.min_label or "lowest",
            max_label=scale.max_label or "highest",
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
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        where = ""
        mark = getattr(e, "problem_mark", None)
        if mark is not None:
            where = f", line {mark.line + 1}"
        problem = getattr(e, "problem", None) or type(e).__name__
        raise InstrumentError(f"{source}{where}: not valid YAML ({excerpt(problem)}).") from e
    except RecursionError as e:
        raise InstrumentError(f"{source}: not valid YAML (nested too deeply).") from e
    spec = _Validator(source).instrument(raw)
    return _build(spec, source)


def _build(spec: dict[str, Any], source: str) -> Instrument:
    def scale(s):
        return Scale(**s) if s else None

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
        tasks=tuple(Task(k, t["prompt"], scale(t.get("scale"))) for k, t in spec["tasks"].items()),
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
        value = self.mapping(value, path, {"min", "max", "min_label", "max_label"}, ("min", "max"))
        lo, hi = value["min"], value["max"]
        for name, v in (("min", lo), ("max", hi)):
            if isinstance(v, bool) or not isinstance(v, int):
                self.fail(f"{path}.{name}", f"expected a whole number, got {_kind(v)}.")
        if lo >= hi:
            self.fail(path, f"wrong scale: min ({lo}) must be below max ({hi}).")
        return {
            "min": lo,
            "max": hi,
            "min_label": self.text(value.get("min_label"), f"{path}.min_label", required=False),
            "max_label": self.text(value.get("max_label"), f"{path}.max_label", required=False),
        }

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
        return {
            "id": self.key(raw["id"], "id", SLUG_RE, "an id of lowercase letters, digits and _"),
            "version": version,
            "title": self.text(raw.get("title"), "title", required=False) or str(raw["id"]),
            "description": self.text(raw.get("description"), "description", required=False),
            "dimensions": dims,
            "conditions": conds,
            "tasks": self.tasks(raw["tasks"]),
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

    def tasks(self, raw) -> dict[str, Any]:
        raw = self.mapping(raw, "tasks", set(TASK_TYPES), ())
        if not raw:
            self.fail("tasks", "define at least one of rank, rate, open.")
        out = {}
        for key in TASK_TYPES:
            if key not in raw:
                continue
            path = f"tasks.{key}"
            allowed = {"prompt", "scale"} if key == "rate" else {"prompt"}
            task = self.mapping(raw[key], path, allowed, ("prompt",))
            prompt = self.text(task["prompt"], f"{path}.prompt")
            self.placeholders(prompt, f"{path}.prompt", PROMPT_FIELDS[key])
            out[key] = {"prompt": prompt}
            if key == "rate":
                out[key]["scale"] = self.scale(task.get("scale") or {"min": 1, "max": 7}, f"{path}.scale")
        return out

    def placeholders(self, prompt, path, allowed):
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
        scale = f" (scale {t.scale.min}-{t.scale.max})" if t.scale else ""
        out.append(f"  {t.key}{scale}")
    if instrument.items:
        out += ["", "Survey items"]
        for i in instrument.items:
            out.append(f"  {i.key} ({i.scale.min}-{i.scale.max}): {i.text}")
    return "\n".join(out)
