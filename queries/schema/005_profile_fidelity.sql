-- 005: conclusions that follow the evidence (issue "Conclusions a reader can trust").
-- Stability: the mean inter-trial Spearman correlation with a jackknife interval replaces the
-- percentile-bootstrap interval of Kendall's W, which did not cover. Agreement: profile fidelity
-- (order, calibration, level, CCC); ICC(A,1) is kept for ratings only, with McGraw & Wong's
-- F-based interval beside the bootstrap one. Types: the equivalence margin and Holm-adjusted p.
-- Structure: the permutation tests that decide whether clusters are reported. Themes: the rule.
-- Audits computed before this migration keep their rows; their new columns are empty.

alter table result_stability add column mean_rho double;
alter table result_stability add column mean_rho_ci_low double;
alter table result_stability add column mean_rho_ci_high double;
alter table result_stability drop column w_ci_low;
alter table result_stability drop column w_ci_high;

alter table result_agreement add column spread_ratio double;
alter table result_agreement add column spread_ratio_ci_low double;
alter table result_agreement add column spread_ratio_ci_high double;
alter table result_agreement add column level_shift double;
alter table result_agreement add column level_shift_ci_low double;
alter table result_agreement add column level_shift_ci_high double;
alter table result_agreement add column ccc double;
alter table result_agreement add column ccc_ci_low double;
alter table result_agreement add column ccc_ci_high double;
alter table result_agreement add column icc_a1_f_ci_low double;
alter table result_agreement add column icc_a1_f_ci_high double;
alter table result_agreement add column rank_by_ccc bigint;
alter table result_agreement drop column mad_ci_low;
alter table result_agreement drop column mad_ci_high;
alter table result_agreement drop column rank_by_icc;

alter table result_clusters add column type_margin double;
alter table result_clusters add column type_p_holm double;

alter table result_structure add column p_heterogeneity double;
alter table result_structure add column p_clustering double;
alter table result_structure add column candidate_k bigint;

alter table result_themes add column rule varchar;
