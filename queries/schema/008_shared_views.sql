-- 008: the filters every question shares, named once. A valid answer is one whose status is
-- 'valid'; a valid code is one a coder gave with its evidence checked (status 'valid', or no
-- status for codes loaded before migration 004) and a yes or no.
create or replace view valid_responses as
select * from llm_responses where status = 'valid';

create or replace view valid_codes as
select * from codes where coalesce(status, 'valid') = 'valid' and is_present is not null;
