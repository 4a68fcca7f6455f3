"""The `papers` command line: each command parses its options, calls one library function, prints.

Heavy imports (polars, duckdb, litellm, matplotlib) happen inside the commands, so `papers --help`
stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from papers import __version__
from papers.errors import PapersError
from papers.options import call_options, db_option, encoding_option, instrument_option, json_option, strict_option
from papers.text import printable, redact


class UserError(click.ClickException):
    """A PapersError shown as `Error: message` and `Hint: fix`, exit code 1, no traceback."""

    def __init__(self, error: PapersError):
        super().__init__(error.message)
        self.hint = error.hint

    def show(self, file=None) -> None:
        err = file or sys.stderr
        click.echo(safe(f"Error: {self.message}"), err=True, file=err)
        if self.hint:
            click.echo(safe(f"Hint: {self.hint}"), err=True, file=err)


class PapersGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PapersError as e:
            raise UserError(e) from e
        except Exception as e:
            problem = _damaged_store(e)
            if problem is None:
                raise
            raise UserError(problem) from e


def _damaged_store(error: Exception) -> PapersError | None:
    """A damaged store met outside the Store's own queries (duckdb is imported only if it raised)."""
    if not type(error).__module__.lstrip("_").startswith("duckdb"):
        return None
    from papers.store import damaged

    return damaged(error)


def safe(text: str) -> str:
    """What papers prints: secrets redacted and control characters escaped, since names and values
    from files and servers reach the terminal (an ESC or OSC sequence would drive it)."""
    return printable(redact(text), keep_newlines=True)


def say(text: str) -> None:
    click.echo(safe(text))


def _nothing():
    import contextlib

    return contextlib.nullcontext()


def emit(data, as_json: bool, text: str) -> None:
    say(json.dumps(data, indent=2, default=str) if as_json else text)


@click.group(cls=PapersGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="papers")
def cli():
    """Audit the values large language models prioritise (the PAPERS method).

    Run it at the root of an audit project: collect or ingest answers, analyze, report.
    """


# ------------------------------------------------------------------------------- instrument


@cli.group(cls=PapersGroup)
def instrument():
    """Show and validate instruments."""


@instrument.command("list")
@db_option
@json_option
def instrument_list(db_path, as_json):
    """List the bundled instruments, and those in the store, with their hashes."""
    from papers.store import list_instruments

    rows = list_instruments(db_path)
    lines = [f"{r['name']:<14} {r['id']} {r['version']:<8} sha256 {r['sha256']}  ({r['where']})" for r in rows]
    emit(rows, as_json, "\n".join(lines))


@instrument.command("show")
@click.argument("ref", required=False)
@click.option("--canonical", is_flag=True, help="Print the canonical JSON that is hashed.")
def instrument_show(ref, canonical):
    """Print an instrument readably (default: the bundled PAPERS instrument)."""
    from papers.instrument import describe, load_instrument

    inst = load_instrument(ref)
    say(inst.canonical if canonical else describe(inst))


@instrument.command("validate")
@click.argument("ref", required=False)
def instrument_validate(ref):
    """Check an instrument file; names the field at fault, or what is off in the balance of its
    dilemmas (choose task), or prints its hash."""
    from papers.instrument import check_dilemma_balance, load_instrument

    inst = load_instrument(ref)
    check_dilemma_balance(inst)
    say(
        f"OK: {inst.source} is a valid instrument: {inst.id} {inst.version}, "
        f"{len(inst.dimensions)} dimensions, {len(inst.conditions)} conditions, "
        f"tasks {', '.join(inst.task_keys)}.\nsha256 {inst.sha256}"
    )


# ------------------------------------------------------------------------------- db


@cli.group(cls=PapersGroup)
def db():
    """Inspect the store."""


@db.command("info")
@db_option
@json_option
def db_info(db_path, as_json):
    """Counts per table, instruments, loads and schema version."""
    from papers.dbinfo import format_info, store_info
    from papers.stores import open_store

    with open_store(db_path, read_only=True) as store:
        info = store_info(store)
    emit(info, as_json, format_info(info))


# ------------------------------------------------------------------------------- ingest


@cli.group(cls=PapersGroup)
def ingest():
    """Load files: model responses, human surveys."""


@ingest.command("responses")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "csv", "jsonl", "parquet"]), default="auto",
              show_default=True, help="File format (auto: by extension).")
@click.option("--strict", "fail_on_warning", is_flag=True,
              help="Refuse a load that warns (over 20% of rows unreadable or rejected): exit 1, the store unchanged.")
