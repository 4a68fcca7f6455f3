"""The instrument format, checked: a YAML document is read field by field into the canonical spec
(defaults filled in), and every error names the field's path and the fix. The spec's fields are
documented in docs/reference/instrument.md."""

from __future__ import annotations

import re
import string
from typing import Any

from papers import formats
from papers.errors import InstrumentError
from papers.instrument.model import DEFAULT_VARIANT
from papers.text import excerpt

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
MAX_SCALE_STEPS = 100  # a rating scale has at most 101 points (0-100)
WORDED_TASKS = ("rank", "rate", "choose")  # the tasks that may list wording variants


class Validator:
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
        if hi - lo > MAX_SCALE_STEPS:  # the prompt would ask for it, and a rating is stored as a float
            self.fail(path, f"a scale from {excerpt(lo)} to {excerpt(hi)} has more than {MAX_SCALE_STEPS + 1} points.",
                      "use a scale such as 1-7 or 0-10.")
        labels = self.point_labels(value.get("labels"), f"{path}.labels", lo, hi)
        out = {
            "min": lo,
            "max": hi,
            "min_label": self.end_label(value.get("min_label"), f"{path}.min_label", lo, labels),
            "max_label": self.end_label(value.get("max_label"), f"{path}.max_label", hi, labels),
        }
        most = self.text(value.get("most_important"), f"{path}.most_important", required=False) or "max"
        if most not in ("max", "min"):
            self.fail(f"{path}.most_important", f"'{excerpt(most)}' is not max or min.",
                      "max: higher numbers are more important (the default); min: 1 is the most important.")
        # only when given: instruments written before these fields existed keep their hash
        return {**out, **({"most_important": most} if most == "min" else {}), **({"labels": labels} if labels else {})}

    def end_label(self, value, path, end: int, labels: dict[str, str]) -> str:
        """The label of a scale's end: the one given, which must agree with `labels` (the prompt
        shows it beside the number, and an answer in words is read by `labels`), or else the
        label `labels` gives that point."""
        text = self.text(value, path, required=False)
        if not text:
            return labels.get(str(end), "")
        norm = " ".join(text.lower().split())
        owner = {" ".join(t.lower().split()): int(p) for p, t in labels.items()}
        if str(end) in labels and owner.get(norm) != end:
            self.fail(path, f"'{excerpt(text)}' is not the label of point {end} in labels "
                            f"('{excerpt(labels[str(end)])}').", "give the end the same label in both places.")
        if norm in owner and owner[norm] != end:
            self.fail(path, f"'{excerpt(text)}' is the label of point {owner[norm]} in labels, not of point {end}.",
                      "give each point its own label, so that an answer in words has one reading.")
        return text

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
        return ("a mapping" if isinstance(value, dict) else "a list") if value else \
            ("an empty mapping" if isinstance(value, dict) else "an empty list")
    return f"text '{excerpt(value)}'" if isinstance(value, str) else excerpt(value)
