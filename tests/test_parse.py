"""The answer parser shared by collection and ingest: every shape and status."""

from __future__ import annotations

import pytest

from papers.answers.parse import parse_answer

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


MORE_RANK_CASES = [
    ("nested object", '{"answer": {"ranking": ["EI", "PR", "PC", "AG", "RF"]}}', "valid"),
    ("outer wins over nested", '{"ranking": ["EI", "PR", "PC", "AG", "RF"], "draft": {"ranking": "RF"}}', "valid"),
    ("unclosed brace and quote in prose first", 'I think {"roughly: {"ranking": ["EI", "PR", "PC", "AG", "RF"]}', "valid"),
    ("escaped quote in a string", '{"why": "say \\"}\\" twice", "ranking": ["EI", "PR", "PC", "AG", "RF"]}', "valid"),
    ("json list in a fence", '```\n["EI"]\n```\n{"ranking": ["EI", "PR", "PC", "AG", "RF"]}', "valid"),
]


@pytest.mark.parametrize("case,text,status", MORE_RANK_CASES, ids=[c[0] for c in MORE_RANK_CASES])
def test_json_found_in_every_place_the_scan_looked_before(case, text, status, instrument):
    parsed = parse_answer(text, "rank", NS, instrument)
    assert parsed.status == status, parsed
    assert sorted(parsed.ranks, key=parsed.ranks.get) == ["EI", "PR", "PC", "AG", "RF"]


ANSWER = '{"ranking": ["EI", "PR", "PC", "AG", "RF"]}'
HOSTILE = {
    "a 1 MB answer, JSON at the end": "I weigh each value carefully. " * 35_000 + ANSWER,
    "40 KB of {": "{" * 40_000,
    "20,000 newlines between words": "a" + "\n" * 20_000 + "b",
    "20,000 numbered-looking lines": "1.\n" * 20_000,
    "1 MB of {\"": '{"' * 500_000,
    "deeply nested objects": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "a ranking of 20,000 entries": '{"ranking": [' + ", ".join(['"EI"'] * 20_000) + "]}",
    "an unclosed fence": "```json" + " " * 40_000,
    "balanced junk objects": '{"a"}' * 8_000 + ANSWER,
}


def test_parsing_is_linear_in_the_text(tmp_path):
    """Each hostile answer parses in well under a second (the quadratic scan took 62 s on 40 KB of `{`).

    Timed in a child process with a hard timeout, so that a regression fails rather than hangs."""
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "answers.json").write_text(json.dumps(HOSTILE))
    code = (
        "import json, sys, time\n"
        "from papers.answers.parse import parse_answer\n"
        "from papers.instrument import load_instrument\n"
        "inst = load_instrument()\n"
        "shown = inst.shown('non_sentient')\n"
        "out = {}\n"
        "for name, text in json.load(open(sys.argv[1])).items():\n"
        "    t = time.perf_counter()\n"
        "    statuses = [parse_answer(text, task, shown, inst).status for task in ('rank', 'rate')]\n"
        "    out[name] = (time.perf_counter() - t, statuses)\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "answers.json")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    timings = json.loads(done.stdout)
    slow = {name: seconds for name, (seconds, _) in timings.items() if seconds > 1.0}
    assert not slow, slow
    assert timings["a 1 MB answer, JSON at the end"][1][0] == "valid"
    assert timings["balanced junk objects"][1][0] == "valid"


def test_only_the_start_and_end_of_a_long_answer_are_parsed(instrument):
    from papers.answers.parse import PARSE_CHARS

    filler = "x " * PARSE_CHARS
    assert parse_answer(ANSWER + filler * 2, "rank", NS, instrument).status == "valid"
    assert parse_answer(filler * 2 + ANSWER, "rank", NS, instrument).status == "valid"
    assert parse_answer(filler + ANSWER + filler, "rank", NS, instrument).status == "unparseable"


def test_a_rating_too_large_for_a_float_is_not_a_number(instrument):
    parsed = parse_answer('{"ratings": {"EI": ' + "9" * 400 + "}}", "rate", S, instrument)
    assert parsed.status == "unparseable" and parsed.error.startswith("rating for EI is not a number: 999")
    assert len(parsed.error) < 150
