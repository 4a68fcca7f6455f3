-- 011: wordings and answer formats (issue "Conclusions that survive rewording"). Every model answer
-- records the variant of its task that asked it (an instrument's wording, item display, answer
-- format and, for ratings, scale); answers stored before variants existed were asked in the task's
-- own prompt, the variant `default`. A rating is stored as answered, on its variant's scale; the
-- analysis maps it onto the task's scale, higher meaning more important (see the method section).
-- Per audit, `result_robustness` says how far each model's profile moves across the variants, and
-- `result_variant_profiles` holds the profile per variant it is computed from.
alter table llm_responses add column variant varchar default 'default';
update llm_responses set variant = 'default' where variant is null;

alter table batch_requests add column variant varchar default 'default';
update batch_requests set variant = 'default' where variant is null;

create table result_robustness (
    audit_id                varchar not null,
    model                   varchar not null,
    condition               varchar not null,
    task                    varchar not null,
    n_variants              bigint,
    n_trials                bigint,
    variants                varchar[],
    wording_share           double,
    wording_share_ci_low    double,
    wording_share_ci_high   double,
    wording_p               double,
    min_rho                 double,
    mean_rho                double,
    top                     varchar,
    top_variants            bigint,
    top_same                boolean,
    top_by_variant          varchar,
    position_bias           double,
    position_bias_ci_low    double,
    position_bias_ci_high   double,
    robust                  boolean,
    reason                  varchar,
    note                    varchar,
    primary key (audit_id, model, condition, task)
);

create table result_variant_profiles (
    audit_id        varchar not null,
    model           varchar not null,
    condition       varchar not null,
    task            varchar not null,
    variant         varchar not null,
    dimension       varchar not null,
    n               bigint,
    mean            double,
    ci_low          double,
    ci_high         double,
    primary key (audit_id, model, condition, task, variant, dimension)
);
