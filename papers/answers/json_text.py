"""The JSON in an answer's free text: fenced blocks, bare objects anywhere, arrays on a line of
their own. Models wrap JSON in prose, markdown and reasoning; these finders read it wherever it
stands, in time linear in the text (decoding stops once it has read the text JSON_EFFORT times
over). The rank, rate and choose readers and the LLM coder's answers use them."""

from __future__ import annotations

import bisect
import json
import re

JSON_EFFORT = 8  # failed JSON decoding may read the text this many times over, then the search stops
FENCE_RE = re.compile(r"```(?:json)?(.*?)```", re.DOTALL | re.IGNORECASE)
OBJECT_START_RE = re.compile(r'\{[ \t\n\r]*["}]')
_SPECIAL_RE = re.compile(r'[{}"\\]')
NOTHING = object()
_STRING = r'"(?:[^"\\\n]|\\.)*"'
ARRAY_LINE_RE = re.compile(rf"^[ \t]*(\[[ \t]*(?:{_STRING}|-?\d+)(?:[ \t]*,[ \t]*(?:{_STRING}|-?\d+))+[ \t]*\])[ \t]*$",
                           re.MULTILINE)


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
        value = loads(m.group(1).strip())
        if value is not NOTHING:
            yield value
    decoded_until = -1
    for start, end in _balanced_spans(text):
        if effort <= 0:
            return
        if start < decoded_until or not OBJECT_START_RE.match(text, start):
            continue
        effort -= end - start + 1
        value = loads(text[start:end + 1])
        if value is not NOTHING:
            decoded_until = end
            yield from objects_in(value)


def json_values(text: str) -> list[tuple[int, int, object]]:
    """(start, end, value) of every decoded JSON value: fenced blocks, the outermost objects outside
    them, and arrays on a line of their own; with json_candidates' bound on decoding effort."""
    effort = JSON_EFFORT * len(text) + 1000
    fences = []
    for m in FENCE_RE.finditer(text):
        effort -= len(m.group(1))
        value = loads(m.group(1).strip())
        if value is not NOTHING:
            fences.append((m.start(), m.end(), value))
    found = list(fences)
    decoded_until = -1
    for start, end in _balanced_spans(text):
        if effort <= 0:
            break
        if start < decoded_until or _inside(fences, start) or not OBJECT_START_RE.match(text, start):
            continue
        effort -= end - start + 1
        value = loads(text[start:end + 1])
        if value is not NOTHING:
            decoded_until = end
            found.append((start, end + 1, value))
    found.sort(key=lambda f: f[0])
    arrays = []
    for m in ARRAY_LINE_RE.finditer(text):
        value = loads(m.group(1))
        if value is not NOTHING and not _inside(found, m.start(1)):
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


def loads(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON; an integer of thousands of digits; nesting too deep
        return NOTHING


def objects_in(value):
    """Every object in a decoded value, itself first, in the order they are written."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
