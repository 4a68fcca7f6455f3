-- Pin the model answers an audit uses: every answer of its instrument by one of its models collected in
-- its window ($since inclusive, $until exclusive, either null for no bound), with the status it has now.
insert into audit_responses (audit_id, response_id, status)
select $audit, response_id, status
from llm_responses
where instrument_sha256 = $instrument and list_contains($models, model)
    and ($since::timestamptz is null or created_at >= $since::timestamptz)
    and ($until::timestamptz is null or created_at < $until::timestamptz)
