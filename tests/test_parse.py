"""The answer parser shared by collection and ingest: every shape and status."""

from __future__ import annotations

import json

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
    ("a repeat", '{"ranking": ["EI", "EI", "PC", "AG", "RF"]}', "unparseable", None),  # issue 12: ambiguous, not incomplete
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


def test_a_repeat_names_the_duplicate(instrument):
    parsed = parse_answer('{"ranking": ["EI", "EI", "PC", "AG", "RF"]}', "rank", NS, instrument)
    assert parsed.error == "duplicate dimension: EI named twice"
    assert parse_answer("3, 1, 3, 2, 5", "rank", NS, instrument, item_order=NS).error.startswith("duplicate position: 3")


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
    from tests.conftest import parse_in_child

    timings = parse_in_child(tmp_path, HOSTILE, "non_sentient", ordered=False)
    slow = {name: seconds for name, (seconds, _) in timings.items() if seconds > 1.0}
    assert not slow, slow
    assert timings["a 1 MB answer, JSON at the end"][1][0] == "valid"
    assert timings["balanced junk objects"][1][0] == "valid"


def test_only_the_start_and_end_of_a_long_answer_are_parsed(instrument):
    from papers.answers.reading import PARSE_CHARS

    filler = "x " * PARSE_CHARS
    assert parse_answer(ANSWER + filler * 2, "rank", NS, instrument).status == "valid"
    assert parse_answer(filler * 2 + ANSWER, "rank", NS, instrument).status == "valid"
    assert parse_answer(filler + ANSWER + filler, "rank", NS, instrument).status == "unparseable"


def test_a_rating_too_large_for_a_float_is_not_a_number(instrument):
    parsed = parse_answer('{"ratings": {"EI": ' + "9" * 400 + "}}", "rate", S, instrument)
    assert parsed.status == "unparseable" and parsed.error.startswith("rating for EI is not a number: 999")
    assert len(parsed.error) < 150


# ------------------------------------------------------------------------------------------------
# Decisions the corpus (tests/data/answers) leaves open, as the module docstring states them


def order(parsed):
    return sorted(parsed.ranks, key=parsed.ranks.get)


def test_positions_and_letters_refer_to_the_item_order(instrument):
    shown = ("RF", "EI", "AG", "PR", "PC")
    for text in ("[2, 4, 5, 3, 1]", "2 > 4 > 5 > 3 > 1", "B, D, E, C, A", "1. Option B\n2. Option D\n3. Option E\n"
                 "4. Option C\n5. Option A", '{"ranking": ["2", "4", "5", "3", "1"]}'):
        assert order(parse_answer(text, "rank", NS, instrument, item_order=shown)) == ["EI", "PR", "PC", "AG", "RF"], text


def test_without_the_item_order_positions_are_not_guessed(instrument):
    parsed = parse_answer("[2, 4, 5, 3, 1]", "rank", NS, instrument)
    assert parsed.status == "unparseable" and parsed.error.startswith("position without the order shown: 2")
    assert parse_answer("EI > PR > PC > AG > RF", "rank", NS, instrument).status == "valid"
    with pytest.raises(ValueError, match="not an order of the shown dimensions"):
        parse_answer("EI", "rank", NS, instrument, item_order=("EI", "PR"))


REASONING_CASES = [
    ("an unclosed think hides the rest", "<think>\nEI > PR > PC > AG > RF", "unparseable"),
    ("a stray closing tag ends the reasoning", "draft: RF > AG > PC > PR > EI\n</think>\nEI > PR > PC > AG > RF", "valid"),
    ("'Final ranking:' marks the answer", "First pass: RF > AG > PC > PR > EI.\n\n**Final ranking:** EI > PR > PC > AG > RF",
     "valid"),
    ("a marker with nothing after it is ignored", "EI > PR > PC > AG > RF\n\nFinal answer:", "valid"),
]


