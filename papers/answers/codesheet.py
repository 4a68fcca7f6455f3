"""The layout of a code sheet, shared by its export (papers/export.py) and the load of a filled one
(papers/ingest/codes.py): the id column, the marker of a theme the condition did not show."""

NOT_SHOWN = "NA"
ID_COLUMN = "answer_id"
LEGACY_ID_COLUMN = "response_id"  # sheets written before ids were salted name answers by response id
