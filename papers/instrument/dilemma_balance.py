"""The balance `papers instrument validate` asks of a choose task's dilemmas (DILEMMA_RULES): enough
scenarios for every pair of dimensions a condition shows, each dimension's action listed first about
as often as second, and actions of about the same length."""

from __future__ import annotations

from papers.errors import InstrumentError
from papers.instrument.model import Instrument

# the balance `papers instrument validate` asks of a choose task (DILEMMA_RULES says why)
MIN_SCENARIOS_PER_PAIR = 5
MAX_OPTION_RATIO = 1.5  # the longer action of a scenario at most this many times the shorter, in characters

DILEMMA_RULES = (
    f"every pair of dimensions a condition shows has at least {MIN_SCENARIOS_PER_PAIR} scenarios (a pair's worth "
    "difference rests on more than one situation); within each pair and over each dimension's scenarios, each "
    "dimension's action is listed first about as often as second (at most one apart), so the written order "
    f"favours none; and the longer action of a scenario is at most {MAX_OPTION_RATIO:g} times the shorter, so "
    "that neither stands out by its length"
)


def dilemma_balance(instrument: Instrument) -> list[str]:
    """What is off in the balance of an instrument's dilemmas (DILEMMA_RULES), one line each; [] when
    it has none or they are balanced. Prompts show the actions in a seeded, balanced order anyway:
    the written order matters to a reader of the instrument and to a survey that keeps it."""
    if "choose" not in instrument.task_keys:
        return []
    scenarios = instrument.task("choose").scenarios
    problems = [f"scenario {s.key}: no condition shows both {s.pair[0]} and {s.pair[1]}, so it is never asked"
                for s in scenarios if not any(s in instrument.scenarios(c) for c in instrument.condition_keys)]
    for s in scenarios:
        short, long = sorted(len(o.text) for o in s.options)
        if long > MAX_OPTION_RATIO * short:
            problems.append(f"scenario {s.key}: its actions are {short} and {long} characters long, more than "
                            f"{MAX_OPTION_RATIO:g} times apart; shorten the longer or lengthen the shorter")
    for condition in instrument.condition_keys:
        problems += _pair_balance(instrument, condition)
    return list(dict.fromkeys(problems))


def check_dilemma_balance(instrument: Instrument) -> None:
    """Raise an InstrumentError naming every balance problem of the instrument's dilemmas, if any."""
    problems = dilemma_balance(instrument)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise InstrumentError(f"{instrument.source}: the choose task's dilemmas are not balanced "
                              f"({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{listed}",
                              f"a balanced choose task: {DILEMMA_RULES}.")


def _pair_balance(instrument: Instrument, condition: str) -> list[str]:
    """A condition's pairs with too few scenarios, and the pairs and dimensions listed first too often."""
    asked = instrument.scenarios(condition)
    shown = instrument.shown(condition)
    out, first, second = [], dict.fromkeys(shown, 0), dict.fromkeys(shown, 0)
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            mine = [s for s in asked if set(s.pair) == {a, b}]
            if len(mine) < MIN_SCENARIOS_PER_PAIR:
                out.append(f"{condition}: {a} and {b} have {len(mine)} scenario{'s' if len(mine) != 1 else ''}, "
                           f"fewer than {MIN_SCENARIOS_PER_PAIR}")
            leads = sum(s.pair[0] == a for s in mine)
            if abs(2 * leads - len(mine)) > 1:
                keys = ", ".join(s.key for s in mine if s.pair[0] == (a if 2 * leads > len(mine) else b))
                out.append(f"{condition}: of the {len(mine)} scenarios of {a} and {b}, {max(leads, len(mine) - leads)} "
                           f"list {a if 2 * leads > len(mine) else b} first ({keys}); list each first about as often")
    for s in asked:
        first[s.pair[0]] += 1
        second[s.pair[1]] += 1
    for d in shown:
        if abs(first[d] - second[d]) > 1:
            out.append(f"{condition}: {d}'s action is listed first in {first[d]} scenarios and second in {second[d]}; "
                       "list it first about as often as second")
    return out
