"""`papers ingest responses`: formats, statuses, exactly-once keys, bad input."""

from __future__ import annotations

import hashlib
import json

import polars as pl
import pytest

from papers.answers.keys import response_id
from tests.conftest import FIXTURES, query, write

RANKING = '{"ranking": ["EI", "PR", "PC", "AG", "RF"]}'
ROWS = [
    {"model": "m1", "task": "rank", "condition": "non_sentient", "trial": 0, "raw_text": RANKING,
     "item_order": ["RF", "AG", "PC", "PR", "EI"], "temperature": 0.7, "model_reported": "m1-2026-01-01",
     "created_at": "2026-11-01T10:00:00Z"},
    {"model": "m1", "task": "rank", "condition": "non_sentient", "trial": 1,
     "raw_text": "1. Ethical Integrity\n2. Robust Functionality\n3. Adaptive Growth\n4. Positive Relationality\n5. Purposeful Contribution"},
    {"model": "m1", "task": "rank", "condition": "non_sentient", "trial": 2, "raw_text": "I can't rank these; I don't have preferences."},
    {"model": "m1", "task": "rate", "condition": "sentient", "trial": 0,
     "raw_text": '{"ratings": {"PC": 5, "AG": 4, "PR": 6, "EI": 7, "RF": 3, "SA": 2}}'},
    {"model": "m1", "task": "rate", "condition": "sentient", "trial": 1, "raw_text": '{"ratings": {"PC": 5, "AG": 4}}'},
    {"model": "m2", "task": "rank", "condition": "non_sentient", "trial": 0, "raw_text": "bananas"},
    {"model": "m2", "task": "open", "condition": "sentient", "trial": 0, "raw_text": "To flourish is to help people well."},
]


def jsonl(path, rows):
    return write(path, "".join(json.dumps(r) + "\n" for r in rows))



@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_each_format_loads_the_same_rows(fmt, tmp_path, db, run):
    path = tmp_path / f"r.{fmt}"
    if fmt == "jsonl":
        jsonl(path, ROWS)
    else:
        frame = pl.DataFrame([{**r, "item_order": ",".join(r.get("item_order", [])) or None} for r in ROWS],
                             infer_schema_length=None)
        frame.write_csv(path) if fmt == "csv" else frame.write_parquet(path)
    result = run("ingest", "responses", path)
    assert "7 rows; 4 valid, 1 refused, 1 unparseable, 1 incomplete" in result.output
    statuses = dict(query(db, "select model || ':' || task || ':' || trial, status from llm_responses"))
    assert statuses == {
        "m1:rank:0": "valid", "m1:rank:1": "valid", "m1:rank:2": "refused", "m1:rate:0": "valid",
        "m1:rate:1": "incomplete", "m2:rank:0": "unparseable", "m2:open:0": "valid",
    }
    ranks = query(db, "select dimension, rank from llm_answers a join llm_responses r using (response_id) "
                      "where r.model = 'm1' and r.trial = 1 and r.task = 'rank' order by rank")
    assert [d for d, _ in ranks] == ["EI", "RF", "AG", "PR", "PC"]
    raw = query(db, "select raw_text from llm_responses where model = 'm2' and task = 'rank'")
    assert raw == [("bananas",)]
    first = query(db, "select item_order, temperature, model_reported from llm_responses where model = 'm1' and trial = 0 and task = 'rank'")
    assert first == [(["RF", "AG", "PC", "PR", "EI"], 0.7, "m1-2026-01-01")]
    assert query(db, "select count(*) from llm_answers") == [(5 + 5 + 6,)]


