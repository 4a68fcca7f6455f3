"""What `papers collect` and `papers code` print: the dry-run estimate or the summary of a run.
Used by the CLI only; the library returns reports and estimates."""

from __future__ import annotations

from papers.collect.batches import BatchReport
from papers.collect.coding import CodingReport
from papers.collect.costs import CodingEstimate, TrialsEstimate
from papers.collect.endpoints import SIMULATED, Routed, describe
from papers.collect.runner import CollectReport
from papers.outcomes import STATUSES

UNPRICED = "unknown (not in litellm's price map)"
RESUME = "; everything so far is stored. Run the same command to continue."


def collect_lines(result: CollectReport | TrialsEstimate | BatchReport) -> list[str]:
    if isinstance(result, TrialsEstimate):
        return _dry_run_lines(result)
    if isinstance(result, BatchReport):
        return _batch_lines(result)
    lines = [f"{result.planned:,} trials planned: {result.made:,} calls made now, {result.reused:,} already stored "
             f"(not requested again), {sum(c['error'] for c in result.per_model.values()):,} failed."]
    if result.in_batch:
        lines.append(f"{result.in_batch:,} trials not called: they are in batch jobs whose results are not stored "
                     "yet (calling them now would pay for them twice); `papers collect --batch` stores them when "
                     "the jobs end.")
    if result.stopped:
        lines.append(result.stopped + RESUME)
    for model, c in sorted(result.per_model.items()):
        n = sum(c[s] for s in STATUSES)
        cost = f"${c['cost_micro_usd'] / 1e6:.4f}" if c["cost_micro_usd"] else "cost n/a"
        lines.append(
            f"  {model}: {n} trials, valid {c['valid'] / n:.0%}, refused {c['refused']}, unparseable {c['unparseable']}, "
            f"incomplete {c['incomplete']}, {_no_choice(c)}errors {c['error']}; tokens {c['input_tokens']:,} in / "
            f"{c['output_tokens']:,} out; {cost}; mean latency {c['latency_ms'] / n:.0f} ms")
    lines += routing_lines(result)
    lines.append(f"Took {result.seconds:.1f} s.")
    return lines


def _no_choice(counts) -> str:
    """The dilemmas answered with both actions or neither, where there are any."""
    return f"both or neither {counts['no_choice']}, " if counts["no_choice"] else ""


def routing_lines(result: Routed) -> list[str]:
    """Where each model's calls went (without credentials; simulated models call nothing), and what
    the .env held that papers did not take."""
    lines = [f"  {e['model']}: endpoint {describe(e)}" + (f"; key from {e['key']}" if e["key"] else "")
             for e in sorted(result.endpoints, key=lambda e: e["model"]) if e["source"] != SIMULATED]
    if result.dotenv_ignored:
        lines.append(f"Not taken from .env: {', '.join(result.dotenv_ignored)} (a .env supplies API keys only; give "
                     "an endpoint with --api-base, or add --env-endpoints to take every variable of the .env).")
    return lines + [f"Warning: {w}" for w in result.plan_warnings]


def _dry_run_lines(estimate: TrialsEstimate) -> list[str]:
    calls = sum(e["calls"] for e in estimate.per_model.values())
    how = " as provider batch jobs" if estimate.batch else ""
    lines = [f"Dry run: {calls:,} calls would be made{how} ({estimate.reused:,} trials already stored); "
             "nothing was called."]
    for model, e in sorted(estimate.per_model.items()):
        cost = UNPRICED if e["cost_usd"] is None else f"${e['cost_usd']:.4f}"
        if estimate.batch and e["cost_usd"] is not None:
            cost += (" at the price map's batch rates" if e.get("batch_rates")
                     else " at regular rates (the price map has no batch rate for it)")
        lines.append(f"  {model}: {e['calls']:,} calls, about {e['input_tokens']:,} input and "
                     f"{e['output_tokens']:,} output tokens, estimated cost {cost}")
    lines += routing_lines(estimate)
    for task, counts in estimate.split.items():
        lines.append(f"  {task}, calls per wording: " + ", ".join(f"{v} {n:,}" for v, n in counts.items()))
    if estimate.batch:
        lines.append("  An estimate: batch jobs are billed at the provider's batch price when their results "
                     "arrive, within 24 hours.")
    return lines