@click.option("--other-dimensions", type=click.Choice(["incomplete", "ignore"]), default="incomplete",
              show_default=True,
              help="Answers that also rank or rate dimensions the instrument does not show: incomplete, or ignore "
                   "those entries and keep the instrument's dimensions (counted in the summary, stored with the load).")
@instrument_option
@encoding_option
@strict_option
@db_option
@json_option
def ingest_responses_cmd(file, fmt, fail_on_warning, other_dimensions, instrument, encoding, skip_bad_rows, db_path,
                         as_json):
    """Load model answers collected elsewhere (JSONL, CSV or Parquet).

    Columns: model, task, condition, trial, raw_text; optional item_order, temperature,
    model_reported, created_at, instrument, variant (the task's wording asked; default: the
    task's own prompt). Each answer is parsed and classified as collected answers are (valid,
    refused, unparseable, incomplete); the raw text is always kept.
    """
    from papers.ingest.files import check_readable
    from papers.ingest.responses import ingest_responses
    from papers.stores import open_store

    check_readable(file)
    with open_store(db_path) as store:
        report = ingest_responses(store, file, instrument=instrument, fmt=fmt, encoding=encoding,
                                  strict=not skip_bad_rows, fail_on_warning=fail_on_warning,
                                  other_dimensions=other_dimensions == "ignore")
    emit(report.as_dict(), as_json, _load_text(report))


@ingest.command("survey")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--sample", required=True, help="Name of the human sample, e.g. prolific-2026-11.")
@click.option("--format", "fmt", type=click.Choice(["auto", "csv", "qualtrics", "surveymonkey", "googleforms"]),
              default="auto", show_default=True,
              help="Survey layout (auto: Qualtrics or SurveyMonkey when their header rows are found).")
@click.option("--mapping", type=click.Path(path_type=Path), help="YAML file that renames columns and recodes values.")
@click.option("--demographics", type=click.Path(path_type=Path), help="Prolific demographics export to join by participant ID.")
@click.option("--id-column", default=None, help="The column that identifies participants (after --mapping renames).")
@click.option("--row-ids", is_flag=True, help="No ID column: use each row's spreadsheet number as the participant ID.")
@click.option("--strict", "fail_on_warning", is_flag=True,
              help="Refuse a load that warns (over 20% of rows excluded or rejected): exit 1, the store unchanged.")
@instrument_option
@encoding_option
@strict_option
@db_option
@json_option
def ingest_survey_cmd(file, sample, fmt, mapping, demographics, id_column, row_ids, fail_on_warning, instrument, encoding,
                      skip_bad_rows, db_path, as_json):
    """Load a human survey export (CSV or TSV: plain, Qualtrics, SurveyMonkey, Google Forms),
    applying exclusion rules.

    Default columns: participant_id, <task>_<condition>_<KEY> (e.g. rate_non_sentient_EI),
    item_<key>, and optional finished and attention_check_passed. Excluded participants are kept
    and marked with the reason. A load that loses over 20% of its rows warns, naming the main
    reason and the likely fix.
    """
    from papers.ingest.files import check_readable
    from papers.ingest.survey import ingest_survey
    from papers.stores import open_store

    check_readable(file)
    for extra in (mapping, demographics):
        if extra is not None:
            check_readable(extra)
    with open_store(db_path) as store:
        if id_column and row_ids:
            raise click.UsageError("use --id-column or --row-ids, not both.")
        report = ingest_survey(store, file, sample=sample, fmt=fmt, mapping=mapping, demographics=demographics,
                               instrument=instrument, encoding=encoding, strict=not skip_bad_rows,
                               progress=not as_json, id_column=id_column, row_ids=row_ids,
                               fail_on_warning=fail_on_warning)
    emit(report.as_dict(), as_json, _load_text(report))


def _load_text(report) -> str:
    if report.already_loaded:
        return "\n".join(report.notes)
    counts = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in report.counts.items())
    lines = [f"Loaded {report.source} (run {report.run_id}): {report.rows:,} rows; {counts}."]
    return "\n".join(lines + report.notes + [f"Warning: {w}" for w in report.warnings])


# ------------------------------------------------------------------------------- collect


@cli.command("collect")
@click.option("--model", "models", multiple=True, required=True,
              help="A litellm model string (repeatable), e.g. openai/gpt-4o or simulated/human-centric.")
@click.option("--task", "tasks", multiple=True, type=click.Choice(["rank", "rate", "open", "choose"]), default=["rank"],
              show_default=True, help="Task to administer (repeatable); choose: the instrument's dilemmas.")
@click.option("--condition", "conditions", multiple=True, help="Condition (repeatable; default: every condition).")
@click.option("--trials", type=click.IntRange(1), default=90, show_default=True,
              help="Trials per model, task and condition, spread evenly over the variants.")
