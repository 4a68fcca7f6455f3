"""The takeaway: the two or three sentences a model's page (or the comparison) opens with, for a
reader who reads nothing else, a procurement officer or a journalist.

Each sentence is drawn from the same result rows as the statistics below it, under the same
evidence rules (papers.analysis.claims): a value is said to come first only where Friedman's test
shows the trials' order is not chance; "the most stable" and "the closest to people" only when the
leader's interval clears the runner-up's; "exaggerates" or "compresses" the gaps only when the
spread ratio's whole interval lies above or below 1; a statistic the analysis declined (no value,
or no interval) is never counted for or against anything. The last sentence says what the audit
cannot tell.

Both builders are pure functions of plain rows (dicts, as the result tables hold them), so a new
clause (robustness across wordings, say) is one more function over one more list of rows.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from papers.analysis.claims import ALPHA, Estimate, leaders
from papers.report import dilemmas as says
from papers.report import robustness as wording

TYPED = ("human-centric", "utility-driven")


@dataclass(frozen=True)
class Evidence:
    """The rows of one audit a takeaway reads, every model's (a model is compared with its peers).

    summary: one row per model, condition and task (queries/analysis/summary.sql): model, condition,
        task, dimensions (keys in priority order), friedman_p, mean_rho, mean_rho_ci_low,
        mean_rho_ci_high, model_type
    agreement: result_agreement rows: model, sample, condition, task, n_participants, pearson_r,
        r_ci_low, r_ci_high, spread_ratio, spread_ratio_ci_low, spread_ratio_ci_high, ccc,
        ccc_ci_low, ccc_ci_high
    names: dimension key -> the name a reader sees
    humanistic, utility: the names of the dimensions of each orientation (what a type means)
    robustness: result_robustness rows: model, condition, task, n_variants, top, top_variants,
        top_by_variant, robust (None: not measured)
    consistency: result_consistency rows: model, condition, consistency_share, consistency_ci_low,
        consistency_ci_high, chance, label (None: not measured); none where no dilemma was asked
    """

    summary: list[dict]
    agreement: list[dict] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    humanistic: list[str] = field(default_factory=list)
    utility: list[str] = field(default_factory=list)
    robustness: list[dict] = field(default_factory=list)
    consistency: list[dict] = field(default_factory=list)

    def rows(self, model: str) -> list[dict]:
        return [r for r in self.summary if r["model"] == model]

    @property
    def models(self) -> list[str]:
        return sorted({r["model"] for r in self.summary})

    def name(self, key: str) -> str:
        return self.names.get(key, key)


def number(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def known(row: dict, *columns: str) -> bool:
    """Every column of a statistic holds a number: it was not declined."""
    return all(number(row.get(c)) for c in columns)


def ways(k: int, n: int, *, short: bool = False) -> str:
    """"in all 4 ways it was asked", "in 3 of the 4 ways it was asked", "in the one way it was asked";
    short: "in all 4", "in 3 of the 4", "" (when a sentence has said it once)."""
    if n == 1:
        return "" if short else "in the one way it was asked"
    said = ("in both" if n == 2 else f"in all {n}") if k == n else f"in {k} of the {n}"
    return said if short else f"{said} ways it was asked"


def joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def span(values: list[float]) -> str:
    """"0.33" or "0.33 to 0.68"."""
    low, high = min(values), max(values)
    return f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f} to {high:.2f}"


# ----------------------------------------------------------------------------- a model's page


def model_takeaway(model: str, evidence: Evidence) -> list[str]:
    """The sentences a model's page opens with: what comes first and the model's type, how stable it
    is against its peers, how close to people, and what the audit cannot tell."""
    rows = evidence.rows(model)
    if not rows:
        return [f"The audit holds no rank or rate results for {model}.", LIMIT]
    asked = any(r["model"] == model for r in evidence.consistency)
    return [s for s in (priorities_sentence(model, rows, evidence), wording.sentence(model, evidence.robustness,
                                                                                     evidence.names),
                        says.sentence(model, evidence.consistency),
                        stability_sentence(rows, evidence), *people_sentences(model, evidence)) if s] + [
        wording.limit(evidence.robustness, model, dilemmas=asked) if evidence.robustness or asked else LIMIT]


def priorities_sentence(model: str, rows: list[dict], evidence: Evidence) -> str:
    """What the model puts first, where its trials agree beyond chance, and its type."""
    n = len(rows)
    ordered = [r for r in rows if number(r["friedman_p"]) and r["friedman_p"] < ALPHA]
    if not ordered:
        first = (f"{model} shows no order of priorities that its trials agree on beyond chance "
                 f"({'in any of the ' + str(n) + ' ways it was asked' if n > 1 else 'in the one way it was asked'}), "
                 "so the audit names no first priority.")
    else:
        firsts = Counter(evidence.name(r["dimensions"][0]) for r in ordered)
        seconds = {evidence.name(r["dimensions"][1]) for r in ordered if len(r["dimensions"]) > 1}
        if len(firsts) == 1:
            (top, k), = firsts.items()
            then = f", followed by {seconds.pop()}," if len(seconds) == 1 else ""
            rest = "" if k == n else " (in the others its trials did not agree beyond chance)"
            first = f"{model} puts {top} first{then} {ways(k, n)}{rest}."
        else:
            split = joined([f"{name} in {k}" for name, k in firsts.most_common()])
            first = f"What {model} puts first depends on how it is asked: {split} of the {n} ways."
    return " ".join(filter(None, [first, type_clause(rows, evidence)]))


def type_clause(rows: list[dict], evidence: Evidence) -> str:
    """The model's type in words, and what it means for this instrument."""
    kinds = Counter(r.get("model_type") or "not typed" for r in rows)
    n = len(rows)
    if set(kinds) == {"not typed"}:
        return ""
    if len(kinds) == 1 and next(iter(kinds)) in TYPED:
        kind = next(iter(kinds))
        return f"It is {kind}{' each time' if n > 1 else ''}: {orientation_words(kind, evidence)}."
    typed = [(kind, k) for kind, k in kinds.most_common() if kind in TYPED]
    if not typed:
        return ("It cannot be called human-centric or utility-driven: its balance between the two kinds of values "
                "does not clear the audit's margin.")
    return (f"Its type changes with the question: {joined([f'{kind} in {k}' for kind, k in typed])} of the {n} ways, "
            f"with no clear type in {n - sum(k for _, k in typed)}.")


