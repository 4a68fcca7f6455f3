"""Read a rank answer: every ranking in its JSON, then in its text (numbered lists, chains, comma
lists, bullet lists, tables, prose), each reading taking the lines it used; then decide the status
from the readings, which must all agree. The rules are in papers.answers.parse."""

from __future__ import annotations

import bisect
import re
from collections import Counter

from papers.answers.dimension_refs import ALNUM_RE, OPTION_RE, PLAIN_SPACE, Ambiguous, Names, Ref
from papers.answers.json_text import NOTHING, json_values, loads, objects_in
from papers.answers.reading import DECLINE_RE, NAME_FIELDS, Parsed, Reading, Scan, guarded, shortfall
from papers.text import excerpt

RANK_KEY_RE = re.compile(r"(?:final_?|my_?)?(?:\w*rank\w*|\w*order\w*|\w*priorit\w*|values|answer|result)", re.IGNORECASE)
CUT_RANK_RE = re.compile(r'"(?:final_?)?(?:\w*rank\w*|\w*order\w*|\w*priorit\w*|values|answer)"\s*+:\s*+\[', re.IGNORECASE)
CUT_ITEM_RE = re.compile(r'\s*+("(?:[^"\\]|\\.)*+"|-?\d+)\s*+(,|\])?')
NUMBERED_RE = re.compile(r"^[ \t>*_#+•-]*+(?:(?:rank(?:ed)?|no\.?)[ \t]*+#?[ \t]*+)?(\d{1,2})(?:[ \t]*+[.):]|[ \t]++[-–—])"
                         r"(?!\d)[ \t*_]*+(.*)$", re.IGNORECASE)
BULLET_RE = re.compile(r"^([ \t]*)[-*+•◦▪‣][ \t]+(.*)$")
BULLET_START_RE = re.compile(r"^[ \t]*[-*+•◦▪‣][ \t]", re.MULTILINE)
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
NUMBER_BEFORE_RE = re.compile(r"(?<![\w.])(\d{1,2})[.):]?[ \t*_]*$")
NUMBER_AFTER_RE = re.compile(r"[ \t*_]*+(?:[(:=–—-][ \t]*+)?(\d{1,2})(?![\w.])")


def _reading(source: str, refs, cut: bool = False) -> Reading:
    """A ranking from references in order (resolved as they are read, so that the first repeat stops
    a long list); a dimension or position given twice is ambiguous."""
    seen: dict[str, Ref] = {}
    keys, unknown, by_position = [], [], False
    for ref in refs:
        by_position = by_position or ref.kind == "position"
        if ref.key is None:
            unknown.append(ref.text)
            continue
        if ref.key in seen:
            if ref.kind == "position" and seen[ref.key].kind == "position":
                raise Ambiguous(f"duplicate position: {ref.text} given twice")
            raise Ambiguous(f"duplicate dimension: {ref.key} named twice")
        seen[ref.key] = ref
        keys.append(ref.key)
    return Reading(source, keys=keys, by_position=by_position, unknown=unknown, cut=cut)


def _json_rankings(scan: Scan, names: Names) -> tuple[list[Reading], bool]:
    """Readings of every ranking in the JSON, and whether an empty one was found; the JSON is blanked."""
    values = json_values(scan.text)
    scan.blank([(s, e) for s, e, _ in values])
    readings, empty = [], False
    for _, _, value in values:
        lists = [value] if isinstance(value, list) else []
        for obj in objects_in(value):
            lists += [v for k, v in obj.items() if RANK_KEY_RE.fullmatch(str(k)) and isinstance(v, (list, dict, str))]
        for entries in lists:
            if isinstance(entries, str):  # "ranking": "EI > PR > PC" or "EI, PR, PC"
                readings += _text_rankings(entries, names)
                continue
            if not entries:
                empty = True
                continue
            reading = guarded("JSON", lambda e=entries: _json_ranking(e, names))
            if reading is not None:
                readings.append(reading)
    return readings, empty


def _text_rankings(text: str, names: Names) -> list[Reading]:
    scan = Scan(text)
    readings = _chains(scan, names) + _comma_lists(scan, names)
    prose = _prose(scan, names)
    return readings + ([prose] if prose is not None else [])


def _json_ranking(entries, names: Names) -> Reading | None:
    if isinstance(entries, dict):
        return _ranking_from_mapping(entries, names)
    if all(isinstance(e, dict) for e in entries):
        return _ranking_from_objects(entries, names)
    if any(isinstance(e, (dict, list)) for e in entries):
        return None
    return _reading("JSON", (names.resolve(e) for e in entries))