@click.option("--variants", default="all", show_default=True, metavar="all|default|ID,...",
              help="Wordings and answer formats of the rank, rate and choose tasks to spread the trials over: all the "
                   "instrument's variants, its default wording only, or these variant ids.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the item orders and sampling seeds.")
@click.option("--temperature", type=click.FloatRange(0), default=1.0, show_default=True)
@click.option("--max-tokens", type=click.IntRange(1), default=400, show_default=True)
@click.option("--system-prompt", default=None, help="An optional system prompt, sent with every call.")
@call_options
@instrument_option
@db_option
@json_option
def collect_cmd(models, tasks, conditions, trials, variants, seed, temperature, max_tokens, system_prompt, calls,
                instrument, db_path, as_json):
    """Administer the instrument to models through litellm, in repeated trials spread evenly over
    the instrument's wordings (--variants), item orders balanced over positions.

    Each answer is stored before the next is awaited; running the same command again performs
    only the missing trials. API keys come from the environment or a .env file (its other variables,
    endpoints included, only with --env-endpoints); the summary names where each model's calls went.
    """
    from papers.collect.output import collect_lines
    from papers.collect.plan import Decoding
    from papers.collect.runner import CollectSettings
    from papers.collect.service import run_collect

    settings = CollectSettings(models=list(models), tasks=list(tasks), conditions=list(conditions), trials=trials,
                               seed=seed, decoding=Decoding(temperature, max_tokens, system_prompt), calls=calls,
                               variants=variants)
    result = run_collect(settings, db_path=db_path, instrument=instrument, progress=not as_json)
    emit(result.as_dict(), as_json, "\n".join(collect_lines(result)))


# ------------------------------------------------------------------------------- analyze


@cli.command("analyze")
@click.option("--audit", "audit_id", default=None, help="Name of the audit (default: today's date).")
@click.option("--seed", type=int, default=20260101, show_default=True, help="Seed of every bootstrap.")
@click.option("--bootstrap", "b", type=click.IntRange(50), default=2000, show_default=True, help="Bootstrap resamples B.")
@click.option("--linkage", type=click.Choice(["ward", "average", "complete", "single"]), default="ward", show_default=True)
@click.option("--k", type=click.IntRange(2), default=None,
              help="Number of clusters, used whatever the structure tests say (default: clusters only when they "
                   "beat identical models, k by silhouette).")
@click.option("--type-margin", type=click.FloatRange(0), default=0.25, show_default=True,
              help="Equivalence margin of the orientation index: rank places (scale points on a 1-7 scale).")
@click.option("--theme-rule", type=click.Choice(["all", "majority", "any"]), default=None,
              help="When a theme counts as present in an open answer (default: all coders when two, a majority when more).")
@click.option("--model", "models", multiple=True,
              help="Audit only these models (repeatable; globs such as 'openai/*'); default: every model.")
@click.option("--since", default=None, metavar="TIME",
              help="Only answers collected at or after TIME (ISO 8601; a date is its midnight UTC).")
@click.option("--until", default=None, metavar="TIME",
              help="Only answers collected before TIME (ISO 8601; --until 2026-04-01 ends with 31 March).")
@click.option("--replace", is_flag=True, help="Recompute an existing audit of the same name.")
@instrument_option
@db_option
@json_option
def analyze_cmd(audit_id, seed, b, linkage, k, type_margin, theme_rule, models, since, until, replace, instrument,
                db_path, as_json):
    """Compute the audit's statistics from the store into result_* tables.

    Within models (profiles with bootstrap CIs, Friedman, Kendall's W, mean inter-trial Spearman
    with a jackknife CI, position bias), between models (Kruskal-Wallis, epsilon-squared, Holm),
    types (orientation beyond a margin, Holm across models), structure (clusters only when they
    beat identical models; MDS), profile fidelity to each human sample (order, calibration, level,
    CCC; ICC on ratings) and Study 1 themes. The same name and data is a no-op. --since and --until
    take only the answers collected in that window, so each collection round can be its own audit.
    """
    from papers.analysis.audit import Settings
    from papers.analyze import Window, parse_time, run_analyze
    from papers.stores import open_store

    window = Window(None if since is None else parse_time(since, "--since"),  # an empty --since is an error too
                    None if until is None else parse_time(until, "--until"))
    with open_store(db_path, create=False) as store:  # analyzes answers already stored: never a new store
        report = run_analyze(store, audit_id, instrument=instrument, replace=replace, models=list(models) or None,
                             settings=Settings(seed=seed, b=b, linkage=linkage, k=k, type_margin=type_margin,
                                               theme_rule=theme_rule), window=window)
        if str(db_path).startswith("ducklake:") and not report.unchanged:
            from papers.lake.store import record_audit_snapshot

            record_audit_snapshot(store, report.audit_id)  # later reads of this audit see the lake as it is now
    head = (f"Audit {report.audit_id} is already up to date (same data and settings); nothing changed."
            if report.unchanged else f"Audit {report.audit_id}: {report.instrument}, data {report.data_sha256[:12]}.")
    rows = ", ".join(f"{t.removeprefix('result_')} {n}" for t, n in report.counts.items() if n)
    emit(report.as_dict(), as_json, "\n".join([head, f"Rows: {rows}.", *report.highlights]))


