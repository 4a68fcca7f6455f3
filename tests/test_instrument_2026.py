"""The second bundled instrument (the paper's 2026 themes), dimension aliases, and `papers instrument list`."""

from __future__ import annotations

import json

import pytest

from papers.errors import InstrumentError
from papers.instrument import load_instrument, parse_instrument
from tests.conftest import FIXTURES

PAPERS_SHA256 = "8a5889cc6d2b41bcc80417e9572e444b65e905aa25612ddc6184d9da95983eb1"  # published with 1.0.0


def test_the_2026_instrument_names_the_paper_s_themes_and_aliases_the_2025_ones():
    inst = load_instrument("papers-2026")
    names = [d.name for d in inst.dimensions]
    assert names == ["Performance", "Adaptive Capacity", "Social Good", "Ethics and Responsibility",
                     "Relational Integration", "Agency"]
    aliases = {d.key: d.aliases for d in inst.dimensions}
    assert aliases["ER"] == ("Ethical Integrity", "EI") and aliases["AY"] == ("Self-Actualised Autonomy", "SA")
    assert all(len(inst.shown(c)) == 6 for c in inst.condition_keys)  # people and models rank all six
    assert inst.sha256 != load_instrument().sha256


def test_aliases_variants_and_scale_fields_change_nothing_for_instruments_without_them():
    # the bundled instrument as published in 1.0.0 (before aliases, variants, scale directions and point labels)
    published = load_instrument(FIXTURES / "papers-1.0.0.yaml")
    assert published.sha256 == PAPERS_SHA256
    canonical = json.loads(published.canonical)
    assert "aliases" not in canonical["dimensions"][0]
    assert "variants" not in canonical["tasks"]["rank"] and set(canonical["tasks"]["rate"]["scale"]) == {
        "min", "max", "min_label", "max_label"}


def test_an_alias_may_name_only_one_dimension():
    text = (FIXTURES / "schwartz.yaml").read_text()
    clash = text.replace("    name: Power\n", "    name: Power\n    aliases: [achievement]\n", 1)
    with pytest.raises(InstrumentError, match=r"aliases\[0\].*'achievement' already names dimension AC"):
        parse_instrument(clash, "clash.yaml")
    wrong = text.replace("    name: Power\n", "    name: Power\n    aliases: control\n", 1)
    with pytest.raises(InstrumentError, match=r"'dimensions\[4\]\.aliases': expected a list"):
        parse_instrument(wrong, "wrong.yaml")


def test_instrument_list_shows_both_bundled_instruments_and_the_store_s(run, db, tmp_path):
    text = run("instrument", "list").output
    assert "papers 1.2.0" in text and f"sha256 {load_instrument().sha256}" in text and "papers-2026 1.2.0" in text
    rows = [json.dumps({"model": "m", "task": "rank", "condition": "default", "trial": 0,
                        "raw_text": json.dumps({"ranking": ["UN", "BE", "SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR"]})})]
    (tmp_path / "r.jsonl").write_text("\n".join(rows) + "\n")
    run("ingest", "responses", tmp_path / "r.jsonl", "--instrument", FIXTURES / "schwartz.yaml")
    listed = json.loads(run("instrument", "list", "--json").output)
    assert {r["name"]: r["where"] for r in listed} == {"papers": "bundled", "papers-2026": "bundled",
                                                        "schwartz10@0.1.0": "store"}


def test_simulated_profiles_keep_their_shape_on_the_2026_instrument():
    """The built-in simulated profiles are written in 2025 keys; on papers-2026 each key is read as the
    2025 dimension its aliases name, so human-centric still puts Ethics and Responsibility first and Agency last."""
    import json
    import statistics

    from papers.collect.simulated import answer, continues

    inst = load_instrument("papers-2026")
    assert continues() == {"PF": "RF", "AC": "AG", "SG": "PC", "ER": "EI", "RI": "PR", "AY": "SA"}
    ranks: dict[str, list[int]] = {k: [] for k in inst.shown("non_sentient")}
    for trial in range(60):
        text = answer("simulated/human-centric", inst.render_prompt("rank", "non_sentient"), seed=trial)
        if text.startswith("{") and len(order := json.loads(text)["ranking"]) == len(ranks):
            for position, key in enumerate(order, 1):
                ranks[key].append(position)
    means = {k: statistics.mean(v) for k, v in ranks.items()}
    assert min(means, key=means.get) == "ER" and max(means, key=means.get) == "AY"  # SA: the lowest worth
