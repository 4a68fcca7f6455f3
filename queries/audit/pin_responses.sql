-- Pin the model answers an audit uses: every answer of its instrument by one of its models, with
-- the status it has now.
insert into audit_responses (audit_id, response_id, status)
select $audit, response_id, status
from llm_responses
where instrument_sha256 = $instrument and list_contains($models, model)