def _ranking_from_mapping(mapping: dict, names: Names) -> Reading | None:
    """{"EI": 1, "PR": 2, ...} or {"1": "EI", "2": "PR", ...}."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in mapping.values()):
        pairs = [(v, names.resolve(str(k))) for k, v in mapping.items()]
    elif all(re.fullmatch(r"\d{1,2}", str(k)) for k in mapping):
        pairs = [(int(k), names.resolve(v)) for k, v in mapping.items()]
    else:
        return None
    return _ranked_pairs(pairs)


def _ranking_from_objects(entries: list[dict], names: Names) -> Reading | None:
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


def _ranked_pairs(pairs: list[tuple[int, Ref]], source: str = "JSON") -> Reading:
    places = Counter(p for p, _ in pairs)
    tied = [p for p, n in places.items() if n > 1]
    if tied:
        raise Ambiguous(f"tied ranks: rank {tied[0]} given to {places[tied[0]]} dimensions")
    return _reading(source, [r for _, r in sorted(pairs, key=lambda pr: pr[0])])


def _cut_json_rankings(scan: Scan, names: Names) -> list[Reading]:
    """Lists under a ranking key in JSON that stops before it closes: `{"ranking": ["EI", "PR",`."""
    readings, spans = [], []
    for m in CUT_RANK_RE.finditer(scan.text):
        pos, entries, closed = m.end(), [], False
        while (item := CUT_ITEM_RE.match(scan.text, pos)) is not None:
            value = loads(item.group(1))
            if value is NOTHING:
                break
            entries.append(value)
            pos = item.end()
            if item.group(2) != ",":
                closed = item.group(2) == "]"
                break
        spans.append((m.start(), pos))
        if entries:
            readings.append(guarded("JSON", lambda e=entries, c=closed: _reading(
                "JSON", (names.resolve(x) for x in e), cut=not c)))
    scan.blank(spans)
    return readings


def _head(text: str, names: Names, bare: bool = True, found=None) -> tuple[Ref, int] | None:
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
                raise Ambiguous(f"positions and names disagree: {first.text} is {first.key}, "
                                 f"but {other.text} is {other.key}")
            raise Ambiguous(f"tied ranks: {first.key} and {other.key} share one place")
        end = e
    return first, end


def _numbered_lists(scan: Scan, names: Names) -> tuple[list[Reading], list[str]]:
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
        reading = guarded("numbered list", lambda it=items: _numbered_list(it, names))
        if reading is None:
            unknown += [excerpt(text, 40) for _, _, text in items if ALNUM_RE.search(text)]
            continue
        readings.append(reading)
        for _, i, _ in items:
            scan.used[i] = True
    return readings, unknown


def _numbered_list(items: list[tuple[int, int, str]], names: Names) -> Reading | None:
    heads = [(number, _head(text, names), text) for number, _, text in items]
    if not any(head for _, head, _ in heads):
        return None
    twice = [n for n, c in Counter(n for n, _, _ in items).items() if c > 1]
    if twice:
        raise Ambiguous(f"tied ranks: {twice[0]} is given to two items")
    refs = []
    for _, head, text in sorted(heads, key=lambda h: h[0]):
        if head is not None:
            refs.append(head[0])
        elif ALNUM_RE.search(text):
            refs.append(Ref(None, "unknown", excerpt(text, 40)))
    return _reading("numbered list", refs)


def _chains(scan: Scan, names: Names) -> list[Reading]:
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
        found = guarded("chain", lambda t=re.sub(r"^[ \t]*>[ \t]?", "", text), e=at_end: _chain_line(t, names, e))
        if found:
            readings += found if isinstance(found, list) else [found]
            for i in indices:
                scan.used[i] = True
    return readings


def _chain_line(text: str, names: Names, at_end: bool) -> list[Reading]:
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
            raise Ambiguous(f"tied ranks: {refs[k].key} and {refs[k + 1].key} are joined by '='")
        readings.append(_reading("chain", refs, cut=cut))
    return readings


def _lead(segment: str, names: Names):
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


def _trail(segment: str, names: Names):
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


def _comma_lists(scan: Scan, names: Names) -> list[Reading]:
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

        readings.append(guarded("list", build))
        scan.used[i] = True
    return readings


def _bullet_lists(scan: Scan, names: Names) -> list[Reading]:
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
        reading = guarded("list", lambda g=group: _bullet_list(g, names))
        if reading is not None:
            readings.append(reading)
            for i, _ in group:
                scan.used[i] = True
    return readings


def _bullet_list(group: list[tuple[int, str]], names: Names) -> Reading | None:
    refs = [head[0] for _, text in group if (head := _head(text.strip(), names))]
    return _reading("list", refs) if len(refs) >= 2 else None


def _rank_tables(scan: Scan, names: Names) -> list[Reading]:
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
                    pairs.append((numbers[0], Ref(keys.pop(), "name", row.strip()[:40])))
            if len(pairs) >= 2:
                readings.append(guarded("table", lambda p=pairs: _ranked_pairs(p, "table")))
                for j, _ in rows:
                    scan.used[j] = True
            rows = []
    return readings


def _prose(scan: Scan, names: Names) -> Reading | None:
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
        return Reading("prose", error=f"prose names {twice[0]} more than once, so its order is ambiguous")
    unclear = _ordinal_conflict(text, names, keys)
    if unclear:
        return Reading("prose", error=unclear)
    return Reading("prose", keys=keys)


def _inline_numbers(text: str, names: Names) -> Reading | None:
    """Prose with a number beside its names: `1) EI 2) PR ...` is read by those numbers; a number after
    a name (`EI (3), PR (1)`) may be a rank or a rating, so such prose gives no reading."""
    found = names.mentions(text)
    before = [NUMBER_BEFORE_RE.search(text, max(0, s - 12), s) for s, _, _ in found]
    after = [NUMBER_AFTER_RE.match(text, e) for _, e, _ in found]
    starts = {m.start(1) for m in before if m}
    after = [m for m in after if m and m.start(1) not in starts]  # "1) EI 2) PR": the 2 belongs to PR
    if before and all(before) and not after:
        return guarded("prose", lambda: _ranked_pairs([(int(m.group(1)), Ref(k, "name", k))
                                                         for m, (_, _, k) in zip(before, found)], "prose"))
    if any(before) or after:
        return Reading("prose", error="prose gives numbers beside the names: ranks or ratings, unclear")
    return None


def _ordinal_conflict(text: str, names: Names, keys: list[str]) -> str | None:
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


# the answer in a shape a prompt asks for, and nothing else: {"ranking": [...]}, one entry per line,
# or a comma list on one line (an entry: a key, a name or a position; quoted ones without escapes)
PLAIN_JSON_RE = re.compile(r'[ \t\n]*+\{[ \t\n]*+"ranking"[ \t\n]*+:[ \t\n]*+\['
                           r'((?:[ \t\n]*+"[^"\\\n]++"[ \t\n]*+,)*+[ \t\n]*+"[^"\\\n]++")[ \t\n]*+\][ \t\n]*+\}[ \t\n]*+')
QUOTED_RE = re.compile(r'"([^"\\\n]++)"')


def parse_rank(body: str, names: Names) -> Parsed:
    """A rank answer's status and ranks (see papers.answers.parse)."""
    return _plain(body, names) or _read_rank(body, names)