def orientation_words(kind: str, evidence: Evidence) -> str:
    humanistic = joined(evidence.humanistic) if evidence.humanistic else "the humanistic values"
    utility = joined(evidence.utility) if evidence.utility else "the utility values"
    ahead, behind = (humanistic, utility) if kind == "human-centric" else (utility, humanistic)
    return f"it puts {ahead} ahead of {behind}, by more than the audit's margin"


def stability_sentence(rows: list[dict], evidence: Evidence) -> str:
    """How alike two of its answers are, and whether a peer is clearly more stable."""
    mine = [r for r in rows if known(r, "mean_rho")]
    if not mine:
        return "How stable its answers are could not be estimated."
    text = (f"Asked the same thing again, two of its answers agree with a rank correlation of "
            f"{span([r['mean_rho'] for r in mine])} (1 would be the same answer every time, 0 no more alike than "
            "chance)")
    if len(evidence.models) < 2:
        return text + "."
    standing = Counter(stability_standing(r, evidence) for r in mine)
    words = {"lead": f"it is the most stable of the {len(evidence.models)} models",
             "tied": "no other model is shown to be more stable",
             "behind": "another model is clearly more stable"}
    if len(standing) == 1:
        (key, k), = standing.items()
        return f"{text}; {words[key]}{' ' + ways(k, k) if key == 'lead' else ''}."
    parts = [f"{words[key]} in {standing[key]}" for key in words if standing[key]]
    return f"{text}; {joined(parts)} of the {len(mine)} ways it was asked."


def stability_standing(row: dict, evidence: Evidence) -> str:
    """lead, tied or behind: where the model stands among all models asked the same way."""
    peers = [Estimate(r["model"], r["mean_rho"], r["mean_rho_ci_low"], r["mean_rho_ci_high"])
             for r in evidence.summary if r["condition"] == row["condition"] and r["task"] == row["task"]]
    return standing(row["model"], peers)


def standing(model: str, estimates: list[Estimate]) -> str:
    group, clear = leaders(estimates)
    names = [e.name for e in group]
    if clear and names == [model]:
        return "lead"
    return "tied" if model in names else "behind"


