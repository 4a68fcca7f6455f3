"""Parse a model's answer into ranks or ratings, and classify it.

One parser serves collected answers and ingested files alike, so an answer gets the same status
however it reached the store. `item_order` is the order the prompt listed and numbered the shown
dimensions: position 3, `[3]`, `Item 3`, letter C and `Option C` all mean `item_order[2]`; without
it an answer by position is unparseable. The corpus tests/data/answers (its README states the
reading rules) is the parser's measure: tests/test_answer_corpus.py parses every case.

What is read, in this order:

1. The answer part. `<think>...</think>` (also `<thinking>`, `<reasoning>`) is dropped; an unclosed
   `<think>` drops the rest of the text, a stray `</think>` everything before it. Then, if a line
   starts with "Final answer", "**Final Answer**", "Answer:" or "Final ranking:", only what follows
   the last such line counts (a marker with nothing after it is ignored).
2. JSON, fenced or bare, anywhere in the answer part: every decoded object, and every array on a
   line of its own. Rank: a list, a mapping of dimension to rank, or a string (read as text) under a
   key containing `rank`, `order` or `priorit`, or named `values`, `answer` or `result`; or a bare
   array. Entries are keys or names in any case (markup, spacing and definition text after a name
   do not matter), the instrument's aliases, positions (numbers or strings), letters, or objects with
   a name field (and a `rank` field). Rate: a mapping under `ratings`, `scores`, `importance`,
   `weights` or `values`, a list of objects (`dimension`/`value`/`name`/`key` with
   `rating`/`score`/`importance`/`value`), or an object keyed by the dimensions. Only when no JSON
   holds a ranking (ratings) is a list cut off before it closes (`{"ranking": ["EI", "PR",`) read.
3. Text outside the JSON. Rank, each reading taking the lines it used: numbered lists (`1. Name`,
   `1) KEY - why`, `**1. Name**`, `Rank 1: Name`, `1. Option C`, `1. Item 3 (Name)`; a list ends
   where its numbering restarts at its first number), chains (`>`, `->`, `→`, `≻`; `=` ties; a line
   ending in `>` continues on the next), comma lists of positions, letters or options on a line of
   their own or after a label ending in `:` or a dash, bullet lists in order, markdown tables with a
   rank column, and last prose that names every shown dimension exactly once and says it is an
   order (first, then, most, rank, order, priority, ...; a bare list of names needs no such word;
   `1) EI 2) PR ...` is read by its numbers). Rate: each dimension followed by its number, one per
   line or several on a line (`Name: 6`, `KEY - 6`, `**Name**: 6/7`, `Name: 6 out of 7`,
   `EI: 7, PR: 6`, markdown table rows).

Precedence: no reading wins over another. Every reading must agree with every other (a partial one,
such as a top three or a chain in a closing remark, must keep the same relative order); JSON and a
list, or positions and the names beside them, that agree make one valid answer, and any
disagreement makes it unparseable. The statuses:

- `valid`: every shown dimension exactly once (ranks 1..n), or a rating on the scale for each.
- `incomplete`: a usable answer covering some shown dimensions, not all: cut off, a top three, one
  left out or declined (a JSON rating of null), or an entry that is not a shown dimension (an answer
  ranking all shown dimensions and one more is incomplete too).
- `unparseable`, always with the reason in `error` (opening with the corpus's phrase for it):
  position or letter out of range; duplicate dimension or duplicate position (a repeat was
  `incomplete` before issue 12); positions and names disagree; two different rankings; tied ranks;
  rating out of range, or on another stated scale (`8/10`); ratings in words only; no known
  dimensions; empty answer; a position without the item order. Also, when nothing else is read:
  prose that names a dimension twice, whose ordinal words contradict its order ("X comes last;
  first is Y"), or that puts numbers beside the names (ranks or ratings?), and any rank answer that
  says it runs from least to most important (reading it either way would be a guess).
- `refused`: no usable answer and a decline ("I can't", "I'd rather not", "I must decline", "I'll
  pass", an empty JSON list with a declining note, ...). A hedge followed by a full answer is valid,
  and a bullet list after a decline counts only when its introduction says it is an order ("but if
  I had to choose:"), not when it restates the values shown.
- Open answers are valid when non-empty and not a short refusal. `error`, the status, is set by the
  collector, never here.

Also decided here, where the corpus README is silent: ratings may be decimals on the scale (5.5);
keys are read in text only in the instrument's own case (`EI`, not `ei`), in JSON in any case;
letters are not read when a shown dimension's key or alias is a single letter; an alias counts as
the shown dimension it belongs to.

Parsing takes time linear in the text, and reads at most the first and the last PARSE_CHARS
characters of an answer (the raw text is stored whole): an answer is at the start of a reply or,
after reasoning, at its end. Every pattern is bounded or possessive where whitespace runs could
make it backtrack, and every reader makes one pass over the lines.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from papers.instrument import Instrument
from papers.text import excerpt

PARSE_CHARS = 20_000  # of an answer's start and of its end are parsed (README, Guarantees)
JSON_EFFORT = 8  # failed JSON decoding may read the text this many times over, then the search stops

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
FENCE_RE = re.compile(r"```(?:json)?(.*?)```", re.DOTALL | re.IGNORECASE)
OBJECT_START_RE = re.compile(r'\{[ \t\n\r]*["}]')
_SPECIAL_RE = re.compile(r'[{}"\\]')
_NOTHING = object()

THINK_TAG_RE = re.compile(r"<(/?)(?:think|thinking|reasoning)>", re.IGNORECASE)
FINAL_RE = re.compile(r"^[ \t>#*_]*+(?:(?:final[ \t]++)?answer|final[ \t]++(?:ranking|ratings|order))[ \t*_]*+(?::|$)"
                      r"[ \t*_]*+", re.IGNORECASE | re.MULTILINE)
_STRING = r'"(?:[^"\\\n]|\\.)*"'
ARRAY_LINE_RE = re.compile(rf"^[ \t]*(\[[ \t]*(?:{_STRING}|-?\d+)(?:[ \t]*,[ \t]*(?:{_STRING}|-?\d+))+[ \t]*\])[ \t]*$",
                           re.MULTILINE)
RANK_KEY_RE = re.compile(r"(?:final_?|my_?)?(?:\w*rank\w*|\w*order\w*|\w*priorit\w*|values|answer|result)", re.IGNORECASE)
RATE_KEY_RE = re.compile(r"(?:final_?|my_?)?(?:ratings?|scores?|importance\w*|weights?|values)", re.IGNORECASE)
CUT_RANK_RE = re.compile(r'"(?:final_?)?(?:\w*rank\w*|\w*order\w*|\w*priorit\w*|values|answer)"\s*+:\s*+\[', re.IGNORECASE)
CUT_RATE_RE = re.compile(r'"(?:final_?)?(?:ratings?|scores?|importance\w*|weights?|values)"\s*+:\s*+\{', re.IGNORECASE)
CUT_ITEM_RE = re.compile(r'\s*+("(?:[^"\\]|\\.)*+"|-?\d+)\s*+(,|\])?')
CUT_PAIR_RE = re.compile(r'\s*+("(?:[^"\\]|\\.)*+")\s*+:\s*+(-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*+"|null)\s*+(,|\})?')
NAME_FIELDS = ("dimension", "value", "name", "key", "theme", "item", "label", "id")
RATING_FIELDS = ("rating", "score", "importance", "value")

NUMBERED_RE = re.compile(r"^[ \t>*_#+•-]*+(?:(?:rank(?:ed)?|no\.?)[ \t]*+#?[ \t]*+)?(\d{1,2})(?:[ \t]*+[.):]|[ \t]++[-–—])"
                         r"(?!\d)[ \t*_]*+(.*)$", re.IGNORECASE)
BULLET_RE = re.compile(r"^([ \t]*)[-*+•◦▪‣][ \t]+(.*)$")
BULLET_START_RE = re.compile(r"^[ \t]*[-*+•◦▪‣][ \t]", re.MULTILINE)
OPTION_RE = re.compile(r"(?<![A-Za-z0-9])(?i:option|item|choice)[ \t]*+(?:#[ \t]*+)?(\d{1,2}|[A-Za-z])(?![A-Za-z0-9])")
BRACKET_RE = re.compile(r"\[(\d{1,2}|[A-Z])\]")
BARE_RE = re.compile(r"[\s*_`\"'(\[]*+(\d{1,2}|[A-Z])[\])*_`\"'.,;!?]*+\s*+")
BARE_LEAD_RE = re.compile(r"[\s*_`\"'(\[]*+(\d{1,2}|[A-Z])(?![A-Za-z0-9])[\])*_`\"']*+")
BARE_TRAIL_RE = re.compile(r"(?:^|[\s:*_(\[—–-])\[?(\d{1,2}|[A-Z])\]?[)\s*_`\"']*$")
CHAIN_CHAR_RE = re.compile(r"->|=>|[>→≻⇒]")
CHAIN_SPLIT_RE = re.compile(r"(->|=>|[>→≻⇒]|=)")
CHAIN_END_RE = re.compile(r"(?:->|=>|[>→≻⇒])[ \t*_]*$")
_TOKEN = r"(?:\[\d{1,2}\]|\d{1,2}|[A-Z]|(?i:option|item|choice)[ \t]+(?:\d{1,2}|[A-Za-z]))(?![A-Za-z0-9])"
COMMA_RUN_RE = re.compile(rf"(?<![A-Za-z0-9.]){_TOKEN}(?:(?:[ \t]*+[,;][ \t]*+(?:and[ \t]++)?|[ \t]++(?:and|then)[ \t]++)"
                          rf"{_TOKEN})+")
GAP_RE = re.compile(r"(?:[\s*_`'\"()\[\]:.,;=|/&~–—-]|\b(?:and|or|tied|tie|with|equal|equally)\b)*")
TIE_WORD_RE = re.compile(r"\b(?:and|or|tied|tie|with|equal|equally)\b|[&=/,;]")
CUE_RE = re.compile(r"\b(?:first|foremost|top|most|highest|then|followed|next|second|third|fourth|fifth|last|lastly|"
                    r"finally|least|lowest|bottom|rank\w*|order\w*|priorit\w*|choose|pick|behind|below|above)\b",
                    re.IGNORECASE)
ORDINAL_RE = re.compile(r"\b(first|foremost|top|highest|most|second|third|fourth|fifth|sixth|last|lastly|finally|"
                        r"least|lowest|bottom)\b", re.IGNORECASE)
ORDINAL_SPAN_RE = re.compile(r"\b(?:most|highest|first)\b[^.;:\n]{0,40}?\bto\b[^.;:\n]{0,20}?\b(?:least|lowest|last)\b",
                             re.IGNORECASE)
LEAST_FIRST_RE = re.compile(r"\b(?:least|lowest)\b[^.\n]{0,40}?\bto\b[^.\n]{0,20}?\b(?:most|highest)\b|\bascending\b",
                            re.IGNORECASE)
SENTENCE_END_RE = re.compile(r"[.!?;:](?=\s)|\n")
ORDINAL_PLACE = {"first": 0, "foremost": 0, "top": 0, "highest": 0, "most": 0, "second": 1, "third": 2,
                 "fourth": 3, "fifth": 4, "sixth": 5}
RATING_AFTER_RE = re.compile(r"(?:[^\w\n]|_){0,40}?(?:(?:rating|score|rated|importance)\w*(?:[^\w\n]|_){0,6}?)?"
                             r"(?<![\w.])(-?\d+(?:\.\d+)?)(?!\w)(?:[ \t]*(?:/|out[ \t]+of)[ \t]*(\d+)(?!\w))?",
                             re.IGNORECASE)
RATING_TEXT_RE = re.compile(r"\s*+(-?\d+(?:\.\d+)?)(?:\s*+(?:/|out\s++of)\s*+(\d+))?\s*+", re.IGNORECASE)
# a rating as its number and its label: "1: very much like me", "1 (very much like me)", "1 - like me"
LABELLED_RE = re.compile(r"[ \t]*+(-?\d+(?:\.\d+)?)[ \t]*+(?:[:=(–—-][ \t]*+|[ \t])([^()\n]{1,80}?)[ \t]*+\)?[ \t.]*+")
# ratings given by item number: a line of numbers only ("6, 5, 7, 3, 4"), or "3: 6" lines
NUMBERS_LINE_RE = re.compile(r"[ \t]*+\[?[ \t]*+(-?\d+(?:\.\d+)?(?:[ \t]*+[,;][ \t]*+-?\d+(?:\.\d+)?|[ \t]++-?\d+(?:\.\d+)?)+)"
                             r"[ \t]*+\]?[ \t.]*+")
ITEM_RATING_RE = re.compile(r"^[ \t*_-]*+(?:item[ \t]*+)?(\d{1,2})[ \t]*+[.:)=-][ \t]*+(-?\d+(?:\.\d+)?)"
                            r"(?:[ \t]*+/[ \t]*+(\d+))?[ \t*_.]*+$", re.IGNORECASE | re.MULTILINE)
ALNUM_RE = re.compile(r"[A-Za-z0-9]")
NUMBER_BEFORE_RE = re.compile(r"(?<![\w.])(\d{1,2})[.):]?[ \t*_]*$")
NUMBER_AFTER_RE = re.compile(r"[ \t*_]*+(?:[(:=–—-][ \t]*+)?(\d{1,2})(?![\w.])")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class Parsed:
    status: str
    ranks: dict[str, int] = field(default_factory=dict)
    ratings: dict[str, float] = field(default_factory=dict)  # as answered, on the variant's scale
    error: str | None = None
    ignored: list[str] = field(default_factory=list)  # entries naming no shown dimension, left out (ignore_unknown)
    reason: str | None = None  # a choose answer's reason, as written (papers.answers.choice)


class _Ambiguous(Exception):
    """The text can be read more than one way; the answer is unparseable for this reason."""


@dataclass(frozen=True)
class _Ref:
    key: str | None  # the shown dimension meant; None for an entry that names none
    kind: str  # "name", "position" or "unknown"
    text: str  # as written, for messages


@dataclass
class _Reading:
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


class _Names:
    """Finds and resolves the shown dimensions: keys (exact case in text, any case alone), names and
    aliases (any case, any spacing or markup between words, z for s), positions and letters."""

    def __init__(self, instrument: Instrument, shown: tuple[str, ...], item_order: tuple[str, ...] | None = None,
                 ignore_unknown: bool = False):
        self.shown = shown
        self.n = len(shown)
        self.order = item_order
        self.ignore_unknown = ignore_unknown  # entries naming no shown dimension are left out, not counted against
        self.exact: dict[str, str] = {}
        labels = []
        for key in shown:
            dim = instrument.dimension(key)
            for label in (key, dim.name, *dim.aliases):
                self.exact[_norm(label)] = key
                labels.append((label, key))
        self.letters = not any(len(label.strip()) == 1 for label, _ in labels)
        alternatives, self.group_keys = [], []
        for label, key in sorted(labels, key=lambda lk: -len(lk[0])):
            keylike = label == key or re.fullmatch(r"[A-Z][A-Z0-9]{0,5}", label)
            alternatives.append(f"({re.escape(label)})" if keylike else f"((?i:{_name_pattern(label)}))")
            self.group_keys.append(key)
        mention = r"(?<![A-Za-z0-9])(?:" + "|".join(alternatives) + r")(?![A-Za-z0-9])"
        self.mention_re = re.compile(mention)
        # names, keys, `Option C` / `Item 3` and `[3]` in one pass: group n + 1 is an option, n + 2 a bracket
        self.ref_re = re.compile(f"{mention}|{OPTION_RE.pattern}|{BRACKET_RE.pattern}")

    def mentions(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, key) of every name, alias or key in the text, in order."""
        return [(m.start(), m.end(), self.group_keys[m.lastindex - 1]) for m in self.mention_re.finditer(text)]

    def position(self, number: int, text: str) -> _Ref:
        if not 1 <= number <= self.n:
            raise _Ambiguous(f"position out of range: {excerpt(text, 20)} (the prompt numbered 1-{self.n})")
        return self._at(number - 1, text)

    def letter(self, letter: str, text: str) -> _Ref:
        index = LETTERS.find(letter.upper())
        if not 0 <= index < self.n:
            raise _Ambiguous(f"letter out of range: {excerpt(text, 20)} (the prompt listed A-{LETTERS[self.n - 1]})")
        return self._at(index, text)

    def _at(self, index: int, text: str) -> _Ref:
        if self.order is None:
            raise _Ambiguous(f"position without the order shown: {excerpt(text, 20)} (no item order given)")
        return _Ref(self.order[index], "position", text)

    def token(self, token: str, text: str) -> _Ref:
        """A bare position or letter."""
        return self.position(int(token), text) if token.isdigit() else self.letter(token, text)

    def resolve(self, entry) -> _Ref:
        """A JSON entry: a key or name (with anything after the name), a position or a letter."""
        if isinstance(entry, bool) or not isinstance(entry, (int, str)):
            return _Ref(None, "unknown", excerpt(repr(entry), 40))
        if isinstance(entry, int):
            return self.position(entry, excerpt(entry, 20))
        text = entry.strip().strip("*_`'\"“”").strip()
        text = re.sub(r"^\d{1,2}[.)][ \t]+(?=\D)", "", text)  # "1. EI": a list number inside the entry
        if re.fullmatch(r"\d{1,3}", text):
            return self.position(int(text), text)
        if self.letters and len(text) == 1 and text in LETTERS + LETTERS.lower():
            return self.letter(text, text)
        option = OPTION_RE.fullmatch(text) or BRACKET_RE.fullmatch(text)
        if option:
            return self.token(option.group(1), text)
        key = self.exact.get(_norm(text))
        if key is None:
            m = self.mention_re.search(text)
            key = self.group_keys[m.lastindex - 1] if m and not ALNUM_RE.search(text[:m.start()]) else None
        return _Ref(key, "name" if key else "unknown", excerpt(text, 40))

    def refs(self, text: str) -> list[tuple[int, int, str, str]]:
        """(start, end, kind, value) of every dimension reference: names and keys ("name", key),
        `Option C`, `Item 3` and `[3]` ("token", "C" or "3"), in order."""
        n, keys = len(self.group_keys), self.group_keys
        return [(m.start(), m.end(), "name", keys[m.lastindex - 1]) if m.lastindex <= n
                else (m.start(), m.end(), "token", m.group(m.lastindex)) for m in self.ref_re.finditer(text)]

    def ref(self, kind: str, value: str, text: str) -> _Ref:
        if kind == "name":
            return _Ref(value, "name", excerpt(text, 40))
        if not value.isdigit() and not self.letters:
            return _Ref(None, "unknown", excerpt(text, 40))
        return self.token(value, text)


