"""The bundled example data: synthetic, labelled, and reproducible from its script."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

FILES = ["survey_qualtrics.csv", "prolific_demographics.csv", "model_responses.jsonl"]


def test_script_reproduces_the_bundled_files(tmp_path, examples):
    subprocess.run([sys.executable, str(examples / "make_examples.py"), str(tmp_path)], check=True, capture_output=True)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (examples / name).read_bytes(), name


def test_files_and_readme_say_synthetic(examples):
    assert "[SYNTHETIC]" in (examples / "survey_qualtrics.csv").read_text().splitlines()[1]
    assert '"synthetic": true' in (examples / "model_responses.jsonl").read_text().splitlines()[0]
    assert "synthetic" in (ROOT / "README.md").read_text().lower()


def test_survey_size_and_shape(examples):
    lines = (examples / "survey_qualtrics.csv").read_text().splitlines()
    assert 390 <= len(lines) - 3 <= 420
    header = lines[0].split(",")
    assert {"Finished", "Progress", "ResponseId", "PROLIFIC_PID"} <= set(header)
    assert "rank_sentient_SA" in header and "rate_non_sentient_EI" in header
