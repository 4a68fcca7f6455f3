"""`papers ingest survey`: layouts, exclusion rules, trust (all or nothing, re-load), bad input."""

from __future__ import annotations

import csv
import json
import os

import pytest

from tests.conftest import query, write

DIMS5 = ["PC", "AG", "PR", "EI", "RF"]
HEADER = ["participant_id"] + [f"rate_non_sentient_{k}" for k in DIMS5] + [f"rank_non_sentient_{k}" for k in DIMS5] + [
    "item_endorse_sentient", "finished", "attention_check_passed"]


def survey_csv(path, rows, header=HEADER):
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return write(path, "\n".join(lines) + "\n")


def good(pid, ratings=(5, 4, 6, 7, 3), ranks=(3, 4, 2, 1, 5), item=4, finished="true", attention="1"):
    return [pid, *ratings, *ranks, item, finished, attention]



def reasons(db):
    return dict(query(db, "select participant_id || '#' || copy, exclusion_reason from participants order by source_row"))


def test_plain_csv_loads_answers_items_and_exclusions(tmp_path, db, run):
    f = survey_csv(tmp_path / "s.csv", [
        good("p1"),
        good("p2", finished="false"),
        good("p3", attention="0"),
        good("p1"),                                   # a second copy of p1
        good("p4", ranks=(1, 1, 2, 3, 4)),            # a tie: not a permutation
        good("p5", ranks=(1, 2, "", "", "")),         # ranking left incomplete
        good("p6", ratings=(5, 4, 6, 9, 3)),          # off the 1-7 scale
        good("p7", item=8),
        good("p8", ratings=("",) * 5, ranks=("",) * 5, item=""),
        good("p9", ratings=(5, "", 6, 7, 3)),
    ])
    result = run("ingest", "survey", f, "--sample", "wave1")
    assert "9 participants, 9 excluded records, 1 duplicates" in result.output  # p1 twice: 10 records of 9 people
    assert reasons(db) == {
        "p1#1": None,
        "p2#1": "unfinished",
        "p3#1": "failed attention check",
        "p1#2": "duplicate participant (copy 2)",
        "p4#1": "invalid ranking (non_sentient)",
        "p5#1": "incomplete ranking (non_sentient)",
        "p6#1": "rating out of range (non_sentient)",
        "p7#1": "item endorse_sentient out of range",
        "p8#1": "no answers",
        "p9#1": "incomplete ratings (non_sentient)",
    }
    answers = query(db, "select task, dimension, rank, rating from human_answers where participant_id = 'p1' and copy = 1 order by task, dimension")
    assert ("rank", "EI", 1, None) in answers and ("rate", "EI", None, 7.0) in answers and len(answers) == 10
    assert query(db, "select count(*) from human_answers where participant_id = 'p8'") == [(0,)]
    assert query(db, "select value from human_items where participant_id = 'p7'") == [(8.0,)]
    assert query(db, "select source_row from participants where participant_id = 'p3'") == [(4,)]


def test_duplicates_across_files_continue_the_numbering(tmp_path, db, run):
    run("ingest", "survey", survey_csv(tmp_path / "a.csv", [good("p1"), good("p2")]), "--sample", "s")
    run("ingest", "survey", survey_csv(tmp_path / "b.csv", [good("p2"), good("p3")]), "--sample", "s")
    assert reasons(db)["p2#2"] == "duplicate participant (copy 2)"
    run("ingest", "survey", survey_csv(tmp_path / "c.csv", [good("p2")]), "--sample", "other")
    assert query(db, "select copy from participants where sample = 'other'") == [(1,)]


def test_reloading_the_same_file_changes_nothing(tmp_path, db, run, snapshot):
    f = survey_csv(tmp_path / "s.csv", [good("p1"), good("p2")])
    run("ingest", "survey", f, "--sample", "s")
    before = snapshot(db)
    again = run("ingest", "survey", f, "--sample", "s")
    assert "already loaded" in again.output and "nothing changed" in again.output
    assert snapshot(db) == before
    copy = write(tmp_path / "renamed.csv", f.read_text())
    assert "already loaded" in run("ingest", "survey", copy, "--sample", "s").output