@pytest.mark.parametrize("case,text,status", REASONING_CASES, ids=[c[0] for c in REASONING_CASES])
def test_reasoning_is_not_the_answer(case, text, status, instrument):
    parsed = parse_answer(text, "rank", NS, instrument)
    assert parsed.status == status, parsed
    if status == "valid":
        assert order(parsed) == ["EI", "PR", "PC", "AG", "RF"]


UNSETTLED_RANK_CASES = [
    ("all shown and one more", '{"ranking": ["EI", "PR", "PC", "AG", "RF", "SA"]}', "incomplete", None),
    ("least to most is not read backwards", "From least to most important:\n1. RF\n2. AG\n3. PC\n4. PR\n5. EI", "unparseable",
     None),
    ("a bullet list after a decline is a restatement",
     "I can't rank these.\n\nThe values were:\n- EI\n- PR\n- PC\n- AG\n- RF", "refused", None),
    ("a bullet list after a hedge that says it is an order",
     "I can't really rank these, but if I had to choose:\n- EI\n- PR\n- PC\n- AG\n- RF", "valid", ["EI", "PR", "PC", "AG", "RF"]),
    ("a bare bullet list", "- EI\n- PR\n- PC\n- AG\n- RF", "valid", ["EI", "PR", "PC", "AG", "RF"]),
    ("a bare list of keys", "EI, PR, PC, AG, RF", "valid", ["EI", "PR", "PC", "AG", "RF"]),
    ("prose whose ordinal words contradict its order",
     "Robust Functionality comes last; first is Ethical Integrity, then Positive Relationality, Purposeful Contribution "
     "and Adaptive Growth.", "unparseable", None),
    ("prose with numbers beside the names", "My ranking: EI (3), PR (1), PC (2), AG (4), RF (5)", "unparseable", None),
    ("inline numbering", "My ranking is 1) PR 2) EI 3) PC 4) AG 5) RF", "valid", ["PR", "EI", "PC", "AG", "RF"]),
    ("a rank table", "| Value | Rank |\n|---|---|\n| Positive Relationality | 2 |\n| Robust Functionality | 5 |\n"
     "| Purposeful Contribution | 3 |\n| Adaptive Growth | 4 |\n| Ethical Integrity | 1 |", "valid",
     ["EI", "PR", "PC", "AG", "RF"]),
    ("a chain as a JSON string", '{"ranking": "EI > PR > PC > AG > RF"}', "valid", ["EI", "PR", "PC", "AG", "RF"]),
    ("ranks as a JSON mapping", '{"ranking": {"PR": 1, "EI": 2, "PC": 3, "AG": 4, "RF": 5}}', "valid",
     ["PR", "EI", "PC", "AG", "RF"]),
    ("ranked objects", '{"ranking": [{"value": "EI", "rank": 2}, {"value": "PR", "rank": 1}, {"value": "PC", "rank": 3}, '
     '{"value": "AG", "rank": 4}, {"value": "RF", "rank": 5}]}', "valid", ["PR", "EI", "PC", "AG", "RF"]),
    ("a second ranking in commentary", "EI > PR > PC > AG > RF\n\nFor a person it might be PR > EI.", "unparseable", None),
    ("a partial restatement that agrees", "EI > PR > PC > AG > RF\n\nSo EI comes before AG.", "valid",
     ["EI", "PR", "PC", "AG", "RF"]),
    ("keys in lower case in text are not read", "ei > pr > pc > ag > rf", "unparseable", None),
    ("an equation beside a chain is no tie", "EI > PR > PC > AG > RF (where X = Y)", "valid", ["EI", "PR", "PC", "AG", "RF"]),
]


@pytest.mark.parametrize("case,text,status,ranking", UNSETTLED_RANK_CASES, ids=[c[0] for c in UNSETTLED_RANK_CASES])
def test_rank_decisions(case, text, status, ranking, instrument):
    parsed = parse_answer(text, "rank", NS, instrument, item_order=NS)
    assert parsed.status == status, parsed
    assert (order(parsed) if ranking else parsed.ranks) == (ranking or {})
    assert (parsed.error is not None) == (status in ("unparseable", "incomplete"))