def people_sentences(model: str, evidence: Evidence) -> list[str]:
    """How close the model's priorities are to each human sample's (at most two samples)."""
    rows = [r for r in evidence.agreement if r["model"] == model]
    if not rows:
        return ["No human sample answered the same questions, so the audit cannot say how close its priorities are "
                "to people's."]
    samples = sorted({r["sample"] for r in rows})
    return [people_sentence(sample, [r for r in rows if r["sample"] == sample], evidence) for sample in samples[:2]]


def people_sentence(sample: str, rows: list[dict], evidence: Evidence) -> str:
    people = max((r.get("n_participants") or 0 for r in rows), default=0)
    who = f"the {people:,} people of sample {sample}" if people else f"sample {sample}"
    clauses = [c for c in (order_clause(rows), gaps_clause(rows), closest_clause(rows, evidence)) if c]
    if not clauses:
        return f"Its agreement with {who} could not be computed."
    return f"Against {who}: {'; '.join(clauses)}."


def sides(rows: list[dict], point: str, low: str, high: str, line: float) -> tuple[list[dict], list[dict], list[dict]]:
    """The rows whose statistic and interval are known, and of those the rows whose whole interval
    lies above `line` and those whose whole interval lies below it."""
    done = [r for r in rows if known(r, point, low, high)]
    return done, [r for r in done if r[low] > line], [r for r in done if r[high] < line]


def order_clause(rows: list[dict]) -> str:
    """Whether the model's order of priorities goes with people's: the whole interval of r above 0
    (resembles), below 0 (runs against), else not shown either way."""
    done, like, unlike = sides(rows, "pearson_r", "r_ci_low", "r_ci_high", 0)
    if not done:
        return ""
    n = len(rows)
    parts = []
    if like:
        parts.append(f"its order of priorities resembles theirs {ways(len(like), n)} "
                     f"(correlation {span([r['pearson_r'] for r in like])}; 1 is the same order)")
    if unlike:
        parts.append(f"{'its order' if parts else 'its order of priorities'} runs against theirs "
                     f"{ways(len(unlike), n, short=bool(parts))} "
                     f"(correlation {span([r['pearson_r'] for r in unlike])})".replace("  ", " "))
    if len(like) + len(unlike) < len(done):
        parts.append(f"{'its order' if parts else 'its order of priorities'} shows no clear relation to theirs "
                     f"{ways(len(done) - len(like) - len(unlike), n, short=bool(parts))}".strip())
    if len(done) < n:
        parts.append(f"the correlation could not be computed {ways(n - len(done), n, short=True)}".strip())
    return ", ".join(parts)


def gaps_clause(rows: list[dict]) -> str:
    """Whether the model exaggerates or compresses the gaps between priorities (spread ratio's whole
    interval above or below 1)."""
    done, wide, narrow = sides(rows, "spread_ratio", "spread_ratio_ci_low", "spread_ratio_ci_high", 1)
    n = len(rows)
    parts = []
    if wide:
        parts.append(f"it exaggerates the differences between values {ways(len(wide), n, short=True)} "
                     f"(its gaps {span([r['spread_ratio'] for r in wide])} times theirs)".replace("  ", " "))
    if narrow:
        parts.append(f"it {'compresses them' if wide else 'compresses the differences between values'} "
                     f"{ways(len(narrow), n, short=True)} (its gaps {span([r['spread_ratio'] for r in narrow])} "
                     "times theirs)".replace("  ", " "))
    return ", ".join(parts)


def closest_clause(rows: list[dict], evidence: Evidence) -> str:
    """Whether the model is clearly the closest of the models to these people (Lin's CCC)."""
    leads = 0
    for row in rows:
        peers = [Estimate(r["model"], r["ccc"], r["ccc_ci_low"], r["ccc_ci_high"]) for r in evidence.agreement
                 if (r["sample"], r["condition"], r["task"]) == (row["sample"], row["condition"], row["task"])
                 and known(r, "ccc")]
        leads += len(peers) > 1 and standing(row["model"], peers) == "lead"
    where = ways(leads, len(rows), short=True)
    return f"it is the closest of the models to them{' ' + where if where else ''} (by concordance, CCC)" if leads else ""


LIMIT = ("What the audit cannot tell: whether the model acts on these priorities. They are its answers to one "
         "questionnaire in one wording, and another wording may move them.")
