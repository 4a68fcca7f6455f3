-- 018: drift between two audits (issue "Audits over time: did the model change?"). `papers drift
-- --audit A --audit B` compares every model of both audits, A the earlier and B the later, and keeps
-- the comparison keyed by the pair: per condition, task and dimension the change in mean rank or
-- rating (B minus A) with Welch's interval and test (Holm across the dimensions); per condition and
-- task the permutation test of the profile (Holm across the model's conditions and tasks), the
-- Spearman correlation of the two profiles and whether it moved; per model whether it changed, why,
-- and the model strings the provider reported in each audit. Comparing a pair again replaces its
-- rows; analyzing an audit again (--replace) removes the comparisons it was part of.
create table result_drift (
    audit_a         varchar not null,
    audit_b         varchar not null,
    model           varchar not null,
    condition       varchar not null,
    task            varchar not null,
    dimension       varchar not null,
    n_a             bigint,
    n_b             bigint,
    mean_a          double,
    mean_b          double,
    change          double,
    change_ci_low   double,
    change_ci_high  double,
    t               double,
    df              double,
    p               double,
    p_holm          double,
    note            varchar,
    primary key (audit_a, audit_b, model, condition, task, dimension)
);

create table result_drift_profiles (
    audit_a         varchar not null,
    audit_b         varchar not null,
    model           varchar not null,
    condition       varchar not null,
    task            varchar not null,
    n_a             bigint,
    n_b             bigint,
    variants        varchar[],
    distance        double,
    max_t           double,
    p               double,
    p_holm          double,
    rho             double,
    changed         boolean,
    note            varchar,
    primary key (audit_a, audit_b, model, condition, task)
);

create table result_drift_models (
    audit_a             varchar not null,
    audit_b             varchar not null,
    model               varchar not null,
    changed             boolean,
    reason              varchar,
    reported_a          varchar[],
    reported_b          varchar[],
    reported_changed    boolean,
    permutations        bigint,
    seed                bigint,
    primary key (audit_a, audit_b, model)
);
