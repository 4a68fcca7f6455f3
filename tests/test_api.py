"""The Python API (papers.api, also `import papers`): a notebook user's whole audit, and its errors."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

import papers
from papers.errors import PapersError
from tests.conftest import ROOT


def test_the_package_names_its_api_and_imports_nothing_heavy():
    assert papers.__all__ == ["open_store", "load_instrument", "collect_answers", "ingest_responses", "ingest_survey",
                              "analyze_audit", "results", "publish_report"]
    assert all(callable(getattr(papers, name)) for name in papers.__all__)
    loaded = subprocess.run([sys.executable, "-c", "import sys, papers; print(sorted(m for m in ('duckdb', 'polars', "
                             "'litellm', 'matplotlib', 'scipy') if m in sys.modules))"],
                            capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    assert loaded == "[]"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        papers.nothing  # noqa: B018


@pytest.mark.slow
def test_a_whole_audit_from_a_notebook(tmp_path, examples):
    db = tmp_path / "audit.duckdb"
    estimate = papers.collect_answers(db, ["simulated/human-centric"], tasks=["rank", "rate"], trials=12, dry_run=True)
    assert sum(e["calls"] for e in estimate.per_model.values()) == 48 and not db.exists()
    done = papers.collect_answers(db, ["simulated/human-centric", "simulated/utility-driven"], tasks=["rank", "rate"],
                          trials=24, concurrency=32)
    assert (done.planned, done.made) == (192, 192)
    loaded = papers.ingest_responses(db, examples / "model_responses.jsonl")
    assert loaded.counts["valid"] > 0 and papers.ingest_responses(db, examples / "model_responses.jsonl").already_loaded
    survey = papers.ingest_survey(db, examples / "survey_qualtrics.csv", sample="example",
                                  mapping=examples / "survey_mapping.yaml")
    assert survey.counts["participants"] == 400
    analyzed = papers.analyze_audit(db, "nb", b=200, models=["simulated/*"])
    assert analyzed.models == ["simulated/human-centric", "simulated/utility-driven"]
    tables = papers.results(db, "nb")
    assert isinstance(tables["result_profiles"], pl.DataFrame) and "audit_id" not in tables["result_profiles"].columns
    assert tables["result_robustness"].height == 8  # two models, two conditions, two tasks
    with papers.open_store(db, read_only=True) as store:
        assert store.frame("select count(*) as n from audits").item() == 1
    published = papers.publish_report(db, "nb", site=tmp_path / "site", engine="pandoc")
    assert published.index.exists() and published.pages == 3


def test_api_errors_are_papers_errors(tmp_path):
    with pytest.raises(PapersError, match="no store here yet"):
        papers.analyze_audit(tmp_path / "missing.duckdb", "x")
    db = tmp_path / "audit.duckdb"
    papers.collect_answers(db, ["simulated/uniform"], tasks=["rank"], trials=6)
    with pytest.raises(PapersError, match="no audit named 'nope'"):
        papers.results(db, "nope")
    with pytest.raises(PapersError, match="unknown simulated profile"):
        papers.collect_answers(db, ["simulated/nobody"], trials=3)
