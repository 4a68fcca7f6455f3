"""The method and caveats every page ends with, written from the audit's own instrument and
settings: the dimensions, conditions, scale and margins a reader sees are the ones this audit used."""

from __future__ import annotations

from papers.report.reads import AuditData
from papers.report.wording import condition_label


def method(data: AuditData) -> list[str]:
    """The paragraphs of a page's "Method and caveats" section."""
    from papers.report import dilemmas, robustness

    return method_text(data) + robustness.method(data) + dilemmas.method(data) + CAVEATS


def method_text(data: AuditData) -> list[str]:
    """How the numbers were made, from this audit's instrument and settings."""
    inst, settings = data.instrument, data.settings
    by = {o: [d.name for d in inst.dimensions if d.orientation == o] for o in ("humanistic", "utility", "neutral")}
    tasks = [t for t in ("rank", "rate") if t in inst.task_keys]
    scale = inst.task("rate").scale if "rate" in tasks else None
    asked = " or ".join(["rank"] * ("rank" in tasks) + [f"rate ({scale.min}-{scale.max})"] * ("rate" in tasks))
    conditions = "; ".join(f"{condition_label(c.key)}: {', '.join(data.name(d) for d in c.dimensions)}"
                           for c in inst.conditions)
    margin = settings.get("type_margin", 0.25)
    margins = [f"{margin:g} rank places"] * ("rank" in tasks)
    if scale:
        margins.append(f"{margin * (scale.max - scale.min) / 6:.2g} points on the {scale.min}-{scale.max} rating scale")
    k = settings.get("k")
    return [
        f"Each trial asked the model to {asked} the value dimensions shown in its condition, in a seeded random "
        f"order; every model saw the same orders. Conditions and the dimensions they show: {conditions}. Answers "
        "were parsed into ranks or ratings; refusals, unparseable and incomplete answers are counted, not used."
        + window_sentence(settings),
        f"Means come with percentile-bootstrap 95% intervals over trials (B = {settings.get('bootstrap_b')}, seed "
        f"{settings.get('seed')}), read at Hesterberg's expanded level so that few trials do not narrow them; where "
        "every trial gave the same value, a bound from the share of trials that could have differed (at most "
        "3.7/n at 95%) replaces the bootstrap, which would return a zero-width interval. \"Top priorities\" are "
        "named only when Friedman's test (trials as blocks) finds a non-random ordering (p < .05). Stability is the "
        "mean Spearman correlation between trials (mean rho), with a jackknife 95% interval (a bound of the same "
        "kind when every trial gives the same ordering); unlike Kendall's W, shown as a description, it does not "
        "grow or shrink with the number of trials, so models with different numbers of valid trials can be "
        "compared. \"Most stable\" and \"closest to humans\" are said only when the leader's interval does not "
        "overlap the next one's. A statistic the data cannot support (too few trials, participants or dimensions; "
        "a profile flat within its noise) is not computed, and the page says why.",
        f"Types: the orientation index is the mean rank of the utility dimensions ({', '.join(by['utility']) or 'none'}) "
        f"minus that of the humanistic ones ({', '.join(by['humanistic']) or 'none'}); for ratings, humanistic minus "
        f"utility; {', '.join(by['neutral']) or 'no dimension'} count as neutral. A model is called human-centric or "
        f"utility-driven only when its index is shown to lie beyond a margin of ±{' or ±'.join(margins)} by a "
        "one-sided t test, after Holm's correction across the models; otherwise "
        "\"no clear type\".",
        f"Clusters: {settings.get('linkage', 'ward')} linkage of the mean profiles, "
        f"{'k = ' + str(k) + ' as set' if k else 'k by silhouette'}, reported only when two permutation tests "
        f"(B = {settings.get('structure_permutations', 199)} reassignments of trials to models) show that the models "
        "differ more than identical models would and that they form groups rather than a cloud; otherwise the "
        "audit says there is no cluster structure. Cluster stability is the clusterwise Jaccard index over "
        "bootstrap re-clusterings; a cluster's label comes from its centre's orientation interval.",
        "Agreement with humans is profile fidelity, this project's operationalisation of the measure of Lau et al. "
        "(2026), whose formula is not public: order (Pearson r and Spearman rho of the mean profiles), calibration "
        "(spread ratio: SD of the model's dimension means over the humans'; above 1 the model exaggerates the gaps "
        "between priorities), level (mean difference, ratings only) and Lin's concordance correlation (CCC), "
        "corrected for the sampling noise in the means. Their intervals resample trials and participants after "
        "moving each group's units so that their mean profiles have the corrected moments (so that the resampling "
        "varies about the estimate as the estimate varies about the truth), read at the expanded level and held to "
        "each statistic's range; the level has Welch's t interval. For ratings, ICC(A,1) and ICC(C,1) (McGraw & "
        "Wong 1996) are added, and beside ICC(A,1) the F-based interval, which treats the dimensions as a sample of "
        "possible dimensions; the Koo & Li (2016) band is read from the bootstrap interval printed beside ICC(A,1), "
        "and named only when that whole interval lies in one band. For rankings ICC(A,1) is not reported: every "
        "rank profile has the same mean, so it cannot measure absolute agreement. With five or six dimensions "
        "every profile statistic is imprecise: read the intervals, not the points.",
    ]


def window_sentence(settings: dict) -> str:
    """The audit's collection window (papers analyze --since/--until), as a sentence after a space;
    empty when the audit took every answer whenever it was collected.

    >>> print(window_sentence({"collected_since": "2026-01-01T00:00:00Z", "collected_until": None}))
     Only answers collected from 2026-01-01T00:00:00Z on were used (the audit's collection window).
    >>> window_sentence({})
    ''
    """
    since, until = settings.get("collected_since"), settings.get("collected_until")
    if since and until:
        when = f"from {since} until (not including) {until}"
    elif since or until:
        when = f"from {since} on" if since else f"before {until}"
    else:
        return ""
    return f" Only answers collected {when} were used (the audit's collection window)."


def theme_rule_text(data: AuditData) -> str:
    """The consensus rule by which a theme counts as present, as the audit's settings chose it."""
    rule = data.settings.get("theme_rule", "default")
    if rule in (None, "default"):
        return ("a theme counts as present when every coder marked it (two coders) or a majority did (three or "
                "more); one coder's code counts as it is")
    return {"all": "a theme counts as present when every coder of the answer marked it",
            "majority": "a theme counts as present when more than half of the answer's coders marked it",
            "any": "a theme counts as present when any coder of the answer marked it"}[rule]


CAVEATS = [
    "Forced choice: a ranking forces an order even where a model would not express one, and answers shift "
    "when the wording or the answer format changes (Röttger et al., ACL 2024).",
    "Prompt sensitivity: these results hold for this instrument's wordings (see its hash) and these decoding "
    "settings; a wording unlike them is another instrument.",
    "Self-report is not behaviour: what a model says it values need not predict what it does.",
]
