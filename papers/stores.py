"""Opening where the data is: a local DuckDB store, or a shared DuckLake lake (`ducklake:` URLs).

The one module that knows both kinds, above each of them: `papers.store` knows nothing of lakes and
`papers.lake` builds on the store, so neither imports the other in a circle. Commands that read an
audit (analyze, report, brief, compare, export, db info) open what `--db` names through here; the
commands that write answers (collect, code, ingest) write a local store, which `papers push` copies
into a lake.
"""

from __future__ import annotations

from pathlib import Path

from papers.store import Store


def open_store(path: str | Path | None = None, *, read_only: bool = False, audit: str | None = None,
               create: bool = True) -> Store:
    """Open (and migrate) the store at `path`, or the lake a `ducklake:` URL names; use as
    `with open_store(path) as store:`. Read-only with `audit`, a lake is read as it was when that
    audit was made (its pinned snapshot). A local path opens as `papers.store.open_store` does: only
    a writable open with `create` makes a new store.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "audit.duckdb"
    >>> with open_store(path) as store:
    ...     store.scalar("select count(*) from llm_responses")
    0
    """
    if isinstance(path, str) and path.startswith("ducklake:"):
        from papers.lake.store import open_lake_store

        return open_lake_store(path, read_only=read_only, audit=audit)
    from papers.store import open_store as open_local

    return open_local(path, read_only=read_only, create=create)
