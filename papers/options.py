"""Click options shared by several commands, defined once."""

from __future__ import annotations

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
