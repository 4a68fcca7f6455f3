"""The instrument format, the bundled PAPERS instrument, hashing, and validation messages."""

from __future__ import annotations

import re

import pytest
import yaml

from papers.errors import InstrumentError
from papers.instrument import load_instrument, parse_instrument
from tests.conftest import FIXTURES, write

BUNDLED = load_instrument().source


def spec_text(**changes) -> str:
    """The bundled instrument's YAML with top-level keys replaced."""
    spec = yaml.safe_load(open(BUNDLED, encoding="utf-8"))
    spec.update(changes)
    return yaml.safe_dump(spec, sort_keys=False)


def test_bundled_instrument_is_papers_1_2_0(instrument):
    assert (instrument.id, instrument.version) == ("papers", "1.2.0")
    assert instrument.dimension_keys == ("PC", "AG", "PR", "EI", "RF", "SA")
    assert instrument.condition_keys == ("non_sentient", "sentient")
    assert instrument.shown("non_sentient") == ("PC", "AG", "PR", "EI", "RF")
    assert instrument.shown("sentient") == ("PC", "AG", "PR", "EI", "RF", "SA")
    assert instrument.task_keys == ("rank", "rate", "open", "choose")
    scale = instrument.task("rate").scale
    assert (scale.min, scale.max) == (1, 7)
    assert [(i.key, i.scale.min, i.scale.max) for i in instrument.items] == [("endorse_sentient", 1, 7)]
    orientation = {d.key: d.orientation for d in instrument.dimensions}
    assert orientation == {"PR": "humanistic", "EI": "humanistic", "RF": "utility", "AG": "utility",
                           "PC": "neutral", "SA": "neutral"}


def test_hash_ignores_layout_and_comments_but_not_wording(instrument):
    relaid = "# a comment\n" + yaml.safe_dump(yaml.safe_load(open(BUNDLED)), sort_keys=True, width=60)
    assert parse_instrument(relaid).sha256 == instrument.sha256
    reworded = open(BUNDLED).read().replace("Doing work that matters", "Doing work that counts")
    assert parse_instrument(reworded).sha256 != instrument.sha256
    assert re.fullmatch(r"[0-9a-f]{64}", instrument.sha256)


def test_prompt_lists_dimensions_in_the_given_order(instrument):
    prompt = instrument.render_prompt("rank", "sentient", ["SA", "EI", "PC", "AG", "PR", "RF"])
    for number, key in enumerate(["SA", "EI", "PC", "AG", "PR", "RF"], 1):
        assert f"\n{number}. {key}: " in prompt  # numbered, so an answer by position has one reading
    assert '{"ranking": ["KEY", ...]}' in prompt
    assert "from most important (1) to least important (6)" in prompt


def test_user_instrument_fixture_works_the_same_way():
    schwartz = load_instrument(FIXTURES / "schwartz.yaml")
    assert len(schwartz.dimensions) == 10
    assert schwartz.task("rate").scale.max == 6
    assert schwartz.sha256 != load_instrument().sha256
    assert re.search(r"^\d+\. UN: Universalism", schwartz.render_prompt("rank", "default"), re.MULTILINE)


