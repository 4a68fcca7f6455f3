-- An earlier load of the same survey content into the same sample, with the same mapping and
-- instrument, whatever demographics file was joined to it: loading it again changes nothing.
with survey_loads as (
    select run_id, source_file, source_sha256, instrument_sha256, settings
    from runs
    where kind = 'ingest_survey'
),

final as (
    select run_id, source_file
    from survey_loads
    where source_sha256 = $sha256
        and instrument_sha256 = $instrument
        and (settings ->> 'sample') = $sample
        and (settings ->> 'mapping_sha256') is not distinct from $mapping
    order by run_id
    limit 1
)

select * from final