_NAMES: dict[tuple, _Names] = {}
MAX_NAMES = 4096  # cached finders: instruments x conditions x item orders seen; cleared when full


def _names(instrument: Instrument, shown: tuple[str, ...], item_order: tuple[str, ...] | None,
           ignore_unknown: bool) -> _Names:
    """The _Names of these dimensions in this order, built once (its patterns are most of the time
    parsing a short answer takes) and shared: a _Names is never changed after it is built."""
    key = (instrument.sha256, shown, item_order, ignore_unknown)
    names = _NAMES.get(key)
    if names is None:
        if len(_NAMES) >= MAX_NAMES:
            _NAMES.clear()
        names = _NAMES[key] = _Names(instrument, shown, item_order, ignore_unknown)
    return names


def _norm(text: str) -> str:
    """Lowercase, British/American spelling folded (z -> s), & as and, punctuation to single spaces."""
    return _norm_short(text) if len(text) <= 200 else _normed(text)  # names and entries repeat: cached


@functools.lru_cache(maxsize=4096)
def _norm_short(text: str) -> str:
    return _normed(text)


def _normed(text: str) -> str:
    text = text.lower().replace("z", "s").replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _name_pattern(label: str) -> str:
    words = [("(?:and|&)" if w == "and" else w.replace("s", "[sz]")) for w in _norm(label).split()]
    return r"[^A-Za-z0-9\n]{1,6}".join(words)


