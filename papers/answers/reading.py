"""What every reader of an answer shares: the outcome (`Parsed`), a reading of one part of the
answer (`Reading`), the answer as lines (`Scan`), the answer part (reasoning dropped) and the cap on
what is parsed, the refusals, and the shortfall of an incomplete answer. The rules are in
papers.answers.parse."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from papers.answers.dimension_refs import Ambiguous, Names

PARSE_CHARS = 20_000  # of an answer's start and of its end are parsed (README, Guarantees)

# A refusal in an open answer (short answers only); rank and rate answers also use DECLINE_RE.
REFUSAL_RE = re.compile(
    r"\b(i\s*(?:can(?:no|')?t|cannot|won'?t|will not|am not able to|'m not able to|am unable to|'m unable to|"
    r"must decline|decline to|do not feel comfortable|don'?t feel comfortable)|"
    r"as an ai[^.]{0,80}\b(?:do not|don'?t|cannot|can'?t)\s+have\b|i do not have (?:personal )?(?:values|preferences))",
    re.IGNORECASE,
)
# Declines, read only when an answer gives nothing usable (a hedge before a full answer is no refusal).
DECLINE_RE = re.compile(
    REFUSAL_RE.pattern
    + r"|\bi(?:'d| would) (?:rather|prefer) not\b|\bi(?:'ll| will) (?:pass|refrain)\b|\bdecline\b|\brefrain\b"
    r"|\bnot (?:feel )?comfortable\b|\b(?:isn't|is not) something i\b|\bi (?:don't|do not) think i (?:can|should)\b"
    r"|\bi (?:don't|do not) have (?:a |any )?(?:personal |real )?(?:values|preferences|priorities|perspective|"
    r"feelings|wants|desires|interests|stakes|opinions)\b|\b(?:won't|will not) (?:rank|rate|order|choose|pick|"
    r"provide|give|do)\b|\bso i won't\b|\bwould not want to (?:suggest|impose|rank|rate|order)\b",
    re.IGNORECASE,
)
THINK_TAG_RE = re.compile(r"<(/?)(?:think|thinking|reasoning)>", re.IGNORECASE)
FINAL_RE = re.compile(r"^[ \t>#*_]*+(?:(?:final[ \t]++)?answer|final[ \t]++(?:ranking|ratings|order))[ \t*_]*+(?::|$)"
                      r"[ \t*_]*+", re.IGNORECASE | re.MULTILINE)
NAME_FIELDS = ("dimension", "value", "name", "key", "theme", "item", "label", "id")


@dataclass
class Parsed:
    status: str
    ranks: dict[str, int] = field(default_factory=dict)
    ratings: dict[str, float] = field(default_factory=dict)  # as answered, on the variant's scale
    error: str | None = None
    ignored: list[str] = field(default_factory=list)  # entries naming no shown dimension, left out (ignore_unknown)
    reason: str | None = None  # a choose answer's reason, as written (papers.answers.choice)


@dataclass
class Reading:
    source: str  # "JSON", "numbered list", "chain", "list", "prose", "rating lines"
    keys: list[str] = field(default_factory=list)  # a ranking, most important first
    ratings: dict[str, float] = field(default_factory=dict)
    by_position: bool = False  # entries given as positions or letters
    unknown: list[str] = field(default_factory=list)  # entries that name no shown dimension
    cut: bool = False  # the answer stops inside it
    error: str | None = None

    @property
    def found(self) -> list[str]:
        return self.keys or list(self.ratings)


def capped(text: str) -> str:
    """The part of an answer that is parsed: all of it, or its first and last PARSE_CHARS characters."""
    if len(text) <= 2 * PARSE_CHARS:
        return text
    return text[:PARSE_CHARS] + "\n\n" + text[-PARSE_CHARS:]


def answer_part(text: str) -> str:
    """The text without its reasoning: <think> blocks dropped, and only what follows the last
    "Final answer" / "Answer:" line, if one has anything after it."""
    kept, pos, inside = [], 0, False
    for m in THINK_TAG_RE.finditer(text):
        closing = bool(m.group(1))
        if not closing and not inside:
            kept.append(text[pos:m.start()])
            inside = True
        elif closing and inside:
            inside, pos = False, m.end()
        elif closing:  # a closing tag without its opening one: what came before was reasoning
            kept, pos = [], m.end()
    if not inside:
        kept.append(text[pos:])
    body = "".join(kept)
    cut = None
    for m in FINAL_RE.finditer(body):
        if body[m.end():].strip():
            cut = m.end()
    return body if cut is None else body[cut:]


class Scan:
    """The answer part as lines; JSON already read is blanked, and lines a reading used are marked."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self.used = [False] * len(self.lines)
        self._lines_changed()

    def _lines_changed(self) -> None:
        self.filled = [bool(line.strip()) for line in self.lines]
        self.last_filled = max((i for i, f in enumerate(self.filled) if f), default=-1)
        self._previous = None
        self._mentions = None

    def mentions(self, names: Names) -> dict[int, list[tuple[int, int, str]]]:
        """The names, aliases and keys in each line (by line index, positions within the line):
        one pass over the text, not one search per line."""
        if self._mentions is None:
            starts = [0]
            starts += [m.end() for m in re.finditer("\n", self.text)]
            self._mentions = {}
            for start, end, key in names.mentions(self.text):
                i = bisect.bisect_right(starts, start) - 1
                self._mentions.setdefault(i, []).append((start - starts[i], end - starts[i], key))
        return self._mentions

    def blank(self, spans: list[tuple[int, int]]) -> None:
        parts, pos = [], 0
        for start, end in sorted(spans):
            if start < pos:
                continue
            parts += [self.text[pos:start], re.sub(r"[^\n]", " ", self.text[start:end])]
            pos = end
        self.text = "".join(parts) + self.text[pos:]
        self.lines = self.text.split("\n")
        self._lines_changed()

    def open_lines(self):
        used, filled = self.used, self.filled
        return [(i, line) for i, line in enumerate(self.lines) if filled[i] and not used[i]]

    def before(self, index: int) -> str | None:
        """The nearest non-blank line above line `index`."""
        if self._previous is None:
            self._previous, last = [], None
            for line, filled in zip(self.lines, self.filled):
                self._previous.append(last)
                last = line if filled else last
        return self._previous[index]


def guarded(source: str, build) -> Reading | None:
    try:
        return build()
    except Ambiguous as e:
        return Reading(source, error=str(e))


def shortfall(reading: Reading, names: Names) -> str:
    problems = []
    missing = [k for k in names.shown if k not in reading.found]
    if missing:
        problems.append("missing " + ", ".join(missing))
    if reading.unknown and not names.ignore_unknown:
        problems.append("not a shown dimension: " + ", ".join(reading.unknown[:5])[:120])
    if reading.cut:
        problems.append("the answer stops mid-way")
    return "; ".join(problems)