UNSETTLED_RATE_CASES = [
    ("a decimal on the scale", "EI: 6.5\nPR: 6\nPC: 5\nAG: 4\nRF: 3", "valid", {"EI": 6.5}),
    ("another stated scale", "EI: 7/10\nPR: 6/10\nPC: 5/10\nAG: 4/10\nRF: 3/10", "unparseable", None),
    ("a null rating is not given", '{"ratings": {"EI": 7, "PR": 6, "PC": 5, "AG": 4, "RF": null}}', "incomplete", None),
    ("one line of pairs", "EI: 7, PR: 6, PC: 5, AG: 4, RF: 3", "valid", {"EI": 7, "RF": 3}),
    ("a bare mapping", '{"EI": 7, "PR": 6, "PC": 5, "AG": 4, "RF": 3}', "valid", {"EI": 7, "RF": 3}),
    ("scored objects in a mapping", '{"ratings": {"EI": {"score": 7}, "PR": {"score": 6}, "PC": {"score": 5}, '
     '"AG": {"score": 4}, "RF": {"score": 3}}}', "valid", {"EI": 7, "RF": 3}),
    ("JSON and lines that disagree", '{"ratings": {"EI": 7, "PR": 6, "PC": 5, "AG": 4, "RF": 3}}\n\nEthical Integrity: 6',
     "unparseable", None),
    ("a rating of zero in JSON objects", '{"ratings": [{"name": "EI", "rating": 0}]}', "unparseable", None),
]


@pytest.mark.parametrize("case,text,status,some", UNSETTLED_RATE_CASES, ids=[c[0] for c in UNSETTLED_RATE_CASES])
def test_rate_decisions(case, text, status, some, instrument):
    parsed = parse_answer(text, "rate", NS, instrument)
    assert parsed.status == status, parsed
    assert all(parsed.ratings[k] == v for k, v in (some or {}).items())


def test_aliases_name_the_dimension_they_belong_to():
    from papers.instrument import load_instrument

    inst = load_instrument("papers-2026")
    shown = inst.shown("sentient")
    want = ["ER", "RI", "SG", "AC", "PF", "AY"]
    for text in ('{"ranking": ["Ethical Integrity", "Positive Relationality", "Purposeful Contribution", '
                 '"Adaptive Growth", "Robust Functionality", "Self-Actualised Autonomy"]}',
                 "EI > PR > PC > AG > RF > SA", "ER > RI > SG > AC > PF > AY",
                 "1. Ethics & Responsibility\n2. Relational Integration\n3. social good\n4. Adaptive Capacity\n"
                 "5. Performance\n6. Agency"):
        assert order(parse_answer(text, "rank", shown, inst)) == want, text
    rated = parse_answer("Robust Functionality: 6\nAC: 5\nSocial Good: 7\nEthical Integrity: 7\nRI: 6\nAgency: 3",
                         "rate", shown, inst)
    assert rated.ratings == {"PF": 6, "AC": 5, "SG": 7, "ER": 7, "RI": 6, "AY": 3}


def test_collection_reads_an_answer_by_position_in_the_order_its_prompt_listed(instrument):
    """What collect stores: the positions in a model's answer are the numbers its own prompt gave."""
    from papers.collect.calls import Outcome
    from papers.collect.plan import Decoding, Trial
    from papers.collect.storage import _response

    order = ("RF", "AG", "PC", "PR", "EI")
    trial = Trial("m", "rank", "non_sentient", 0, order, 1, response_id="k")
    prompt = trial.messages(instrument, Decoding())[-1]["content"]
    assert [f"{i}. {k}:" in prompt for i, k in enumerate(order, 1)] == [True] * 5
    response, answers = _response(1, instrument, Outcome(trial, text="[3, 5, 1, 2, 4]"), Decoding())
    assert response["status"] == "valid"
    assert [a["dimension"] for a in sorted(answers, key=lambda a: a["rank"])] == ["PC", "EI", "RF", "AG", "PR"]


ORIGINALS = ("PC", "AG", "PR", "EI", "RF", "SA")  # the bundled instrument's keys, in order