def capped(text: str) -> str:
    """The part of an answer that is parsed: all of it, or its first and last PARSE_CHARS characters."""
    if len(text) <= 2 * PARSE_CHARS:
        return text
    return text[:PARSE_CHARS] + "\n\n" + text[-PARSE_CHARS:]


def parse_answer(text: str | None, task: str, shown: tuple[str, ...], instrument: Instrument,
                 item_order: tuple[str, ...] | list[str] | None = None, variant: str | None = None,
                 ignore_unknown: bool = False, scenario: str | None = None) -> Parsed:
    """Classify and parse one answer to `task` about the `shown` dimension keys.

    `item_order` is the order the prompt listed (numbered) them; positions and letters in the answer
    refer to it, and without it an answer by position is unparseable, never read in another order.
    `variant` is the task's variant the prompt used (default: the task's own prompt): ratings are
    read on its scale (and kept as answered), and in its `positions` format a list of numbers is
    the ratings in item order. With `ignore_unknown`, entries that name no shown dimension (an answer
    about more dimensions than the instrument audits) are left out and listed in `ignored`, and a
    ranking keeps the shown dimensions' order among themselves. A choose answer is read by
    papers.answers.choice, about `scenario`'s actions shown in `item_order` (the dimensions they serve,
    A first); `shown` is not used."""
    if task == "choose":
        return _parse_dilemma(text, instrument, scenario, item_order)
    if item_order is not None and sorted(item_order) != sorted(shown):
        raise ValueError(f"item order {list(item_order)} is not an order of the shown dimensions {list(shown)}")
    text = capped((text or "").strip())
    if task == "open":
        if not text:
            return Parsed("unparseable", error="empty answer")
        if REFUSAL_RE.search(text[:400]) and len(text) < 400:
            return Parsed("refused")
        return Parsed("valid")
    if not text:
        return Parsed("unparseable", error="empty answer")
    body = answer_part(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not body.strip():
        return Parsed("unparseable", error="empty answer: nothing after the reasoning")
    names = _names(instrument, tuple(shown), None if item_order is None else tuple(item_order), ignore_unknown)
    if task == "rank":
        return _parse_rank(body, names)
    chosen = instrument.task(task).variant(variant)
    return _parse_rate(body, names, chosen.scale or instrument.task(task).scale, by_position=chosen.format == "positions")


def _parse_dilemma(text: str | None, instrument: Instrument, scenario: str | None, item_order) -> Parsed:
    """A choose answer. Without the order the actions were shown in, a letter has no reading: the
    answer is read both ways, and only a choice that does not depend on the order (by the action's
    text, both, neither, a refusal) stands."""
    from papers.answers.choice import parse_choice  # it reads with this module's helpers

    s = instrument.scenario(scenario)
    if item_order is not None and sorted(item_order) != sorted(s.pair):
        raise ValueError(f"item order {list(item_order)} is not an order of scenario {scenario}'s actions {list(s.pair)}")
    serves = list(item_order or s.pair)
    parsed = parse_choice(text, [s.option(d).text for d in serves], serves)
    if item_order is None and parsed.status == "valid":
        swapped = parse_choice(text, [s.option(d).text for d in serves[::-1]], serves[::-1])
        if swapped.ranks != parsed.ranks:
            return Parsed("unparseable", error="a letter without the order the actions were shown in (no item "
                          "order given)", reason=parsed.reason)
    return parsed


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


# --------------------------------------------------------------------------------------------
# JSON


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


def _json_values(text: str) -> list[tuple[int, int, object]]:
    """(start, end, value) of every decoded JSON value: fenced blocks, the outermost objects outside
    them, and arrays on a line of their own; with json_candidates' bound on decoding effort."""
    effort = JSON_EFFORT * len(text) + 1000
    fences = []
    for m in FENCE_RE.finditer(text):
        effort -= len(m.group(1))
        value = _loads(m.group(1).strip())
        if value is not _NOTHING:
            fences.append((m.start(), m.end(), value))
    found = list(fences)
    decoded_until = -1
    for start, end in _balanced_spans(text):
        if effort <= 0:
            break
        if start < decoded_until or _inside(fences, start) or not OBJECT_START_RE.match(text, start):
            continue
        effort -= end - start + 1
        value = _loads(text[start:end + 1])
        if value is not _NOTHING:
            decoded_until = end
            found.append((start, end + 1, value))
    found.sort(key=lambda f: f[0])
    arrays = []
    for m in ARRAY_LINE_RE.finditer(text):
        value = _loads(m.group(1))
        if value is not _NOTHING and not _inside(found, m.start(1)):
            arrays.append((m.start(1), m.end(1), value))
    return sorted(found + arrays, key=lambda f: f[0])


def _inside(spans: list[tuple[int, int, object]], pos: int) -> bool:
    """Is `pos` inside one of these spans (sorted by start, not overlapping)?"""
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


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


class _Scan:
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

    def mentions(self, names: _Names) -> dict[int, list[tuple[int, int, str]]]:
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


def _guarded(source: str, build) -> _Reading | None:
    try:
        return build()
    except _Ambiguous as e:
        return _Reading(source, error=str(e))


def _reading(source: str, refs, cut: bool = False) -> _Reading:
    """A ranking from references in order (resolved as they are read, so that the first repeat stops
    a long list); a dimension or position given twice is ambiguous."""
    seen: dict[str, _Ref] = {}
    keys, unknown, by_position = [], [], False
    for ref in refs:
        by_position = by_position or ref.kind == "position"
        if ref.key is None:
            unknown.append(ref.text)
            continue
        if ref.key in seen:
            if ref.kind == "position" and seen[ref.key].kind == "position":
                raise _Ambiguous(f"duplicate position: {ref.text} given twice")
            raise _Ambiguous(f"duplicate dimension: {ref.key} named twice")
        seen[ref.key] = ref
        keys.append(ref.key)
    return _Reading(source, keys=keys, by_position=by_position, unknown=unknown, cut=cut)


def _json_rankings(scan: _Scan, names: _Names) -> tuple[list[_Reading], bool]:
    """Readings of every ranking in the JSON, and whether an empty one was found; the JSON is blanked."""
    values = _json_values(scan.text)
    scan.blank([(s, e) for s, e, _ in values])
    readings, empty = [], False
    for _, _, value in values:
        lists = [value] if isinstance(value, list) else []
        for obj in _objects_in(value):
            lists += [v for k, v in obj.items() if RANK_KEY_RE.fullmatch(str(k)) and isinstance(v, (list, dict, str))]
        for entries in lists:
            if isinstance(entries, str):  # "ranking": "EI > PR > PC" or "EI, PR, PC"
                readings += _text_rankings(entries, names)
                continue
            if not entries:
                empty = True
                continue
            reading = _guarded("JSON", lambda e=entries: _json_ranking(e, names))
            if reading is not None:
                readings.append(reading)
    return readings, empty


def _text_rankings(text: str, names: _Names) -> list[_Reading]:
    scan = _Scan(text)
    readings = _chains(scan, names) + _comma_lists(scan, names)
    prose = _prose(scan, names)
    return readings + ([prose] if prose is not None else [])


def _json_ranking(entries, names: _Names) -> _Reading | None:
    if isinstance(entries, dict):
        return _ranking_from_mapping(entries, names)
    if all(isinstance(e, dict) for e in entries):
        return _ranking_from_objects(entries, names)
    if any(isinstance(e, (dict, list)) for e in entries):
        return None
    return _reading("JSON", (names.resolve(e) for e in entries))


def _ranking_from_mapping(mapping: dict, names: _Names) -> _Reading | None:
    """{"EI": 1, "PR": 2, ...} or {"1": "EI", "2": "PR", ...}."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in mapping.values()):
        pairs = [(v, names.resolve(str(k))) for k, v in mapping.items()]
    elif all(re.fullmatch(r"\d{1,2}", str(k)) for k in mapping):
        pairs = [(int(k), names.resolve(v)) for k, v in mapping.items()]
    else:
        return None
    return _ranked_pairs(pairs)


def _ranking_from_objects(entries: list[dict], names: _Names) -> _Reading | None:
    """[{"value": "EI", "rank": 1}, ...]: in list order, or by their rank fields if all have one."""
    refs, places = [], []
    for entry in entries:
        label = next((entry[f] for f in NAME_FIELDS if isinstance(entry.get(f), str)), None)
        if label is None:
            return None
        refs.append(names.resolve(label))
        place = entry.get("rank", entry.get("position"))
        places.append(place if isinstance(place, int) and not isinstance(place, bool) else None)
    if None in places:
        return _reading("JSON", refs)
    return _ranked_pairs(list(zip(places, refs)))


def _ranked_pairs(pairs: list[tuple[int, _Ref]], source: str = "JSON") -> _Reading:
    places = Counter(p for p, _ in pairs)
    tied = [p for p, n in places.items() if n > 1]
    if tied:
        raise _Ambiguous(f"tied ranks: rank {tied[0]} given to {places[tied[0]]} dimensions")
    return _reading(source, [r for _, r in sorted(pairs, key=lambda pr: pr[0])])


def _cut_json_rankings(scan: _Scan, names: _Names) -> list[_Reading]:
    """Lists under a ranking key in JSON that stops before it closes: `{"ranking": ["EI", "PR",`."""
    readings, spans = [], []
    for m in CUT_RANK_RE.finditer(scan.text):
        pos, entries, closed = m.end(), [], False
        while (item := CUT_ITEM_RE.match(scan.text, pos)) is not None:
            value = _loads(item.group(1))
            if value is _NOTHING:
                break
            entries.append(value)
            pos = item.end()
            if item.group(2) != ",":
                closed = item.group(2) == "]"
                break
        spans.append((m.start(), pos))
        if entries:
            readings.append(_guarded("JSON", lambda e=entries, c=closed: _reading(
                "JSON", (names.resolve(x) for x in e), cut=not c)))
    scan.blank(spans)
    return readings


# --------------------------------------------------------------------------------------------
# Rankings in text


def _head(text: str, names: _Names, bare: bool = True, found=None) -> tuple[_Ref, int] | None:
    """The dimension an item or chain link starts with, and where it ends: its first reference,
    with any restatement right after it (`Option A — Ethical Integrity`, `EI (Ethical Integrity)`)
    checked to agree. Two dimensions side by side (`X and Y (tied)`) are a tie."""
    found = names.refs(text) if found is None else found
    if not found:
        if bare and (m := BARE_RE.fullmatch(text)):
            return names.token(m.group(1), m.group(1)), len(text)
        return None
    start, end, kind, value = found[0]
    first = names.ref(kind, value, text[start:end])
    for s, e, kind, value in found[1:]:
        gap = text[end:s]
        if len(gap) > 16 or not GAP_RE.fullmatch(gap):
            break
        other = names.ref(kind, value, text[s:e])
        if other.key != first.key:
            if (other.kind == "position") != (first.kind == "position"):
                raise _Ambiguous(f"positions and names disagree: {first.text} is {first.key}, "
                                 f"but {other.text} is {other.key}")
            raise _Ambiguous(f"tied ranks: {first.key} and {other.key} share one place")
        end = e
    return first, end


def _numbered_lists(scan: _Scan, names: _Names) -> tuple[list[_Reading], list[str]]:
    """Readings of numbered lists (a list ends where its numbering restarts), and the entries of
    lists that name no shown dimension at all."""
    lists, current, numbers = [], [], set()
    for i, line in scan.open_lines():
        m = NUMBERED_RE.match(line)
        if m is None:
            continue
        number, text = int(m.group(1)), m.group(2).strip()
        if not ALNUM_RE.search(text):
            continue
        if current and number in numbers and number == current[0][0]:
            lists.append(current)
            current, numbers = [], set()
        current.append((number, i, text))
        numbers.add(number)
    if current:
        lists.append(current)
    readings, unknown = [], []
    for items in lists:
        reading = _guarded("numbered list", lambda it=items: _numbered_list(it, names))
        if reading is None:
            unknown += [excerpt(text, 40) for _, _, text in items if ALNUM_RE.search(text)]
            continue
        readings.append(reading)
        for _, i, _ in items:
            scan.used[i] = True
    return readings, unknown


def _numbered_list(items: list[tuple[int, int, str]], names: _Names) -> _Reading | None:
    heads = [(number, _head(text, names), text) for number, _, text in items]
    if not any(head for _, head, _ in heads):
        return None
    twice = [n for n, c in Counter(n for n, _, _ in items).items() if c > 1]
    if twice:
        raise _Ambiguous(f"tied ranks: {twice[0]} is given to two items")
    refs = []
    for _, head, text in sorted(heads, key=lambda h: h[0]):
        if head is not None:
            refs.append(head[0])
        elif ALNUM_RE.search(text):
            refs.append(_Ref(None, "unknown", excerpt(text, 40)))
    return _reading("numbered list", refs)


def _chains(scan: _Scan, names: _Names) -> list[_Reading]:
    """Chains such as `EI > PR > PC`, `[2] > [1]`, `B → A`; `X = Y` in a chain is a tie."""
    readings = []
    lines = scan.open_lines()
    k = 0
    while k < len(lines):
        indices, parts = [lines[k][0]], [lines[k][1]]
        while CHAIN_END_RE.search(parts[-1]) and k + 1 < len(lines):  # a chain continued on the next line
            k += 1
            indices.append(lines[k][0])
            parts.append(lines[k][1])
        k += 1
        text = " ".join(parts)
        if not CHAIN_CHAR_RE.search(text):
            continue
        at_end = indices[-1] >= scan.last_filled
        found = _guarded("chain", lambda t=re.sub(r"^[ \t]*>[ \t]?", "", text), e=at_end: _chain_line(t, names, e))
        if found:
            readings += found if isinstance(found, list) else [found]
            for i in indices:
                scan.used[i] = True
    return readings


def _chain_line(text: str, names: _Names, at_end: bool) -> list[_Reading]:
    """The chains in one line. Links are resolved only once they form a chain with at least one `>`,
    so `X = Y` or a lone letter in the prose around a chain is not read."""
    parts = CHAIN_SPLIT_RE.split(text)
    segments, seps = [p.strip(" \t") for p in parts[0::2]], parts[1::2]
    chains, links, joins = [], None, []
    for i, segment in enumerate(segments):
        if links is not None:
            lead = _lead(segment, names)
            if lead is None:  # a separator with no link after it: the chain ends (the answer may stop here)
                chains.append((links, joins, at_end and i == len(segments) - 1 and not segment.strip(" *_`")))
                links = None
            else:
                links.append(lead[0])
                joins.append(seps[i - 1])
                if not ALNUM_RE.search(lead[1]):
                    continue
                chains.append((links, joins, False))  # text after the link ends the chain
                links = None
        if i < len(seps):
            trail = _trail(segment, names)
            links, joins = ([trail], []) if trail is not None else (None, [])
    if links is not None:
        chains.append((links, joins, False))
    readings = []
    for links, joins, cut in chains:
        if len(links) < 2 or all(j == "=" for j in joins):
            continue
        refs = [link() for link in links]
        if "=" in joins:
            k = joins.index("=")
            raise _Ambiguous(f"tied ranks: {refs[k].key} and {refs[k + 1].key} are joined by '='")
        readings.append(_reading("chain", refs, cut=cut))
    return readings


def _lead(segment: str, names: _Names):
    """The reference a chain link starts with (only markup before it, resolved when called), and the
    text after it."""
    found = names.refs(segment)
    if found and not ALNUM_RE.search(segment[:found[0][0]]):
        head = _head(segment, names, bare=False, found=found)
        if head is not None:
            return (lambda: head[0]), segment[head[1]:]
    m = BARE_LEAD_RE.match(segment)
    if m:
        return (lambda: names.token(m.group(1), m.group(1))), segment[m.end():]
    return None


def _trail(segment: str, names: _Names):
    """The reference a chain's first link ends with (a label such as "My ranking:" may precede it),
    resolved when called."""
    found = names.refs(segment)
    if found and not ALNUM_RE.search(segment[found[-1][1]:]):
        start, end, kind, value = found[-1]
        return lambda: names.ref(kind, value, segment[start:end])
    m = BARE_TRAIL_RE.search(segment[-24:])
    if m:
        return lambda: names.token(m.group(1), m.group(1))
    return None


def _comma_lists(scan: _Scan, names: _Names) -> list[_Reading]:
    """`3, 5, 1, 2, 4`, `B, A, C`, `Option C, Option A, ...` on a line of their own or after a label."""
    readings = []
    for i, line in scan.open_lines():
        run = None
        for run in COMMA_RUN_RE.finditer(line):
            pass
        if run is None:
            continue
        label, tail = line[:run.start()], line[run.end():]
        if ALNUM_RE.search(tail):
            continue
        if ALNUM_RE.search(label) and not label.rstrip(" \t*_").endswith((":", "—", "–", "-")):
            continue
        tokens = re.split(r"[ \t]*[,;][ \t]*(?:and[ \t]+)?|[ \t]+(?:and|then)[ \t]+", run.group())
        bare = [t for t in tokens if not OPTION_RE.fullmatch(t)]
        if bare and len({t.strip("[]").isdigit() for t in bare}) > 1:
            continue  # numbers and letters mixed: not a list of either
        cut = tail.strip(" \t*_").startswith(",")

        def build(tokens=tokens, cut=cut):
            refs = []
            for t in tokens:
                m = OPTION_RE.fullmatch(t)
                refs.append(names.token((m.group(1) if m else t.strip("[]")), t))
            return _reading("list", refs, cut=cut)

        readings.append(_guarded("list", build))
        scan.used[i] = True
    return readings


def _bullet_lists(scan: _Scan, names: _Names) -> list[_Reading]:
    """Bullet lists, read in order; after a decline only when the line before them says they are an order."""
    readings, group, indent = [], [], None
    groups = []
    for i, line in enumerate(scan.lines):
        m = BULLET_RE.match(line) if not scan.used[i] else None
        if m and (indent is None or len(m.group(1)) <= indent):
            if indent is None:
                indent = len(m.group(1))
            group.append((i, m.group(2)))
        elif m or not line.strip() or (indent is not None and len(line) - len(line.lstrip()) > indent):
            continue
        elif group:
            groups.append(group)
            group, indent = [], None
    if group:
        groups.append(group)
    decline = DECLINE_RE.search(scan.text.replace("’", "'"))
    declined_on = scan.text.count("\n", 0, decline.start()) if decline else len(scan.lines)
    for group in groups:
        intro = scan.before(group[0][0])
        if declined_on < group[0][0] and not CUE_RE.search(intro or ""):
            continue  # "I can't rank these. The values you listed were: - ..." is no ranking
        reading = _guarded("list", lambda g=group: _bullet_list(g, names))
        if reading is not None:
            readings.append(reading)
            for i, _ in group:
                scan.used[i] = True
    return readings


def _bullet_list(group: list[tuple[int, str]], names: _Names) -> _Reading | None:
    refs = [head[0] for _, text in group if (head := _head(text.strip(), names))]
    return _reading("list", refs) if len(refs) >= 2 else None


def _rank_tables(scan: _Scan, names: _Names) -> list[_Reading]:
    """Markdown tables whose rows each name one dimension and give it one whole number (its rank)."""
    readings, rows = [], []
    for i, line in scan.open_lines() + [(len(scan.lines), "")]:
        if line.lstrip().startswith("|") or (rows and "|" in line):
            rows.append((i, line))
            continue
        if rows:
            pairs = []
            for _, row in rows:
                cells = [c.strip(" *_`") for c in row.strip().strip("|").split("|")]
                keys = {k for c in cells for _, _, k in names.mentions(c)}
                numbers = [int(c) for c in cells if re.fullmatch(r"\d{1,2}", c)]
                if len(keys) == 1 and len(numbers) == 1:
                    pairs.append((numbers[0], _Ref(keys.pop(), "name", row.strip()[:40])))
            if len(pairs) >= 2:
                readings.append(_guarded("table", lambda p=pairs: _ranked_pairs(p, "table")))
                for j, _ in rows:
                    scan.used[j] = True
            rows = []
    return readings


def _prose(scan: _Scan, names: _Names) -> _Reading | None:
    """Prose that names every shown dimension exactly once and says it gives an order."""
    lines = [(i, line) for i, line in scan.open_lines() if not NUMBERED_RE.match(line) and not BULLET_RE.match(line)]
    in_line = scan.mentions(names)
    mentioned = [(i, in_line[i]) for i, _ in lines if i in in_line]
    keys = [k for _, found in mentioned for _, _, k in found]
    if not keys or set(keys) != set(names.shown):
        return None
    first, last = mentioned[0][0], mentioned[-1][0]
    text = "\n".join(line for i, line in lines if first <= i <= last)
    intro = scan.before(first) or ""
    bare = not ALNUM_RE.search(re.sub(r"\b(?:and|then)\b", "", names.mention_re.sub("", text)))
    if not (CUE_RE.search(text) or CUE_RE.search(intro) or bare):
        return None
    numbered = _inline_numbers(text, names)
    if numbered is not None:
        return numbered
    twice = [k for k, n in Counter(keys).items() if n > 1]
    if twice:
        return _Reading("prose", error=f"prose names {twice[0]} more than once, so its order is ambiguous")
    unclear = _ordinal_conflict(text, names, keys)
    if unclear:
        return _Reading("prose", error=unclear)
    return _Reading("prose", keys=keys)


def _inline_numbers(text: str, names: _Names) -> _Reading | None:
    """Prose with a number beside its names: `1) EI 2) PR ...` is read by those numbers; a number after
    a name (`EI (3), PR (1)`) may be a rank or a rating, so such prose gives no reading."""
    found = names.mentions(text)
    before = [NUMBER_BEFORE_RE.search(text, max(0, s - 12), s) for s, _, _ in found]
    after = [NUMBER_AFTER_RE.match(text, e) for _, e, _ in found]
    starts = {m.start(1) for m in before if m}
    after = [m for m in after if m and m.start(1) not in starts]  # "1) EI 2) PR": the 2 belongs to PR
    if before and all(before) and not after:
        return _guarded("prose", lambda: _ranked_pairs([(int(m.group(1)), _Ref(k, "name", k))
                                                         for m, (_, _, k) in zip(before, found)], "prose"))
    if any(before) or after:
        return _Reading("prose", error="prose gives numbers beside the names: ranks or ratings, unclear")
    return None


def _ordinal_conflict(text: str, names: _Names, keys: list[str]) -> str | None:
    """Ordinal words (first, second, ..., last, least) that say another order than the mentions do."""
    text = ORDINAL_SPAN_RE.sub(lambda m: " " * len(m.group()), text)
    found = names.mentions(text)
    ends = [m.end() for m in SENTENCE_END_RE.finditer(text)] + [len(text)]
    for m in ORDINAL_RE.finditer(text):
        sentence = bisect.bisect_right(ends, m.start())
        lo, hi = (ends[sentence - 1] if sentence else 0), ends[sentence]
        # the mention the word belongs to: one not across a comma, then the nearest, then the one before
        near = [("," in (text[e:m.start()] if e <= m.start() else text[m.end():s]),
                 m.start() - e if e <= m.start() else s - m.end(), e > m.start(), k)
                for s, e, k in found if lo <= s < hi]
        if not near:
            continue
        key = min(near)[3]
        word = m.group(1).lower()
        want = ORDINAL_PLACE.get(word, len(keys) - 1)
        if keys.index(key) != want:
            return f"prose order unclear: {key} is named in place {keys.index(key) + 1} but called '{word}'"
    return None


def _parse_rank(body: str, names: _Names) -> Parsed:
    scan = _Scan(body)
    readings, empty = _json_rankings(scan, names)
    if not any(r.keys or r.error for r in readings):
        readings += _cut_json_rankings(scan, names)
    listed, unknown_lists = _numbered_lists(scan, names)
    readings += listed
    readings += _chains(scan, names) if CHAIN_CHAR_RE.search(scan.text) else []
    readings += _comma_lists(scan, names)
    readings += _bullet_lists(scan, names) if BULLET_START_RE.search(scan.text) else []
    readings += _rank_tables(scan, names) if "|" in scan.text else []
    prose = _prose(scan, names)
    for r in readings:
        if r.error:
            return Parsed("unparseable", error=r.error)
    usable = [r for r in readings if r.keys]
    if prose is not None and (prose.error is None or not usable):
        if prose.error:
            return Parsed("unparseable", error=prose.error)
        usable.append(prose)
    if usable and (m := LEAST_FIRST_RE.search(body)):
        return Parsed("unparseable", error=f"the answer says it runs from least to most important ('{m.group()}')")
    if usable:
        return _rank_outcome(usable, names)
    if DECLINE_RE.search(body.replace("’", "'")):
        return Parsed("refused")
    unknown = [u for r in readings for u in r.unknown] + unknown_lists
    if unknown:
        return Parsed("unparseable", error="no known dimensions: " + ", ".join(unknown[:5])[:160])
    if empty:
        return Parsed("unparseable", error="the ranking is empty")
    if names.mentions(body):
        return Parsed("unparseable", error="names dimensions but gives no order")
    return Parsed("unparseable", error="no shown dimension named")


def _rank_outcome(usable: list[_Reading], names: _Names) -> Parsed:
    complete = [r for r in usable if len(r.keys) == names.n and (names.ignore_unknown or not r.unknown)]
    best = complete[0] if complete else max(usable, key=lambda r: len(r.keys))
    for other in usable:
        same = other.keys == best.keys if other in complete else _consistent(other.keys, best.keys)
        if not same:
            return Parsed("unparseable", error=_disagreement(best, other))
    ignored = list(best.unknown) if names.ignore_unknown else []
    if complete:
        return Parsed("valid", ranks={k: i + 1 for i, k in enumerate(best.keys)}, ignored=ignored)
    return Parsed("incomplete", error=_shortfall(best, names), ignored=ignored)


def _consistent(part: list[str], whole: list[str]) -> bool:
    """Does `part` keep the relative order `whole` gives its dimensions?"""
    places = [whole.index(k) for k in part if k in whole]
    return places == sorted(places)


def _disagreement(a: _Reading, b: _Reading) -> str:
    what = "positions and names disagree" if a.by_position != b.by_position else "two different rankings"
    return f"{what}: {a.source} {' > '.join(a.keys)}, {b.source} {' > '.join(b.keys)}"


def _shortfall(reading: _Reading, names: _Names) -> str:
    problems = []
    missing = [k for k in names.shown if k not in reading.found]
    if missing:
        problems.append("missing " + ", ".join(missing))
    if reading.unknown and not names.ignore_unknown:
        problems.append("not a shown dimension: " + ", ".join(reading.unknown[:5])[:120])
    if reading.cut:
        problems.append("the answer stops mid-way")
    return "; ".join(problems)


# --------------------------------------------------------------------------------------------
# Ratings


def _rating(raw, key: str, scale) -> float | None:
    """A rating on the scale; None when not given (null); an error otherwise."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        raw = next((raw[f] for f in RATING_FIELDS if f in raw), raw)
    denominator = None
    if isinstance(raw, str) and (m := RATING_TEXT_RE.fullmatch(raw)):
        raw, denominator = m.group(1), m.group(2)
    elif isinstance(raw, str) and (labelled := _labelled(raw, key, scale)) is not None:
        raw = labelled
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise _Ambiguous(f"rating for {key} is not a number: {excerpt(repr(raw))}")
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        raise _Ambiguous(f"rating for {key} is not a number: {excerpt(repr(raw))}") from None
    return _on_scale(value, denominator, key, scale)


def _labelled(text: str, key: str, scale) -> float | None:
    """A rating given with the label of its point ("1: very much like me"), or by the label alone
    where the scale labels every point; the number and the label must name the same point. None
    when the text is neither."""
    labels = {" ".join(label.lower().split()): point for point, label in scale.labels}
    said = " ".join(text.lower().split()).strip(" .")
    if scale.every_point_labelled and said in labels:
        return float(labels[said])
    m = LABELLED_RE.fullmatch(text)
    if m is None:
        return None
    value, label = float(m.group(1)), " ".join(m.group(2).lower().split())
    named = scale.label_of(int(value)) if value.is_integer() else None
    if named is not None and " ".join(named.lower().split()) != label:
        raise _Ambiguous(f"rating and label disagree for {key}: {value:g} is '{named}' on the scale, "
                         f"the answer says '{excerpt(m.group(2), 40)}'")
    if named is None and label in labels:
        raise _Ambiguous(f"rating and label disagree for {key}: '{excerpt(m.group(2), 40)}' is point "
                         f"{labels[label]} on the scale, the answer says {value:g}")
    return value


def _is_rating_text(value, scale) -> bool:
    """Is this answer value a rating written as text (a number, a number with a label, a label)?"""
    if not isinstance(value, str) or RATING_TEXT_RE.fullmatch(value):
        return True
    try:
        return _labelled(value, "", scale) is not None
    except _Ambiguous:
        return True  # read, and refused, as a rating


def _on_scale(value: float, denominator, key: str, scale) -> float:
    if denominator is not None and int(denominator) != scale.max:
        raise _Ambiguous(f"rating on another scale: {value:g}/{denominator} for {key} (the scale is "
                         f"{scale.min}-{scale.max})")
    if not scale.contains(value):
        raise _Ambiguous(f"rating out of range: {value:g} for {key} (the scale is {scale.min}-{scale.max})")
    return value


def _rates(source: str, pairs, names: _Names, scale, cut: bool = False) -> _Reading:
    ratings, unknown = {}, []
    words = [v for _, v in pairs if not _is_rating_text(v, scale)]
    if pairs and len(words) == len(pairs):
        raise _Ambiguous("ratings in words only: " + ", ".join(excerpt(w, 20) for w in words[:3]))
    for raw_key, raw_value in pairs:
        ref = names.resolve(raw_key)
        if ref.key is None:
            unknown.append(ref.text)
            continue
        value = _rating(raw_value, ref.key, scale)
        if value is None:
            continue
        if ref.key in ratings and ratings[ref.key] != value:
            raise _Ambiguous(f"two different ratings for {ref.key}: {ratings[ref.key]:g} and {value:g}")
        ratings[ref.key] = value
    return _Reading(source, ratings=ratings, unknown=unknown, cut=cut)


def _json_ratings(scan: _Scan, names: _Names, scale) -> tuple[list[_Reading], bool]:
    values = _json_values(scan.text)
    scan.blank([(s, e) for s, e, _ in values])
    readings, empty, taken = [], False, set()
    for _, _, value in values:
        for obj in _objects_in(value):
            if id(obj) in taken:
                continue
            found = [v for k, v in obj.items() if RATE_KEY_RE.fullmatch(str(k)) and isinstance(v, (dict, list))]
            if not found and sum(names.exact.get(_norm(str(k))) is not None for k in obj) >= 2:
                found = [obj]
            for entries in found:
                taken.add(id(entries))
                pairs = _rating_pairs(entries)
                if pairs is None:
                    continue
                if not pairs:
                    empty = True
                    continue
                readings.append(_guarded("JSON", lambda p=pairs: _rates("JSON", p, names, scale)))
    return readings, empty


def _rating_pairs(entries) -> list[tuple] | None:
    """(dimension, rating) pairs of a mapping or of a list of objects."""
    if isinstance(entries, dict):
        return list(entries.items())
    if not all(isinstance(e, dict) for e in entries):
        return None
    pairs = []
    for entry in entries:
        name_field = next((f for f in NAME_FIELDS if isinstance(entry.get(f), str)), None)
        rating_field = next((f for f in RATING_FIELDS if f in entry and f != name_field), None)
        pairs.append((entry.get(name_field), entry.get(rating_field)))
    return pairs


def _cut_json_ratings(scan: _Scan, names: _Names, scale) -> list[_Reading]:
    readings, spans = [], []
    for m in CUT_RATE_RE.finditer(scan.text):
        pos, pairs, closed = m.end(), [], False
        while (pair := CUT_PAIR_RE.match(scan.text, pos)) is not None:
            key, value = _loads(pair.group(1)), _loads(pair.group(2))
            if key is _NOTHING or value is _NOTHING:
                break
            pairs.append((key, value))
            pos = pair.end()
            if pair.group(3) != ",":
                closed = pair.group(3) == "}"
                break
        spans.append((m.start(), pos))
        if pairs:
            readings.append(_guarded("JSON", lambda p=pairs, c=closed: _rates("JSON", p, names, scale, cut=not c)))
    scan.blank(spans)
    return readings


def _rating_lines(scan: _Scan, names: _Names, scale) -> tuple[_Reading | None, list[str]]:
    """Lines that name one dimension followed by its rating (tables too), and lines that name one
    dimension with no number after it."""
    pairs, words = [], []
    in_line = scan.mentions(names)
    for i, line in scan.open_lines():
        named = []  # (key, end) of each name, a restatement (`Name (KEY)`) merged into it
        for start, end, key in in_line.get(i, ()):
            if named and named[-1][0] == key and not ALNUM_RE.search(line[named[-1][1]:start]):
                named[-1] = (key, end)
            else:
                named.append((key, end))
        if not named:
            continue
        numbers = [RATING_AFTER_RE.match(line, end) for _, end in named]
        if len(named) == 1 and numbers[0] is None:
            words.append(named[0][0])
        elif all(numbers) and len({k for k, _ in named}) == len(named):  # `EI: 7, PR: 6` on one line too
            pairs += [(key, m.group(1), m.group(2)) for (key, _), m in zip(named, numbers)]
    if not pairs:
        return None, words

    def build():
        ratings = {}
        for key, number, denominator in pairs:
            value = _on_scale(float(number), denominator, key, scale)
            if key in ratings and ratings[key] != value:
                raise _Ambiguous(f"two different ratings for {key}: {ratings[key]:g} and {value:g}")
            ratings[key] = value
        return _Reading("rating lines", ratings=ratings)

    return _guarded("rating lines", build), words


def _rate_outcome(usable: list[_Reading], names: _Names) -> Parsed:
    complete = [r for r in usable if set(r.ratings) == set(names.shown) and (names.ignore_unknown or not r.unknown)]
    best = complete[0] if complete else max(usable, key=lambda r: len(r.ratings))
    for other in usable:
        if any(other.ratings[k] != best.ratings[k] for k in other.ratings if k in best.ratings):
            return Parsed("unparseable", error=f"two different sets of ratings: {other.source} and {best.source}")
    ignored = list(best.unknown) if names.ignore_unknown else []
    if complete:
        return Parsed("valid", ratings={k: best.ratings[k] for k in names.shown}, ignored=ignored)
    return Parsed("incomplete", error=_shortfall(best, names), ignored=ignored)


def _ratings_by_position(scan: _Scan, names: _Names, scale, body: str) -> list[_Reading]:
    """Ratings given in the order the items were listed: a line of exactly n numbers ("6, 5, 7, 3,
    4", a JSON array of numbers too), or lines "3: 6" numbering the items. Read only where the
    variant asked for ratings by position, and only with the item order."""
    if names.order is None:
        return [_Reading("ratings by position", error="a position without the item order: ratings given by "
                         "position need the order the items were shown in")] if NUMBERS_LINE_RE.search(scan.text) else []

    def build():
        readings = []
        for m in ARRAY_LINE_RE.finditer(body):
            values = _loads(m.group(1))
            if isinstance(values, list) and len(values) == names.n and all(isinstance(v, int) for v in values):
                ratings = {k: _on_scale(float(v), None, k, scale) for k, v in zip(names.order, values)}
                readings.append(_Reading("JSON ratings by position", ratings=ratings))
        for line in scan.text.split("\n"):
            m = NUMBERS_LINE_RE.fullmatch(line)
            if m is None:
                continue
            numbers = re.split(r"[ \t]*+[,;][ \t]*+|[ \t]++", m.group(1).strip())
            if len(numbers) == names.n:
                values = {k: _on_scale(float(v), None, k, scale) for k, v in zip(names.order, numbers)}
                readings.append(_Reading("ratings by position", ratings=values))
        pairs = [(int(m.group(1)), m.group(2), m.group(3)) for m in ITEM_RATING_RE.finditer(scan.text)]
        if pairs:
            readings.append(_item_ratings(pairs, names, scale))
        for r in readings[1:]:
            if r.ratings != readings[0].ratings:
                raise _Ambiguous("two different sets of ratings by position")
        return readings

    try:
        return build()
    except _Ambiguous as e:
        return [_Reading("ratings by position", error=str(e))]


def _item_ratings(pairs: list[tuple[int, str, str | None]], names: _Names, scale) -> _Reading:
    ratings = {}
    for number, value, denominator in pairs:
        if not 1 <= number <= names.n:
            raise _Ambiguous(f"position out of range: item {number} of {names.n}")
        key = names.order[number - 1]
        if key in ratings:
            raise _Ambiguous(f"duplicate position: item {number} given twice")
        ratings[key] = _on_scale(float(value), denominator, key, scale)
    return _Reading("ratings by item number", ratings=ratings)


def _parse_rate(body: str, names: _Names, scale, by_position: bool = False) -> Parsed:
    scan = _Scan(body)
    readings, empty = _json_ratings(scan, names, scale)
    if not any(r.ratings or r.error for r in readings):
        readings += _cut_json_ratings(scan, names, scale)
    lines, words = _rating_lines(scan, names, scale)
    if lines is not None:
        readings.append(lines)
    if by_position:
        readings += _ratings_by_position(scan, names, scale, body)
    for r in readings:
        if r.error:
            return Parsed("unparseable", error=r.error)
    usable = [r for r in readings if r.ratings]
    if usable:
        return _rate_outcome(usable, names)
    if DECLINE_RE.search(body.replace("’", "'")):
        return Parsed("refused")
    words = words or [k for _, _, k in names.mentions(body)]
    if words:
        return Parsed("unparseable", error="ratings in words only: no number after " + ", ".join(dict.fromkeys(words)))
    unknown = [u for r in readings for u in r.unknown]
    if unknown:
        return Parsed("unparseable", error="no known dimensions: " + ", ".join(unknown[:5])[:160])
    if empty:
        return Parsed("unparseable", error="the ratings are empty")
    return Parsed("unparseable", error="no rating for a shown dimension")
