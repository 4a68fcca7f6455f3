"""`papers collect` and `papers code` as callables: settings in, a report or a dry-run estimate out
(the CLI prints it, with papers/collect/output.py)."""

from __future__ import annotations

import dataclasses

from papers.collect.batches import BatchReport
from papers.collect.coding import CodingReport, CodingSettings
from papers.collect.costs import CodingEstimate, TrialsEstimate
from papers.collect.endpoints import DotEnv
from papers.collect.runner import CollectReport, CollectSettings
from papers.collect.settings import CallSettings
from papers.errors import InputError


def route(calls: CallSettings, models: list[str]) -> tuple[CallSettings, DotEnv]:
    """Each model's endpoint and key, resolved once before a store is opened or a call made
    (papers/collect/endpoints.py): the keys of a .env taken (its other variables only with
    --env-endpoints), and a missing key refused, except by a dry run, which calls nothing. The
    settings returned carry the endpoints every call is given."""
    from papers.collect.calls import run_secrets
    from papers.collect.endpoints import check_keys, load_dotenv, resolve

    dotenv = load_dotenv(endpoints=calls.env_endpoints)
    endpoints = resolve(models, calls.api_base, calls.api_base_source, dotenv)
    if not calls.dry_run:
        check_keys(endpoints)
    calls = dataclasses.replace(calls, endpoints=endpoints)
    run_secrets(calls)  # what this process prints is redacted of the run's credentials too
    return calls, dotenv


def _prepare(store, instrument, conditions, models, calls: CallSettings, *, coding: bool = False):
    """What collect and code both check before anything starts: profiles, instrument, conditions
    (keys and endpoints: `route`, before). Returns the instrument and the simulated profiles read
    from --simulated-profiles. Collect asks the named (default: bundled) instrument; code codes the
    answers the store holds, so without --instrument it takes the one instrument the store has open
    answers to."""
    from papers.collect.simulated import load_profiles, profile_for
    from papers.store import instrument_in_use, resolve_instrument

    profiles = load_profiles(calls.simulated_profiles) if calls.simulated_profiles else {}
    for model in models:
        if model.startswith("simulated/"):
            profile_for(model)  # an unknown profile is a clear error before anything starts
    if coding:
        inst = instrument_in_use(store, instrument, tasks=("open",), what="code")
    else:
        inst = resolve_instrument(instrument, store)
    unknown = [c for c in conditions if c not in inst.condition_keys]
    if unknown:
        raise InputError(f"--condition {unknown[0]}: not a condition of {inst.id}.",
                         f"conditions: {', '.join(inst.condition_keys)}.")
    return inst, profiles


def run_collect(settings: CollectSettings, *, db_path, instrument: str | None = None,
                progress: bool = False) -> CollectReport | TrialsEstimate | BatchReport:
    """Collect (or, with settings.calls.dry_run, estimate) every pending trial of the plan; no
    conditions in the settings means every condition of the instrument. With settings.calls.batch,
    as provider batch jobs (papers/collect/batches.py). The report says where the calls went."""
    _check_batch_options(settings.calls, settings.models)
    calls, dotenv = route(settings.calls, settings.models)
    result = _collect(dataclasses.replace(settings, calls=calls), db_path, instrument, progress)
    return result.routed(calls, dotenv)


def _thin_variants(inst, settings: CollectSettings) -> list[str]:
    """A warning for each task whose trials are fewer than the variants they are spread over: trial t
    asks variant t mod V, so the later variants are never asked (--dry-run shows the split)."""
    from papers.collect.plan import choose_variants

    out = []
    for task, ids in choose_variants(inst, settings.tasks, settings.variants).items():
        if settings.trials < len(ids):
            out.append(f"--trials {settings.trials} is fewer than the {len(ids)} variants of the {task} task: only "
                       f"{', '.join(ids[:settings.trials])} {'is' if settings.trials == 1 else 'are'} asked; give "
                       f"--trials {len(ids)} or more to ask every wording, or name the ones to ask with --variants.")
    return out


def _collect(settings: CollectSettings, db_path, instrument: str | None,
             progress: bool) -> CollectReport | TrialsEstimate | BatchReport:
    if not settings.calls.dry_run and not _store_exists(db_path):
        from papers.store import open_store

        with open_store(":memory:") as scratch:  # a plan refused leaves no new, empty store file behind
            _checked(scratch, settings, instrument)
    with _open(db_path, settings.calls.dry_run) as store:
        inst, profiles, settings = _checked(store, settings, instrument)
        result = _run(store, inst, profiles, settings, progress)
    result.plan_warnings = _thin_variants(inst, settings)
    return result


