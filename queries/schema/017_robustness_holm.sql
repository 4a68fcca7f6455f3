-- 017: the wording test of each model x condition x task Holm-adjusted across the model's conditions
-- and tasks, the p-value its robust flag is decided on (so that a model whose profile does not depend
-- on the wording is called robust everywhere at least 95% of the time).
alter table result_robustness add column wording_p_holm double;
