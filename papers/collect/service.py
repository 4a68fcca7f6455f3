"""`papers collect` as one callable: settings in, a report out (the CLI only prints it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from papers.errors import InputError


@dataclass
class CollectResult:
    data: dict
    lines: list[str]


def load_dotenv(path: Path = Path(".env")) -> None:
    """Read KEY=value lines of a .env file into the environment (never overriding what is set)."""
    import os

    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


def _prepare(store, instrument, conditions, models, simulated_profiles):
    """What collect and code both check before anything starts: keys, profiles, instrument, conditions."""
    from papers.collect.simulated import load_profiles, profile_for
    from papers.store import resolve_instrument

    load_dotenv()
    if simulated_profiles:
        load_profiles(simulated_profiles)
        os.environ["PAPERS_SIMULATED_PROFILES"] = str(Path(simulated_profiles).resolve())  # for worker processes
    for model in models:
        if model.startswith("simulated/"):
            profile_for(model)  # an unknown profile is a clear error before anything starts
    inst = resolve_instrument(instrument, store)
    unknown = [c for c in conditions if c not in inst.condition_keys]
    if unknown:
        raise InputError(f"--condition {unknown[0]}: not a condition of {inst.id}.",
                         f"conditions: {', '.join(inst.condition_keys)}.")
    return inst


def run_collect(*, db_path, instrument, models, tasks, conditions, trials, seed, temperature, max_tokens,
                system_prompt, concurrency, timeout, max_retries, api_base, max_cost, retry_errors, dry_run,
                simulated_profiles, progress, processes=0) -> CollectResult:
    from papers.collect import runner
    from papers.collect.plan import Decoding
    from papers.store import open_store

    with open_store(db_path) as store:
        inst = _prepare(store, instrument, conditions, models, simulated_profiles)
        missing = [t for t in tasks if t not in inst.task_keys]
        if missing:
            raise InputError(f"--task {missing[0]}: the instrument {inst.id} has no such task.")
        settings = runner.CollectSettings(
            models=models, tasks=tasks, conditions=conditions or list(inst.condition_keys), trials=trials, seed=seed,
            decoding=Decoding(temperature, max_tokens, system_prompt), concurrency=concurrency, timeout=timeout,
            max_retries=max_retries, api_base=api_base, max_cost=max_cost, retry_errors=retry_errors,
            processes=processes,
        )
        if dry_run:
            todo, reused = runner.pending_trials(store, runner.plan_for(inst, settings), retry_errors)
            per_model = runner.estimate(inst, settings, todo)
            return CollectResult({"dry_run": True, "reused": reused, "per_model": per_model},
                                 runner.dry_run_lines(per_model, reused))
        report = runner.collect(store, inst, settings, progress=progress)
        return CollectResult(report.as_dict(), runner.summary_lines(report))


def run_code(*, db_path, instrument, coder, conditions, concurrency, timeout, max_retries, api_base, max_cost,
             retry_errors, dry_run, simulated_profiles) -> CollectResult:
    from papers.collect import coding
    from papers.store import open_store

    with open_store(db_path) as store:
        inst = _prepare(store, instrument, conditions, [coder], simulated_profiles)
        settings = coding.CodingSettings(coder=coder, conditions=list(conditions), concurrency=concurrency,
                                         timeout=timeout, max_retries=max_retries, api_base=api_base,
                                         max_cost=max_cost, retry_errors=retry_errors)
        if dry_run:
            jobs = coding.pending_jobs(store, inst, settings)
            e = coding.estimate(inst, jobs, coder)
            cost = "unknown (not in litellm's price map)" if e["cost_usd"] is None else f"${e['cost_usd']:.4f}"
            return CollectResult({"dry_run": True, **e}, [
                f"Dry run: {e['calls']:,} open answers would be coded by {coder}; nothing was called.",
                f"  about {e['input_tokens']:,} input and {e['output_tokens']:,} output tokens, estimated cost {cost}"])
        report = coding.code_answers(store, inst, settings)
        if report.pending == 0:
            return CollectResult(report.as_dict(), [f"{coder}: every open answer is already coded; nothing to do."])
        return CollectResult(report.as_dict(), report.lines(coder))
