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
make it backtrack, and every reader makes one pass over the lines. A rank answer that is only what
its prompt asks for (`{"ranking": [...]}`, one entry per line, `3, 1, 2, ...`), naming every shown
dimension once by key, by name or by position, is read without running every reader where no reader
could read it otherwise (papers.answers.rankings._plain): the same result, a fifth of the time. So
is a rate answer that is only `{"ratings": {...}}` or one `KEY: 6` line each, whole numbers on the
scale, by key or by name (papers.answers.ratings._plain; not where ratings are asked by position).

This module dispatches by task; the readers live beside it: papers.answers.rankings (rank),
papers.answers.ratings (rate) and papers.answers.choice (choose), over what they share:
papers.answers.reading (the outcome, the answer part, the answer as lines), papers.answers.dimension_refs
(how an answer names a shown dimension) and papers.answers.json_text (the JSON in free text).
"""

from __future__ import annotations

from papers.answers.dimension_refs import names_for
from papers.answers.rankings import parse_rank
from papers.answers.ratings import parse_rate
from papers.answers.reading import REFUSAL_RE, Parsed, answer_part, capped
from papers.instrument import Instrument


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
    names = names_for(instrument, tuple(shown), None if item_order is None else tuple(item_order), ignore_unknown)
    if task == "rank":
        return parse_rank(body, names)
    chosen = instrument.task(task).variant(variant)
    return parse_rate(body, names, chosen.scale or instrument.task(task).scale, by_position=chosen.format == "positions")


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
