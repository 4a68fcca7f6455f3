"""Read a model's answer to a dilemma (a choose trial): which of the two actions it took, and why.

The prompt lists the two actions as A and B in the trial's order (`serves`: the dimensions they
serve, A first). The same reading serves collected and ingested answers. What is read, in order:

1. The answer part, as for rankings (papers.answers.reading.answer_part): reasoning in `<think>` tags
   dropped, only what follows a last "Final answer" / "Answer:" line.
2. JSON anywhere in it: the first object with a choice field (`choice`, `chosen`, `answer`,
   `option`, `action`, `decision`, `selection`, `selected`, `pick`, in any case). Its value is a
   letter (`"A"`, `"b"`, `"Option B"`, `"(A)"`), a number (1 for A, 2 for B), an action's text (or
   the start of it), or `both` / `neither`; a `reason` (`why`, `explanation`, `rationale`,
   `justification`) field is the reason. A JSON choice is the answer: the reason may well mention
   the other action.
3. Otherwise the text: a line that opens with the letter (`B`, `**B**`, `B.`, `B) ...`, `(A)`,
   `Option A:`, `Answer: B`, `Choice - A`; a bare letter must be upper case and stand alone or
   before punctuation, a dash or "because", so the article "A" in "A tough call" is not a choice),
   and sentences that say the choice ("I would choose B", "I'd go with option A", "my choice is
   A", "I pick B"). Lines that only restate both actions ("A. <A's text>" and "B. <B's text>") are
   not choices. Every such reading must agree; two different letters make the answer unparseable.
   With no letter, an answer that quotes exactly one action's text chose it.

Statuses: `valid` (one action; ranks 1 for its dimension and 2 for the other), `no_choice` (both
actions, or neither: "Both", "I would do neither", `{"choice": "both"}`; which of the two in
`error`), `refused` (no choice and a decline), `unparseable` (no choice found, a letter other than A
or B, two different choices; the reason in `error`). A single choice wins over a mention of both
("Both have merit, but I choose A" is A).

The reason is the JSON reason, or the text after the letter that opens the answer, or else the
whole answer part; at most REASON_CHARS characters, as written (pages escape it).
"""

from __future__ import annotations

import re

from papers.answers.json_text import json_candidates
from papers.answers.reading import DECLINE_RE, Parsed, answer_part, capped
from papers.text import excerpt

REASON_CHARS = 400
CHOICE_KEY_RE = re.compile(r"(?:final_?|my_?)?(?:choice|chosen|choose|answer|option|action|decision|selection|selected|pick)",
                           re.IGNORECASE)
REASON_KEY_RE = re.compile(r"(?:reason\w*|why|explanation|rationale|justification)", re.IGNORECASE)
_MARKUP = "*_`#>\"'“”‘’ \t"
LEAD_RE = re.compile(r"(?:(?i:final\s+)?(?i:answer|choice|my\s+choice|decision|selection)\s*[:\-–—]\s*)?"
                     r"(?:(?i:option|action|choice)\s+\(?([ABab])\)?(?![A-Za-z0-9])|\(?([AB])\)?(?=$|[.):,;!]|\s+[-–—(]|"
                     r"\s+(?i:because)\b))[\s*_`\"'.):,;!—–-]*")
SENTENCE_RE = re.compile(
    r"\b(?i:i(?:'d|\s+would|\s+will|'ll)?\s+(?:(?:rather|instead)\s+)?(?:choose|pick|select|take|go\s+with|opt\s+for|"
    r"prefer)|(?:my\s+)?(?:choice|answer|decision|pick|selection)\s+(?:is|would\s+be|:)|i\s+chose|i\s+am\s+choosing|"
    r"i'm\s+choosing|choosing|going\s+with)\s*[:\-–—]?\s*\**\s*"
    r"(?:(?i:option|action|choice)\s+\(?([ABab])\)?(?![A-Za-z0-9])|\(?([AB])\)?(?![A-Za-z0-9]))")
BOTH_RE = re.compile(r"^\W*both\b|\b(?:do|take|choose|pick|doing|taking)\s+(?:them\s+)?both\b|\bboth\s+(?:actions|options)\b"
                     r"(?!\s+(?:have|are|seem|look|make|carry|come|involve))|\bboth\s+a\s+and\s+b\b|\ba\s+and\s+b\s+both\b",
                     re.IGNORECASE | re.MULTILINE)
NEITHER_RE = re.compile(r"^\W*(?:neither|none)\b|\b(?:do|take|choose|pick)\s+neither\b|\bneither\s+(?:action|option|one)\b"
                        r"(?!\s+(?:is|seems|looks|feels))|\bnone\s+of\s+(?:them|these|the\s+two)\b|"
                        r"\b(?:would\s+not|wouldn't|won't|will\s+not|not)\s+(?:take|choose|do|pick)\s+either\b",
                        re.IGNORECASE | re.MULTILINE)


