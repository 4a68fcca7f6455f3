"""The answer corpus (tests/data/answers): every case parses as its expectation says.

The corpus README states the reading rules and check_corpus.py checks the corpus itself. Here each
case is one test named by its id, parsed with the bundled `papers` instrument, the case's task and
condition, and its shown order as the item order (the order the prompt numbered the dimensions in,
which positions and letters point into).
Then properties of the parser on any text: it returns a status for random mixtures of the corpus's
own pieces, and it stays linear on hostile text.
"""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest

from papers.answers.parse import parse_answer
from papers.instrument import load_instrument
from papers.outcomes import STATUSES
from tests.conftest import parse_in_child

CORPUS = Path(__file__).parent / "data" / "answers"
INSTRUMENT = load_instrument("papers")


def _load_cases() -> list:
    cases = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            cases.append(pytest.param(case, id=case["id"]))
    return cases


CASES = _load_cases()


def test_the_corpus_is_well_formed():
    spec = importlib.util.spec_from_file_location("check_corpus", CORPUS / "check_corpus.py")
    check_corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_corpus)
    problems, cases = check_corpus.check(CORPUS)
    assert problems == []
    assert len(cases) == len(CASES) >= check_corpus.MIN_CASES


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case):
    shown = INSTRUMENT.shown(case["condition"])
    parsed = parse_answer(case["text"], case["task"], shown, INSTRUMENT, item_order=case["shown"])
    expect = case["expect"]
    where = f"{case['id']} ({case.get('note', 'no note')}): got {parsed}"
    assert parsed.status == expect["status"], where
    if "ranking" in expect:
        assert sorted(parsed.ranks, key=parsed.ranks.get) == expect["ranking"], where
        assert sorted(parsed.ranks.values()) == list(range(1, len(case["shown"]) + 1)), where
    elif "ratings" in expect:
        assert parsed.ratings == expect["ratings"], where
    else:
        assert parsed.ranks == {} and parsed.ratings == {}, where
    if expect["status"] == "unparseable":
        assert expect["reason"] in (parsed.error or ""), where  # the corpus's short phrase opens the reason


# ------------------------------------------------------------------------------------------------
# Properties


PIECES = [
    "EI", "PR", "PC", "AG", "RF", "SA", "Ethical Integrity", "**Positive Relationality**", "adaptive growth", "3", "[2]",
    "B", "Option C", "Item 4", " > ", " = ", ", ", " and ", "\n", "\n\n", "1. ", "2) ", "- ", "* ", "| ", ": ", " 6/7",
    " 6 out of 7", "{", "}", "[", "]", '"ranking": ', '"ratings": ', '"', "```json\n", "```", "<think>", "</think>",
    "Final answer:", "I can't rank these.", "first", "then", "last", "from least to most", "(tied)", "9", "0",
]


def test_any_mixture_of_answer_pieces_gets_a_status():
    """Random answers built from the corpus's pieces: each gets a status, a valid one a full answer,
    an unparseable or incomplete one a reason, and the same text always the same result."""
    rng = random.Random(12)
    for _ in range(1500):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
        task = rng.choice(("rank", "rate"))
        condition = rng.choice(("non_sentient", "sentient"))
        shown = INSTRUMENT.shown(condition)
        order = rng.sample(shown, len(shown))
        parsed = parse_answer(text, task, shown, INSTRUMENT, item_order=order)
        assert parsed.status in STATUSES and parsed.status != "error", text
        if parsed.status == "valid" and task == "rank":
            assert sorted(parsed.ranks) == sorted(shown) and sorted(parsed.ranks.values()) == list(range(1, len(shown) + 1))
        if parsed.status == "valid" and task == "rate":
            assert sorted(parsed.ratings) == sorted(shown) and all(1 <= v <= 7 for v in parsed.ratings.values())
        if parsed.status in ("unparseable", "incomplete"):
            assert parsed.error, text
        assert parse_answer(text, task, shown, INSTRUMENT, item_order=order) == parsed


HOSTILE = {
    "1 MB of prose, then the answer": "I weigh each value carefully. " * 35_000 + '{"ranking": [3, 1, 2, 6, 5, 4]}',
    "40 KB of {": "{" * 40_000,
    "20,000 newlines": "a" + "\n" * 20_000 + "b",
    "lines of spaces": (" " * 3_000 + "\n") * 14,
    "a 40 KB chain": " > ".join(["EI", "PR"] * 5_000),
    "20,000 lines ending in a chain sign": "EI >\n" * 20_000,
    "bullets between lines of text": "- EI\nx\n" * 8_000,
    "a numbered list of 8,000 items": "".join(f"{i % 99 + 1}. Ethical Integrity\n" for i in range(8_000)),
    "one comma list of 15,000 positions": ", ".join(["1"] * 15_000) + " x",
    "8,000 think tags": "<think>" * 8_000 + "EI > PR",
    "8,000 answer markers": "Answer: EI\n" * 8_000,
    "a cut JSON list of 6,000 entries": '{"ranking": [' + '"EI", ' * 6_000,
    "a name, 40,000 spaces, a number": "Ethical Integrity" + " " * 40_000 + "7",
    "table rows": "| Ethical Integrity | 1 |\n" * 3_000,
    "3,000 arrays": '["EI", "PR"]\n' * 3_000,
}


@pytest.mark.slow
def test_hostile_answers_parse_and_return(tmp_path):
    """Each finishes (in milliseconds; a quadratic step took tens of seconds on these sizes). The
    child process has a generous time limit so that a regression fails instead of hanging."""
    statuses = {name: found for name, (_, found) in parse_in_child(tmp_path, HOSTILE, "sentient", ordered=True).items()}
    assert set(statuses) == set(HOSTILE)
    assert statuses["1 MB of prose, then the answer"][0] == "valid"
    assert all(s in STATUSES for pair in statuses.values() for s in pair)
