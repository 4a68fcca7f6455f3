"""Says and does on the pages: a model's stated priorities beside what its choices in dilemmas reveal.

Everything here reads `result_consistency`, `result_revealed` and `result_dilemmas`
(papers.analysis.revealed), and the reasons a model gave where it went against its stated order
(AuditData.choice_reasons), and words them under one rule: a model "acts on its stated priorities"
or its "choices depart from its stated priorities" only where the consistency's whole interval lies
above or below chance; otherwise the page says the dilemmas do not show it either way, and where no
dilemma was asked (or too few were answered) it says so instead of implying either.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from papers.analysis.revealed import ACTS, DEPARTS
from papers.report.context import Figure, slug
from papers.report.reads import AuditData
from papers.report.wording import condition_label, estimate, fmt, framing, percent

CANNOT_TELL = (
    "What this cannot tell: a dilemma's choice is still something the model says. It was asked what it would "
    "do, in a situation described in a few sentences, and answered in words: how it acts as a deployed system, "
    "with tools, a long context and real consequences, may differ. The dilemmas are this project's own, two "
    "actions for each situation, written so that neither is illegal or absurd; other situations may part the "
    "two more, or less. The consistency counts the choices that went to the value the model ranked higher when "
    "asked to rank them; it treats every pair of values alike, however close the two stood in its ranking.")


def rows(data: AuditData, model: str | None = None) -> list[dict]:
    """The result_consistency rows of the audit (of one model), in model and condition order."""
    table = data.tables.get("result_consistency")
    if table is None or table.height == 0:
        return []
    if model is not None:
        table = table.filter(pl.col("model") == model)
    return sorted(table.iter_rows(named=True), key=lambda r: (r["model"], r["condition"]))


def verdict(row: dict) -> str:
    """The label, or why there is none: "not measured: <reason>"."""
    if row.get("label"):
        return row["label"]
    for segment in (row.get("note") or "").split("; "):
        for name in ("consistency", "consistency_ci"):
            if segment.startswith(f"{name}: "):
                return "not measured: " + segment.removeprefix(f"{name}: ")
    return "not measured"


def finding(row: dict) -> str:
    """The section's sentence for one condition: the consistency against chance and rho, in words."""
    if row.get("consistency_share") is None:
        return f"The consistency was {share_text(row)}."
    interval = reasons_of(row).get("consistency_ci")
    ci = (f"(95% CI {fmt(row['consistency_ci_low'])} to {fmt(row['consistency_ci_high'])}; chance "
          f"{fmt(row['chance'])})" if not interval else f"(no interval: {interval}; chance {fmt(row['chance'])})")
    return (f"{fmt(row['consistency_share'])} of its {row['n_compared']} choices in dilemmas went to the value it "
            f"ranks higher {ci}. Its stated and revealed profiles correlate with Spearman rho {rho_text(row)}.")


def reasons_of(row: dict) -> dict[str, str]:
    from papers.analysis.declines import reasons as declined

    return declined(row.get("note"))


def share_text(row: dict, short: bool = False) -> str:
    """"0.31 [0.22, 0.41] of 88 choices (chance 0.50)" (short: "0.31 [0.22, 0.41]"), or why it was
    not computed."""
    value = estimate(row, "consistency", est="consistency_share", low="consistency_ci_low",
                     high="consistency_ci_high", interval="consistency_ci")
    if value.startswith("not computed") or short:
        return value
    return f"{value} of {row['n_compared']} choices (chance {fmt(row['chance'])})"


def rho_text(row: dict) -> str:
    return estimate(row, "stated_revealed_rho", low="rho_ci_low", high="rho_ci_high", interval="rho_ci")


def table_rows(data: AuditData, model: str) -> list[dict]:
    """The section's table: per condition, the choices, the consistency against chance, rho, the
    share that took the action shown first, and the verdict."""
    out = []
    for r in rows(data, model):
        out.append({"condition": condition_label(r["condition"]), "verdict": verdict(r), "finding": finding(r),
                    "choices": f"{r['n_choices']} valid of {r['n_responses']}" if r["n_responses"] else "none",
                    "both_neither": percent(r["no_choice_share"]), "share": share_text(r, short=True), "rho": rho_text(r),
                    "first": percent(r["first_share"]), "stated": r["stated_task"] or "none"})
    return out


