"""The outcomes a model's answer can have, named once for every layer that sets, stores or counts them.

`valid` (every shown dimension once, ratings on the scale; for a dilemma, one of its two actions),
`refused`, `unparseable`, `incomplete` (some shown dimensions, not all; a dimension named twice is
unparseable) and `no_choice` (a dilemma answered with both actions or neither) come from parsing an
answer (papers.answers.parse, papers.answers.choice); `error` is a call that failed. The store's
`llm_responses.status` column accepts exactly these (queries/schema/019_dilemmas.sql).
"""

STATUSES = ("valid", "refused", "unparseable", "incomplete", "no_choice", "error")
RANKING_STATUSES = ("valid", "refused", "unparseable", "incomplete", "error")  # a rank or rate answer's (result_stability)
CHOICE_STATUSES = ("valid", "refused", "unparseable", "no_choice", "error")  # a choose answer's (result_consistency)
