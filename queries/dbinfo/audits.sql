-- Every audit: its name, when it was computed, its models and its instrument.
with

audits as (
    select * from audits
),

final as (
    select
        audits.audit_id,
        audits.created_at,
        coalesce(audits.models, []) as models,
        instruments.instrument_id,
        instruments.version,
        audits.instrument_sha256
    from audits
    left join instruments on instruments.sha256 = audits.instrument_sha256
)

select * from final order by created_at desc, audit_id
