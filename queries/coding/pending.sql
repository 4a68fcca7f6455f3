-- Valid open answers of one instrument that this coder has not coded yet (or, with retry_errors,
-- whose coding by this coder ended in an error).
with

answers as (
    select response_id, model, condition, raw_text
    from valid_responses
    where instrument_sha256 = $instrument and task = 'open'
      and (len($conditions) = 0 or list_contains($conditions, condition))
),

coded as (
    select response_id, bool_or(status = 'error') as had_error
    from codes
    where coder = $coder
    group by response_id
),

final as (
    select answers.*
    from answers
    left join coded using (response_id)
    where coded.response_id is null or ($retry_errors and coded.had_error)
)

select * from final order by response_id