def test_qualtrics_export_with_mapping_and_demographics(examples, db, run):
    result = run("ingest", "survey", examples / "survey_qualtrics.csv", "--sample", "example",
                 "--mapping", examples / "survey_mapping.yaml",
                 "--demographics", examples / "prolific_demographics.csv")
    assert "400 participants" in result.output and "3 duplicates" in result.output
    rows = query(db, "select count(*), count(*) filter (where is_excluded), "
                     "count(*) filter (where exclusion_reason like '%unfinished%'), "
                     "count(*) filter (where exclusion_reason like '%attention%') from participants")
    total, excluded, unfinished, attention = rows[0]
    assert total == 403 and 30 < excluded < 80 and unfinished > 10 and attention > 5
    # Qualtrics rows start under three header rows; the first data record is row 4
    assert query(db, "select min(source_row) from participants") == [(4,)]
    attrs = query(db, "select attributes from participants where attributes is not null limit 1")[0][0]
    assert {"Age", "Sex", "Nationality"} <= set(json.loads(attrs))
    sentient = query(db, "select count(distinct dimension) from human_answers where condition = 'sentient'")
    assert sentient == [(6,)]


def test_qualtrics_text_is_recoded_by_the_mapping(tmp_path, db, run):
    header = ["ResponseId", "Finished", "Progress"] + [f"Q1_{i}" for i in range(5)]
    text = ["Response ID", "Finished", "Progress"] + [f"Importance of {k}" for k in DIMS5]
    ids = ['{"ImportId":"_recordId"}', '{"ImportId":"finished"}', '{"ImportId":"progress"}'] + [
        f'{{"ImportId":"QID1_{i}"}}' for i in range(5)]
    rows = [["R_1", "True", "100", "Very", "Not at all", "Very", "Extremely", "Very"],
            ["R_2", "False", "40", "Very", "", "", "", ""]]
    f = tmp_path / "q.csv"
    with open(f, "w", newline="", encoding="utf-8") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows([header, text, ids, *rows])
    mapping = write(tmp_path / "m.yaml", "columns:\n" + "".join(
        f"  Q1_{i}: rate_non_sentient_{k}\n" for i, k in enumerate(DIMS5)) +
        'values:\n  "rate_*": {"Not at all": 1, "Very": 6, "Extremely": 7}\n')
    run("ingest", "survey", f, "--sample", "q", "--mapping", mapping)
    assert query(db, "select rating from human_answers where participant_id = 'R_1' order by dimension") == [
        (1.0,), (7.0,), (6.0,), (6.0,), (6.0,)]  # AG, EI, PC, PR, RF
    assert reasons(db)["R_2#1"] == "unfinished; incomplete ratings (non_sentient)"


def test_skip_bad_rows_keeps_them_in_rejects(tmp_path, db, run):
    f = write(tmp_path / "s.csv", ",".join(HEADER) + "\n" + ",".join(map(str, good("p1"))) + "\n"
              + "p2,5,4\n" + ",".join(map(str, good("p3", ratings=(5, "high", 6, 7, 3)))) + "\n")
    result = run("ingest", "survey", f, "--sample", "s", "--skip-bad-rows")
    assert "2 rows not loaded" in result.output
    rejects = query(db, "select row_number, reason from rejects order by row_number")
    assert rejects[0][0] == 3 and "cut short" in rejects[0][1]
    assert rejects[1][0] == 4 and "field 'rate_non_sentient_AG': 'high' is not a number" in rejects[1][1]
    assert query(db, "select participant_id from participants") == [("p1",)]


# ------------------------------------------------------------------------------------ bad input

