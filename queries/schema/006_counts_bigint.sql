-- 006: token counts are 64-bit, since a server may report more than 2^31 tokens; an absurd count
-- is stored as reported rather than stopping collection (and every re-run) with an overflow.
alter table llm_responses alter column input_tokens type bigint;
alter table llm_responses alter column output_tokens type bigint;
