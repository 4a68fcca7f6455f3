"""A `.tsv` file is read as tab-separated: a survey and a responses file, each with commas inside
fields, load the same rows as their CSV twins would (the alternative the issue allows, refusing
.tsv with a message, would make these tests fail on purpose)."""

from __future__ import annotations

import json

from tests.conftest import query, write

DIMS = ["PC", "AG", "PR", "EI", "RF"]
HEADER = (["participant_id"] + [f"rate_non_sentient_{k}" for k in DIMS] + [f"rank_non_sentient_{k}" for k in DIMS]
          + ["finished", "comment"])


def test_a_tsv_survey_is_split_on_tabs(tmp_path, db, run):
    rows = [["p1", 5, 4, 6, 7, 3, 3, 4, 2, 1, 5, "true", "fine, thanks"],
            ["p2", 6, 3, 6, 6, 4, 2, 5, 1, 3, 4, "false", "stopped, sorry"]]
    text = "\t".join(HEADER) + "\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows)
    run("ingest", "survey", write(tmp_path / "wave.tsv", text), "--sample", "s")
    assert query(db, "select participant_id, exclusion_reason from participants order by 1") == [
        ("p1", None), ("p2", "unfinished")]
    assert query(db, "select dimension, rank, rating from human_answers where participant_id = 'p1' and task = 'rank'"
                     " order by rank") == [("EI", 1, None), ("PR", 2, None), ("PC", 3, None), ("AG", 4, None),
                                            ("RF", 5, None)]


def test_a_tsv_responses_file_is_split_on_tabs(tmp_path, db, run):
    answer = json.dumps({"ranking": ["EI", "PR", "PC", "AG", "RF"]})  # commas inside the field
    lines = ["model\ttask\tcondition\ttrial\traw_text"] + [f"m\trank\tnon_sentient\t{t}\t{answer}" for t in range(3)]
    run("ingest", "responses", write(tmp_path / "answers.tsv", "\n".join(lines) + "\n"))
    assert query(db, "select trial, status, raw_text from llm_responses order by trial") == [
        (t, "valid", answer) for t in range(3)]
    assert query(db, "select dimension, rank from llm_answers inner join llm_responses using (response_id) "
                     "where trial = 0 order by rank") == [("EI", 1), ("PR", 2), ("PC", 3), ("AG", 4), ("RF", 5)]