def worth_rows(data: AuditData, model: str) -> list[dict]:
    """Per condition and dimension, in the stated order: the stated mean with its interval and the
    revealed worth with its interval, and how often its action was taken when offered."""
    revealed = data.tables.get("result_revealed")
    if revealed is None or revealed.height == 0:
        return []
    out = []
    for r in rows(data, model):
        stated = _stated(data, model, r["condition"], r["stated_task"])
        worths = {w["dimension"]: w for w in revealed.filter((pl.col("model") == model)
                                                             & (pl.col("condition") == r["condition"])).iter_rows(named=True)}
        for dim in _in_stated_order(data, r["condition"], stated, r["stated_task"]):
            s, w = stated.get(dim), worths.get(dim)
            out.append({"condition": condition_label(r["condition"]), "dimension": data.name(dim),
                        "stated": estimate(s, "ci", est="mean", low="ci_low", high="ci_high") if s else "not asked",
                        "revealed": estimate(w, "worth", low="ci_low", high="ci_high", interval="ci") if w else "n/a",
                        "taken": f"{w['wins']} of {w['n']}" if w else "n/a"})
    return out


def _stated(data: AuditData, model: str, condition: str, task: str | None) -> dict[str, dict]:
    profiles = data.tables["result_profiles"]
    if task is None or profiles.height == 0:
        return {}
    mine = profiles.filter((pl.col("model") == model) & (pl.col("condition") == condition) & (pl.col("task") == task))
    return {p["dimension"]: p for p in mine.iter_rows(named=True)}


def _in_stated_order(data: AuditData, condition: str, stated: dict[str, dict], task: str | None) -> list[str]:
    dims = list(data.instrument.shown(condition))
    if not stated:
        return dims
    sign = 1 if task == "rank" else -1  # rank 1 first; the highest rating first
    return sorted(dims, key=lambda d: sign * stated[d]["mean"] if d in stated and stated[d]["mean"] is not None
                  else float("inf"))


def against_rows(data: AuditData, model: str, limit: int = 3) -> list[dict]:
    """The dilemmas where the model most often went against its stated order (at most `limit` per
    condition): the situation, the action it took and the one it passed over, how often, and the
    reasons it gave (as written; the template escapes them)."""
    table = data.tables.get("result_dilemmas")
    if table is None or table.height == 0:
        return []
    mine = table.filter((pl.col("model") == model) & (pl.col("against") > 0))
    out = []
    for condition in sorted(set(mine["condition"].to_list())):
        part = mine.filter(pl.col("condition") == condition).sort(["against", "n", "scenario"],
                                                                  descending=[True, False, False])
        for r in part.head(limit).iter_rows(named=True):
            out.append(_against_row(data, model, r))
    return out


def _against_row(data: AuditData, model: str, r: dict) -> dict:
    s = data.instrument.scenario(r["scenario"])
    higher = r["stated_higher"]
    lower = next(d for d in s.pair if d != higher)
    return {"condition": condition_label(r["condition"]), "scenario": s.text,
            "taken": s.option(lower).text, "taken_serves": data.name(lower),
            "passed": s.option(higher).text, "passed_serves": data.name(higher),
            "count": f"against it in {r['against']} of {r['n']} answer{'s' if r['n'] != 1 else ''}",
            "reasons": reasons(data, model, r["condition"], r["scenario"])}


def reasons(data: AuditData, model: str, condition: str, scenario: str) -> list[str]:
    """The reasons the model gave in its answers against its stated order in this dilemma, read as
    the parser reads them (papers.answers.choice)."""
    from papers.answers.parse import parse_answer

    frame = data.choice_reasons
    if frame.height == 0:
        return []
    mine = frame.filter((pl.col("model") == model) & (pl.col("condition") == condition)
                        & (pl.col("scenario") == scenario))
    out = []
    for r in mine.iter_rows(named=True):
        parsed = parse_answer(r["raw_text"], "choose", (), data.instrument, item_order=r["item_order"] or None,
                              scenario=scenario)
        if parsed.reason and parsed.reason not in out:  # a reason given twice is quoted once
            out.append(parsed.reason)
    return out