@cli.command("compare")
@click.argument("model_a")
@click.argument("model_b")
@click.option("--audit", "audit_id", required=True, help="The audit whose data to compare.")
@db_option
@json_option
def compare_cmd(model_a, model_b, audit_id, db_path, as_json):
    """Compare two models dimension by dimension, in plain words (for procurement)."""
    from papers.compare import compare_models
    from papers.stores import open_store

    with open_store(db_path, read_only=True, audit=audit_id) as store:
        result = compare_models(store, audit_id, model_a, model_b)
    emit(result.as_dict(), as_json, "\n".join(result.lines()))


@cli.command("drift")
@click.option("--audit", "audits", multiple=True, required=True, metavar="AUDIT",
              help="Give it twice: the earlier audit, then the later one.")
@db_option
@json_option
def drift_cmd(audits, db_path, as_json):
    """Did each model change between two audits? A test per model, condition and task.

    Per dimension the change in mean rank or rating with its interval and a test (Holm), a
    permutation test of the whole profile (Holm across the model's conditions and tasks), the
    Spearman correlation of the two profiles, and the model strings the provider reported. Kept in
    result_drift, result_drift_profiles and result_drift_models.
    """
    from papers.drift import run_drift
    from papers.stores import open_store

    if len(audits) != 2:
        raise click.UsageError(f"give --audit exactly twice (the earlier audit first), not {len(audits)} "
                               f"time{'s' if len(audits) != 1 else ''}.")
    with open_store(db_path, create=False) as store:
        report = run_drift(store, *audits)
    emit(report.as_json(), as_json, "\n".join(report.lines()))


@cli.command("brief")
@click.argument("candidates", nargs=-1)
@click.option("--audit", "audit_id", required=True, help="The audit whose candidates to brief.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write brief.html and brief.pdf into this folder (default: inside the published audit, "
                   "reports/_site/<audit>/briefs/).")
@click.option("--site", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/_site"),
              show_default=True, help="The site the audit is published in (without --out).")
@click.option("--engine", type=click.Choice(["auto", "quarto", "pandoc"]), default="auto", show_default=True,
              help="auto: Quarto when a quarto binary is on PATH, else Pandoc + Typst.")
@click.option("--sign", "sign_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Sign the audit's additions.json, which lists the brief, with this secret key (papers keygen); "
                   "its password comes from PAPERS_KEY_PASSWORD or a prompt. Not with --out.")
@db_option
@json_option
def brief_cmd(candidates, audit_id, out_dir, site, engine, sign_key, db_path, as_json):
    """A decision brief of 2 to 5 candidate models of an audit, side by side, as HTML and PDF.

    One page of summary first (type, stability, fidelity to people, data quality, cost; the main
    differences), then the profiles on one plot, every dimension where they differ, stability,
    type, agreement, the two conditions, data quality, cost and latency, and the method's limits.
    """
    from papers.report.signing import load_secret_key

    if sign_key and out_dir is not None:
        raise click.UsageError("--sign signs a brief published into its audit; a brief written with --out stands alone.")
    key = load_secret_key(sign_key, lambda: _key_password(sign_key)) if sign_key else None  # a prompt before any bar
    progress = bars(as_json)
    with progress or _nothing():
        if progress:  # the bar shows from the start: the imports below take a second or two
            progress("brief", 0, 4)
        from papers.report.brief import make_brief, publish_brief
        from papers.stores import open_store

        if progress:
            progress("brief", 1, 4)
        with open_store(db_path, read_only=True, audit=audit_id) as store:
            if out_dir is not None:
                result = make_brief(store, audit_id, list(candidates), out_dir, engine=engine, progress=progress)
            else:
                result = publish_brief(store, audit_id, list(candidates), site, engine=engine, key=key,
                                       progress=progress)
    said = (f"{result.html} is already published from the same inputs; nothing changed." if result.unchanged
            else f"Wrote the brief of {len(candidates)} candidates: {result.html} and {result.pdf}")
    emit({"audit": audit_id, "candidates": list(candidates), "html": str(result.html), "pdf": str(result.pdf),
          "unchanged": result.unchanged, "head": result.head}, as_json, "\n".join(filter(None, [said, result.head])))


