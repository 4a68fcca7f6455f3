"""`papers ingest survey`: human survey exports, with exclusion rules (see load, layout, mapping, rows)."""

from papers.ingest.survey.load import ingest_survey

__all__ = ["ingest_survey"]