def _run(store, inst, profiles, settings: CollectSettings, progress: bool) -> CollectReport | TrialsEstimate | BatchReport:
    """The dry run, the batch jobs or the live calls of a checked plan, in the open store."""
    from papers.collect import runner
    from papers.collect.batches import in_batch_jobs
    from papers.collect.costs import estimate_trials
    from papers.collect.storage import pending_trials

    if settings.calls.dry_run:
        todo, reused = pending_trials(store, runner.plan_for(inst, settings), settings.calls.retry_errors)
        in_jobs = in_batch_jobs(store)  # neither a live nor a batch run calls these again
        todo = [t for t in todo if t.response_id not in in_jobs]
        return estimate_trials(inst, settings.decoding, todo, reused, batch=settings.calls.batch)
    if settings.calls.batch:
        from papers.collect.batches import collect_batches

        bar = _BatchBar() if progress else None
        try:
            return collect_batches(store, inst, runner.plan_for(inst, settings), settings.decoding,
                                   settings.calls, settings.as_dict(), progress=bar)
        finally:
            if bar is not None:
                bar.close()
    return runner.collect(store, inst, settings, profiles=profiles, progress=progress)


def _checked(store, settings: CollectSettings, instrument: str | None):
    """The instrument, the simulated profiles and the settings with every condition filled in, once
    the tasks, conditions and variants asked for are known to be the instrument's."""
    from papers.collect.plan import choose_variants

    inst, profiles = _prepare(store, instrument, settings.conditions, settings.models, settings.calls)
    missing = [t for t in settings.tasks if t not in inst.task_keys]
    if missing:
        raise InputError(f"--task {missing[0]}: the instrument {inst.id} has no such task.")
    settings = dataclasses.replace(settings, conditions=settings.conditions or list(inst.condition_keys))
    choose_variants(inst, settings.tasks, settings.variants)  # unknown variants are refused here, before a plan
    return inst, profiles, settings


def _store_exists(db_path) -> bool:
    from pathlib import Path

    from papers.store import DEFAULT_DB

    if str(db_path).startswith("ducklake:"):
        return True  # a lake is opened as it is; only a new store file is worth sparing
    return Path(db_path or DEFAULT_DB).exists()


def _check_batch_options(calls: CallSettings, models: list[str]) -> None:
    """Batch options out of place, and models without a batch API, refused before the store is
    opened (so no store file is created) and alike for a dry run and a real one."""
    if calls.wait and not calls.batch:
        raise InputError("--wait goes with --batch: live calls are always waited for.")
    if calls.batch and calls.max_cost is not None and not calls.dry_run:
        raise InputError("--max-cost cannot stop a batch job: its price is known only when its results arrive.",
                         "see the estimate with --batch --dry-run, then submit without --max-cost.")
    if calls.batch:
        from papers.collect.batches import provider_of

        for model in models:
            provider_of(model, calls.api_base)


def _open(db_path, dry_run: bool):
    """The store; for a dry run, read only, or an empty one in memory when there is none yet (a dry
    run writes nothing, not even a new store file)."""
    from pathlib import Path

    from papers.store import open_store

    if not dry_run:
        return open_store(db_path)
    path = Path(db_path) if db_path else None
    if path is not None and path.exists():
        return open_store(path, read_only=True)
    if path is None:
        from papers.store import DEFAULT_DB

        if DEFAULT_DB.exists():
            return open_store(DEFAULT_DB, read_only=True)
    return open_store(":memory:")


class _BatchBar:
    """With --batch --wait, on a terminal: a tqdm bar of the requests whose results are stored, with
    the jobs' states, redrawn at every check (nothing where stderr is not a terminal)."""

    def __init__(self):
        self.bar = None

    def __call__(self, report) -> None:
        from tqdm import tqdm

        total = report.running + report.stored
        if self.bar is None:
            self.bar = tqdm(total=total, desc="batch jobs", unit=" requests", disable=None, leave=False)
        self.bar.total = total
        self.bar.update(report.stored - self.bar.n)
        states = ", ".join(f"{n} {state}" for state, n in sorted(report.states.items()))
        self.bar.set_postfix_str(f"{report.jobs_running} running ({states})")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_code(settings: CodingSettings, *, db_path,
             instrument: str | None = None) -> CodingReport | CodingEstimate | BatchReport:
    """Code (or, with settings.calls.dry_run, estimate) every open answer the coder has not coded;
    the report says where the calls went."""
    _check_batch_options(settings.calls, [settings.coder])
    calls, dotenv = route(settings.calls, [settings.coder])
    result = _code(dataclasses.replace(settings, calls=calls), db_path, instrument)
    return result.routed(calls, dotenv)


def _code(settings: CodingSettings, db_path, instrument: str | None) -> CodingReport | CodingEstimate | BatchReport:
    from papers.collect import coding
    from papers.store import open_store

    with open_store(db_path, create=False) as store:  # codes answers already stored: never a new store
        inst, profiles = _prepare(store, instrument, settings.conditions, [settings.coder], settings.calls,
                                  coding=True)
        if settings.calls.dry_run:
            return coding.estimate(inst, coding.pending_jobs(store, inst, settings), settings.coder)
        if settings.calls.batch:
            bar = _BatchBar()
            try:
                return coding.code_in_batches(store, inst, settings, progress=bar)
            finally:
                bar.close()
        return coding.code_answers(store, inst, settings, profiles=profiles)