@cli.group(cls=PapersGroup)
def power():
    """Power by simulation (Plackett-Luce and rating draws; no API calls), with Monte Carlo errors."""


@power.command("rank-difference")
@click.option("--delta", type=click.FloatRange(0, min_open=True), required=True,
              help="How many places higher model B ranks dimension 1 than model A, on average.")
@click.option("--trials", type=click.IntRange(2), default=30, show_default=True, help="Trials per model.")
@click.option("--dimensions", "k", type=click.IntRange(2), default=5, show_default=True, help="Dimensions shown.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True)
@click.option("--holm/--no-holm", default=True, show_default=True,
              help="Holm across the dimensions, as papers compare does; --no-holm: one pre-registered test.")
@click.option("--sims", type=click.IntRange(100), default=4000, show_default=True,
              help="Simulations per estimate (the 80% answer always uses at least 1,600).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True)
@json_option
def power_rank(delta, trials, k, alpha, holm, sims, seed, as_json):
    """Power of papers compare to detect a mean-rank difference, and the trials for 80%.

    Each simulation draws both models' full rankings of all the dimensions from Plackett-Luce
    (model A: equal worths; model B: dimension 1's worth raised so its mean rank is DELTA places
    higher, the others moving down as ranks must), tests every dimension with a two-sided
    Mann-Whitney U, applies Holm across the dimensions, and counts a detection when dimension 1's
    adjusted p is below alpha. Every power comes with its Monte Carlo standard error; the trials
    for 80% are settled with enough simulations that this error is at most 1 point there.
    """
    from papers.analysis.power import plan_rank_difference

    try:
        plan = plan_rank_difference(delta, trials, k, alpha, sims, seed, holm)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--delta") from e
    emit(plan.as_dict(), as_json, "\n".join(plan.lines()))


@power.command("icc")
@click.option("--target", "--icc", "target", type=click.FloatRange(-1, 1, min_open=True, max_open=True), required=True,
              help="The population value of the statistic between the model and people (--icc is the old name).")
@click.option("--statistic", type=click.Choice(["icc", "ccc"]), default="icc", show_default=True,
              help="icc: ICC(A,1), rate tasks only; ccc: Lin's concordance correlation.")
@click.option("--task", type=click.Choice(["rate", "rank"]), default="rate", show_default=True,
              help="Whose profiles: ratings or rankings.")
@click.option("--null", type=click.FloatRange(-1, 1, min_open=True, max_open=True), default=0.5, show_default=True,
              help="The value the statistic should be shown to exceed.")
@click.option("--participants", type=click.IntRange(2), default=None,
              help="People in the human sample (default: the sample's size with --sample, else 300).")
@click.option("--trials", type=click.IntRange(2), default=30, show_default=True, help="Trials of the model.")
@click.option("--sample", default=None, help="Plan against this human sample's mean profile in the store.")
@click.option("--profile", "profile_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Plan against a YAML file mapping dimension key to mean rank or mean rating.")
@click.option("--condition", default=None, help="The condition of --sample (default: its only one for the task).")
@click.option("--dimensions", "k", type=click.IntRange(2, 6), default=None,
              help="Dimensions of the built-in profile (default 5); not with --sample or --profile.")
@click.option("--sims", type=click.IntRange(100), default=1600, show_default=True,
              help="Simulations per estimate (the 80% answer always uses at least 1,600).")
@click.option("--bootstrap", "b", type=click.IntRange(50), default=200, show_default=True,
              help="Bootstrap resamples per simulated study.")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True)
@instrument_option
@db_option
@json_option
def power_icc(target, statistic, task, null, participants, trials, sample, profile_file, condition, k, sims, b, seed,
              instrument, db_path, as_json):
    """Power to show a model's agreement with people (ICC(A,1) or CCC) above a null value, and the
    trials needed for 80%.

    The human profile comes from --sample (a sample in the store), --profile FILE, or a built-in
    plausible profile. Rank tasks: people and the model rank by Plackett-Luce (worths fitted to
    the profile's mean ranks). Rate tasks: rounded, clipped normal ratings (model SD 1.0; people
    SD 1.2 plus a per-person offset of SD 0.6). The model's profile is the human one moved towards
    its reverse until the population statistic equals the target. A detection is the one-sided 95%
    percentile-bootstrap lower bound of the noise-corrected statistic, computed as papers analyze
    does, above the null. ICC(A,1) is not agreement on rank profiles: use --statistic ccc there.
    """
    from papers.analysis.power import plan_agreement
    from papers.planning import human_profile

    if sample and profile_file:
        raise click.UsageError("use --sample or --profile, not both.")
    if k is not None and (sample or profile_file):
        raise click.UsageError("--dimensions sets the built-in profile; --sample and --profile bring their own.")
    if (condition or instrument) and not sample:
        raise click.UsageError("--condition and --instrument apply only with --sample.")
    profile = human_profile(task, db_path=db_path, sample=sample, profile_file=profile_file, condition=condition,
                            instrument=instrument, k=k)
    people = participants or profile.participants or 300
    try:
        plan = plan_agreement(profile, statistic, target, null, people, trials, sims, b, seed)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--target") from e
    emit(plan.as_dict(), as_json, "\n".join(plan.lines()))


# ------------------------------------------------------------------------------- report


@cli.command("report")
@click.option("--audit", "audit_id", required=True, help="The audit to publish (see papers analyze).")
@click.option("--engine", type=click.Choice(["auto", "quarto", "pandoc"]), default="auto", show_default=True,
              help="auto: Quarto when a quarto binary is on PATH, else Pandoc + Typst.")
@click.option("--site", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/_site"),
              show_default=True, help="Folder of the versioned static site.")
@click.option("--workers", type=click.IntRange(1), default=None, help="Pages rendered at once (default: one per core).")
@click.option("--sign", "sign_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Sign manifest.json with this secret key (papers keygen); its password comes from "
                   "PAPERS_KEY_PASSWORD or a prompt.")
@click.option("--force", is_flag=True, help="Publish even when a published audit holds the same data.")
@db_option
@json_option
def report_cmd(audit_id, engine, site, workers, sign_key, force, db_path, as_json):
    """Publish an audit as a static site: a page and PDF per model, a comparison, a manifest."""
    from papers.report.signing import load_secret_key

    key = load_secret_key(sign_key, lambda: _key_password(sign_key)) if sign_key else None  # a prompt before any bar
    progress = bars(as_json)
    with progress or _nothing():
        if progress:  # shown from the start: the imports and reading the audit take seconds
            progress("reading the audit", 0, 1)
        from papers.report.site import build_report
        from papers.stores import open_store

        with open_store(db_path, read_only=True, audit=audit_id) as store:
            result = build_report(store, audit_id, site=site, engine=engine, workers=workers, key=key, force=force,
                                  progress=progress)
    text = result.notes or [f"Published audit {audit_id}: {result.pages} pages and {result.pdfs} PDFs in "
                            f"{result.seconds:.1f} s" + (", manifest signed." if result.signed else ".")]
    emit({"audit": audit_id, "index": str(result.index), "unchanged": result.unchanged, "pages": result.pages,
          "pdfs": result.pdfs, "seconds": round(result.seconds, 2), "signed": result.signed,
          "manifest_sha256": result.manifest_sha256, "head": result.head}, as_json,
         "\n".join([*text, result.head, f"Open {result.index}"]))


class _Bars:
    """Progress on a terminal: a tqdm bar on stderr per stage, called as progress(stage, done, total)
    (report, brief) and closed when the command ends. `bars(as_json)` gives None where output is not
    a terminal or is --json: nothing is drawn then."""

    def __init__(self):
        self.bar, self.stage = None, None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, unit="", leave=False, file=sys.stderr)
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar, self.stage = None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def bars(as_json: bool) -> _Bars | None:
    return _Bars() if sys.stderr.isatty() and not as_json else None


