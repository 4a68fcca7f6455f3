-- The Study 1 codes an audit pinned, with the model and condition of each coded answer.
with

pinned_codes as (
    select response_id, coder, dimension from audit_codes where audit_id = $audit
),

responses as (
    select response_id, model, condition from pinned_responses where audit_id = $audit
),

final as (
    select responses.model, responses.condition, codes.response_id, codes.coder, codes.dimension, codes.is_present
    from pinned_codes
    inner join codes using (response_id, coder, dimension)
    inner join responses using (response_id)
)

select * from final
