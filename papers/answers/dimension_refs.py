"""How an answer refers to a shown dimension: its key, its name or an alias (in any case, spacing
or markup), a position in the prompt's list (`3`, `[3]`, `Item 3`), or a letter (`C`, `Option C`).
`Names` finds and resolves them for one instrument, condition and item order, and is built once per
such triple; `Ambiguous` is raised where a reference has no single reading."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from papers.instrument import Instrument
from papers.text import excerpt

OPTION_RE = re.compile(r"(?<![A-Za-z0-9])(?i:option|item|choice)[ \t]*+(?:#[ \t]*+)?(\d{1,2}|[A-Za-z])(?![A-Za-z0-9])")
BRACKET_RE = re.compile(r"\[(\d{1,2}|[A-Z])\]")
ALNUM_RE = re.compile(r"[A-Za-z0-9]")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# labels a plain answer may name dimensions by (papers.answers.rankings._plain): keys of two letters or
# more (a single letter in a comma list is read as a position), names of words of two letters or more
# joined by a space or a hyphen, neither holding a word the readers act on (ordinals, "least ... to ...
# most", option, item, rank, ...)
PLAIN_KEY_RE = re.compile(r"[A-Za-z]{2,}+")
PLAIN_NAME_RE = re.compile(r"[A-Za-z]{2,}+(?:[ -][A-Za-z]{2,}+)*+")
PLAIN_SPACE = " \t"  # the only spaces a plain answer holds (the readers take no other between entries)
READER_WORDS = frozenset(
    "first foremost top highest most second third fourth fifth sixth last lastly finally least lowest bottom "
    "to ascending descending option item choice rank ranked ranking no".split())


class Ambiguous(Exception):
    """The text can be read more than one way; the answer is unparseable for this reason."""


@dataclass(frozen=True)
class Ref:
    key: str | None  # the shown dimension meant; None for an entry that names none
    kind: str  # "name", "position" or "unknown"
    text: str  # as written, for messages


class Names:
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
                self.exact[norm(label)] = key
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
        # the entries of a plain answer (rankings._plain): keys, names as the instrument writes them and
        # positions, where every label is plain and no two dimensions' labels share a word (a name inside
        # another, "Growth" in "Adaptive Growth", is read otherwise); positions never on lines of their own
        dims = [instrument.dimension(key) for key in shown]
        # each dimension's words, as the readers compare them (z as s)
        words = [{w for label in (d.key, d.name, *d.aliases) for w in norm(label).split()} for d in dims]
        plain = (sum(map(len, words)) == len(set().union(*words)) and all(_plain(d.key, PLAIN_KEY_RE) for d in dims)
                 and all(_plain(alias, PLAIN_NAME_RE) for d in dims for alias in d.aliases))
        self.plain_keys = {d.key: d.key for d in dims} if plain else {}
        self.plain_names = {d.name: d.key for d in dims} if plain and all(_plain(d.name, PLAIN_NAME_RE) for d in dims) else {}
        self.plain_positions = {str(i): key for i, key in enumerate(item_order or (), 1)} if self.plain_names else {}

    def mentions(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, key) of every name, alias or key in the text, in order."""
        return [(m.start(), m.end(), self.group_keys[m.lastindex - 1]) for m in self.mention_re.finditer(text)]

    def position(self, number: int, text: str) -> Ref:
        if not 1 <= number <= self.n:
            raise Ambiguous(f"position out of range: {excerpt(text, 20)} (the prompt numbered 1-{self.n})")
        return self._at(number - 1, text)

    def letter(self, letter: str, text: str) -> Ref:
        index = LETTERS.find(letter.upper())
        if not 0 <= index < self.n:
            raise Ambiguous(f"letter out of range: {excerpt(text, 20)} (the prompt listed A-{LETTERS[self.n - 1]})")
        return self._at(index, text)

    def _at(self, index: int, text: str) -> Ref:
        if self.order is None:
            raise Ambiguous(f"position without the order shown: {excerpt(text, 20)} (no item order given)")
        return Ref(self.order[index], "position", text)

    def token(self, token: str, text: str) -> Ref:
        """A bare position or letter."""
        return self.position(int(token), text) if token.isdigit() else self.letter(token, text)

    def resolve(self, entry) -> Ref:
        """A JSON entry: a key or name (with anything after the name), a position or a letter."""
        if isinstance(entry, bool) or not isinstance(entry, (int, str)):
            return Ref(None, "unknown", excerpt(repr(entry), 40))
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
        key = self.exact.get(norm(text))
        if key is None:
            m = self.mention_re.search(text)
            key = self.group_keys[m.lastindex - 1] if m and not ALNUM_RE.search(text[:m.start()]) else None
        return Ref(key, "name" if key else "unknown", excerpt(text, 40))

    def refs(self, text: str) -> list[tuple[int, int, str, str]]:
        """(start, end, kind, value) of every dimension reference: names and keys ("name", key),
        `Option C`, `Item 3` and `[3]` ("token", "C" or "3"), in order."""
        n, keys = len(self.group_keys), self.group_keys
        return [(m.start(), m.end(), "name", keys[m.lastindex - 1]) if m.lastindex <= n
                else (m.start(), m.end(), "token", m.group(m.lastindex)) for m in self.ref_re.finditer(text)]

    def ref(self, kind: str, value: str, text: str) -> Ref:
        if kind == "name":
            return Ref(value, "name", excerpt(text, 40))
        if not value.isdigit() and not self.letters:
            return Ref(None, "unknown", excerpt(text, 40))
        return self.token(value, text)


_NAMES: dict[tuple, Names] = {}
MAX_NAMES = 4096  # cached finders: instruments x conditions x item orders seen; cleared when full


def _plain(label: str, pattern: re.Pattern) -> bool:
    """Is this label plain (see PLAIN_KEY_RE): of `pattern`, no word of it a reader word or read as an
    option ("Items" is item s)?"""
    return bool(pattern.fullmatch(label)) and not any(word.lower() in READER_WORDS or OPTION_RE.fullmatch(word)
                                                      for word in re.split(r"[ -]", label))


def names_for(instrument: Instrument, shown: tuple[str, ...], item_order: tuple[str, ...] | None,
           ignore_unknown: bool) -> Names:
    """The Names of these dimensions in this order, built once (its patterns are most of the time
    parsing a short answer takes) and shared: a Names is never changed after it is built."""
    key = (instrument.sha256, shown, item_order, ignore_unknown)
    names = _NAMES.get(key)
    if names is None:
        if len(_NAMES) >= MAX_NAMES:
            _NAMES.clear()
        names = _NAMES[key] = Names(instrument, shown, item_order, ignore_unknown)
    return names


def norm(text: str) -> str:
    """Lowercase, British/American spelling folded (z -> s), & as and, punctuation to single spaces."""
    return _norm_short(text) if len(text) <= 200 else _normed(text)  # names and entries repeat: cached


@functools.lru_cache(maxsize=4096)
def _norm_short(text: str) -> str:
    return _normed(text)


def _normed(text: str) -> str:
    text = text.lower().replace("z", "s").replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _name_pattern(label: str) -> str:
    words = [("(?:and|&)" if w == "and" else w.replace("s", "[sz]")) for w in norm(label).split()]
    return r"[^A-Za-z0-9\n]{1,6}".join(words)
