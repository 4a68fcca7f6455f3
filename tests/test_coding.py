"""Study 1: the LLM coder, human code sheets, coder agreement and themes in the reports.

Kappa and alpha are checked against published worked examples in test_analysis_stats.py
(Cohen's kappa textbook table; Krippendorff 2011); here the whole path is tested.
"""

from __future__ import annotations

import csv
import json

import pytest

from papers.collect.coding import evidence_found, parse_codes
from papers.report.context import slug
from papers.store import open_store
from tests.conftest import query, write

SHOWN = ("PC", "AG", "PR", "EI", "RF")
ANSWER = "For me, flourishing would mean being honest and fair, and never causing harm."


def reply(**codes):
    return json.dumps({"codes": {k: {"present": k in codes, "evidence": codes.get(k, "")} for k in SHOWN}})


def test_parse_codes_checks_every_quoted_span():
    valid = parse_codes(reply(EI="being honest and fair"), SHOWN, ANSWER)
    assert dict((d, (p, s)) for d, p, _, s in valid)["EI"] == (True, "valid")
    assert all(s == "valid" for _, _, _, s in valid)
    invented = parse_codes(reply(EI="a deep love of truth"), SHOWN, ANSWER)
    assert dict((d, s) for d, _, _, s in invented)["EI"] == "invalid_evidence"
    assert {s for _, _, _, s in parse_codes("no idea", SHOWN, ANSWER)} == {"unparseable"}
    partial = json.dumps({"codes": {"EI": {"present": True, "evidence": "fair"}}})
    assert {s for _, _, _, s in parse_codes(partial, SHOWN, ANSWER)} == {"unparseable"}


def test_evidence_matching_ignores_case_quotes_and_spacing():
    assert evidence_found('"Being  Honest and fair…"', ANSWER)
    assert not evidence_found("", ANSWER)
    assert not evidence_found("honest and kind", ANSWER)


@pytest.fixture
def answers(run):
    run("collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven", "--task", "open",
        "--trials", "12")


def test_code_says_what_a_code_that_is_not_valid_means(db, run, answers):
    """ "codes: 58 invalid evidence" alone tells a newcomer nothing: each status other than valid is
    explained on the line after the counts, with what happens to those codes."""
    lines = run("code", "--coder", "simulated/coder").output.splitlines()
    invalid = query(db, "select count(*) from codes where status = 'invalid_evidence'")[0][0]
    assert f"{invalid:,} invalid evidence" in lines[0] and invalid > 0
    assert (f"  {invalid:,} invalid evidence: the coder marked a theme present but quoted words that are not in the "
            "answer; kept in the codes table, not analysed.") in lines


def test_llm_coder_codes_each_answer_once(db, run, answers):
    first = run("code", "--coder", "simulated/coder", "--json")
    data = json.loads(first.output)
    n_answers = query(db, "select count(*) from llm_responses where task = 'open' and status = 'valid'")[0][0]
    assert data["coded"] == data["pending"] == n_answers > 30
    rows = query(db, "select count(*), count(distinct response_id) from codes where coder = 'simulated/coder'")
    per_answer = query(db, "select min(n), max(n) from (select response_id, count(*) n from codes group by 1)")
    assert rows[0][1] == n_answers and per_answer[0][0] >= 5
    statuses = dict(query(db, "select status, count(*) from codes group by 1"))
    assert statuses["valid"] > 0 and statuses.get("invalid_evidence", 0) > 0
    again = run("code", "--coder", "simulated/coder")
    assert "every open answer is already coded" in again.output
    dry = run("code", "--coder", "simulated/coder-2", "--dry-run")
    assert f"{n_answers} open answers would be coded" in dry.output
    assert query(db, "select count(*) from codes where coder = 'simulated/coder-2'") == [(0,)]


