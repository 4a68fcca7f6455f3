-- 003: the result tables of `papers analyze`, each keyed by audit_id (docs/design.md, "The store").
-- Columns beyond those docs/design.md lists are extras; `note` says why a value could not be estimated.

create table result_profiles (
    audit_id varchar not null, model varchar not null, condition varchar not null, task varchar not null,
    dimension varchar not null, n bigint, mean double, ci_low double, ci_high double, median double, sd double,
    top1_share double, note varchar,
    primary key (audit_id, model, condition, task, dimension)
);

create table result_stability (
    audit_id varchar not null, model varchar not null, condition varchar not null, task varchar not null,
    n_trials bigint, friedman_chi2 double, friedman_df bigint, friedman_p double, kendall_w double,
    w_ci_low double, w_ci_high double, position_bias_rho double, valid_share double, refused_share double,
    unparseable_share double, incomplete_share double, error_share double, n_responses bigint, note varchar,
    primary key (audit_id, model, condition, task)
);

create table result_differences (
    audit_id varchar not null, condition varchar not null, task varchar not null, dimension varchar not null,
    kruskal_h double, df bigint, p double, p_holm double, epsilon2 double, n bigint, note varchar,
    primary key (audit_id, condition, task, dimension)
);

create table result_clusters (
    audit_id varchar not null, condition varchar not null, task varchar not null, model varchar not null,
    cluster bigint, label varchar, orientation_index double, orientation_ci_low double, orientation_ci_high double,
    model_type varchar, stability_jaccard double,
    note varchar,
    primary key (audit_id, condition, task, model)
);

create table result_mds (
    audit_id varchar not null, condition varchar not null, task varchar not null, model varchar not null,
    x double, y double, variance_share double, note varchar,
    primary key (audit_id, condition, task, model)
);

create table result_structure (
    audit_id varchar not null, condition varchar not null, task varchar not null, n_models bigint, k bigint,
    linkage varchar, cophenetic_r double, silhouette double, mds_variance_share double, note varchar,
    primary key (audit_id, condition, task)
);

create table result_human_profiles (
    audit_id varchar not null, sample varchar not null, condition varchar not null, task varchar not null,
    dimension varchar not null, n bigint, mean double, ci_low double, ci_high double, sd double,
    n_excluded bigint,
    primary key (audit_id, sample, condition, task, dimension)
);

create table result_agreement (
    audit_id varchar not null, model varchar not null, sample varchar not null, condition varchar not null,
    task varchar not null, n_participants bigint, n_trials bigint, pearson_r double, r_ci_low double,
    r_ci_high double, spearman_rho double, icc_a1 double, icc_a1_ci_low double, icc_a1_ci_high double,
    icc_c1 double, icc_c1_ci_low double, icc_c1_ci_high double, mad double, mad_ci_low double,
    mad_ci_high double, band varchar, note varchar, rank_by_icc bigint,
    primary key (audit_id, model, sample, condition, task)
);

create table result_items (
    audit_id varchar not null, sample varchar not null, item varchar not null, n bigint, mean double,
    ci_low double, ci_high double, sd double, median double,
    primary key (audit_id, sample, item)
);

create table result_themes (
    audit_id varchar not null, model varchar not null, condition varchar not null, dimension varchar not null,
    n bigint, share double, ci_low double, ci_high double, coders bigint,
    primary key (audit_id, model, condition, dimension)
);

create table result_coder_agreement (
    audit_id varchar not null, dimension varchar not null, coders varchar, statistic varchar, value double,
    ci_low double, ci_high double, n_units bigint, note varchar,
    primary key (audit_id, dimension)
);