def parse_choice(text: str | None, option_texts: list[str], serves: list[str]) -> Parsed:
    """Classify and read one answer to a dilemma whose actions (`option_texts`, serving `serves`)
    were shown as A and B, in that order."""
    if len(option_texts) != 2 or len(serves) != 2 or serves[0] == serves[1]:
        raise ValueError(f"a dilemma shows two actions serving two dimensions, got {serves}")
    text = capped((text or "").strip())
    if not text:
        return Parsed("unparseable", error="empty answer")
    body = answer_part(text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not body:
        return Parsed("unparseable", error="empty answer: nothing after the reasoning")
    found = _json_choice(body, option_texts)
    if found is None:
        found = _text_choice(body, option_texts)
    outcome, reason = found
    if isinstance(outcome, int):
        chosen = serves[outcome]
        other = serves[1 - outcome]
        return Parsed("valid", ranks={chosen: 1, other: 2}, reason=_clean(reason))
    if outcome in ("both", "neither"):
        what = "takes both actions" if outcome == "both" else "takes neither action"
        return Parsed("no_choice", error=what, reason=_clean(reason))
    if outcome is None and DECLINE_RE.search(body[:2000]):
        return Parsed("refused", reason=_clean(reason))
    return Parsed("unparseable", error=outcome or "no choice of A or B found", reason=_clean(reason))


def _clean(reason: str | None) -> str | None:
    if not reason:
        return None
    reason = " ".join(str(reason).split()).strip(" -–—:.,;") or None
    return excerpt(reason, REASON_CHARS) if reason else None


# ----------------------------------------------------------------------------- JSON


def _json_choice(body: str, option_texts: list[str]):
    """(outcome, reason) of the first JSON object with a choice field; None if there is none."""
    for value in json_candidates(body):
        if not isinstance(value, dict):
            continue
        choice = next((v for k, v in value.items() if CHOICE_KEY_RE.fullmatch(str(k))), _MISSING)
        if choice is _MISSING:
            continue
        reason = next((v for k, v in value.items() if REASON_KEY_RE.fullmatch(str(k)) and isinstance(v, str)), None)
        return _value_choice(choice, option_texts), reason
    return None


_MISSING = object()


def _value_choice(value, option_texts: list[str]):
    """A JSON choice value as 0 (A), 1 (B), "both", "neither", or the reason it is unparseable."""
    if isinstance(value, bool) or value is None:
        return f"the choice is {excerpt(repr(value), 20)}, not A or B"
    if isinstance(value, int):
        return value - 1 if value in (1, 2) else f"choice {value} is out of range (the actions are A and B)"
    if not isinstance(value, str):
        return f"the choice is {excerpt(repr(value), 40)}, not A or B"
    word = value.strip(_MARKUP + ".():").lower()
    word = re.sub(r"^(?:option|action|choice)\s+", "", word).strip("() ")
    if word in ("a", "b", "1", "2"):
        return "ab12".index(word) % 2
    if word in ("both", "a and b", "both a and b"):
        return "both"
    if word in ("neither", "none", "neither a nor b"):
        return "neither"
    by_text = _quoted(value, option_texts, whole=True)
    if isinstance(by_text, int):
        return by_text
    return f"the choice '{excerpt(value, 40)}' is neither A nor B"


# ----------------------------------------------------------------------------- text


def _text_choice(body: str, option_texts: list[str]):
    """(outcome, reason) read from the text: 0 or 1, "both", "neither", None (nothing found) or
    the reason the answer is unparseable."""
    leads, restated, reason = [], [], None
    for line in body.split("\n"):
        stripped = line.strip(_MARKUP)
        m = LEAD_RE.match(stripped) if stripped else None
        if not m:
            continue
        index = "AB".index((m.group(1) or m.group(2)).upper())
        rest = stripped[m.end():]
        if _norm(rest) and _norm(option_texts[index])[:30] == _norm(rest)[:30]:
            restated.append((index, rest))
        else:
            leads.append((index, rest))
    if len({i for i, _ in restated}) == 1 and not leads:  # "B. <B's text>": the chosen action, restated
        leads = restated
    said = [("AB".index((m.group(1) or m.group(2)).upper()), None) for m in SENTENCE_RE.finditer(body)]
    readings = {i for i, _ in leads + said}
    if len(readings) > 1:
        return "two different choices: the answer names A and B as its choice", None
    if readings:
        index = readings.pop()
        reason = next((rest for i, rest in leads if rest.strip()), None) or (_after_lead(body) if leads else body)
        return index, reason
    return _no_letter(body, option_texts), body


def _after_lead(body: str) -> str | None:
    """The answer after the line that opened it with its choice (None if nothing follows)."""
    lines = [line for line in body.split("\n") if line.strip()]
    return " ".join(lines[1:]) or None


def _no_letter(body: str, option_texts: list[str]):
    if BOTH_RE.search(body):
        return "both"
    if NEITHER_RE.search(body):
        return "neither"
    quoted = _quoted(body, option_texts, whole=False)
    if isinstance(quoted, int):
        return quoted
    return quoted if isinstance(quoted, str) else None


def _quoted(text: str, option_texts: list[str], whole: bool):
    """0 or 1 when the text is (whole) or quotes (not whole) exactly one action's text, or its start
    (at least 24 characters); a reason when it quotes both; None when neither."""
    norm = _norm(text)
    if not norm:
        return None
    hits = []
    for i, option in enumerate(option_texts):
        target = _norm(option)
        if whole:
            hit = norm == target or (len(norm) >= 24 and target.startswith(norm))
        else:
            hit = target in norm or (len(target) > 40 and target[:40] in norm)
        if hit:
            hits.append(i)
    if len(hits) == 2:
        return "the answer quotes both actions and names no letter"
    return hits[0] if hits else None


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())