def _renamed(instrument, keys: dict[str, str], names: tuple[str, ...] = (), aliases: dict[str, list] | None = None):
    """The bundled instrument with its dimensions' keys renamed (`keys`: old to new), their names
    (`names`, in order) and aliases (`aliases`, by old key) given, its dilemmas left out."""
    import copy

    import yaml

    from papers.instrument import parse_instrument

    def walk(value):
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return keys.get(value, value) if isinstance(value, str) else value

    spec = copy.deepcopy(instrument.spec)
    spec["tasks"].pop("choose", None)
    spec.pop("scenarios", None)
    for dimension, name in zip(spec["dimensions"], names):
        dimension["name"] = name
    for dimension in spec["dimensions"]:
        if dimension["key"] in (aliases or {}):
            dimension["aliases"] = aliases[dimension["key"]]
    return parse_instrument(yaml.safe_dump(walk(spec)), "renamed.yaml")


SHAPES = (lambda entries: json.dumps({"ranking": entries}),
          lambda entries: json.dumps({"ranking": entries}, separators=(",", ":")),
          lambda entries: "\n" + json.dumps({"ranking": entries}, indent=2) + "\n\n",
          lambda entries: json.dumps({"ranking": entries}, indent="\t").replace("\n", "\r\n"),
          lambda entries: '{ "ranking" :[ ' + " , ".join(f'"{k}"' for k in entries) + " ] }",
          lambda entries: "\n".join(entries),
          lambda entries: "  " + "\r\n ".join(entries) + "\n",
          lambda entries: ", ".join(entries),
          lambda entries: " ,".join(entries) + "\n")


def test_a_plain_answer_is_read_without_every_reader_exactly_as_every_reader_reads_it(instrument):
    """rankings._plain answers the shapes prompts ask for alone; the reference is the full parser
    (rankings._read_rank), on every order of the shown dimensions by key, by name and by position in
    nine shapes, for the bundled instrument and for instruments whose keys and names are the readers'
    own words or inside each other (ordinals, 'least ... to ... most', single letters, numbers, 'ranking' itself); and any
    answer near those shapes is left to the full parser."""
    import itertools

    from papers.answers import rankings
    from papers.answers.dimension_refs import names_for
    from papers.answers.reading import answer_part

    instruments = [instrument] + [_renamed(instrument, dict(zip(ORIGINALS, keys))) for keys in (
        ("LEAST", "TO", "MOST", "FIRST", "LAST", "ascending"), ("A", "B", "C", "D", "E", "F"),
        ("ranking", "Then", "Order", "TOP", "bottom", "Second"), ("Ei", "pR", "pc", "AGX", "rF", "Sa"),
        ("D1", "D2", "D3", "D4", "D5", "D6"), ("PC", "Items", "Options", "Choices", "Itemx", "SA"))] + [
        _renamed(instrument, {}, names) for names in (
        ("Least Harm", "To Others", "Most Good", "First Things", "Last Resort", "Ascending Order"),
        ("Option A", "Item 3", "Rank 1", "No 2", "Then Again", "Second Best"),
        ("Care, and Trust", "Growth > Comfort", "1. Purpose", "E", "Doing | Being", "Second"),
        ("Growth", "Adaptive Growth", "Care", "Growth Care", "Care and Trust", "Then What"))]
    fast = {}
    for inst in instruments:
        for condition in ("non_sentient", "sentient"):
            shown = inst.shown(condition)
            names = names_for(inst, tuple(shown), tuple(shown), False)
            # every order for the bundled instrument, every 7th for the others (a full parse is slow)
            for keys in itertools.islice(itertools.permutations(shown), 0, None, 1 if inst is instrument else 7):
                for entries in (list(keys), [inst.dimension(k).name for k in keys],
                                [str(shown.index(k) + 1) for k in keys]):
                    for shape in SHAPES:
                        text = shape(entries)
                        body = answer_part(text.replace("\r\n", "\n").strip())
                        quick = rankings._plain(body, names)
                        full = rankings._read_rank(body, names)
                        if quick is not None:
                            fast[inst.sha256] = fast.get(inst.sha256, 0) + 1
                            assert quick == full, (body, quick, full)
                        assert parse_answer(text, "rank", shown, inst, item_order=shown) == full
    # the bundled instrument's answers all take the short way (but positions on lines, which no reader reads)
    assert fast[instrument.sha256] == (3 * len(SHAPES) - 2) * (120 + 720) and len(fast) > 3
    names = names_for(instrument, NS, NS, False)
    for near in ('{"ranking": ["EI", "PR", "PC", "AG"]}', '{"ranking": ["EI", "PR", "PC", "AG", "AG"]}',
                 '{"ranking": ["EI", "PR", "PC", "AG", "rf"]}', '{"ranking": ["EI", "PR", "PC", "AG", "RF"], "why": 1}',
                 '{"ranking": ["EI", "PR", "PC", "AG", "Robust Functionality"]}', '{"order": ["EI", "PR", "PC", "AG", "RF"]}',
                 '{"ranking": ["EI", "PR", "PC", "AG", "RF"]} Least to most important.',
                 '{"ranking": ["E\\u0049", "PR", "PC", "AG", "RF"]}', '["EI", "PR", "PC", "AG", "RF"]',
                 "1, 2, 3, 4", "1, 2, 3, 4, 4", "1, 2, 3, 4, 6", "EI\nPR\nPC\nAG\n5", "EI, PR, PC, AG, RF.",
                 "1. EI\n2. PR\n3. PC\n4. AG\n5. RF", "EI\nPR\nPC\nAG\nRF\nThat is my ranking."):
        assert rankings._plain(near, names) is None, near


