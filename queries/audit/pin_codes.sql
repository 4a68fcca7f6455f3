-- Pin the Study 1 codes an audit uses: the valid codes of its pinned open answers.
insert into audit_codes (audit_id, response_id, coder, dimension)
select $audit, valid_codes.response_id, valid_codes.coder, valid_codes.dimension
from valid_codes
inner join audit_responses using (response_id)
where audit_responses.audit_id = $audit and audit_responses.status = 'valid'