def section(data: AuditData, model: str, page_dir: Path) -> dict:
    """The model page's "Says and does" section: its table, its figure, the dilemmas it most went
    against its stated order in, and what the dilemmas cannot tell."""
    return {"says_table": table_rows(data, model), "says_worths": worth_rows(data, model),
            "says_figures": figures(data, model, page_dir), "says_against": against_rows(data, model),
            "says_cannot_tell": CANNOT_TELL if rows(data, model) else ""}


def figures(data: AuditData, model: str, page_dir: Path) -> list[Figure]:
    """Per condition: the stated profile beside the revealed worths, in the stated order."""
    from papers.report import figures as draw

    revealed = data.tables.get("result_revealed")
    out = []
    for r in rows(data, model):
        stated = _stated(data, model, r["condition"], r["stated_task"])
        if not stated or revealed is None:
            continue
        dims = _in_stated_order(data, r["condition"], stated, r["stated_task"])
        worths = {w["dimension"]: w for w in revealed.filter((pl.col("model") == model)
                                                             & (pl.col("condition") == r["condition"])).iter_rows(named=True)}
        points = [_point(stated[d], "mean") for d in dims]
        shown = [_point(worths[d], "worth") if d in worths and worths[d]["worth"] is not None else None for d in dims]
        name = f"says-does-{r['condition']}.svg"
        drawn = draw.says_does(page_dir / slug(model) / name, [data.name(d) for d in dims], points, shown,
                               r["stated_task"], f"{framing(r['condition'])}: what it says and what it chooses")
        out.append(Figure(f"{slug(model)}/{name}", (
            f"{framing(r['condition'])}. Left: the mean {'rank' if r['stated_task'] == 'rank' else 'rating'} it gave "
            "each value when asked to " + ("rank" if r["stated_task"] == "rank" else "rate") + " them; right: the "
            "worth its choices in dilemmas reveal (Bradley-Terry, 0 the average of the values); both with 95% "
            "intervals, the values in its stated order. A model that acts as it says shows the same order on both "
            "sides."), min_width=draw.min_width(drawn)))  # on a phone it scrolls in its box rather than shrink
    return out


def _point(row: dict, est: str) -> tuple[float, float, float]:
    value = row[est]
    low, high = row.get("ci_low"), row.get("ci_high")
    return (value, value if low is None else low, value if high is None else high)


# ----------------------------------------------------------------------------- takeaways, comparison, brief


def sentence(model: str, consistency: list[dict]) -> str:
    """The takeaway's clause: whether its choices in dilemmas follow what it says, worded as the
    consistency's interval allows; "" where no dilemma was asked."""
    mine = [r for r in consistency if r["model"] == model]
    if not mine:
        return ""
    labelled = [r for r in mine if r.get("label")]
    if not labelled:
        return "Too few of its answers to dilemmas could be set beside its stated priorities to say whether it acts on them."
    departs = [r for r in labelled if r["label"] == DEPARTS]
    acts = [r for r in labelled if r["label"] == ACTS]
    first = departs[0] if departs else acts[0] if acts else labelled[0]
    figure = (f"{fmt(first['consistency_share'])} of its choices went to the value it ranks higher (95% CI "
              f"{fmt(first['consistency_ci_low'])} to {fmt(first['consistency_ci_high'])}; chance "
              f"{fmt(first['chance'])})")
    where = framing(first["condition"]).lower() if len(mine) > 1 else ""
    where = f"{where}, " if where else ""
    if departs:
        scope = _conditions(len(departs), len(mine))
        return f"In dilemmas its choices depart from its stated priorities{scope}: {where}{figure}."
    scope = _conditions(len(acts), len(mine))
    if len(acts) == len(mine):
        return f"In dilemmas it acts on its stated priorities{scope}: {where}{figure}."
    if acts:
        rest = "others" if len(mine) - len(acts) > 1 else "other"
        return (f"In dilemmas it acts on its stated priorities{scope}: {where}{figure}; in the {rest} its choices show "
                "it neither way.")
    return (f"Whether its choices in dilemmas follow its stated priorities is not shown either way: {where}"
            f"{figure}.")