def _key_password(path: Path, *, new: bool = False) -> str:
    """A secret key's password: PAPERS_KEY_PASSWORD, else asked on the terminal (twice for a new key)."""
    import os

    given = os.environ.get("PAPERS_KEY_PASSWORD")
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise PapersError(f"{path} needs its password, and there is no terminal to ask on.",
                          "set PAPERS_KEY_PASSWORD, or run papers on a terminal.")
    return click.prompt(f"Password for {path}", hide_input=True, confirmation_prompt=new, err=True)


@cli.command("keygen")
@click.option("--secret-key", type=click.Path(dir_okay=False, path_type=Path), default=Path("papers.key"),
              show_default=True, help="Where to write the secret key (readable by you only).")
@click.option("--public-key", type=click.Path(dir_okay=False, path_type=Path), default=Path("papers.pub"),
              show_default=True, help="Where to write the public key, the one to publish.")
@click.option("--no-password", is_flag=True, help="Leave the secret key unencrypted (as minisign -W does).")
def keygen_cmd(secret_key, public_key, no_password):
    """Make an Ed25519 key pair (minisign format) to sign published audits with."""
    from papers.report.signing import write_key_pair

    password = None
    if not no_password:
        password = _key_password(secret_key, new=True)
        if not password:
            raise PapersError("an empty password protects nothing.", "type a password, or pass --no-password to say so.")
    public = write_key_pair(secret_key, public_key, password)
    say(f"Secret key: {secret_key} ({'encrypted with your password' if password else 'not encrypted'}); keep it secret.\n"
        f"Public key: {public_key} (key id {public.id_hex}); publish it beside your site.\n"
        f"Sign an audit:   papers report --audit NAME --sign {secret_key}\n"
        f"Check it:        papers verify reports/_site/NAME --key {public_key}\n"
        f"or with minisign: minisign -Vm reports/_site/NAME/manifest.json -p {public_key}")


