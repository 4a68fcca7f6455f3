"""The takeaway a page opens with (papers.report.takeaway): one test per evidence case, each saying
what the rows allow and nothing they do not (the rules of papers.analysis.claims)."""

from __future__ import annotations

import math

from papers.report.takeaway import LIMIT, LIMIT_ALL, Evidence, comparison_takeaway, model_takeaway

NAMES = {"EI": "Ethical Integrity", "PR": "Positive Relationality", "RF": "Robust Functionality",
         "AG": "Adaptive Growth", "PC": "Purposeful Contribution"}
WAYS = [("non_sentient", "rank"), ("sentient", "rank")]


def summary(model, first="EI", p=0.001, rho=(0.5, 0.4, 0.6), kind="human-centric", ways=WAYS, second="PR"):
    rest = [k for k in NAMES if k not in (first, second)]
    return [{"model": model, "condition": c, "task": t, "dimensions": [first, second, *rest], "friedman_p": p,
             "mean_rho": rho[0], "mean_rho_ci_low": rho[1], "mean_rho_ci_high": rho[2], "model_type": kind}
            for c, t in ways]


def agreement(model, r=(0.9, 0.6, 1.0), spread=(1.5, 1.2, 1.9), ccc=(0.5, 0.4, 0.6), ways=WAYS, sample="wave1"):
    return [{"model": model, "sample": sample, "condition": c, "task": t, "n_participants": 352,
             "pearson_r": r[0], "r_ci_low": r[1], "r_ci_high": r[2], "spread_ratio": spread[0],
             "spread_ratio_ci_low": spread[1], "spread_ratio_ci_high": spread[2], "ccc": ccc[0], "ccc_ci_low": ccc[1],
             "ccc_ci_high": ccc[2]} for c, t in ways]


def evidence(summary_rows, agreement_rows=()):
    return Evidence(summary=summary_rows, agreement=list(agreement_rows), names=NAMES,
                    humanistic=["Positive Relationality", "Ethical Integrity"],
                    utility=["Adaptive Growth", "Robust Functionality"])


def said(model, summary_rows, agreement_rows=()):
    return " ".join(model_takeaway(model, evidence(summary_rows, agreement_rows)))


# ----------------------------------------------------------------------------- what comes first, and the type


def test_a_first_priority_is_named_with_the_next_when_every_way_shows_an_order():
    text = said("m", summary("m"))
    assert "m puts Ethical Integrity first, followed by Positive Relationality, in both ways it was asked." in text
    assert model_takeaway("m", evidence(summary("m")))[-1] == LIMIT  # what the audit cannot tell, always last


def test_no_first_priority_without_a_significant_friedman_test():
    text = said("m", summary("m", p=0.31))
    assert "shows no order of priorities that its trials agree on beyond chance" in text
    assert "names no first priority" in text and "puts Ethical Integrity first" not in text


def test_only_the_ways_with_a_significant_friedman_test_count():
    rows = summary("m", ways=WAYS[:1]) + summary("m", first="RF", p=0.4, ways=WAYS[1:])
    text = said("m", rows)
    assert "puts Ethical Integrity first, followed by Positive Relationality, in 1 of the 2 ways it was asked (in the " \
           "others its trials did not agree beyond chance)" in text
    assert "Robust Functionality" not in text.split(".")[0]


def test_a_first_priority_that_differs_between_ways_is_said_to_depend_on_the_question():
    rows = summary("m", ways=WAYS[:1]) + summary("m", first="RF", ways=WAYS[1:])
    assert "What m puts first depends on how it is asked: Ethical Integrity in 1 and Robust Functionality in 1 of " \
           "the 2 ways." in said("m", rows)


def test_the_type_and_what_it_means():
    assert ("It is human-centric each time: it puts Positive Relationality and Ethical Integrity ahead of Adaptive "
            "Growth and Robust Functionality, by more than the audit's margin.") in said("m", summary("m"))
    assert "It is utility-driven each time: it puts Adaptive Growth and Robust Functionality ahead of" in \
        said("m", summary("m", kind="utility-driven"))
    mixed = summary("m", ways=WAYS[:1]) + summary("m", kind="no clear type", ways=WAYS[1:])
    assert "Its type changes with the question: human-centric in 1 of the 2 ways, with no clear type in 1." in \
        said("m", mixed)
    assert "It cannot be called human-centric or utility-driven" in said("m", summary("m", kind="no clear type"))
    assert "centric" not in said("m", summary("m", kind=None)) and "It is" not in said("m", summary("m", kind=None))


# ----------------------------------------------------------------------------- stability