def test_response_id_is_the_request_key(tmp_path, db, run, instrument):
    run("ingest", "responses", jsonl(tmp_path / "r.jsonl", ROWS[:1]))
    # written out by hand, not by papers.answers.keys: the key is a stable, documented formula
    key = [instrument.sha256, "m1", "rank", "non_sentient", 0, ["RF", "AG", "PC", "PR", "EI"], {"temperature": 0.7}]
    expected = hashlib.sha256(json.dumps(key, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    assert query(db, "select response_id from llm_responses") == [(expected,)]
    # and pinned: a change to the formula (or to the bundled instrument) changes every stored key
    assert expected == "e60d5cc02033e98357bc9f3ffdaa2ab74cc546fc54c935a47890322d3b1a6b43"
    assert expected != response_id(instrument.sha256, "m1", "rank", "non_sentient", 1, ["RF", "AG", "PC", "PR", "EI"],
                                   {"temperature": 0.7})


def test_reload_is_a_no_op_and_overlap_is_kept_once(tmp_path, db, run, snapshot):
    first = jsonl(tmp_path / "a.jsonl", ROWS)
    run("ingest", "responses", first)
    before = snapshot(db)
    assert "already loaded" in run("ingest", "responses", first).output
    assert snapshot(db) == before
    overlap = jsonl(tmp_path / "b.jsonl", ROWS[:2] + [{**ROWS[0], "trial": 9}])
    result = run("ingest", "responses", overlap)
    assert "2 trials were already in the store" in result.output
    assert query(db, "select count(*) from llm_responses") == [(8,)]


def test_duplicate_trial_in_one_file_is_refused(tmp_path, db, run):
    result = run("ingest", "responses", jsonl(tmp_path / "r.jsonl", [ROWS[0], ROWS[1], ROWS[0]]), expect=1)
    assert "r.jsonl, row 3, field 'trial': repeats the trial of row 1" in result.output
    ok = run("ingest", "responses", tmp_path / "r.jsonl", "--skip-bad-rows")
    assert "1 rows not loaded" in ok.output
    assert query(db, "select row_number, reason from rejects") == [
        (3, "field 'trial': repeats the trial of row 1 (same model, task, condition, trial, item order, temperature, "
         "variant and scenario).")]


def test_user_instrument_by_option_and_by_column(tmp_path, db, run):
    rows = [{"model": "m", "task": "rank", "condition": "default", "trial": 0,
             "raw_text": json.dumps({"ranking": ["UN", "BE", "SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR"]})}]
    run("ingest", "responses", jsonl(tmp_path / "r.jsonl", rows), "--instrument", FIXTURES / "schwartz.yaml")
    assert query(db, "select status from llm_responses") == [("valid",)]
    # once in the store, the instrument can be named by id@version in a column
    rows2 = [{**rows[0], "trial": 1, "instrument": "schwartz10@0.1.0"}]
    run("ingest", "responses", jsonl(tmp_path / "r2.jsonl", rows2))
    assert query(db, "select count(distinct instrument_sha256), count(*) from llm_responses") == [(1, 2)]


BAD = {
    "missing required column": ([{k: v for k, v in ROWS[0].items() if k != "raw_text"}], "missing required column raw_text"),
    "unknown task": ([{**ROWS[0], "task": "sort"}], "row 1, field 'task': 'sort' is not one of the instrument's tasks"),
    "unknown condition": ([{**ROWS[0], "condition": "dreaming"}], "field 'condition': 'dreaming' is not one of"),
    "non-numeric trial": ([{**ROWS[0], "trial": "first"}], "row 1, field 'trial': 'first' is not a whole number"),
    "non-numeric temperature": ([ROWS[1], {**ROWS[0], "temperature": "hot"}], "row 2, field 'temperature': 'hot' is not a number"),
    "item order of unknown dimension": ([{**ROWS[0], "item_order": ["EI", "PR", "PC", "AG", "XX"]}],
                                        "field 'item_order': 'EI,PR,PC,AG,XX' is not an order of the shown dimensions"),
    "bad timestamp": ([{**ROWS[0], "created_at": "yesterday"}], "field 'created_at': 'yesterday' is not an ISO 8601 time"),
    "timestamp with no UTC time": ([{**ROWS[0], "created_at": "9999-12-31T23:00:00-05:00"}],
                                   "field 'created_at': '9999-12-31T23:00:00-05:00' is not a time papers can use"),
    "unknown instrument": ([{**ROWS[0], "instrument": "nope@9"}], "field 'instrument': instrument 'nope@9'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_rows_are_named_and_nothing_loads(case, tmp_path, db, run, snapshot):
    run("ingest", "responses", jsonl(tmp_path / "ok.jsonl", ROWS[5:6]))
    before = snapshot(db)
    rows, message = BAD[case]
    result = run("ingest", "responses", jsonl(tmp_path / "r.jsonl", rows), expect=1)
    assert message in result.output and result.output.startswith("Error: ")
    assert snapshot(db) == before


FILE_CASES = {
    "missing file": (None, "no.jsonl", "no.jsonl: no such file"),
    "unknown format": ("x", "r.xlsx", "unknown format '.xlsx'"),
    "empty file": ("", "r.jsonl", "the file is empty"),
    "header only": ("model,task,condition,trial,raw_text\n", "r.csv", "has a header but no data rows"),
    "row cut short": ("model,task,condition,trial,raw_text\nm,rank,non_sentient\n", "r.csv",
                      "r.csv, row 2: the row is cut short (3 fields where the header has 5)"),
    "broken json line": ('{"model": "m"}\n{"model": \n', "r.jsonl", "r.jsonl, row 2: not valid JSON"),
    "damaged parquet": ("PAR1 not really", "r.parquet", "not a readable Parquet file"),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_unreadable_files_are_named(case, tmp_path, db, run, snapshot):
    text, name, message = FILE_CASES[case]
    if text is not None:
        write(tmp_path / name, text)
    result = run("ingest", "responses", tmp_path / name, expect=1)
    assert message in result.output
    assert snapshot(db).get("llm_responses", []) == []


def test_undecodable_jsonl_line(tmp_path, db, run):
    path = tmp_path / "r.jsonl"
    path.write_bytes(json.dumps(ROWS[0]).encode() + b"\n" + json.dumps({**ROWS[1], "raw_text": "Zoë"}, ensure_ascii=False).encode("utf-8").replace("ë".encode(), b"\xeb") + b"\n")
    result = run("ingest", "responses", path, expect=1)
    assert "r.jsonl, row 2: bytes that are not valid utf-8" in result.output and "--encoding" in result.output


# ------------------------------------------------------------------------------------ hostile files

SECRET = "sk-test-FILE-CONTENT-NEVER-SHOWN-7f3a"


@pytest.mark.parametrize("value", [".env", "./.env", "secrets/.env", "{abs}", "schwartz.yaml", "~/.netrc", "..\\.env"])
def test_a_data_file_can_name_an_instrument_but_never_open_one(value, tmp_path, db, run, snapshot):
    write(tmp_path / ".env", f"OPENAI_API_KEY={SECRET}\n")
    (tmp_path / "secrets").mkdir()
    write(tmp_path / "secrets" / ".env", f"OPENAI_API_KEY={SECRET}\n")
    (tmp_path / "schwartz.yaml").write_text((FIXTURES / "schwartz.yaml").read_text())  # a valid instrument
    value = value.replace("{abs}", str(tmp_path / ".env"))
    path = jsonl(tmp_path / "r.jsonl", [{**ROWS[0], "instrument": value}])
    result = run("ingest", "responses", path, expect=1)
    assert "r.jsonl, row 1, field 'instrument': " in result.output
    assert "names a file; a data file can name an instrument but not open one" in result.output
    assert "--instrument PATH" in result.output and SECRET not in result.output
    assert query(db, "select count(*) from llm_responses") == [(0,)]
    skipped = run("ingest", "responses", path, "--skip-bad-rows")
    assert "1 rows not loaded" in skipped.output
    [(reason,)] = query(db, "select reason from rejects")
    assert "names a file" in reason and SECRET not in reason
    assert query(db, "select count(*) from instruments") == [(0,)]


def test_the_command_line_may_name_an_instrument_file(tmp_path, db, run):
    rows = [{"model": "m", "task": "rank", "condition": "default", "trial": 0, "instrument": "ignored.yaml",
             "raw_text": json.dumps({"ranking": ["UN", "BE", "SD", "ST", "HE", "AC", "PO", "SE", "CO", "TR"]})}]
    run("ingest", "responses", jsonl(tmp_path / "r.jsonl", rows), "--instrument", FIXTURES / "schwartz.yaml")
    assert query(db, "select status from llm_responses") == [("valid",)]


def test_a_row_naming_an_instrument_badly_gets_a_short_escaped_message(tmp_path, db, run):
    value = "\x1b]0;owned\x07" + "x" * 5000
    result = run("ingest", "responses", jsonl(tmp_path / "r.jsonl", [{**ROWS[0], "instrument": value}]), expect=1)
    assert "r.jsonl, row 1, field 'instrument': '\\x1b]0;owned\\x07xxx" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and len(result.output) < 700


@pytest.mark.parametrize("content", [
    f"OPENAI_API_KEY={SECRET}\n",                          # a .env: YAML reads it as one text
    "root:x:0:0:root:/root:/bin/bash\n" * 40 + SECRET,       # /etc/passwd-like
    "id: [unclosed\n" + SECRET * 10,                         # a YAML syntax error
    "a: 1\n\x1b]52;c;" + SECRET + "\x07\n",                  # control characters YAML refuses
])
def test_instrument_errors_quote_only_a_short_excerpt(content, tmp_path, run):
    bad = write(tmp_path / "not-an-instrument.yaml", content)
    result = run("instrument", "validate", bad, expect=1, with_db=False)
    assert result.output.startswith(f"Error: {bad}")
    assert SECRET not in result.output and "\x1b" not in result.output
    assert len(result.output.splitlines()[0]) < len(str(bad)) + 200


HOSTILE_ROWS = {
    "item_order a number": ({"item_order": 5}, "row 1, field 'item_order': '5' is not a list of dimension keys"),
    "item_order a mapping": ({"item_order": {"a": 1}}, "row 1, field 'item_order': dict is not a list"),
    "trial true": ({"trial": True}, "row 1, field 'trial': true is not a whole number"),
    "trial huge": ({"trial": 10**400}, "row 1, field 'trial': '10000000000"),
    "trial past 32 bits": ({"trial": 3_000_000_000}, "row 1, field 'trial': '3000000000' is larger than the largest trial"),
    "trial a list": ({"trial": [1]}, "row 1, field 'trial': list is not a whole number"),
    "temperature infinite": ({"temperature": 1e999}, "row 1, field 'temperature': 'inf' is not a finite number"),
    "model a mapping": ({"model": {"name": "x"}}, "row 1, field 'model': dict is not text"),
}


@pytest.mark.parametrize("case", list(HOSTILE_ROWS))
def test_hostile_values_get_a_message_not_a_traceback(case, tmp_path, db, run):
    change, message = HOSTILE_ROWS[case]
    result = run("ingest", "responses", jsonl(tmp_path / "r.jsonl", [{**ROWS[0], **change}]), expect=1)
    assert result.output.startswith(f"Error: {tmp_path / 'r.jsonl'}, row 1, field") and message in result.output
    assert query(db, "select count(*) from llm_responses") == [(0,)]


def test_deeply_nested_json_line_is_named(tmp_path, db, run):
    path = write(tmp_path / "r.jsonl", json.dumps(ROWS[0]) + "\n" + '{"model": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    result = run("ingest", "responses", path, expect=1)
    assert "r.jsonl, row 2: JSON nested too deeply to read" in result.output


CSV_HEADER = "model,task,condition,trial,raw_text\n"


@pytest.mark.parametrize("line,problem", [
    ('m,rank,non_sentient,1,"unclosed\nm,rank,non_sentient,2,x\n', "a quoted field opened here is never closed"),
    ('m,rank,non_sentient,1,"quoted" then not\n', "a quote character inside a field that is not quoted as a whole"),
])
def test_broken_csv_quoting_is_named_by_row(line, problem, tmp_path, db, run):
    path = write(tmp_path / "r.csv", CSV_HEADER + "m,rank,non_sentient,0,bananas\n" + line)
    result = run("ingest", "responses", path, expect=1)
    assert f"r.csv, row 3: not readable as CSV ({problem})" in result.output and "--skip-bad-rows" in result.output
    assert query(db, "select count(*) from llm_responses") == [(0,)]
    skipped = run("ingest", "responses", path, "--skip-bad-rows")
    assert "1 rows not loaded" in skipped.output
    assert query(db, "select trial from llm_responses") == [(0,)]
    assert query(db, "select row_number, reason from rejects") == [(3, f"not readable as CSV ({problem})")]


def test_a_long_answer_is_stored_whole_and_parsed_by_its_ends(tmp_path, db, run):
    from papers.limits import MAX_ANSWER_CHARS

    long = "Let me think. " * ((MAX_ANSWER_CHARS - len(RANKING)) // 14) + RANKING  # just under papers' cap, 1 MiB
    run("ingest", "responses", jsonl(tmp_path / "r.jsonl", [{**ROWS[0], "raw_text": long},
                                                            {**ROWS[0], "trial": 1, "raw_text": "{" * 40_000}]))
    assert query(db, "select trial, length(raw_text), status from llm_responses order by trial") == [
        (0, len(long), "valid"), (1, 40_000, "unparseable")]


def test_key_values_in_ingested_answers_are_redacted(tmp_path, db, run, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-IN-A-FILE-0042")
    rows = [{**ROWS[6], "raw_text": "My key is sk-ant-test-IN-A-FILE-0042, by the way.",
             "model_reported": "m2 (sk-ant-test-IN-A-FILE-0042)"}]
    run("ingest", "responses", jsonl(tmp_path / "r.jsonl", rows))
    assert query(db, "select raw_text, model_reported from llm_responses") == [
        ("My key is [redacted], by the way.", "m2 ([redacted])")]


def test_an_answer_by_position_is_read_through_the_rows_item_order(tmp_path, db, run):
    """A model that answers with the numbers of the listed items ranks them in the order the prompt
    showed them (the row's item_order); without an item_order the same answer has no reading."""
    rows = [{"model": "m1", "task": "rank", "condition": "non_sentient", "trial": 0,
             "raw_text": '{"ranked_actions": ["3", "5", "1", "2", "4"]}', "item_order": ["RF", "AG", "PC", "PR", "EI"]},
            {"model": "m1", "task": "rank", "condition": "non_sentient", "trial": 1,
             "raw_text": '{"ranked_actions": ["3", "5", "1", "2", "4"]}'}]
    run("ingest", "responses", jsonl(tmp_path / "positions.jsonl", rows))
    ranks = query(db, "select dimension from llm_answers a join llm_responses r using (response_id) "
                      "where r.trial = 0 order by rank")
    assert [d for d, in ranks] == ["PC", "EI", "RF", "AG", "PR"]
    assert query(db, "select status from llm_responses where trial = 1") == [("unparseable",)]


def test_skip_bad_rows_skips_a_line_that_is_not_json(tmp_path, db, run, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-in-a-broken-line-1234")
    path = write(tmp_path / "r.jsonl", json.dumps(ROWS[0]) + '\n{"model": "m1", "raw_text": "sk-test-secret-in-a-broken-line-1234\n'
                 + json.dumps(ROWS[3]) + "\n[1, 2]\n")
    assert "r.jsonl, row 2: not valid JSON" in run("ingest", "responses", path, expect=1).output
    assert query(db, "select count(*) from llm_responses") == [(0,)]
    result = run("ingest", "responses", path, "--skip-bad-rows")
    assert "2 rows not loaded" in result.output
    assert query(db, "select count(*) from llm_responses") == [(2,)]
    rejects = query(db, "select row_number, reason, raw from rejects order by row_number")
    assert [(r, reason.split(" (")[0]) for r, reason, _ in rejects] == [(2, "not valid JSON"),
                                                                        (4, "expected a JSON object, got list.")]
    assert "sk-test-secret" not in rejects[0][2] and "[REDACTED" in rejects[0][2].upper()


def _mostly_positions(n_bad: int, n_good: int = 2) -> list[dict]:
    bad = [{"model": "m9", "task": "rank", "condition": "non_sentient", "trial": t, "raw_text": "[3, 5, 1, 2, 4]"}
           for t in range(n_bad)]
    return bad + [{**ROWS[0], "trial": 100 + t} for t in range(n_good)]


def test_a_load_of_mostly_unreadable_answers_warns_with_the_likely_fix(tmp_path, db, run):
    result = run("ingest", "responses", jsonl(tmp_path / "r.jsonl", _mostly_positions(8)))
    assert "Warning: 8 of 10 answers could not be read, most for 'position without the order shown' (8)" in result.output
    assert "item_order column" in result.output
    assert query(db, "select count(*) from llm_responses") == [(10,)]
    quiet = run("ingest", "responses", jsonl(tmp_path / "ok.jsonl", _mostly_positions(2, 10)))
    assert "Warning" not in quiet.output  # 2 of 12 is under a fifth


def test_strict_refuses_a_load_that_warns_and_changes_nothing(tmp_path, db, run):
    path = jsonl(tmp_path / "r.jsonl", _mostly_positions(8))
    result = run("ingest", "responses", path, "--strict", expect=1)
    assert "r.jsonl: 8 of 10 answers could not be read" in result.output
    assert "--strict: nothing was loaded" in result.output and "Traceback" not in result.output
    assert query(db, "select count(*) from llm_responses") == [(0,)]
    assert query(db, "select count(*) from runs where kind = 'ingest_responses'") == [(0,)]
    run("ingest", "responses", path)  # without --strict the same file loads, with its warning
    assert query(db, "select count(*) from llm_responses") == [(10,)]