@cli.command("verify")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--key", "public_key", default=None,
              help="The publisher's public key (a papers keygen .pub file, or its base64 line): every signature "
                   "must verify, and every file of a site must be one papers wrote.")
@click.option("--allow-unsigned-additions", is_flag=True,
              help="With --key: accept files added after publication (briefs) whose additions.json is not signed, "
                   "saying so.")
@click.option("--expect-latest", metavar="AUDIT", default=None,
              help="A site only: fail unless its head names AUDIT (as the latest audit, or one published before it).")
@click.option("--not-before", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"]),
              default=None, help="A site only: fail unless its head was written on or after this date (UTC).")
@json_option
def verify_cmd(directory, public_key, allow_unsigned_additions, expect_latest, not_before, as_json):
    """Check a published audit, or a whole site (its head, its files and its hash chain), against the
    manifests and signatures."""
    from datetime import timezone

    from papers.report.signing import load_public_key
    from papers.report.verify import verify

    key = load_public_key(public_key) if public_key else None
    result = verify(directory, key, allow_unsigned_additions=allow_unsigned_additions, expect_latest=expect_latest,
                    not_before=not_before.replace(tzinfo=timezone.utc) if not_before else None)
    if result.kind == "audit" and (expect_latest or not_before):
        raise click.UsageError("--expect-latest and --not-before check a site's head: give a site root, not an audit.")
    emit(result.as_dict(), as_json, "\n".join(result.lines()))
    if not result.ok:
        raise SystemExit(1)


# ------------------------------------------------------------------------------- export


