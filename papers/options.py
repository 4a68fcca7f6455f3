"""Click options shared by several commands, defined once."""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Callable

import click

db_option = click.option(
    "--db",
    "db_path",
    envvar="PAPERS_DB",
    type=click.Path(dir_okay=False),
    default="data/papers.duckdb",
    show_default=True,
    help="The DuckDB store (env PAPERS_DB).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
encoding_option = click.option(
    "--encoding", default=None, help="Text encoding of the file (default UTF-8, with or without BOM)."
)
strict_option = click.option(
    "--skip-bad-rows",
    "skip_bad_rows",
    is_flag=True,
    help="Load the good rows and keep unreadable ones in the rejects table, instead of stopping.",
)
instrument_option = click.option(
    "--instrument",
    "instrument",
    default=None,
    help="Instrument: a YAML path, a bundled name, or id@version / SHA-256 of one in the store.",
)


def call_options(command):
    """The call options of `papers collect` and `papers code`, one per field of CallSettings (its
    type, default and help written there once), each `--<name>` with the environment variable
    `PAPERS_<NAME>`. The command receives them as one argument, `calls: CallSettings`."""
    from papers.collect.settings import CallSettings  # a dataclass only: papers --help stays fast

    fields = [f for f in dataclasses.fields(CallSettings) if "help" in f.metadata]
    types = typing.get_type_hints(CallSettings)

    @functools.wraps(command)
    def with_settings(*args, **kwargs):
        calls = CallSettings(**{f.name: kwargs.pop(f.name) for f in fields}, **_api_base_source())
        return command(*args, calls=calls, **kwargs)

    for spec in reversed(fields):
        with_settings = _option(spec, types[spec.name])(with_settings)
    return with_settings


def _api_base_source() -> dict:
    """Where --api-base came from when the environment gave it: the run's summary names it."""
    from click.core import ParameterSource

    context = click.get_current_context(silent=True)
    if context is not None and context.get_parameter_source("api_base") is ParameterSource.ENVIRONMENT:
        return {"api_base_source": "from PAPERS_API_BASE in the environment"}
    return {}


def _option(spec: dataclasses.Field, kind) -> Callable:
    """The click option of one settings field."""
    name = spec.name.replace("_", "-")
    common = {"envvar": f"PAPERS_{spec.name.upper()}", "show_envvar": True, "help": spec.metadata["help"]}
    kind = next((k for k in typing.get_args(kind) if k is not type(None)), kind)  # X | None: X
    if kind is bool:
        return click.option(f"--{name}", spec.name, is_flag=True, **common)
    low = spec.metadata["minimum"]
    if spec.metadata.get("auto"):
        return click.option(f"--{name}", spec.name, type=_AutoInt(low), default="auto", show_default=True, **common)
    if spec.metadata["file"]:
        kind = click.Path(exists=True, dir_okay=False)
    elif kind is int and low is not None:
        kind = click.IntRange(low)
    elif kind is float and low is not None:
        kind = click.FloatRange(low)
    return click.option(f"--{name}", spec.name, type=kind, default=spec.default, show_default=True, **common)


class _AutoInt(click.ParamType):
    """A whole number from `low`, or `auto` (given to the command as 0)."""

    name = "integer|auto"

    def __init__(self, low: int | None):
        self.low = low

    def convert(self, value, param, ctx):
        if isinstance(value, int) or str(value).strip().lower() != "auto":
            number = click.IntRange(self.low).convert(value, param, ctx)
            return number
        return 0