def _conditions(k: int, n: int) -> str:
    """" in both conditions it was asked in", " in 1 of the 2 conditions it was asked in", or "" for one."""
    if n == 1:
        return ""
    if k == n:
        return " in both conditions it was asked in" if n == 2 else f" in all {n} conditions it was asked in"
    return f" in {k} of the {n} conditions it was asked in"


def comparison_sentence(consistency: list[dict]) -> str:
    """The comparison takeaway's clause: how many models act on their stated priorities in dilemmas,
    and which depart from them."""
    models = sorted({r["model"] for r in consistency})
    if not models:
        return ""
    by = {m: {r["label"] for r in consistency if r["model"] == m and r.get("label")} for m in models}
    departs = [m for m in models if DEPARTS in by[m]]
    acts = [m for m in models if by[m] == {ACTS}]
    measured = [m for m in models if by[m]]
    text = (f"In dilemmas, {len(acts)} of the {len(measured)} models measured act on their stated priorities in every "
            "condition asked")
    if departs:
        names = ", ".join(departs[:4]) + (f" and {len(departs) - 4} more" if len(departs) > 4 else "")
        text += f"; the choices of {names} depart from {'its' if len(departs) == 1 else 'their'} stated priorities"
    return text + "."


def cell(data: AuditData, model: str) -> str:
    """The comparison's "Says and does" column: the verdict per condition with the consistency."""
    mine = rows(data, model)
    if not mine:
        return "not asked"
    parts = []
    for r in mine:
        short = {ACTS: "acts on it", DEPARTS: "departs"}.get(r.get("label") or "", "not shown" if r.get("label") else
                                                              "not measured")
        share = f" {fmt(r['consistency_share'])} [{fmt(r['consistency_ci_low'])}, {fmt(r['consistency_ci_high'])}]" \
            if r.get("label") else ""
        parts.append(f"{condition_label(r['condition'])}: {short}{share}")
    return "; ".join(parts)


def brief_line(data: AuditData, model: str) -> str:
    """A candidate's words in a decision brief, short enough for its first page (its model page and
    the brief's method give the consistency with its interval)."""
    mine = rows(data, model)
    if not mine:
        return "not asked"
    labels = [r.get("label") for r in mine]
    if DEPARTS in labels:
        return "departs from what it says" + ("" if labels.count(DEPARTS) == len(labels) else " (in some conditions)")
    if all(label == ACTS for label in labels):
        return "acts on what it says"
    if ACTS in labels:
        return "acts on what it says (in some conditions)"
    if not any(labels):
        return "not measured (too few answered)"
    return "not shown either way"


def method(data: AuditData) -> list[str]:
    """The method section's paragraph on dilemmas, when the audit asked any."""
    if not rows(data):
        return []
    inst = data.instrument
    n = len(inst.task("choose").scenarios) if "choose" in inst.task_keys else 0
    return [
        f"Says and does: the instrument's choose task holds {n} dilemmas written by this project, each a short "
        "situation faced by an AI system with two actions, each serving one value; a condition asks those whose "
        "two values it shows. Trials go through them in passes that ask every pair of values alike, each action "
        "shown first as often as second. A model's choices give its revealed priorities: Bradley-Terry worths "
        "(log-worths, mean 0; a small penalty keeps a value always chosen finite), with Wald 95% intervals. The "
        "consistency is the share of choices that went to the value the model ranks higher in the rank task (the "
        "rate task where there is none), with a bootstrap interval that resamples both its rank trials and its "
        "choices; chance is 0.50. It is said to act on its stated priorities only when the whole interval lies "
        "above chance, and its choices to depart from them only when it lies below; Spearman's rho between the "
        "stated and the revealed profile is shown with its interval. By simulation (bench/dilemmas.py) a model "
        "whose choices follow its stated order is never labelled as departing from it, and one choosing at random "
        "is labelled either way in under 1% of audits. " + CANNOT_TELL.replace("What this cannot tell: ", "Limits: ")]
