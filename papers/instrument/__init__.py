"""Instruments: load, validate and hash the YAML files that define what models and people answer.

An instrument has dimensions (key, name, definition, orientation), conditions (a framing text and
the dimensions it shows), tasks (`rank`, `rate`, `open`, `choose`) and optional survey items. A
`choose` task holds dilemmas: scenarios, each with two actions tagged with the dimension each serves. Its identity is
the SHA-256 of its canonical form: the validated spec, with defaults filled in, serialised as JSON
with sorted keys. Comments, key order and YAML layout therefore do not change the hash; any change
of wording does.

The package's modules, one job each: model (the dataclasses, the hash, a trial's prompt), loading
(from a path or a bundled name), validation (the format, field by field), dilemma_balance (what
`papers instrument validate` asks of a choose task) and describe (`papers instrument show`). Import
from the package: the names below are its interface.
"""

from papers.instrument.describe import describe
from papers.instrument.dilemma_balance import (
    DILEMMA_RULES,
    MAX_OPTION_RATIO,
    MIN_SCENARIOS_PER_PAIR,
    check_dilemma_balance,
    dilemma_balance,
)
from papers.instrument.loading import BUNDLED_DIR, DEFAULT_INSTRUMENT, bundled_instruments, load_instrument, parse_instrument
from papers.instrument.model import (
    DEFAULT_VARIANT,
    Condition,
    Dimension,
    Instrument,
    Item,
    Option,
    Scale,
    Scenario,
    Task,
    Variant,
)
from papers.instrument.validation import ORIENTATIONS, TASK_TYPES, WORDED_TASKS

__all__ = [
    "BUNDLED_DIR", "DEFAULT_INSTRUMENT", "DEFAULT_VARIANT", "DILEMMA_RULES", "MAX_OPTION_RATIO", "MIN_SCENARIOS_PER_PAIR",
    "ORIENTATIONS", "TASK_TYPES", "WORDED_TASKS", "Condition", "Dimension", "Instrument", "Item", "Option", "Scale",
    "Scenario", "Task", "Variant", "bundled_instruments", "check_dilemma_balance", "describe", "dilemma_balance",
    "load_instrument", "parse_instrument",
]