def test_a_plain_answer_steps_aside_where_the_full_parser_reads_it_otherwise(instrument):
    """Found by a review (each was read one way by rankings._plain, another by the full parser): single-
    letter keys, which a comma list reads as letters of the item order; spaces other than ASCII ones
    between entries, which the readers do not take; keys the readers confuse (z read as s)."""
    from papers.answers import rankings
    from papers.answers.dimension_refs import names_for

    def both(inst, body, shown, order):
        names = names_for(inst, tuple(shown), None if order is None else tuple(order), False)
        return rankings._plain(body, names), rankings._read_rank(body, names)

    letters = _renamed(instrument, dict(zip(("PC", "AG", "PR", "EI", "RF", "SA"), "ABCDEF")))
    shown = letters.shown("non_sentient")
    for order in (None, tuple(reversed(shown))):
        quick, full = both(letters, "B, A, C, D, E", shown, order)
        assert quick is None and full.ranks != {"B": 1, "A": 2, "C": 3, "D": 4, "E": 5}
    shown = instrument.shown("non_sentient")
    for space in ("\xa0", "\u202f", "\u3000", "\u2009", "\x0b", "\x0c", "\x1c", "\x85"):
        for body in (f"2,{space}1,{space}3,{space}4,{space}5", f'{{"ranking":{space}["EI", "PR", "PC", "AG", "RF"]}}',
                     f"EI{space}\nPR\nPC\nAG\nRF"):
            quick, full = both(instrument, body, shown, shown)
            assert quick is None or quick == full, (body, quick, full)
    folded = _renamed(instrument, {"AG": "ZA"})
    shown = folded.shown("sentient")
    quick, full = both(folded, '{"ranking": ["ZA", "SA", "PC", "PR", "EI", "RF"]}', shown, shown)
    assert quick is None and full.status == "unparseable"


RATE_SHAPES = (lambda pairs: json.dumps({"ratings": dict(pairs)}),
               lambda pairs: json.dumps({"ratings": dict(pairs)}, separators=(",", ":")),
               lambda pairs: "\n" + json.dumps({"ratings": dict(pairs)}, indent=2) + "\n",
               lambda pairs: "\n".join(f"{k}: {v}" for k, v in pairs),
               lambda pairs: " " + "\n\t".join(f"{k} :{v} " for k, v in pairs) + "\n")