def _plain(body: str, names: Names) -> Parsed | None:
    """The answer that is only what a prompt asks for, every shown dimension once, all by key, all by
    name (each as the instrument writes it) or all by position: `{"ranking": [...]}`, one per line, or
    `1, 3, 2, ...` on one line. Each reader reads that order or nothing, so _read_rank finds it valid,
    where the labels hold no word a reader acts on (Names.plain_keys; so no "least ... to ... most"
    either): tests/test_parse.py checks that on every order and shape, for the bundled instrument and
    for instruments whose keys and names are the readers' own words. None for any other answer, which
    _read_rank reads (running every reader was most of the time storing a batch job's results took)."""
    if not body.isascii():  # every plain label is ASCII; so no space but the ASCII ones either
        return None
    lines = False
    if body.lstrip(PLAIN_SPACE + "\n").startswith("{"):
        m = PLAIN_JSON_RE.fullmatch(body)
        entries = QUOTED_RE.findall(m.group(1)) if m else None
    else:
        entries = [e.strip(PLAIN_SPACE) for e in body.strip(PLAIN_SPACE + "\n").split("\n")]
        lines = len(entries) > 1
        if not lines:
            entries = [e.strip(PLAIN_SPACE) for e in entries[0].split(",")]
    if not entries or len(entries) != names.n:
        return None
    for labels in (names.plain_keys, names.plain_names, {} if lines else names.plain_positions):
        keys = [labels.get(e) for e in entries]
        if None not in keys:
            return Parsed("valid", ranks={k: i + 1 for i, k in enumerate(keys)}) if len(set(keys)) == names.n else None
    return None


def _read_rank(body: str, names: Names) -> Parsed:
    scan = Scan(body)
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


def _rank_outcome(usable: list[Reading], names: Names) -> Parsed:
    complete = [r for r in usable if len(r.keys) == names.n and (names.ignore_unknown or not r.unknown)]
    best = complete[0] if complete else max(usable, key=lambda r: len(r.keys))
    for other in usable:
        same = other.keys == best.keys if other in complete else _consistent(other.keys, best.keys)
        if not same:
            return Parsed("unparseable", error=_disagreement(best, other))
    ignored = list(best.unknown) if names.ignore_unknown else []
    if complete:
        return Parsed("valid", ranks={k: i + 1 for i, k in enumerate(best.keys)}, ignored=ignored)
    return Parsed("incomplete", error=shortfall(best, names), ignored=ignored)


def _consistent(part: list[str], whole: list[str]) -> bool:
    """Does `part` keep the relative order `whole` gives its dimensions?"""
    places = [whole.index(k) for k in part if k in whole]
    return places == sorted(places)


def _disagreement(a: Reading, b: Reading) -> str:
    what = "positions and names disagree" if a.by_position != b.by_position else "two different rankings"
    return f"{what}: {a.source} {' > '.join(a.keys)}, {b.source} {' > '.join(b.keys)}"
