-- 004: Study 1 codes record how each came about. `status` is valid, invalid_evidence (the quoted
-- span is not in the answer), unparseable (the coder's reply could not be read) or error (the
-- call failed); only valid codes are analysed. `is_present` is empty when there is no code.
alter table codes alter column is_present drop not null;
alter table codes add column status varchar default 'valid';
alter table codes add column run_id integer;
