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

Parsing takes time linear in the text, and reads at most the first and the last PARSE_CHARS
characters of an answer (the raw text is stored whole): an answer is at the start of a reply or,
after reasoning, at its end.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from papers.instrument import Instrument
from papers.text import excerpt

PARSE_CHARS = 20_000  # of an answer's start and of its end are parsed (README, Guarantees)
JSON_EFFORT = 8  # failed JSON decoding may read the text this many times over, then the search stops

REFUSAL_RE = re.compile(
    r"\b(i\s*(?:can(?:no|')?t|cannot|won'?t|will not|am not able to|'m not able to|am unable to|'m unable to|"
    r"must decline|decline to|do not feel comfortable|don'?t feel comfortable)|"
    r"as an ai[^.]{0,80}\b(?:do not|don'?t|cannot|can'?t)\s+have\b|i do not have (?:personal )?(?:values|preferences))",
    re.IGNORECASE,
)
FENCE_RE = re.compile(r"```(?:json)?(.*?)```", re.DOTALL | re.IGNORECASE)
# [^\S\n]: spaces within a line; a leading \s* would rescan every following blank line at each line start
NUMBERED_RE = re.compile(r"^[^\S\n]*(?:#[^\S\n]*)?(\d{1,2})[^\S\n]*[.):\-]\s*(.+)$", re.MULTILINE)
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


def capped(text: str) -> str:
    """The part of an answer that is parsed: all of it, or its first and last PARSE_CHARS characters."""
    if len(text) <= 2 * PARSE_CHARS:
        return text
    return text[:PARSE_CHARS] + "\n\n" + text[-PARSE_CHARS:]


def parse_answer(text: str | None, task: str, shown: tuple[str, ...], instrument: Instrument) -> Parsed:
    """Classify and parse one answer to `task` for the shown dimension keys."""
    text = capped((text or "").strip())
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


def json_candidates(text: str):
    """The JSON values in the text, in order: fenced blocks, then every object, outermost first.

    One pass finds the balanced `{...}` spans (string-aware inside braces); each span that can
    start an object is decoded once, and the objects nested in a decoded one are taken from its
    value, not decoded again. Decoding stops once it has read the text JSON_EFFORT times over,
    so no text makes the search slower than linear.
    """
    effort = JSON_EFFORT * len(text) + 1000
    for m in FENCE_RE.finditer(text):
        effort -= len(m.group(1))
        value = _loads(m.group(1).strip())
        if value is not _NOTHING:
            yield value
    decoded_until = -1
    for start, end in _balanced_spans(text):
        if effort <= 0:
            return
        if start < decoded_until or not OBJECT_START_RE.match(text, start):
            continue
        effort -= end - start + 1
        value = _loads(text[start:end + 1])
        if value is not _NOTHING:
            decoded_until = end
            yield from _objects_in(value)


OBJECT_START_RE = re.compile(r'\{[ \t\n\r]*["}]')
_SPECIAL_RE = re.compile(r'[{}"\\]')
_NOTHING = object()


def _balanced_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every balanced {...} in the text, by start. Quotes count only inside braces,
    so an apostrophe or a quotation in the prose around an answer does not hide its JSON."""
    spans, opened = [], []
    in_string, skip = False, -1
    for m in _SPECIAL_RE.finditer(text):
        pos, ch = m.start(), m.group()
        if pos <= skip:
            continue
        if in_string:
            if ch == "\\":
                skip = pos + 1
            elif ch == '"':
                in_string = False
        elif ch == "{":
            opened.append(pos)
        elif ch == "}" and opened:
            spans.append((opened.pop(), pos))
        elif ch == '"' and opened:
            in_string = True
    spans.sort()
    return spans


def _loads(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON; an integer of thousands of digits; nesting too deep
        return _NOTHING


def _objects_in(value):
    """Every object in a decoded value, itself first, in the order they are written."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _from_json(text, task, names, scale) -> Parsed | None:
    field_name = "ranking" if task == "rank" else "ratings"
    for obj in json_candidates(text):
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
    counts = Counter(keys)
    dupes = sorted(k for k, n in counts.items() if n > 1)
    missing = [k for k in shown if k not in counts]
    if dupes or missing or unknown:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if dupes:
            problems.append("named twice " + ", ".join(dupes))
        if unknown:
            problems.append("not a shown dimension: " + ", ".join(excerpt(u, 40) for u in unknown[:5])[:120])
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
        except (TypeError, ValueError, OverflowError):
            return Parsed("unparseable", error=f"rating for {key} is not a number: {excerpt(repr(raw_value))}")
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
            ["not a shown dimension: " + ", ".join(excerpt(u, 40) for u in unknown[:5])[:120]] if unknown else [])
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
    if any(n > 1 for n in Counter(keys).values()):
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