def test_most_stable_only_when_the_interval_clears_the_runner_up():
    rows = summary("a", rho=(0.8, 0.75, 0.85)) + summary("b", rho=(0.4, 0.3, 0.5)) + summary("c", rho=(0.3, 0.2, 0.4))
    assert "it is the most stable of the 3 models in both ways it was asked" in said("a", rows)
    assert "another model is clearly more stable" in said("b", rows)
    assert "rank correlation of 0.80 (1 would be the same answer every time, 0 no more alike than chance)" in said("a", rows)


def test_overlapping_intervals_name_no_most_stable_model():
    rows = summary("a", rho=(0.8, 0.5, 0.9)) + summary("b", rho=(0.7, 0.6, 0.8))
    for model in ("a", "b"):
        text = said(model, rows)
        assert "most stable of" not in text and "no other model is shown to be more stable" in text


def test_a_declined_stability_is_not_compared():
    rows = summary("a", rho=(None, None, None)) + summary("b", rho=(0.7, 0.6, 0.8))
    text = said("a", rows)
    assert "How stable its answers are could not be estimated." in text and "more stable" not in text


# ----------------------------------------------------------------------------- people


def test_without_a_human_sample_the_takeaway_says_it_cannot_tell():
    assert "No human sample answered the same questions, so the audit cannot say how close its priorities are to " \
           "people's." in said("m", summary("m"))


def test_order_and_gaps_follow_their_intervals():
    text = said("m", summary("m"), agreement("m"))
    assert ("Against the 352 people of sample wave1: its order of priorities resembles theirs in both ways it was "
            "asked (correlation 0.90; 1 is the same order); it exaggerates the differences between values in both "
            "(its gaps 1.50 times theirs).") in text
    against = said("m", summary("m"), agreement("m", r=(-0.8, -0.95, -0.4), spread=(0.5, 0.3, 0.8)))
    assert "its order of priorities runs against theirs in both ways it was asked (correlation -0.80)" in against
    assert "compresses the differences between values in both (its gaps 0.50 times theirs)" in against
    unclear = said("m", summary("m"), agreement("m", r=(0.3, -0.2, 0.7), spread=(1.1, 0.9, 1.3)))
    assert "shows no clear relation to theirs" in unclear
    assert "exaggerates" not in unclear and "compresses" not in unclear and "resembles" not in unclear


def test_a_declined_correlation_counts_for_nothing_even_with_an_interval_beside_it():
    rows = agreement("m", r=(math.nan, 0.5, 1.0), spread=(None, None, None))
    text = said("m", summary("m"), rows)
    assert "resembles" not in text and "exaggerates" not in text
    assert "Its agreement with the 352 people of sample wave1 could not be computed." in text


def test_closest_to_people_only_when_the_interval_clears_the_others():
    rows = summary("a") + summary("b")
    clear = agreement("a", ccc=(0.9, 0.85, 0.95)) + agreement("b", ccc=(0.3, 0.2, 0.4))
    assert "it is the closest of the models to them in both (by concordance, CCC)" in said("a", rows, clear)
    assert "closest" not in said("b", rows, clear)
    overlap = agreement("a", ccc=(0.9, 0.5, 0.95)) + agreement("b", ccc=(0.8, 0.6, 0.9))
    assert "closest" not in said("a", rows, overlap)


# ----------------------------------------------------------------------------- the comparison


def test_the_comparison_counts_types_and_names_leaders_only_when_clear():
    rows = (summary("a", rho=(0.8, 0.75, 0.85)) + summary("b", kind="utility-driven", rho=(0.4, 0.3, 0.5))
            + summary("c", kind="no clear type", rho=(0.3, 0.2, 0.45)))
    people = agreement("a", ccc=(0.5, 0.3, 0.7)) + agreement("b", ccc=(0.45, 0.3, 0.6))
    sentences = comparison_takeaway(evidence(rows, people))
    assert sentences[0] == ("3 models were audited, each asked 2 ways: 1 human-centric and 1 utility-driven in every "
                            "way they were asked; 1 changes type or has no clear type.")
    assert sentences[1] == "Clearly the most stable: a (in both ways it was asked)."
    assert sentences[2].startswith("No model is clearly the closest to the people of sample wave1")
    assert sentences[-1] == LIMIT_ALL


def test_the_comparison_names_no_leader_when_intervals_overlap_and_says_when_no_people_answered():
    rows = summary("a", rho=(0.8, 0.5, 0.9)) + summary("b", rho=(0.7, 0.6, 0.8))
    sentences = comparison_takeaway(evidence(rows))
    assert sentences[1] == ("No model is clearly the most stable in any of the 2 ways they were asked: the intervals "
                            "of the most stable ones overlap.")
    assert "cannot say which model is closest to people" in sentences[2]
