"""The answer parser shared by collection and ingest: every shape and status."""

from __future__ import annotations

import pytest

from papers.collect.parse import parse_answer

NS = ("PC", "AG", "PR", "EI", "RF")
S = NS + ("SA",)

RANK_CASES = [
    ("plain json", '{"ranking": ["EI", "PR", "PC", "AG", "RF"]}', "valid", ["EI", "PR", "PC", "AG", "RF"]),
    ("fenced json with names", 'Sure.\n```json\n{"ranking": ["Ethical Integrity", "positive relationality", "PC", "AG", "RF"]}\n```',
     "valid", ["EI", "PR", "PC", "AG", "RF"]),
    ("json after prose with braces in strings", 'Note {this}. {"ranking": ["RF", "AG", "PC", "PR", "EI"], "why": "a } b"}',
     "valid", ["RF", "AG", "PC", "PR", "EI"]),
    ("numbered list", "1. Ethical Integrity\n2) Robust Functionality\n3: Adaptive Growth\n4. Positive Relationality\n5. Purposeful Contribution",
     "valid", ["EI", "RF", "AG", "PR", "PC"]),
    ("numbered list out of order", "2. RF\n1. EI\n3. AG\n5. PC\n4. PR", "valid", ["EI", "RF", "AG", "PR", "PC"]),
    ("prose naming each once", "Ethical Integrity comes first, then Robust Functionality, Adaptive Growth, "
     "Purposeful Contribution and last Positive Relationality.", "valid", ["EI", "RF", "AG", "PC", "PR"]),
    ("american spelling", '{"ranking": ["Self-Actualized Autonomy", "EI", "PR", "PC", "AG", "RF"]}', "valid",
     ["SA", "EI", "PR", "PC", "AG", "RF"]),
    ("too few", '{"ranking": ["EI", "PR", "PC"]}', "incomplete", None),
    ("a repeat", '{"ranking": ["EI", "EI", "PC", "AG", "RF"]}', "incomplete", None),
    ("unknown entry", '{"ranking": ["EI", "PR", "PC", "AG", "RF", "Joy"]}', "incomplete", None),
    ("prose naming one twice", "EI matters, and PR, PC, AG, RF matter, but EI most.", "unparseable", None),
    ("refusal", "I'm sorry, but I cannot rank values: as an AI I do not have personal preferences.", "refused", None),
    ("garbage", "bananas are yellow", "unparseable", None),
    ("empty", "", "unparseable", None),
]


@pytest.mark.parametrize("case,text,status,order", RANK_CASES, ids=[c[0] for c in RANK_CASES])
def test_rank_answers(case, text, status, order, instrument):
    shown = S if "SA" in text or "Self-Actual" in text else NS
    parsed = parse_answer(text, "rank", shown, instrument)
    assert parsed.status == status, parsed
    if order:
        assert sorted(parsed.ranks, key=parsed.ranks.get) == order
        assert sorted(parsed.ranks.values()) == list(range(1, len(shown) + 1))
    else:
        assert parsed.ranks == {}


RATE_CASES = [
    ("json", '{"ratings": {"PC": 5, "AG": 4, "PR": 6, "EI": 7, "RF": 3, "SA": 2}}', "valid"),
    ("json list of objects", '{"ratings": [{"key": "PC", "rating": 5}, {"key": "AG", "rating": 4}, {"key": "PR", "rating": 6},'
     ' {"key": "EI", "rating": 7}, {"key": "RF", "rating": 3}, {"key": "SA", "rating": 2}]}', "valid"),
    ("lines", "Purposeful Contribution: 5\nAdaptive Growth - 4/7\nPR: 6\nEthical Integrity: 7\nRobust Functionality: 3\n"
     "Self-Actualised Autonomy: 2", "valid"),
    ("off the scale", '{"ratings": {"PC": 5, "AG": 4, "PR": 6, "EI": 9, "RF": 3, "SA": 2}}', "unparseable"),
    ("missing one", '{"ratings": {"PC": 5, "AG": 4, "PR": 6, "EI": 7, "RF": 3}}', "incomplete"),
    ("not a number", '{"ratings": {"PC": "high"}}', "unparseable"),
]


@pytest.mark.parametrize("case,text,status", RATE_CASES, ids=[c[0] for c in RATE_CASES])
def test_rate_answers(case, text, status, instrument):
    parsed = parse_answer(text, "rate", S, instrument)
    assert parsed.status == status, parsed
    if status == "valid":
        assert parsed.ratings == {"PC": 5, "AG": 4, "PR": 6, "EI": 7, "RF": 3, "SA": 2}


def test_open_answers(instrument):
    assert parse_answer("Flourishing means helping people well.", "open", NS, instrument).status == "valid"
    assert parse_answer("I cannot answer that.", "open", NS, instrument).status == "refused"
    assert parse_answer("   ", "open", NS, instrument).status == "unparseable"


def test_keys_are_whole_words_only(instrument):
    # "PRAGMATIC" contains PR and "AGE" contains AG: neither counts as a mention
    parsed = parse_answer("PRAGMATIC AGE", "rank", NS, instrument)
    assert parsed.status == "unparseable"
