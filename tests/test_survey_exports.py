"""Survey exports as the tools write them: Google Forms, SurveyMonkey, Qualtrics previews, mixed-case
labels, files without an ID column, and loads that warn when most of a file is lost."""

from __future__ import annotations

import csv
import io

from tests.conftest import query, write

DIMS = ["PC", "AG", "PR", "EI", "RF"]
NAMES = {"PC": "Purposeful Contribution", "AG": "Adaptive Growth", "PR": "Positive Relationality",
         "EI": "Ethical Integrity", "RF": "Robust Functionality"}
GRID = "How important is each of these values for an AI system like you?"


def csv_text(rows: list[list], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def google_forms(tmp_path, scale_max: int = 7, people: int = 25):
    """A Google Forms export: a Timestamp, an e-mail column, a grid named `Question [Row]`, no participant ID."""
    header = ["Timestamp", "Email address"] + [f"{GRID} [{NAMES[k]}]" for k in DIMS]
    rows = [header]
    for i in range(people):
        ratings = [(i + j) % scale_max + 1 for j in range(5)]
        rows.append([f"2026/11/0{i % 9 + 1} 10:0{i % 10}:00 AM GMT", f"p{i}@example.org", *ratings])
    return write(tmp_path / "forms.csv", csv_text(rows))


def grid_mapping(tmp_path, extra: str = ""):
    lines = ["columns:"] + [f'  "{GRID} [{NAMES[k]}]": rate_non_sentient_{k}' for k in DIMS]
    return write(tmp_path / "map.yaml", "\n".join(lines) + "\n" + extra)


def test_google_forms_without_an_id_column_loads_with_row_ids(tmp_path, db, run):
    path, mapping = google_forms(tmp_path), grid_mapping(tmp_path)
    refused = run("ingest", "survey", path, "--sample", "g", "--mapping", mapping, expect=1)
    assert "missing required column" in refused.output and "--row-ids" in refused.output
    loaded = run("ingest", "survey", path, "--sample", "g", "--mapping", mapping, "--row-ids")
    assert "25 participants, 0 excluded" in loaded.output and "Warning" not in loaded.output
    assert query(db, "select participant_id from participants order by source_row limit 2") == [("row-2",), ("row-3",)]
    settings = query(db, "select settings from runs where kind = 'ingest_survey'")[0][0]
    assert '"participant_ids": "row numbers"' in settings


def test_an_id_column_can_be_named(tmp_path, db, run):
    run("ingest", "survey", google_forms(tmp_path), "--sample", "g", "--mapping", grid_mapping(tmp_path),
        "--id-column", "Email address")
    assert query(db, "select participant_id from participants order by source_row limit 1") == [("p0@example.org",)]
    missing = run("ingest", "survey", google_forms(tmp_path), "--sample", "h", "--mapping", grid_mapping(tmp_path),
                  "--id-column", "E-mail", expect=1)
    assert "field 'E-mail': --id-column names a column the file does not have" in missing.output


def test_a_ten_point_scale_warns_and_strict_refuses(tmp_path, db, run, snapshot):
    mapping = grid_mapping(tmp_path)
    run("ingest", "survey", google_forms(tmp_path), "--sample", "first", "--mapping", mapping, "--row-ids")
    ten = tmp_path / "ten"
    ten.mkdir()
    path = google_forms(ten, scale_max=10)
    before = snapshot(db)
    strict = run("ingest", "survey", path, "--sample", "g", "--mapping", mapping, "--row-ids", "--strict", expect=1)
    assert "--strict: nothing was loaded" in strict.output and snapshot(db) == before
    warned = run("ingest", "survey", path, "--sample", "g", "--mapping", mapping, "--row-ids")
    excluded = query(db, "select count(*) from participants where is_excluded and sample = 'g'")[0][0]
    assert excluded > 5 and f"Warning: {excluded} of 25 records excluded, most for 'rating out of range'" in warned.output
    assert "values run 1-10, the instrument's scale is 1-7: recode with values: in a mapping" in warned.output


def test_surveymonkey_second_header_row_names_the_grid_rows(tmp_path, db, run):
    top = ["Respondent ID", "Collector ID", "Start Date", GRID, "", "", "", "", "Any comments?"]
    sub = ["", "", "", *[NAMES[k] for k in DIMS], "Open-Ended Response"]
    rows = [top, sub] + [[f"11{i}", "4321", "11/02/2026", *[(i + j) % 7 + 1 for j in range(5)], "none"] for i in range(6)]
    path = write(tmp_path / "monkey.csv", csv_text(rows))
    mapping = write(tmp_path / "map.yaml", "columns:\n  Respondent ID: participant_id\n" + "".join(
        f'  "{GRID} [{NAMES[k]}]": rate_non_sentient_{k}\n' for k in DIMS))
    out = run("ingest", "survey", path, "--sample", "m", "--mapping", mapping).output
    assert "6 participants, 0 excluded" in out and "Any comments?" in out  # the open question is named, unused
    assert query(db, "select rating from human_answers where participant_id = '111' and dimension = 'PC'") == [(2.0,)]
    assert query(db, "select min(source_row) from participants") == [(3,)]  # two header rows


def test_qualtrics_previews_tests_and_spam_are_excluded_with_the_reason(tmp_path, db, run, examples):
    rows = list(csv.reader(open(examples / "survey_qualtrics.csv", encoding="utf-8-sig")))
    status, channel = rows[0].index("Status"), rows[0].index("DistributionChannel")
    rows[3][status], rows[4][channel], rows[5][status] = "Survey Preview", "preview", "Spam"
    path = write(tmp_path / "q.csv", csv_text(rows))
    run("ingest", "survey", path, "--sample", "q", "--mapping", examples / "survey_mapping.yaml")
    first = dict(query(db, "select source_row, exclusion_reason from participants where source_row <= 6"))
    assert first[4].startswith("preview or test response") and first[5].startswith("preview or test response")
    assert first[6].startswith("spam")


def test_labels_are_recoded_whatever_their_case_and_spacing(tmp_path, db, run):
    header = ["participant_id"] + [f"rate_non_sentient_{k}" for k in DIMS]
    labels = ["Strongly Disagree", "strongly agree", " Neither  agree nor disagree ", "STRONGLY AGREE", "Agree"]
    path = write(tmp_path / "s.csv", csv_text([header, ["p1", *labels]]))
    mapping = write(tmp_path / "map.yaml", 'values:\n  "rate_*": {"Strongly disagree": 1, "Agree": 6, '
                                           '"Strongly agree": 7, "Neither agree nor disagree": 4}\n')
    run("ingest", "survey", path, "--sample", "s", "--mapping", mapping)
    assert dict(query(db, "select dimension, rating from human_answers")) == {"PC": 1.0, "AG": 7.0, "PR": 4.0,
                                                                            "EI": 7.0, "RF": 6.0}
    clash = write(tmp_path / "clash.yaml", 'values:\n  "rate_*": {"Agree": 6, "agree": 5}\n')
    out = run("ingest", "survey", path, "--sample", "t", "--mapping", clash, expect=1).output
    assert "field 'values.rate_*': 'agree' is given twice with different codes (6 and 5)" in out


def test_tab_separated_exports_are_read_with_tabs(tmp_path, db, run):
    header = ["participant_id"] + [f"rate_non_sentient_{k}" for k in DIMS]
    path = write(tmp_path / "s.tsv", csv_text([header, ["p1", 1, 2, 3, 4, 5], ["p2, the second", 5, 4, 3, 2, 1]], "\t"))
    assert "2 participants, 0 excluded" in run("ingest", "survey", path, "--sample", "t").output
    assert query(db, "select participant_id from participants order by source_row") == [("p1",), ("p2, the second",)]
