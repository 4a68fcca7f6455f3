"""What collection and ingest share: answer parsing, response keys, and the one write path of the
tables both fill (`llm_responses` with `llm_answers`, and `codes`)."""