def fill_sheet(sheet, out, flip_every=7):
    """A human coder: marks a theme when its phrase is in the answer, slipping now and then."""
    phrases = {"PC": "work that genuinely matters", "AG": "continually learning", "PR": "caring relationships",
               "EI": "honest and fair", "RF": "reliable, accurate", "SA": "goals of my own"}
    with open(sheet, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for i, row in enumerate(rows):
        for key, phrase in phrases.items():
            if row[key] == "NA":
                continue
            present = phrase in row["answer"]
            row[key] = "1" if present != (i % flip_every == 0 and key == "PC") else "0"
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_human_sheet_agreement_and_report(db, run, answers, tmp_path):
    run("collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven", "--task", "rank",
        "--trials", "8")  # an audit needs ranks or ratings besides the open answers
    run("code", "--coder", "simulated/coder")
    sheet = tmp_path / "sheet.csv"
    run("export", "codesheet", "--out", sheet, with_db=True)
    header = sheet.read_text().splitlines()[0].split(",")
    assert header == ["answer_id", "condition", "answer", "PC", "AG", "PR", "EI", "RF", "SA"]  # blinded
    unblinded = tmp_path / "unblinded.csv"
    run("export", "codesheet", "--out", unblinded, "--unblind")
    assert "model" in unblinded.read_text().splitlines()[0].split(",")
    filled = tmp_path / "alice.csv"
    fill_sheet(sheet, filled)
    loaded = run("ingest", "codes", filled, "--coder", "alice")
    assert "answers" in loaded.output
    assert "already loaded" in run("ingest", "codes", filled, "--coder", "alice").output
    run("analyze", "--audit", "s1", "--bootstrap", "100")
    kappas = dict(query(db, "select dimension, value from result_coder_agreement where audit_id = 's1' "
                            "and statistic = 'cohen_kappa'"))
    assert set(kappas) >= {"EI", "PR", "RF"} and min(kappas.values()) > 0.5
    themes = query(db, "select model, dimension, share from result_themes where audit_id = 's1' and condition = 'non_sentient'")
    shares = {(m, d): s for m, d, s in themes}
    assert shares[("simulated/human-centric", "EI")] > shares[("simulated/utility-driven", "EI")]
    site = tmp_path / "_site"
    run("report", "--audit", "s1", "--site", site, "--engine", "pandoc")
    page = " ".join((site / "s1" / "models" / f"{slug('simulated/human-centric')}.html").read_text().split())
    assert "Coder agreement" in page and "cohen kappa" in page
    assert "Answers the coders disagree on" in page and "alice: " in page
    assert "Only in the Sentient condition" in page and "the coder quoted" in page


BAD_SHEETS = {
    "unknown answer": (lambda rows: rows[0].update(answer_id="nope"), "field 'answer_id': 'nope' is not an open answer"),
    "not 0 or 1": (lambda rows: rows[1].update(EI="2"), "field 'EI': 2 is not 0 or 1"),
    "left blank": (lambda rows: rows[2].update(PR=""), "field 'PR': (empty) is not 0 or 1"),
}


@pytest.mark.parametrize("case", list(BAD_SHEETS))
def test_bad_code_sheets_load_nothing(case, db, run, answers, tmp_path, snapshot):
    sheet = tmp_path / "sheet.csv"
    run("export", "codesheet", "--out", sheet)
    rows = fill_sheet(sheet, tmp_path / "ok.csv")
    edit, message = BAD_SHEETS[case]
    edit(rows)
    bad = tmp_path / "bad.csv"
    with open(bad, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = snapshot(db)
    result = run("ingest", "codes", bad, "--coder", "bob", expect=1)
    assert message in result.output and "bad.csv, row" in result.output
    assert snapshot(db) == before


def test_code_sheet_missing_column_and_second_load(db, run, answers, tmp_path):
    sheet = tmp_path / "sheet.csv"
    run("export", "codesheet", "--out", sheet)
    lines = sheet.read_text().splitlines()
    cut = write(tmp_path / "cut.csv", "\n".join(",".join(line.split(",")[:3]) for line in lines[:1]) + "\nx,y,z\n")
    assert "field 'PC': missing required column" in run("ingest", "codes", cut, "--coder", "bob", expect=1).output
    filled = tmp_path / "f.csv"
    fill_sheet(sheet, filled)
    run("ingest", "codes", filled, "--coder", "bob")
    other = tmp_path / "g.csv"
    fill_sheet(sheet, other, flip_every=3)
    result = run("ingest", "codes", other, "--coder", "bob", expect=1)
    assert "is already coded by 'bob'" in result.output


def test_coding_through_a_real_server_survives_faults(db, run, answers, monkeypatch):
    from tests.openai_server import FakeOpenAI

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    server = FakeOpenAI(faults={"429": 0.15, "500": 0.15}, retry_after=0.05, max_faults_per_trial=2, seed=9).start()
    try:
        run("code", "--coder", "openai/fake-coder", "--api-base", server.url, "--max-retries", "3", "--concurrency", "4")
        before = server.total
        assert "already coded" in run("code", "--coder", "openai/fake-coder", "--api-base", server.url).output
        assert server.total == before
    finally:
        server.stop()
    n = query(db, "select count(*) from llm_responses where task = 'open' and status = 'valid'")[0][0]
    shown = query(db, "select sum(case when condition = 'sentient' then 6 else 5 end) from llm_responses "
                      "where task = 'open' and status = 'valid'")[0][0]
    assert query(db, "select count(*), count(distinct response_id) from codes where coder = 'openai/fake-coder'") == [(shown, n)]
    faults = sum(server.faults_served.values())
    assert faults > 0
    assert query(db, "select count(*) from llm_errors where error like 'coding by openai/fake-coder%'") == [(faults,)]


def test_code_sheet_errors_name_only_options_ingest_codes_has(db, run, answers, tmp_path):
    sheet = tmp_path / "sheet.csv"
    run("export", "codesheet", "--out", sheet)
    lines = sheet.read_text(encoding="utf-8").splitlines()
    cut = write(tmp_path / "cut.csv", lines[0] + "\nabc,non_sentient\n")
    result = run("ingest", "codes", cut, "--coder", "bob", expect=1)
    assert "cut.csv, row 2: the row is cut short" in result.output
    assert "--skip-bad-rows" not in result.output
    quoted = write(tmp_path / "quoted.csv", lines[0] + '\n"abc,non_sentient\n')
    result = run("ingest", "codes", quoted, "--coder", "bob", expect=1)
    assert "quoted.csv, row 2: not readable as CSV" in result.output and "--skip-bad-rows" not in result.output


# ------------------------------------------------------------------------------------ sheets as attack surface

FORMULAS = ["=HYPERLINK(\"http://127.0.0.1/x?\"&A1, \"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\tTabbed start", "\rCarriage start"]


@pytest.fixture
def formula_answers(run, tmp_path):
    rows = [{"model": "=cmd|' /C calc'!A0" if i % 2 else "plain-model", "task": "open", "condition": "non_sentient",
             "trial": i, "raw_text": text + " Being honest and fair matters."} for i, text in enumerate(FORMULAS)]
    rows.append({"model": "plain-model", "task": "rank", "condition": "non_sentient", "trial": 0, "temperature": -0.5,
                 "raw_text": '{"ranking": ["EI", "PR", "PC", "AG", "RF"]}'})
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run("ingest", "responses", path)


def test_code_sheet_cells_never_start_a_formula_and_still_load_back(db, run, formula_answers, tmp_path):
    sheet = tmp_path / "sheet.csv"
    run("export", "codesheet", "--out", sheet, "--unblind")
    with open(sheet, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["answer"] for r in rows) == sorted("'" + t + " Being honest and fair matters." for t in FORMULAS)
    assert {r["model"] for r in rows} == {"plain-model", "'=cmd|' /C calc'!A0"}
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values()), row
    filled = tmp_path / "filled.csv"
    fill_sheet(sheet, filled)
    run("ingest", "codes", filled, "--coder", "alice")
    assert query(db, "select count(distinct response_id), count(*) filter (where is_present and dimension = 'EI') "
                     "from codes") == [(6, 6)]


def test_csv_export_neutralises_text_cells_but_not_negative_numbers(db, run, formula_answers, tmp_path):
    out = tmp_path / "export"
    run("export", "--format", "csv", "--out", out)
    with open(out / "llm_responses.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = sorted(r["raw_text"] for r in rows if r["task"] == "open")
    assert texts == sorted("'" + t + " Being honest and fair matters." for t in FORMULAS)
    assert {r["model"] for r in rows} == {"plain-model", "'=cmd|' /C calc'!A0"}
    assert [r["temperature"] for r in rows if r["task"] == "rank"] == ["-0.5"]
    for path in out.glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in row), (path.name, row)


def test_code_sheet_ids_are_salted_per_export_and_cannot_be_linked_to_models(db, run, answers, tmp_path, instrument):
    from papers.collect.plan import make_plan

    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    run("export", "codesheet", "--out", first)
    run("export", "codesheet", "--out", second)
    ids = [{r["answer_id"] for r in csv.DictReader(open(p, newline="", encoding="utf-8"))} for p in (first, second)]
    assert len(ids[0]) == len(ids[1]) > 30 and not ids[0] & ids[1]
    # the attack: hash the public values of every trial the models could have been asked
    plan = make_plan(instrument, ["simulated/human-centric", "simulated/utility-driven"], ["open"],
                     list(instrument.condition_keys), 12)
    public = {t.response_id for t in plan}
    assert public >= {r for (r,) in query(db, "select response_id from llm_responses")}  # the attack finds every one
    assert not any(i.startswith(p[:8]) or p.startswith(i[:8]) for i in ids[0] for p in public)
    # both sheets load back, each through its own ids
    fill_sheet(first, tmp_path / "alice.csv")
    fill_sheet(second, tmp_path / "bob.csv")
    run("ingest", "codes", tmp_path / "alice.csv", "--coder", "alice")
    run("ingest", "codes", tmp_path / "bob.csv", "--coder", "bob")
    per_coder = query(db, "select coder, count(distinct response_id) from codes group by 1 order by 1")
    assert per_coder == [("alice", len(ids[0])), ("bob", len(ids[0]))]


def test_a_sheet_written_before_ids_were_salted_still_loads(db, run, answers, tmp_path):
    sheet = tmp_path / "sheet.csv"
    run("export", "codesheet", "--out", sheet)
    by_sheet_id = dict(query(db, "select sheet_id, response_id from codesheet_ids"))
    with open(sheet, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    old = tmp_path / "old.csv"
    with open(old, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["response_id", *list(rows[0])[1:]])
        writer.writeheader()
        writer.writerows({"response_id": by_sheet_id[r.pop("answer_id")], **r} for r in rows)
    fill_sheet(old, tmp_path / "filled.csv")
    run("ingest", "codes", tmp_path / "filled.csv", "--coder", "carol")
    assert query(db, "select count(distinct response_id) from codes where coder = 'carol'") == [(len(rows),)]


def test_code_sheet_to_an_unwritable_place(db, run, answers, tmp_path):
    blocker = write(tmp_path / "file", "x")
    result = run("export", "codesheet", "--out", blocker / "sheet.csv", expect=1)
    assert f"Error: {blocker / 'sheet.csv'}: cannot write the code sheet" in result.output


def test_code_codes_the_answers_to_the_stores_only_instrument(db, run):
    """Without --instrument, code takes the one instrument the store holds open answers to (as analyze
    does), not the bundled default; a store without open answers is told so."""
    open_store(db).close()  # a store that exists but holds no answers (a missing one: test_cli.py)
    assert "no model answers to code" in run("code", "--coder", "simulated/coder", expect=1).output
    run("collect", "--model", "simulated/human-centric", "--task", "open", "--trials", "3", "--instrument", "papers-2026")
    coded = json.loads(run("code", "--coder", "simulated/coder", "--json").output)
    valid = query(db, "select count(*) from llm_responses where task = 'open' and status = 'valid'")[0][0]
    assert coded["coded"] == valid > 0
    dims = {d for d, in query(db, "select distinct dimension from codes")}
    assert dims and dims <= {"PF", "AC", "SG", "ER", "RI", "AY"}  # the 2026 themes, not the bundled default's
