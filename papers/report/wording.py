"""Values in a reader's words: numbers with their intervals, condition and task names.

Every page section formats through these, so a number reads the same wherever it appears.
"""

from __future__ import annotations


def fmt(value, digits: int = 2) -> str:
    """A number rounded for reading; a missing value (None or NaN) is "n/a"."""
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ci(row: dict, est: str, low: str, high: str, digits: int = 2) -> str:
    """An estimate and its interval from a row: "0.52 [0.47, 0.57]"."""
    return f"{fmt(row[est], digits)} [{fmt(row[low], digits)}, {fmt(row[high], digits)}]"


def percent(share: float) -> str:
    """A share as a whole percentage: 0.981 -> "98%"."""
    return fmt(share * 100, 0) + "%"


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
