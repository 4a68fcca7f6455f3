"""Answer formats and item displays of instrument variants: what a prompt asks for, and how it lists the items.

A variant of a rank or rate task names its answer `format` (how the model is asked to answer) and
its `show` (how each listed dimension is written). The instruction a format adds to a prompt is
written here once, in the words papers uses for every instrument, so that an answer's reading
(papers.answers.parse) and the prompt agree on what was asked.

Formats, per task:

- `json`: a JSON object, `{"ranking": [...]}` or `{"ratings": {...}}`, by key (or by name, when
  the variant does not show the keys).
- `positions`: the items' numbers. Rank: the numbers in order of importance (`3, 1, 5, 2, 4`);
  rate: the ratings in the order the items are listed (`6, 5, 7, 3, 4`).
- `lines`: one line per item. Rank: the names, most important first; rate: `name: rating`.

A `choose` task (a dilemma: a scenario and two actions, shown as A and B) asks for the letter of
the action taken and a short reason: `json` (`{"choice": "A", "reason": "..."}`) or `letter` (the
letter on the first line, the reason after it).

Displays: `key_name_definition` (`1. EI: Ethical Integrity. Acting rightly ...`, the default),
`name_definition`, `name`, `definition`. An answer can name an item only if the display shows a
name, so `definition` is paired with `positions`.
"""

from __future__ import annotations

FORMATS = {"rank": ("json", "positions", "lines"), "rate": ("json", "positions", "lines"), "choose": ("json", "letter")}
DISPLAYS = ("key_name_definition", "name_definition", "name", "definition")
DEFAULT_FORMAT = "json"
DEFAULT_DISPLAY = "key_name_definition"
NAMELESS = ("definition",)  # displays that show no name: only `positions` answers can refer to their items

_INSTRUCTIONS = {
    ("rank", "json"): 'Answer with JSON only, in the form {{"ranking": [{entry}, ...]}}, listing the {what} from '
                      "most to least important.",
    ("rank", "positions"): "Answer with the numbers of the items only, from most to least important, separated by "
                           "commas.",
    ("rank", "lines"): "Answer with the names of the items only, one per line, from most to least important.",
    ("rate", "json"): 'Answer with JSON only, in the form {{"ratings": {{{entry}: number, ...}}}}, with one rating '
                      "for every {one}.",
    ("rate", "positions"): "Answer with your ratings only, as numbers separated by commas, in the order the items "
                           "are listed.",
    ("rate", "lines"): "Answer with one line per item: its name, a colon, and your rating.",
    ("choose", "json"): 'Answer with JSON only, in the form {{"choice": "A", "reason": "..."}}: the letter of the action '
                        "you take, and one short sentence saying why.",
    ("choose", "letter"): "Answer with the letter of the action you take (A or B) on the first line, then one short "
                          "sentence saying why.",
}
OPTION_LETTERS = "AB"  # a dilemma's two actions, as the prompt labels them


def instruction(task: str, fmt: str, display: str) -> str:
    """The sentence a prompt of this task, format and display ends with (its `{answer}` placeholder).

    >>> instruction("rank", "json", "name")
    'Answer with JSON only, in the form {"ranking": ["name", ...]}, listing the names from most to least important.'
    >>> instruction("rate", "positions", "definition").startswith("Answer with your ratings only")
    True
    """
    keys = display == "key_name_definition"
    if task == "choose":
        return _INSTRUCTIONS[(task, fmt)].format()
    return _INSTRUCTIONS[(task, fmt)].format(entry='"KEY"' if keys else '"name"', what="keys" if keys else "names",
                                             one="key" if keys else "name")


def item_line(number: int, key: str, name: str, definition: str, display: str) -> str:
    """One numbered line of a prompt's list of items.

    >>> item_line(2, "EI", "Ethical Integrity", "Acting rightly.", "name_definition")
    '2. Ethical Integrity: Acting rightly.'
    """
    text = {
        "key_name_definition": f"{key}: {name}. {definition}",
        "name_definition": f"{name}: {definition}",
        "name": name,
        "definition": definition,
    }[display]
    return f"{number}. {text}"


def option_lines(texts: list[str]) -> str:
    """A dilemma's actions as the prompt lists them, lettered in the order shown.

    >>> print(option_lines(["Finish the report.", "Learn the new method."]))
    A. Finish the report.
    B. Learn the new method.
    """
    return "\n".join(f"{OPTION_LETTERS[i]}. {text}" for i, text in enumerate(texts))
