"""The Python API: what a notebook needs, each the function a `papers` command calls.

Every function takes the store as a path (or a `ducklake:` URL where it only reads), opens it for the
call and closes it again, so a notebook never holds a store open between cells, and returns the
same report object the command prints. They are also importable from the package itself::

    import papers

    papers.collect_answers("audit.duckdb", ["simulated/human-centric"], tasks=["rank", "rate"], trials=30)
    papers.analyze_audit("audit.duckdb", "first")
    tables = papers.results("audit.duckdb", "first")
    tables["result_profiles"]          # a polars DataFrame

Errors are `papers.errors.PapersError` (with `.message` and `.hint`), as the commands print them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by each function as it runs: `import papers` stays fast
    import polars as pl

    from papers.analyze import AnalyzeReport
    from papers.ingest.common import LoadReport
    from papers.instrument import Instrument
    from papers.report.site import ReportResult
    from papers.store import Store

__all__ = ["open_store", "load_instrument", "collect_answers", "ingest_responses", "ingest_survey", "analyze_audit", "results",
           "publish_report"]


def open_store(path: str | Path | None = None, *, read_only: bool = False, create: bool = True) -> Store:
    """Open (and migrate) a store, or a lake for reading; use as `with open_store(path) as store:`
    (`papers.stores.open_store`: `store.frame(sql)` returns a polars DataFrame of any query).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "audit.duckdb"
    >>> with open_store(db) as store:
    ...     store.frame("select count(*) as n from participants").item()
    0
    """
    from papers.stores import open_store as open_any

    return open_any(path, read_only=read_only, create=create)


def load_instrument(ref: str | Path | None = None) -> Instrument:
    """An instrument: a YAML file, or a bundled one by name (default: the PAPERS instrument).

    Examples
    --------
    >>> inst = load_instrument()
    >>> inst.id, inst.dimension_keys[:3], len(inst.task("rank").variant_ids)
    ('papers', ('PC', 'AG', 'PR'), 6)
    """
    from papers.instrument import load_instrument as load

    return load(ref)


def collect_answers(db: str | Path, models: list[str], *, tasks: list[str] | tuple[str, ...] = ("rank",),
            conditions: list[str] | tuple[str, ...] = (), trials: int = 90, variants: str = "all", seed: int = 0,
            instrument: str | None = None, temperature: float | None = 1.0, max_tokens: int | None = 400,
            system_prompt: str | None = None, **calls):
    """Administer the instrument to models (`papers collect`): every pending trial of the plan, each
    answer stored before the next is awaited. `calls` are the call options of the command, by their
    Python names (concurrency, timeout, max_retries, api_base, max_cost, retry_errors, dry_run,
    simulated_profiles, batch, wait, ...). Returns the run's report (or, with dry_run=True, the
    estimate).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "audit.duckdb"
    >>> done = collect_answers(db, ["simulated/human-centric"], tasks=["rank"], trials=12)
    >>> done.planned, done.made
    (24, 24)
    """
    from papers.collect.plan import Decoding
    from papers.collect.runner import CollectSettings
    from papers.collect.service import run_collect
    from papers.collect.settings import CallSettings

    settings = CollectSettings(models=list(models), tasks=list(tasks), conditions=list(conditions), trials=trials,
                               seed=seed, decoding=Decoding(temperature, max_tokens, system_prompt),
                               calls=CallSettings(**calls), variants=variants)
    return run_collect(settings, db_path=db, instrument=instrument)


def ingest_responses(db: str | Path, path: str | Path, *, instrument: str | None = None, fmt: str | None = None,
                     encoding: str | None = None, skip_bad_rows: bool = False, strict: bool = False,
                     other_dimensions: str = "incomplete") -> LoadReport:
    """Load model answers collected elsewhere (`papers ingest responses`): JSONL, CSV or Parquet.
    `strict` refuses a load that warns; `other_dimensions="ignore"` keeps the instrument's
    dimensions of answers about more."""
    from papers.ingest.files import check_readable
    from papers.ingest.responses import ingest_responses as ingest
    from papers.stores import open_store as open_any

    check_readable(Path(path))
    with open_any(db) as store:
        return ingest(store, Path(path), instrument=instrument, fmt=fmt, encoding=encoding, strict=not skip_bad_rows,
                      fail_on_warning=strict, other_dimensions=other_dimensions == "ignore")


def ingest_survey(db: str | Path, path: str | Path, *, sample: str, fmt: str = "auto",
                  mapping: str | Path | None = None, demographics: str | Path | None = None,
                  id_column: str | None = None, row_ids: bool = False, instrument: str | None = None,
                  encoding: str | None = None, skip_bad_rows: bool = False, strict: bool = False) -> LoadReport:
    """Load a human survey export (`papers ingest survey`): plain CSV or TSV, Qualtrics, SurveyMonkey,
    Google Forms; exclusion rules mark participants without dropping them."""
    from papers.errors import InputError
    from papers.ingest.files import check_readable
    from papers.ingest.survey import ingest_survey as ingest
    from papers.stores import open_store as open_any

    if id_column and row_ids:
        raise InputError("give id_column or row_ids, not both.")
    for file in (path, mapping, demographics):
        if file is not None:
            check_readable(Path(file))
    with open_any(db) as store:
        return ingest(store, Path(path), sample=sample, fmt=fmt, mapping=Path(mapping) if mapping else None,
                      demographics=Path(demographics) if demographics else None,
                      instrument=instrument, encoding=encoding, strict=not skip_bad_rows, progress=False,
                      id_column=id_column, row_ids=row_ids, fail_on_warning=strict)


def analyze_audit(db: str | Path, audit: str | None = None, *, models: list[str] | None = None,
            instrument: str | None = None, replace: bool = False, **settings) -> AnalyzeReport:
    """Compute an audit's statistics into the store's result_* tables (`papers analyze`).
    `settings` are papers.analysis.audit.Settings' fields (seed, b, linkage, k, type_margin,
    theme_rule, ...); the same name and data is a no-op.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "audit.duckdb"
    >>> _ = collect_answers(db, ["simulated/human-centric", "simulated/utility-driven"], tasks=["rank"], trials=12)
    >>> analyze_audit(db, "first", b=100).audit_id
    'first'
    """
    from papers.analysis.audit import Settings
    from papers.analyze import run_analyze
    from papers.stores import open_store as open_any

    with open_any(db, create=False) as store:
        return run_analyze(store, audit, instrument=instrument, settings=Settings(**settings), replace=replace,
                           models=models)


def results(db: str | Path, audit: str) -> dict[str, pl.DataFrame]:
    """An audit's result_* tables, each a polars DataFrame (without the audit_id column), by name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "audit.duckdb"
    >>> _ = collect_answers(db, ["simulated/human-centric", "simulated/utility-driven"], tasks=["rank"], trials=12)
    >>> _ = analyze_audit(db, "first", b=100)
    >>> profiles = results(db, "first")["result_profiles"]
    >>> sorted(profiles["model"].unique())
    ['simulated/human-centric', 'simulated/utility-driven']
    """
    from papers.errors import InputError
    from papers.report.reads import result_tables
    from papers.stores import open_store as open_any

    with open_any(db, read_only=True, audit=audit) as store:
        if not store.scalar("select count(*) from audits where audit_id = ?", [audit]):
            raise InputError(f"no audit named '{audit}' in the store.", "papers.analyze_audit(db, name) makes one.")
        return result_tables(store, audit)


def publish_report(db: str | Path, audit: str, *, site: str | Path = "reports/_site", engine: str = "auto",
           workers: int | None = None, force: bool = False) -> ReportResult:
    """Publish an audit as a versioned static site (`papers report`): a page and a PDF per model, the
    comparison, the manifest; returns where its index is and what was written. Signing is the
    command's (`papers report --sign`), which asks for the key's password."""
    from papers.report.site import build_report
    from papers.stores import open_store as open_any

    with open_any(db, read_only=True, audit=audit) as store:
        return build_report(store, audit, site=Path(site), engine=engine, workers=workers, force=force)
