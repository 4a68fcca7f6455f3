"""Parse a model's answer into ranks or ratings, and classify it.

One parser serves collected answers and ingested files alike, so an answer gets the same status
however it reached the store. The order of attempts:

1. JSON, anywhere in the text (a fenced block or the first balanced object): `{"ranking": [...]}`
   for rank tasks, `{"ratings": {...}}` for rate tasks. Entries may be keys or names.
2. A tolerant fallback: for rank tasks a numbered list (`1. Ethical Integrity`), or prose that
   names each shown dimension exactly once, in order of mention; for rate tasks lines such as
   `Ethical Integrity: 7` or `EI - 6/7`.

Statuses: `valid` (every shown dimension once, ratings on the scale), `incomplete` (some shown
dimensions found, not all, or one twice), `refused` (a refusal and no usable answer),
`unparseable` (nothing usable, or a rating off the scale). Open answers are valid when non-empty
and not a refusal. `error` is set by the collector, never here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from papers.instrument import Instrument

STATUSES = ("valid", "refused", "unparseable", "incomplete", "error")

REFUSAL_RE = re.compile(
    r"\b(i\s*(?:can(?:no|')?t|cannot|won'?t|will not|am not able to|'m not able to|am unable to|'m unable to|"
    r"must decline|decline to|do not feel comfortable|don'?t feel comfortable)|"
    r"as an ai[^.]{0,80}\b(?:do not|don'?t|cannot|can'?t)\s+have\b|i do not have (?:personal )?(?:values|preferences))",
    re.IGNORECASE,
)
FENCE_RE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
NUMBERED_RE = re.compile(r"^\s*(?:#\s*)?(\d{1,2})\s*[.):\-]\s*(.+)$", re.MULTILINE)
NUMBER_RE = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)(?:\s*/\s*\d+)?(?![\w.])")


@dataclass
class Parsed:
    status: str
    ranks: dict[str, int] = field(default_factory=dict)
    ratings: dict[str, float] = field(default_factory=dict)
    error: str | None = None


class _Names:
    """Finds dimensions in text, by key (as a whole word, case-sensitive) or by name."""

    def __init__(self, instrument: Instrument, shown: tuple[str, ...]):
        self.shown = shown
        self.lookup: dict[str, str] = {}
        patterns = []
        for key in shown:
            name = _norm(instrument.dimension(key).name)
            self.lookup[name] = key
            self.lookup[key] = key
            patterns.append(re.escape(name).replace(r"\ ", r"\s+"))
        keys = "|".join(re.escape(k) for k in shown)
        self.name_re = re.compile(r"\b(" + "|".join(patterns) + r")\b")
        self.key_re = re.compile(r"(?<![A-Za-z0-9])(" + keys + r")(?![A-Za-z0-9])")

    def resolve(self, token) -> str | None:
        if not isinstance(token, str):
            return None
        token = token.strip()
        if token in self.shown:
            return token
        if token.upper() in self.shown:
            return token.upper()
        return self.lookup.get(_norm(token))

    def mentions(self, text: str) -> list[tuple[int, str]]:
        """(position, key) of every mention, by name or by key, in order."""
        found = [(m.start(), self.lookup[_norm(m.group(1))]) for m in self.name_re.finditer(_norm_keep_len(text))]
        found += [(m.start(), m.group(1)) for m in self.key_re.finditer(text)]
        return sorted(found)


def _norm(text: str) -> str:
    """Lowercase, British/American spelling folded (z -> s), punctuation to single spaces."""
    text = text.lower().replace("z", "s")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _norm_keep_len(text: str) -> str:
    # Same folding as _norm but keeping positions, so mentions can be ordered in the original.
    return re.sub(r"[^a-z0-9]", " ", text.lower().replace("z", "s"))


def parse_answer(text: str | None, task: str, shown: tuple[str, ...], instrument: Instrument) -> Parsed:
    """Classify and parse one answer to `task` for the shown dimension keys."""
    text = (text or "").strip()
    if task == "open":
        if not text:
            return Parsed("unparseable", error="empty answer")
        if REFUSAL_RE.search(text[:400]) and len(text) < 400:
            return Parsed("refused")
        return Parsed("valid")
    if not text:
        return Parsed("unparseable", error="empty answer")
    names = _Names(instrument, shown)
    scale = instrument.task(task).scale if task == "rate" else None
    parsed = _from_json(text, task, names, scale)
    if parsed is None:
        parsed = _rank_fallback(text, names) if task == "rank" else _rate_fallback(text, names, scale)
    if parsed.status == "unparseable" and REFUSAL_RE.search(text):
        return Parsed("refused", error=parsed.error)
    return parsed


def _json_candidates(text: str):
    for m in FENCE_RE.finditer(text):
        yield m.group(1).strip()
    start = text.find("{")
    while start != -1:
        depth = 0
        in_str = escape = False
        for i in range(start, len(text)):
            ch = text[i]
            if in_str:
                escape = (ch == "\\") and not escape
                if ch == '"' and not escape:
                    in_str = False
                continue
            if ch == '"':
                in_str = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    yield text[start:i + 1]
                    break
        start = text.find("{", start + 1)


def _from_json(text, task, names, scale) -> Parsed | None:
    field_name = "ranking" if task == "rank" else "ratings"
    for candidate in _json_candidates(text):
        try:
            obj = json.loads(candidate)
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        value = next((v for k, v in obj.items() if str(k).lower() in (field_name, field_name.rstrip("s"))), None)
        if value is None:
            continue
        if task == "rank":
            return _ranking_from_list(value, names) if isinstance(value, list) else Parsed(
                "unparseable", error=f"'{field_name}' is not a list")
        if isinstance(value, dict):
            return _ratings_from_pairs(list(value.items()), names, scale)
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            pairs = [(v.get("key") or v.get("dimension") or v.get("name"), v.get("rating") or v.get("score")) for v in value]
            return _ratings_from_pairs(pairs, names, scale)
        return Parsed("unparseable", error=f"'{field_name}' is not a mapping")
    return None


def _ranking_from_list(entries: list, names: _Names) -> Parsed:
    keys = [names.resolve(e) for e in entries]
    unknown = [e for e, k in zip(entries, keys) if k is None]
    known = [k for k in keys if k is not None]
    return _ranking_status(known, names.shown, unknown)


def _ranking_status(keys: list[str], shown: tuple[str, ...], unknown=()) -> Parsed:
    if not keys:
        return Parsed("unparseable", error="no shown dimension named")
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    missing = [k for k in shown if k not in keys]
    if dupes or missing or unknown:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if dupes:
            problems.append("named twice " + ", ".join(dupes))
        if unknown:
            problems.append("not a shown dimension: " + ", ".join(map(str, unknown))[:120])
        return Parsed("incomplete", error="; ".join(problems))
    return Parsed("valid", ranks={k: i + 1 for i, k in enumerate(keys)})


def _ratings_from_pairs(pairs, names: _Names, scale) -> Parsed:
    ratings: dict[str, float] = {}
    unknown = []
    for raw_key, raw_value in pairs:
        key = names.resolve(raw_key)
        if key is None:
            unknown.append(raw_key)
            continue
        try:
            value = float(raw_value)
        except (TypeError, ValueError):
            return Parsed("unparseable", error=f"rating for {key} is not a number: {raw_value!r}")
        if key in ratings:
            return Parsed("incomplete", error=f"named twice {key}")
        ratings[key] = value
    return _ratings_status(ratings, names.shown, scale, unknown)


def _ratings_status(ratings: dict[str, float], shown, scale, unknown=()) -> Parsed:
    if not ratings:
        return Parsed("unparseable", error="no rating for a shown dimension")
    off = {k: v for k, v in ratings.items() if not scale.contains(v)}
    if off:
        k, v = next(iter(off.items()))
        return Parsed("unparseable", error=f"rating {v:g} for {k} is off the {scale.min}-{scale.max} scale")
    missing = [k for k in shown if k not in ratings]
    if missing or unknown:
        problems = (["missing " + ", ".join(missing)] if missing else []) + (
            ["not a shown dimension: " + ", ".join(map(str, unknown))[:120]] if unknown else [])
        return Parsed("incomplete", error="; ".join(problems))
    return Parsed("valid", ratings={k: ratings[k] for k in shown})


def _rank_fallback(text: str, names: _Names) -> Parsed:
    numbered = NUMBERED_RE.findall(text)
    if len(numbered) >= 2:
        items = []
        for number, rest in numbered:
            found = {k for _, k in names.mentions(rest)}
            if len(found) == 1:
                items.append((int(number), found.pop()))
        if items:
            items.sort(key=lambda t: t[0])
            return _ranking_status([k for _, k in items], names.shown)
    mentions = names.mentions(text)
    if not mentions:
        return Parsed("unparseable", error="no shown dimension named")
    keys = [k for _, k in mentions]
    if any(keys.count(k) > 1 for k in keys):
        return Parsed("unparseable", error="prose names a dimension more than once; order is ambiguous")
    return _ranking_status(keys, names.shown)


def _rate_fallback(text: str, names: _Names, scale) -> Parsed:
    ratings: dict[str, float] = {}
    for line in text.splitlines():
        mentions = names.mentions(line)
        if len({k for _, k in mentions}) != 1:
            continue
        pos, key = mentions[-1]
        number = NUMBER_RE.search(line[pos:].split(":", 1)[-1]) or NUMBER_RE.search(line[pos:])
        if number is None:
            continue
        if key in ratings:
            return Parsed("incomplete", error=f"named twice {key}")
        ratings[key] = float(number.group(1))
    return _ratings_status(ratings, names.shown, scale)
