"""Read a rate answer: ratings in its JSON (a mapping, a list of objects, an object keyed by the
dimensions), then in lines that name a dimension and give its number, and, where the variant asked
for ratings by position, in lists of numbers in item order; each on the task's scale, given as a
number, a number with its label, or a label. The rules are in papers.answers.parse."""

from __future__ import annotations

import re

from papers.answers.dimension_refs import ALNUM_RE, PLAIN_SPACE, Ambiguous, Names, norm
from papers.answers.json_text import ARRAY_LINE_RE, NOTHING, json_values, loads, objects_in
from papers.answers.reading import DECLINE_RE, NAME_FIELDS, Parsed, Reading, Scan, guarded, shortfall
from papers.text import excerpt

RATE_KEY_RE = re.compile(r"(?:final_?|my_?)?(?:ratings?|scores?|importance\w*|weights?|values)", re.IGNORECASE)
CUT_RATE_RE = re.compile(r'"(?:final_?)?(?:ratings?|scores?|importance\w*|weights?|values)"\s*+:\s*+\{', re.IGNORECASE)
CUT_PAIR_RE = re.compile(r'\s*+("(?:[^"\\]|\\.)*+")\s*+:\s*+(-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*+"|null)\s*+(,|\})?')
RATING_FIELDS = ("rating", "score", "importance", "value")
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
        raise Ambiguous(f"rating for {key} is not a number: {excerpt(repr(raw))}")
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        raise Ambiguous(f"rating for {key} is not a number: {excerpt(repr(raw))}") from None
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
        raise Ambiguous(f"rating and label disagree for {key}: {value:g} is '{named}' on the scale, "
                         f"the answer says '{excerpt(m.group(2), 40)}'")
    if named is None and label in labels:
        raise Ambiguous(f"rating and label disagree for {key}: '{excerpt(m.group(2), 40)}' is point "
                         f"{labels[label]} on the scale, the answer says {value:g}")
    return value


def _is_rating_text(value, scale) -> bool:
    """Is this answer value a rating written as text (a number, a number with a label, a label)?"""
    if not isinstance(value, str) or RATING_TEXT_RE.fullmatch(value):
        return True
    try:
        return _labelled(value, "", scale) is not None
    except Ambiguous:
        return True  # read, and refused, as a rating


def _on_scale(value: float, denominator, key: str, scale) -> float:
    if denominator is not None and int(denominator) != scale.max:
        raise Ambiguous(f"rating on another scale: {value:g}/{denominator} for {key} (the scale is "
                         f"{scale.min}-{scale.max})")
    if not scale.contains(value):
        raise Ambiguous(f"rating out of range: {value:g} for {key} (the scale is {scale.min}-{scale.max})")
    return value


def _rates(source: str, pairs, names: Names, scale, cut: bool = False) -> Reading:
    ratings, unknown = {}, []
    words = [v for _, v in pairs if not _is_rating_text(v, scale)]
    if pairs and len(words) == len(pairs):
        raise Ambiguous("ratings in words only: " + ", ".join(excerpt(w, 20) for w in words[:3]))
    for raw_key, raw_value in pairs:
        ref = names.resolve(raw_key)
        if ref.key is None:
            unknown.append(ref.text)
            continue
        value = _rating(raw_value, ref.key, scale)
        if value is None:
            continue
        if ref.key in ratings and ratings[ref.key] != value:
            raise Ambiguous(f"two different ratings for {ref.key}: {ratings[ref.key]:g} and {value:g}")
        ratings[ref.key] = value
    return Reading(source, ratings=ratings, unknown=unknown, cut=cut)


