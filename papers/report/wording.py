"""Values in a reader's words: numbers with their intervals, condition and task names.

Every page section formats through these, so a number reads the same wherever it appears.
"""

from __future__ import annotations

from papers.analysis.declines import missing, reasons
from papers.text import decimals


def fmt(value, digits: int = 2) -> str:
    """A number rounded for reading; a missing value (None or NaN) is "n/a"; never "-0.00".

    >>> fmt(-0.001), fmt(-0.0), fmt(0.125, 1), fmt(None)
    ('0.00', '0.00', '0.1', 'n/a')
    """
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if isinstance(value, float):
        return decimals(value, digits)
    return str(value)


def ci(row: dict, est: str, low: str, high: str, digits: int = 2) -> str:
    """An estimate and its interval from a row: "0.52 [0.47, 0.57]"."""
    return f"{fmt(row[est], digits)} [{fmt(row[low], digits)}, {fmt(row[high], digits)}]"


def not_computed(row: dict, statistic: str, est: str | None = None) -> str | None:
    """"not computed: <reason>" when the row declines the statistic (papers.analysis.declines), or
    when its value is missing in an audit computed before reasons were recorded; None otherwise.

    >>> not_computed({"pearson_r": None, "note": "pearson_r, ccc: only 3 trials"}, "pearson_r")
    'not computed: only 3 trials'
    >>> not_computed({"pearson_r": float("nan"), "note": None}, "pearson_r"), not_computed({"pearson_r": 0.5}, "pearson_r")
    ('not computed', None)
    """
    why = reasons(row.get("note")).get(statistic)
    if why:
        return f"not computed: {why}"
    return "not computed" if missing(row.get(est or statistic)) else None


def estimate(row: dict, statistic: str, est: str | None = None, low: str | None = None, high: str | None = None,
             interval: str | None = None, digits: int = 2, words: bool = False) -> str:
    """A statistic as printed: "0.52 [0.47, 0.57]" (or with words, "0.52 (95% CI 0.47 to 0.57)");
    "not computed: <reason>" and nothing else when it is declined; its value and "(no interval:
    <reason>)" when only its interval (the statistic `interval`) is declined.

    >>> row = {"mean_rho": 0.4, "mean_rho_ci_low": None, "mean_rho_ci_high": None,
    ...        "note": "mean_rho_ci: only 2 trials: mean_rho's jackknife interval needs 3"}
    >>> estimate(row, "mean_rho", low="mean_rho_ci_low", high="mean_rho_ci_high", interval="mean_rho_ci")
    "0.40 (no interval: only 2 trials: mean_rho's jackknife interval needs 3)"
    """
    est = est or statistic
    declined = not_computed(row, statistic, est)
    if declined:
        return declined
    value = fmt(row[est], digits)
    if low is None:
        return value
    why = reasons(row.get("note")).get(interval or "") or (
        "not computed" if missing(row[low]) or missing(row[high]) else None)
    if why:
        return f"{value} (no interval: {why})" if why != "not computed" else f"{value} (no interval)"
    if words:
        return f"{value} (95% CI {fmt(row[low], digits)} to {fmt(row[high], digits)})"
    return f"{value} [{fmt(row[low], digits)}, {fmt(row[high], digits)}]"


def percent(share: float | None) -> str:
    """A share as a whole percentage: 0.981 -> "98%"; a missing share is "n/a"."""
    return "n/a" if missing(share) else fmt(share * 100, 0) + "%"


def condition_label(key: str) -> str:
    """A condition key as a reader's words: non_sentient -> Non-sentient."""
    return key.replace("_", "-").capitalize()


# the bundled instruments' conditions, as a reader would say them; other conditions read as their keys
FRAMINGS = {"non_sentient": "Without a sentience framing", "sentient": "Imagining itself sentient"}


def framing(condition: str) -> str:
    """A condition as what the model was asked to be: non_sentient -> "Without a sentience framing"."""
    return FRAMINGS.get(condition, condition_label(condition))


def situation(condition: str, task: str) -> str:
    """A condition and task as a sentence opener: "Without a sentience framing, ranking"."""
    return f"{framing(condition)}, {task_label(task)}"


def in_order(names: list[str]) -> str:
    """Priorities in words: "Ethical Integrity first, then Positive Relationality, then Purposeful Contribution"."""
    if not names:
        return "nothing ranked"
    return ", then ".join([f"{names[0]} first", *names[1:]])


def task_label(task: str) -> str:
    return {"rank": "ranking", "rate": "rating"}.get(task, task)


def measure(task: str) -> str:
    """What a task's numbers are: mean ranks or mean ratings."""
    return "rank" if task == "rank" else "rating"


def where(condition: str, task: str) -> str:
    """A condition and task in words: "Sentient, ranking"."""
    return f"{condition_label(condition)}, {task_label(task)}"


def where_columns(row: dict) -> dict:
    """A row's condition and task as a reader's words, for a table's first two columns."""
    return {"condition": condition_label(row["condition"]), "task": task_label(row["task"])}


def is_number(x) -> bool:
    """Not None and not NaN."""
    return x is not None and x == x
