"""The outcomes a model's answer can have, named once for every layer that sets, stores or counts them.

`valid` (every shown dimension once, ratings on the scale), `refused`, `unparseable`,
`incomplete` (some shown dimensions, not all; a dimension named twice is unparseable) come from parsing an answer
(papers.answers.parse); `error` is a call that failed. The store's `llm_responses.status`
column accepts exactly these (queries/schema/001_init.sql).
"""

STATUSES = ("valid", "refused", "unparseable", "incomplete", "error")