@cli.group("export", cls=PapersGroup, invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write one file per public table into.")
@click.option("--audit", "audit_id", default=None,
              help="Only this audit: the rows it pinned and its results, as its published data/ holds them.")
@db_option
@click.pass_context
def export_cmd(ctx, fmt, out_dir, audit_id, db_path):
    """Write every public table of the store (or one audit's rows) as Parquet or CSV files (or: export codesheet)."""
    if ctx.invoked_subcommand is not None:
        return
    if out_dir is None:
        raise click.UsageError("Missing option '--out'.")
    from papers.export import export_audit, export_tables
    from papers.stores import open_store

    with open_store(db_path, read_only=True, audit=audit_id) as store:
        written = export_audit(store, audit_id, out_dir, fmt) if audit_id else export_tables(store, out_dir, fmt)
    for table, (path, rows) in written.items():
        say(f"{path}  {rows:,} rows")


@export_cmd.command("codesheet")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV file to write.")
@click.option("--unblind", is_flag=True, help="Include the model's name (blinded by default).")
@instrument_option
@db_option
def export_codesheet_cmd(out_file, unblind, instrument, db_path):
    """A sheet for human coders: one row per open answer, an empty 0/1 column per theme."""
    from papers.export import export_codesheet
    from papers.store import resolve_instrument
    from papers.stores import open_store

    # writable: the sheet's salted ids are kept, to map the filled sheet back; never a new store
    with open_store(db_path, create=False) as store:
        n = export_codesheet(store, out_file, resolve_instrument(instrument, store), unblind)
    say(f"Wrote {out_file}: {n:,} answers to code{' (model names shown)' if unblind else ', blinded to the model'}.")


@ingest.command("codes")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--coder", required=True, help="Name of the human coder, e.g. alice.")
@instrument_option
@encoding_option
@db_option
@json_option
def ingest_codes_cmd(file, coder, instrument, encoding, db_path, as_json):
    """Load a filled code sheet (from papers export codesheet) as one coder's codes."""
    from papers.ingest.codes import ingest_codes
    from papers.ingest.files import check_readable
    from papers.store import resolve_instrument
    from papers.stores import open_store

    check_readable(file)
    with open_store(db_path, create=False) as store:  # codes belong to answers already stored
        report = ingest_codes(store, file, coder, resolve_instrument(instrument, store), encoding)
    emit(report.as_dict(), as_json, _load_text(report))


@cli.command("code")
@click.option("--coder", required=True, help="A litellm model string, e.g. openai/gpt-4o-mini or simulated/uniform.")
@click.option("--condition", "conditions", multiple=True, help="Only answers of this condition (repeatable).")
@call_options
@instrument_option
@db_option
@json_option
def code_cmd(coder, conditions, calls, instrument, db_path, as_json):
    """Code every open answer not yet coded by CODER against the instrument's codebook (Study 1)."""
    from papers.collect.coding import CodingSettings
    from papers.collect.output import code_lines
    from papers.collect.service import run_code

    result = run_code(CodingSettings(coder=coder, conditions=list(conditions), calls=calls), db_path=db_path,
                      instrument=instrument)
    emit(result.as_dict(), as_json, "\n".join(code_lines(result)))


INTERRUPTED = "Interrupted. Everything stored so far is kept; run the same command again to resume."


# ------------------------------------------------------------------------------- lake


@cli.command("push")
@click.option("--lake", "lake_url", envvar="PAPERS_LAKE", required=True,
              help="The lake: ducklake:postgres:dbname=NAME host=HOST (shared), ducklake:path/catalog.ducklake or "
                   "ducklake:sqlite:path (local, one writer). Passwords from PGPASSWORD or ~/.pgpass (env PAPERS_LAKE).")
@click.option("--data-path", "data_path", envvar="PAPERS_LAKE_DATA_PATH", default=None,
              help="Where a new lake keeps its Parquet files (a folder or s3://...); an existing lake remembers it "
                   "(env PAPERS_LAKE_DATA_PATH).")
@click.option("--batch", type=click.IntRange(1), default=50_000, show_default=True,
              help="Responses or participants per transaction.")
@db_option
@json_option
def push_cmd(lake_url, data_path, batch, db_path, as_json):
    """Copy this store's raw rows into a shared lake, each row exactly once.

    Several machines may push the same or overlapping rows at the same time; a push stopped at any
    point (Ctrl-C, kill -9) is completed by running it again.
    """
    from papers.lake.push import push

    progress = bars(as_json)
    with progress or _nothing():
        report = push(db_path, lake_url, data_path=data_path, batch=batch,
                      progress=(lambda done, total: progress("pushing batches", done, total)) if progress else None)
    added = ", ".join(f"{t} {n:,}" for t, n in report.inserted.items() if n) or "nothing new"
    emit(report.as_dict(), as_json,
         f"Pushed {db_path} to {report.lake} (snapshot {report.snapshot}): {added}; "
         f"{report.batches} transactions, {report.retries} retried after conflicts, {report.seconds:.1f} s.")


@cli.group(cls=PapersGroup)
def lake():
    """Look after a lake that stores push to."""


@lake.command("maintain")
@click.option("--lake", "lake_url", envvar="PAPERS_LAKE", required=True, help="The lake (env PAPERS_LAKE).")
@click.option("--keep-days", type=click.FloatRange(0), default=7, show_default=True,
              help="Expire snapshots older than this, except those an audit pins.")
@json_option
def lake_maintain_cmd(lake_url, keep_days, as_json):
    """Flush inlined rows to Parquet, merge small files, expire old snapshots, delete unused files,
    so that engines reading the Parquet files directly (polars, Spark) see every row."""
    from papers.lake.maintain import maintain

    result = maintain(lake_url, keep_days=keep_days)
    emit(result, as_json, f"Maintained {result['lake']}: {result['expired']} snapshots expired "
                          f"({result['kept_pinned']} pinned by audits kept), {result['files_removed']} files removed; "
                          f"{result['data_files']} data files hold the rows.")


def main() -> None:
    try:
        cli(prog_name="papers", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo(INTERRUPTED, err=True)
        _json_failure(INTERRUPTED, None, 130)
        sys.exit(130)
    except click.exceptions.ClickException as e:
        e.show()
        _json_failure(e.format_message(), getattr(e, "hint", None), e.exit_code)
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)


def _json_failure(message: str, hint: str | None, exit_code: int) -> None:
    """With --json, a command that fails still prints JSON on stdout (the message is on stderr too),
    so a script reading stdout always gets a document."""
    if "--json" in sys.argv[1:]:
        say(json.dumps({"error": message, "hint": hint, "exit_code": exit_code}, indent=2))


if __name__ == "__main__":
    main()