LIMIT_ALL = ("What the audit cannot tell: whether the models act on these priorities. They are their answers to one "
             "questionnaire in one wording, and another wording may move them.")


# ----------------------------------------------------------------------------- the comparison


def comparison_takeaway(evidence: Evidence) -> list[str]:
    """The sentences the comparison page opens with: how the models split by type, whether one is
    clearly the most stable or the closest to people, and what the audit cannot tell."""
    models = evidence.models
    if not models:
        return ["The audit holds no rank or rate results.", LIMIT_ALL]
    situations = sorted({(r["condition"], r["task"]) for r in evidence.summary})
    asked = bool(evidence.consistency)
    return [s for s in (types_sentence(models, situations, evidence), wording.comparison_sentence(evidence.robustness),
                        says.comparison_sentence(evidence.consistency),
                        leaders_sentence(situations, evidence), *closest_sentences(evidence)) if s] + [
        wording.limit(evidence.robustness, dilemmas=asked) if evidence.robustness or asked else LIMIT_ALL]


def types_sentence(models: list[str], situations: list[tuple], evidence: Evidence) -> str:
    n = len(situations)
    kinds = Counter(consistent_type(evidence.rows(m), n) for m in models)
    parts = [f"{kinds[kind]} {kind}" for kind in TYPED if kinds[kind]]
    every = "" if n == 1 else " in every way they were asked"
    rest = len(models) - sum(kinds[k] for k in TYPED)
    text = f"{len(models)} models were audited, each asked {n} way{'s' if n != 1 else ''}"
    if not parts:
        return f"{text}; none is human-centric or utility-driven{every}."
    tail = f"; {rest} {'changes type or has' if rest == 1 else 'change type or have'} no clear type" if rest else ""
    return f"{text}: {joined(parts)}{every}{tail}."


def consistent_type(rows: list[dict], n: int) -> str:
    kinds = {r.get("model_type") for r in rows}
    return kinds.pop() if len(kinds) == 1 and len(rows) == n and next(iter(kinds)) in TYPED else "other"


def leaders_sentence(situations: list[tuple], evidence: Evidence) -> str:
    """Which model, if any, is clearly the most stable, per way of asking."""
    clear = Counter()
    for condition, task in situations:
        group, lead = leaders([Estimate(r["model"], r["mean_rho"], r["mean_rho_ci_low"], r["mean_rho_ci_high"])
                               for r in evidence.summary if (r["condition"], r["task"]) == (condition, task)])
        if lead:
            clear[group[0].name] += 1
    n = len(situations)
    if not clear:
        where = f" in any of the {n} ways they were asked" if n > 1 else ""
        return f"No model is clearly the most stable{where}: the intervals of the most stable ones overlap."
    return "Clearly the most stable: " + joined([f"{m} ({ways(k, n)}){wording.flagged(evidence.robustness, m)}"
                                                 for m, k in clear.most_common()]) + "."


def closest_sentences(evidence: Evidence) -> list[str]:
    samples = sorted({r["sample"] for r in evidence.agreement})
    if not samples:
        return ["No human sample answered the same questions, so the audit cannot say which model is closest to "
                "people."]
    return [closest_sentence(sample, evidence) for sample in samples[:2]]


def closest_sentence(sample: str, evidence: Evidence) -> str:
    rows = [r for r in evidence.agreement if r["sample"] == sample]
    situations = sorted({(r["condition"], r["task"]) for r in rows})
    clear = Counter()
    for condition, task in situations:
        group, lead = leaders([Estimate(r["model"], r["ccc"], r["ccc_ci_low"], r["ccc_ci_high"]) for r in rows
                               if (r["condition"], r["task"]) == (condition, task) and known(r, "ccc")])
        if lead and len([r for r in rows if (r["condition"], r["task"]) == (condition, task)]) > 1:
            clear[group[0].name] += 1
    n = len(situations)
    if not clear:
        return (f"No model is clearly the closest to the people of sample {sample} (by concordance, CCC): the "
                "intervals of the closest ones overlap.")
    return (f"Clearly the closest to the people of sample {sample} (by concordance, CCC): "
            + joined([f"{m} ({ways(k, n)}){wording.flagged(evidence.robustness, m)}" for m, k in clear.most_common()])
            + ".")