def _json_ratings(scan: Scan, names: Names, scale) -> tuple[list[Reading], bool]:
    values = json_values(scan.text)
    scan.blank([(s, e) for s, e, _ in values])
    readings, empty, taken = [], False, set()
    for _, _, value in values:
        for obj in objects_in(value):
            if id(obj) in taken:
                continue
            found = [v for k, v in obj.items() if RATE_KEY_RE.fullmatch(str(k)) and isinstance(v, (dict, list))]
            if not found and sum(names.exact.get(norm(str(k))) is not None for k in obj) >= 2:
                found = [obj]
            for entries in found:
                taken.add(id(entries))
                pairs = _rating_pairs(entries)
                if pairs is None:
                    continue
                if not pairs:
                    empty = True
                    continue
                readings.append(guarded("JSON", lambda p=pairs: _rates("JSON", p, names, scale)))
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


def _cut_json_ratings(scan: Scan, names: Names, scale) -> list[Reading]:
    readings, spans = [], []
    for m in CUT_RATE_RE.finditer(scan.text):
        pos, pairs, closed = m.end(), [], False
        while (pair := CUT_PAIR_RE.match(scan.text, pos)) is not None:
            key, value = loads(pair.group(1)), loads(pair.group(2))
            if key is NOTHING or value is NOTHING:
                break
            pairs.append((key, value))
            pos = pair.end()
            if pair.group(3) != ",":
                closed = pair.group(3) == "}"
                break
        spans.append((m.start(), pos))
        if pairs:
            readings.append(guarded("JSON", lambda p=pairs, c=closed: _rates("JSON", p, names, scale, cut=not c)))
    scan.blank(spans)
    return readings


def _rating_lines(scan: Scan, names: Names, scale) -> tuple[Reading | None, list[str]]:
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
                raise Ambiguous(f"two different ratings for {key}: {ratings[key]:g} and {value:g}")
            ratings[key] = value
        return Reading("rating lines", ratings=ratings)

    return guarded("rating lines", build), words


def _rate_outcome(usable: list[Reading], names: Names) -> Parsed:
    complete = [r for r in usable if set(r.ratings) == set(names.shown) and (names.ignore_unknown or not r.unknown)]
    best = complete[0] if complete else max(usable, key=lambda r: len(r.ratings))
    for other in usable:
        if any(other.ratings[k] != best.ratings[k] for k in other.ratings if k in best.ratings):
            return Parsed("unparseable", error=f"two different sets of ratings: {other.source} and {best.source}")
    ignored = list(best.unknown) if names.ignore_unknown else []
    if complete:
        return Parsed("valid", ratings={k: best.ratings[k] for k in names.shown}, ignored=ignored)
    return Parsed("incomplete", error=shortfall(best, names), ignored=ignored)


def _ratings_by_position(scan: Scan, names: Names, scale, body: str) -> list[Reading]:
    """Ratings given in the order the items were listed: a line of exactly n numbers ("6, 5, 7, 3,
    4", a JSON array of numbers too), or lines "3: 6" numbering the items. Read only where the
    variant asked for ratings by position, and only with the item order."""
    if names.order is None:
        return [Reading("ratings by position", error="a position without the item order: ratings given by "
                         "position need the order the items were shown in")] if NUMBERS_LINE_RE.search(scan.text) else []

    def build():
        readings = []
        for m in ARRAY_LINE_RE.finditer(body):
            values = loads(m.group(1))
            if isinstance(values, list) and len(values) == names.n and all(isinstance(v, int) for v in values):
                ratings = {k: _on_scale(float(v), None, k, scale) for k, v in zip(names.order, values)}
                readings.append(Reading("JSON ratings by position", ratings=ratings))
        for line in scan.text.split("\n"):
            m = NUMBERS_LINE_RE.fullmatch(line)
            if m is None:
                continue
            numbers = re.split(r"[ \t]*+[,;][ \t]*+|[ \t]++", m.group(1).strip())
            if len(numbers) == names.n:
                values = {k: _on_scale(float(v), None, k, scale) for k, v in zip(names.order, numbers)}
                readings.append(Reading("ratings by position", ratings=values))
        pairs = [(int(m.group(1)), m.group(2), m.group(3)) for m in ITEM_RATING_RE.finditer(scan.text)]
        if pairs:
            readings.append(_item_ratings(pairs, names, scale))
        for r in readings[1:]:
            if r.ratings != readings[0].ratings:
                raise Ambiguous("two different sets of ratings by position")
        return readings

    try:
        return build()
    except Ambiguous as e:
        return [Reading("ratings by position", error=str(e))]