def _batch_lines(report: BatchReport) -> list[str]:
    lines = [f"{report.planned:,} trials planned: {report.stored:,} results of {report.jobs_stored} ended batch "
             f"jobs stored now, {report.submitted:,} requests submitted in {report.jobs_submitted} new jobs, "
             f"{report.reused:,} already stored."]
    for model, c in sorted(report.per_model.items()):
        n = sum(c[s] for s in STATUSES)
        cost = f"${c['cost_micro_usd'] / 1e6:.4f}" if c["cost_micro_usd"] else "cost n/a"
        lines.append(f"  {model}: {n} stored, valid {c['valid']}, refused {c['refused']}, unparseable "
                     f"{c['unparseable']}, incomplete {c['incomplete']}, {_no_choice(c)}errors {c['error']}; tokens "
                     f"{c['input_tokens']:,} in / {c['output_tokens']:,} out; {cost}")
    lines += routing_lines(report)
    if report.jobs_running:
        states = ", ".join(f"{n} {state}" for state, n in sorted(report.states.items()))
        lines.append(f"{report.jobs_running} batch jobs still running ({states}; {report.running:,} requests). "
                     "Run the same command again to store their results when they end (within 24 hours), "
                     "or add --wait.")
    elif any(c["error"] for c in report.per_model.values()):
        lines.append("Requests that failed are stored as errors; run the same command with --retry-errors "
                     "to submit only them again.")
    lines.append(f"Took {report.seconds:.1f} s.")
    return lines + [f"Warning: {w}" for w in report.warnings]


def code_lines(result: CodingReport | CodingEstimate | BatchReport) -> list[str]:
    if isinstance(result, BatchReport):
        return _code_batch_lines(result)
    if isinstance(result, CodingEstimate):
        cost = UNPRICED if result.cost_usd is None else f"${result.cost_usd:.4f}"
        return [f"Dry run: {result.calls:,} open answers would be coded by {result.coder}; nothing was called.",
                f"  about {result.input_tokens:,} input and {result.output_tokens:,} output tokens, estimated cost {cost}",
                *routing_lines(result)]
    if result.pending == 0:
        return [f"{result.coder}: every open answer is already coded; nothing to do.", *routing_lines(result)]
    lines = [f"{result.coder}: {result.coded:,} answers coded now of {result.pending:,} pending; codes: "
             + ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in sorted(result.counts.items()))
             + (f"; cost ${result.cost_usd:.4f}" if result.cost_usd else "") + f"; {result.seconds:.1f} s."]
    lines += code_meanings(result.counts)
    if result.stopped:
        lines.append(result.stopped + RESUME)
    return lines + routing_lines(result)


# what a code of each status other than valid means, and what becomes of it (papers.collect.coding)
CODE_MEANINGS = {
    "invalid_evidence": "the coder marked a theme present but quoted words that are not in the answer; kept in the "
                        "codes table, not analysed",
    "unparseable": "the coder's reply gave no readable present/absent for that theme; kept, not analysed",
    "error": "the call to the coder failed; run the same command with --retry-errors to code these again",
}


def code_meanings(counts: dict[str, int]) -> list[str]:
    """One line per status besides valid that these counts hold, saying what it means."""
    return [f"  {counts[k]:,} {k.replace('_', ' ')}: {meaning}." for k, meaning in CODE_MEANINGS.items() if counts.get(k)]


def _code_batch_lines(report: BatchReport) -> list[str]:
    lines = [f"{report.planned:,} answers to code: the results of {report.jobs_stored} ended batch jobs stored now "
             f"({report.stored:,} answers), {report.submitted:,} submitted in {report.jobs_submitted} new jobs."]
    for coder, counts in sorted(report.per_model.items()):
        lines.append(f"  {coder}: codes " + ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in sorted(counts.items())))
        lines += ["  " + line for line in code_meanings(counts)]
    lines += routing_lines(report)
    if report.jobs_running:
        lines.append(f"{report.jobs_running} batch jobs still running ({report.running:,} answers). Run the same "
                     "command again to store their codes when they end (within 24 hours), or add --wait.")
    lines.append(f"Took {report.seconds:.1f} s.")
    return lines + [f"Warning: {w}" for w in report.warnings]