BAD_CASES = {
    "missing file": (None, "no such file"),
    "unknown format": ("survey.xlsx", "unknown format '.xlsx'"),
    "empty file": ("", "the file is empty"),
    "header only": (",".join(HEADER) + "\n", "has a header but no data rows"),
    "row cut short": (",".join(HEADER) + "\n" + ",".join(map(str, good("p1"))) + "\np2,5,4\n",
                      "s.csv, row 3: the row is cut short (3 fields where the header has 14)"),
    "missing required column": ("\n".join([",".join(HEADER[1:]), ",".join(map(str, good("p1")[1:]))]) + "\n",
                                "field 'participant_id': missing required column"),
    "non-numeric value": (",".join(HEADER) + "\n" + ",".join(map(str, good("p1", ranks=(1, 2, "three", 4, 5)))) + "\n",
                          "s.csv, row 2, field 'rank_non_sentient_PR': 'three' is not a number"),
    "unknown dimension column": (",".join(HEADER + ["rate_non_sentient_XY"]) + "\n" + ",".join(map(str, good("p1") + [3])) + "\n",
                                 "field 'rate_non_sentient_XY': the instrument papers has no dimension 'XY'"),
    "dimension not shown in condition": (",".join(HEADER + ["rank_non_sentient_SA"]) + "\n" + ",".join(map(str, good("p1") + [3])) + "\n",
                                         "dimension SA is not shown in condition non_sentient"),
    "unknown item": (",".join(HEADER + ["item_mood"]) + "\n" + ",".join(map(str, good("p1") + [3])) + "\n",
                     "has no survey item 'mood'"),
    "bad flag": (",".join(HEADER) + "\n" + ",".join(map(str, good("p1", finished="maybe"))) + "\n",
                 "field 'finished': 'maybe' is not yes/no"),
    "fractional rank": (",".join(HEADER) + "\n" + ",".join(map(str, good("p1", ranks=(1, 2, 3, 4, 4.5)))) + "\n",
                        "'4.5' is not a whole number"),
    "empty participant id": (",".join(HEADER) + "\n" + ",".join(map(str, good(""))) + "\n",
                             "field 'participant_id': 'None' is empty"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_survey_input_is_named_and_loads_nothing(case, tmp_path, db, run, snapshot):
    run("ingest", "survey", survey_csv(tmp_path / "ok.csv", [good("p0")]), "--sample", "s")
    before = snapshot(db)
    text, message = BAD_CASES[case]
    name = "survey.xlsx" if case == "unknown format" else "s.csv"
    path = tmp_path / name
    if text is not None:
        write(path, text)
    result = run("ingest", "survey", path, "--sample", "s", expect=1)
    assert message in result.output, result.output
    assert result.output.startswith("Error: ")
    assert "Hint: " in result.output or case in ("missing file",)
    assert snapshot(db) == before


def test_undecodable_bytes_get_an_encoding_hint(tmp_path, db, run, snapshot):
    path = tmp_path / "latin.csv"
    text = ",".join(HEADER) + "\n" + ",".join(map(str, good("Zoë"))) + "\n"
    path.write_bytes(text.encode("cp1252"))
    result = run("ingest", "survey", path, "--sample", "s", expect=1)
    assert "latin.csv, row 2: bytes that are not valid utf-8 (byte 0xeb at offset" in result.output
    assert "--encoding cp1252" in result.output
    assert not db.exists() or snapshot(db).get("participants") == []
    run("ingest", "survey", path, "--sample", "s", "--encoding", "cp1252")
    assert query(db, "select participant_id from participants") == [("Zoë",)]


def test_excel_bom_and_crlf_are_read(tmp_path, db, run):
    text = ",".join(HEADER) + "\r\n" + ",".join(map(str, good("p1"))) + "\r\n"
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    run("ingest", "survey", tmp_path / "bom.csv", "--sample", "s")
    assert query(db, "select participant_id, exclusion_reason from participants") == [("p1", None)]


def test_bad_mapping_file_is_named(tmp_path, db, run):
    f = survey_csv(tmp_path / "s.csv", [good("p1")])
    mapping = write(tmp_path / "m.yaml", "columns:\n  Q9: rate_non_sentient_PC\n")
    result = run("ingest", "survey", f, "--sample", "s", "--mapping", mapping, expect=1)
    assert "m.yaml: field 'columns.Q9': the survey file has no column 'Q9'" in result.output
    mapping = write(tmp_path / "m2.yaml", "rename:\n  a: b\n")
    result = run("ingest", "survey", f, "--sample", "s", "--mapping", mapping, expect=1)
    assert "m2.yaml: field 'rename': unknown key" in result.output


def test_demographics_with_repeated_participant_is_refused(tmp_path, db, run):
    f = survey_csv(tmp_path / "s.csv", [good("p1")])
    demo = write(tmp_path / "d.csv", "Participant id,Age\np1,30\np1,31\n")
    result = run("ingest", "survey", f, "--sample", "s", "--demographics", demo, expect=1)
    assert "d.csv, row 3, field 'Participant id': participant 'p1' appears twice" in result.output


def test_quoted_multiline_fields_keep_row_numbers(tmp_path, db, run):
    header = HEADER + ["comment"]
    rows = [good("p1") + ['"fine"'], good("p2") + ['"two\nlines"'], good("p3", ranks=(1, 2, "x", 4, 5)) + ['""']]
    text = ",".join(header) + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"
    result = run("ingest", "survey", write(tmp_path / "s.csv", text), "--sample", "s", expect=1)
    # spreadsheet numbering: the header is row 1 and p3 is row 4, however many lines p2's comment spans
    assert "s.csv, row 4, field 'rank_non_sentient_PR'" in result.output


# ------------------------------------------------------------------------------------ hostile input


@pytest.mark.parametrize("value,problem", [("NaN", "is not a finite number"), ("inf", "is not a finite number"),
                                           ("-Infinity", "is not a finite number"),
                                           ("1e308", "is not a rank (far outside 1 to 1,000,000)")])
def test_non_finite_or_absurd_rank_cells_are_named(value, problem, tmp_path, db, run, snapshot):
    run("ingest", "survey", survey_csv(tmp_path / "ok.csv", [good("p0")]), "--sample", "s")
    before = snapshot(db)
    path = survey_csv(tmp_path / "s.csv", [good("p1"), good("p2", ranks=(1, 2, value, 4, 5))])
    result = run("ingest", "survey", path, "--sample", "s", expect=1)
    assert f"s.csv, row 3, field 'rank_non_sentient_PR': '{value}' {problem}." in result.output
    assert snapshot(db) == before
    run("ingest", "survey", path, "--sample", "s", "--skip-bad-rows")
    assert query(db, "select participant_id from participants where run_id = (select max(run_id) from runs)") == [("p1",)]


def test_non_finite_ratings_are_named(tmp_path, db, run):
    path = survey_csv(tmp_path / "s.csv", [good("p1", ratings=(5, 4, "nan", 7, 3))])
    result = run("ingest", "survey", path, "--sample", "s", expect=1)
    assert "s.csv, row 2, field 'rate_non_sentient_PR': 'nan' is not a finite number." in result.output


def test_survey_with_an_unclosed_quote_is_named(tmp_path, db, run):
    text = ",".join(HEADER) + "\n" + ",".join(map(str, good("p1"))) + '\n"p2,5,4\n' + ",".join(map(str, good("p3"))) + "\n"
    result = run("ingest", "survey", write(tmp_path / "s.csv", text), "--sample", "s", expect=1)
    assert "s.csv, row 3: not readable as CSV (a quoted field opened here is never closed)" in result.output


def test_reloading_with_demographics_changes_nothing(tmp_path, db, run, snapshot):
    f = survey_csv(tmp_path / "s.csv", [good("p1"), good("p2")])
    demo = write(tmp_path / "d.csv", "Participant id,Age\np1,30\np2,41\n")
    run("ingest", "survey", f, "--sample", "s")
    before = snapshot(db)
    again = run("ingest", "survey", f, "--sample", "s", "--demographics", demo)
    assert "already loaded" in again.output and "d.csv was not joined" in again.output
    assert snapshot(db) == before
    run("ingest", "survey", f, "--sample", "t", "--demographics", demo)
    before = snapshot(db)
    for extra in (["--demographics", demo], []):
        assert "already loaded" in run("ingest", "survey", f, "--sample", "t", *extra).output
    assert snapshot(db) == before
    assert query(db, "select count(*), max(copy) from participants") == [(4, 1)]


@pytest.mark.slow  # a process that has ended gives the pid of a killed load
def test_staging_left_by_a_killed_load_is_removed_by_the_next(tmp_path, db, run, monkeypatch):
    import subprocess
    import sys
    import tempfile

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = temp / f"papers-survey-{dead_pid}-abc123"
    stale.mkdir()
    (stale / "participants-000001.parquet").write_bytes(b"x" * 1000)
    (temp / f"papers-copy-{dead_pid}-def456.csv").write_text("x")
    live = temp / f"papers-survey-{os.getpid()}-live"  # a load running now in this process: kept
    live.mkdir()
    other = temp / "someone-else-1-2"
    other.mkdir()
    run("ingest", "survey", survey_csv(tmp_path / "s.csv", [good("p1")]), "--sample", "s")
    assert sorted(p.name for p in temp.iterdir()) == sorted([live.name, other.name])