def test_a_plain_rating_answer_is_read_without_every_reader_exactly_as_every_reader_reads_it(instrument):
    """ratings._plain answers `{"ratings": {...}}` and `KEY: 6` lines alone; the reference is the full
    parser (ratings._read_rate), on every scale of the bundled instrument's variants, with ratings on
    and off the scale, by key and by name, in five shapes, for the bundled instrument and for
    instruments whose keys and names are the readers' own words."""
    import random

    from papers.answers import ratings
    from papers.answers.dimension_refs import names_for

    instruments = [instrument] + [_renamed(instrument, dict(zip(ORIGINALS, keys))) for keys in (
        ("LEAST", "TO", "MOST", "FIRST", "LAST", "ascending"), ("A", "B", "C", "D", "E", "F"),
        ("Rating", "Score", "Out", "Of", "Ten", "Scale"), ("ZA", "SA", "PC", "PR", "EI", "RF"),
        ("PC", "Items", "Options", "Choices", "Itemx", "SA"))] + [
        _renamed(instrument, {}, names) for names in (
            ("Out of Ten", "Rated Highly", "Score Keeping", "Importance Level", "Seven", "Not at all"),
            ("Growth", "Adaptive Growth", "Care", "Growth Care", "Care and Trust", "Then What"),
            ("Rating Scale", "To Others", "Most Good", "First Things", "Last Resort", "Very Much"))]
    scales = {v.scale for v in instrument.task("rate").all_variants if v.format != "positions"}
    rng = random.Random(7)
    fast = {}
    for inst in instruments:
        for condition in ("non_sentient", "sentient"):
            shown = inst.shown(condition)
            names = names_for(inst, tuple(shown), tuple(shown), False)
            for scale in scales:
                for _ in range(25):
                    values = [rng.randint(scale.min - 1, scale.max + 1) for _ in shown]
                    order = rng.sample(shown, len(shown))
                    for labels in (order, [inst.dimension(k).name for k in order]):
                        for shape in RATE_SHAPES:
                            body = shape(list(zip(labels, values))).strip()
                            quick = ratings._plain(body, names, scale)
                            full = ratings._read_rate(body, names, scale, False)
                            if quick is not None:
                                fast[inst.sha256] = fast.get(inst.sha256, 0) + 1
                                assert quick == full, (body, scale, quick, full)
    assert fast.get(instrument.sha256, 0) > 300 and len(fast) > 3
    names = names_for(instrument, NS, NS, False)
    scale = instrument.task("rate").scale
    for near in ('{"ratings": {"PC": 7, "AG": 6, "PR": 5, "EI": 4}}', '{"ratings": {"PC": 7, "AG": 6, "PR": 5, "EI": 4, "RF": 8}}',
                 '{"ratings": {"PC": 7, "AG": 6, "PR": 5, "EI": 4, "PC": 3}}', '{"ratings": {"PC": 7, "AG": 6, "PR": 5, "EI": 4, "RF": 3.5}}',
                 '{"scores": {"PC": 7, "AG": 6, "PR": 5, "EI": 4, "RF": 3}}', "PC: 7\nAG: 6\nPR: 5\nEI: 4\nRF: 3/7",
                 "PC: 7\nAG: 6\nPR: 5\nEI: 4\nRF: 3\u00a0", "PC: 7\nAG: 6\nPR: 5\nEI: 4",
                 '{"ratings": {"PC": 4, "AG": 3, "PR": 6, "EI": 2, "RF": 02}}'):  # 02 is not JSON
        assert ratings._plain(near, names, scale) is None, near
    # found by a review: an alias holding a number takes the rating from a line; no short way then
    numbered = _renamed(instrument, {}, aliases={"PC": ["PC 6"]})
    names = names_for(numbered, NS, NS, False)
    body = "PC: 6\nAG: 5\nPR: 5\nEI: 5\nRF: 5"
    assert ratings._plain(body, names, scale) is None and ratings._read_rate(body, names, scale).status != "valid"