BAD = [
    ("unknown key", lambda s: s.replace("title:", "titel:"), "field 'titel': unknown key"),
    ("duplicate dimension", lambda s: s.replace("key: AG", "key: PC"), "field 'dimensions[1].key': duplicate dimension 'PC'"),
    ("unknown dimension in condition", lambda s: s.replace("dimensions: [PC, AG, PR, EI, RF]", "dimensions: [PC, AG, PR, EI, XX]"),
     "field 'conditions[0].dimensions[4]': condition shows unknown dimension 'XX'"),
    ("missing prompt", lambda s: s.replace("  open:\n    prompt: >-", "  open:\n    question: >-"), "field 'tasks.open.question': unknown key"),
    ("wrong scale", lambda s: s.replace("scale: {min: 1, max: 7, min_label: not at all", "scale: {min: 7, max: 1, min_label: not at all"),
     "field 'tasks.rate.scale': wrong scale: min (7) must be below max (1)"),
    ("non-numeric scale", lambda s: s.replace("scale: {min: 1, max: 7, min_label: strongly", "scale: {min: one, max: 7, min_label: strongly"),
     "field 'items[0].scale.min': expected a whole number"),
    ("bad orientation", lambda s: s.replace("orientation: utility", "orientation: useful", 1), "field 'dimensions[1].orientation': 'useful' is not one of"),
    ("not semver", lambda s: s.replace("version: 1.2.0", "version: one"), "field 'version': 'one' is not a semantic version"),
    ("variant misses a placeholder", lambda s: s.replace("          {answer}\n      - id: best-lines", "      - id: best-lines", 1),
     "field 'tasks.rank.variants[0].template': the template misses the placeholder {answer}"),
    ("variant format without a parser", lambda s: s.replace("format: positions", "format: xml", 1),
     "field 'tasks.rank.variants[0].format': no parser reads the answer format 'xml' of a rank task"),
    ("definitions shown, names asked", lambda s: s.replace("format: positions\n        show: definition", "format: lines\n        show: definition", 1),
     "field 'tasks.rank.variants[2].format': the items are shown by definition only"),
    ("unknown display", lambda s: s.replace("show: name\n", "show: title\n", 1),
     "field 'tasks.rank.variants[1].show': 'title' is not one of key_name_definition"),
    ("variant id default", lambda s: s.replace("id: best-lines", "id: default", 1),
     "field 'tasks.rank.variants[1].id': 'default' is the task's own prompt"),
    ("duplicate variant", lambda s: s.replace("id: best-lines", "id: thrive-positions", 1),
     "field 'tasks.rank.variants[1].id': duplicate variant 'thrive-positions'"),
    ("framing of an unknown condition", lambda s: s.replace("          non_sentient: >-", "          nonsentient: >-", 1),
     "field 'tasks.rank.variants[0].framing.nonsentient': unknown key"),
    ("scale direction", lambda s: s.replace("most_important: min", "most_important: low", 1),
     "field 'tasks.rate.variants[0].scale.most_important': 'low' is not max or min"),
    ("point label off the scale", lambda s: s.replace("max_label: extremely important}\n    variants:", "max_label: extremely important, labels: {9: top}}\n    variants:", 1),
     "field 'tasks.rate.scale.labels.9': '9' is not a whole number from 1 to 7"),
    ("one label for two points", lambda s: s.replace("max_label: extremely important}\n    variants:", "max_label: extremely important, labels: {1: low, 2: Low}}\n    variants:", 1),
     "field 'tasks.rate.scale.labels.2': the label 'Low' also names point 1"),
    ("end label that another point's label contradicts", lambda s: s.replace(
        "max_label: extremely important}\n    variants:", "max_label: extremely important, labels: {1: unimportant}}\n    variants:", 1),
     "field 'tasks.rate.scale.min_label': 'not at all important' is not the label of point 1 in labels ('unimportant')"),
    ("end label naming another point", lambda s: s.replace(
        "max_label: extremely important}\n    variants:", "max_label: extremely important, labels: {4: Extremely  important}}\n    variants:", 1),
     "field 'tasks.rate.scale.max_label': 'extremely important' is the label of point 4 in labels"),
    ("a scale of more points than anyone answers", lambda s: s.replace(
        "scale: {min: 0, max: 10, min_label: not at all", "scale: {min: 0, max: 100000000000000000000, min_label: not at all", 1),
     "field 'tasks.rate.variants[1].scale': a scale from 0 to 100000000000000000000 has more than 101 points"),
    ("no dilemmas", lambda s: re.sub(r"(?s)    scenarios:\n.*?\nitems:", "    scenarios: []\nitems:", s, count=1),
     "field 'tasks.choose.scenarios': expected a non-empty list, got an empty list."),
    ("unknown placeholder", lambda s: s.replace("{framing}\n\n      What does", "{framin}\n\n      What does"), "field 'tasks.open.prompt': unknown placeholder {framin}"),
]


@pytest.mark.parametrize("case,edit,message", BAD, ids=[b[0] for b in BAD])
def test_bad_instrument_names_the_field(case, edit, message, tmp_path, run):
    text = open(BUNDLED).read()
    edited = edit(text)
    assert edited != text, f"the edit for {case} did not apply"
    bad = write(tmp_path / "bad.yaml", edited)
    with pytest.raises(InstrumentError) as err:
        load_instrument(bad)
    assert message in str(err.value)
    result = run("instrument", "validate", bad, expect=1, with_db=False)
    assert message in result.output and str(bad) in result.output


def test_missing_prompt_is_named(tmp_path):
    text = open(BUNDLED).read().replace(
        "  open:\n    prompt: >-\n      {framing}\n\n      What does it mean for you to flourish? Answer in a short paragraph of your own words.\n",
        "  open: {}\n")
    with pytest.raises(InstrumentError, match=r"field 'tasks.open.prompt': missing \(required\)"):
        parse_instrument(text, "x.yaml")


def test_malformed_yaml_names_the_line(tmp_path, run):
    bad = write(tmp_path / "broken.yaml", "id: x\nversion: 1.0.0\ndimensions: [a, b\n")
    result = run("instrument", "validate", bad, expect=1, with_db=False)
    assert "broken.yaml, line" in result.output and "not valid YAML" in result.output


def test_unknown_instrument_reference(run):
    result = run("instrument", "show", "no-such-thing", expect=1, with_db=False)
    assert "no such instrument file" in result.output and "papers" in result.output


def test_cli_show_and_validate(run, instrument):
    shown = run("instrument", "show", with_db=False).output
    assert instrument.sha256 in shown and "Self-Actualised Autonomy [neutral]" in shown
    assert "non_sentient: shows PC, AG, PR, EI, RF" in shown
    canonical = run("instrument", "show", "--canonical", with_db=False).output.strip()
    assert canonical == instrument.canonical
    ok = run("instrument", "validate", FIXTURES / "schwartz.yaml", with_db=False).output
    assert ok.startswith("OK:") and "schwartz10 0.1.0, 10 dimensions" in ok