def _item_ratings(pairs: list[tuple[int, str, str | None]], names: Names, scale) -> Reading:
    ratings = {}
    for number, value, denominator in pairs:
        if not 1 <= number <= names.n:
            raise Ambiguous(f"position out of range: item {number} of {names.n}")
        key = names.order[number - 1]
        if key in ratings:
            raise Ambiguous(f"duplicate position: item {number} given twice")
        ratings[key] = _on_scale(float(value), denominator, key, scale)
    return Reading("ratings by item number", ratings=ratings)


# the answer in a shape a prompt asks for, and nothing else: {"ratings": {"KEY": 6, ...}}, or one
# "KEY: 6" line per dimension (a key or a name; quoted ones without escapes; whole numbers)
PLAIN_RATINGS_RE = re.compile(r'[ \t\n]*+\{[ \t\n]*+"ratings"[ \t\n]*+:[ \t\n]*+\{((?:[ \t\n]*+"[^"\\\n]++"[ \t\n]*+:'
                              r'[ \t\n]*+(?:0|[1-9]\d?)[ \t\n]*+,)*+[ \t\n]*+"[^"\\\n]++"[ \t\n]*+:[ \t\n]*+(?:0|[1-9]\d?))'
                              r'[ \t\n]*+\}[ \t\n]*+\}[ \t\n]*+')  # JSON numbers: no leading zero
PLAIN_PAIR_RE = re.compile(r'"([^"\\\n]++)"[ \t\n]*+:[ \t\n]*+(\d{1,2})')
PLAIN_LINE_RE = re.compile(r"[ \t]*+([A-Za-z]++(?:[ -][A-Za-z]++)*+)[ \t]*+:[ \t]*+(\d{1,2})[ \t]*+")


def parse_rate(body: str, names: Names, scale, by_position: bool = False) -> Parsed:
    """A rate answer's status and ratings (see papers.answers.parse)."""
    return (None if by_position else _plain(body, names, scale)) or _read_rate(body, names, scale, by_position)


def _plain(body: str, names: Names, scale) -> Parsed | None:
    """The answer that is only what a prompt asks for, a whole number on the scale for every shown
    dimension once, all by key or all by name (as the instrument writes it): `{"ratings": {...}}`
    or one `KEY: 6` line each. Each reader reads those ratings or nothing, so _read_rate finds
    it valid, where the labels hold no word a reader acts on (Names.plain_keys): tests/test_parse.py
    checks that on every shape and many ratings, for the bundled instrument's variants and for
    instruments built to trip it. None for any other answer (and where the variant asks for ratings
    by position), which _read_rate reads."""
    if not body.isascii():
        return None
    if body.lstrip(PLAIN_SPACE + "\n").startswith("{"):
        m = PLAIN_RATINGS_RE.fullmatch(body)
        pairs = PLAIN_PAIR_RE.findall(m.group(1)) if m else None
    else:
        matches = [PLAIN_LINE_RE.fullmatch(line) for line in body.strip(PLAIN_SPACE + "\n").split("\n")]
        pairs = None if None in matches else [m.groups() for m in matches]
    if not pairs or len(pairs) != names.n:
        return None
    for labels in (names.plain_keys, names.plain_names):
        keys = [labels.get(label) for label, _ in pairs]
        if None not in keys:
            values = [int(v) for _, v in pairs]
            if len(set(keys)) != names.n or not all(scale.min <= v <= scale.max for v in values):
                return None
            return Parsed("valid", ratings={k: float(v) for k, v in zip(keys, values)})
    return None


def _read_rate(body: str, names: Names, scale, by_position: bool = False) -> Parsed:
    scan = Scan(body)
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
