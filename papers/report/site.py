"""`papers report`: the versioned static site of an audit.

Layout of `reports/_site/<audit>/`:

    index.html            the comparison of all models     comparison.pdf
    models/<slug>.html    one audit per model               models/<slug>.pdf
    models/<slug>/*.svg   that page's figures (and figures/*.svg for the comparison)
    changes.html          what changed since the previous audit (when there is one)
    data/*.parquet        the exact rows used
    manifest.json         SHA-256 of every file, instrument and data hashes, tool version, time

The site is built in a temporary folder beside it and moved into place in one rename, so a failed
build publishes nothing. A published audit directory is never rewritten: the same inputs are a
no-op, other inputs a refusal. The site root's index.html lists every audit, newest first.

This module runs the build; the pages come from papers.report.pages and .changes, every store read
from .reads, the manifest and site root from .manifest.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from papers import __version__
from papers.errors import InputError, PapersError
from papers.names import check_audit_name
from papers.report import engines, reads
from papers.report.changes import write_changes
from papers.report.context import Link
from papers.report.manifest import check_site_index, published_audits, read_manifest, write_manifest, write_root_index
from papers.report.pages import comparison_page, model_nav, model_page, navigation
from papers.report.reads import AuditData, load_audit
from papers.report.templating import render, templates_sha256
from papers.resources import project_path
from papers.store import RESULT_TABLES, Store

DEFAULT_SITE = Path("reports") / "_site"


@dataclass
class ReportResult:
    audit_id: str
    site: Path
    index: Path
    unchanged: bool = False
    pages: int = 0
    pdfs: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def build_report(store: Store, audit_id: str, *, site: Path = DEFAULT_SITE, engine: str = "auto",
                 workers: int | None = None, pdf: bool = True) -> ReportResult:
    started = time.perf_counter()
    audit_id = check_audit_name(audit_id)
    engine = engines.choose(engine)
    data = load_audit(store, audit_id)
    if not data.models:
        raise InputError(f"audit '{audit_id}' has no model results to report.", "run papers analyze again after collecting.")
    site = Path(site)
    with site_lock(site):
        result = _publish(store, data, site, engine, workers, pdf)
    result.seconds = 0.0 if result.unchanged else time.perf_counter() - started
    return result


def _publish(store: Store, data: AuditData, site: Path, engine: str, workers: int | None, pdf: bool) -> ReportResult:
    check_site_index(site)
    target = site / data.audit_id
    inputs = inputs_sha256(data, engine, pdf)
    result = ReportResult(data.audit_id, target, target / "index.html")
    if target.exists():
        if read_manifest(target).get("inputs_sha256") != inputs:
            raise PapersError(
                f"{target} is already published, from other inputs; a published audit is never rewritten.",
                "analyze the new data under a new audit name (papers analyze --audit NAME), then report that audit.",
            )
        result.unchanged = True
        result.notes.append(f"{target} is already published from the same inputs; nothing changed.")
    else:
        with staging(site, data.audit_id) as build:
            write_audit(store, data, build, site, engine, workers, pdf, inputs)
            build.rename(target)
        result.pages = len(data.models) + 1
        result.pdfs = len(list(target.rglob("*.pdf")))
    write_root_index(site)
    return result


@contextlib.contextmanager
def staging(site: Path, audit_id: str) -> Iterator[Path]:
    """A temporary folder beside the site to build in, removed if the build fails."""
    build = Path(tempfile.mkdtemp(prefix=f".build-{audit_id}-", dir=site))
    try:
        web_readable(build)
        yield build
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


def write_audit(store: Store, data: AuditData, build: Path, site: Path, engine: str, workers: int | None, pdf: bool,
                inputs: str) -> None:
    """Every file of the audit's folder, in the build folder."""
    previous = previous_audit(store, site, data.audit_id)
    nav = navigation(previous)
    (build / "models").mkdir()
    shutil.copy(project_path("_quarto.yml"), build / "_quarto.yml")
    shutil.copy(project_path("reports", "style.css"), build / "style.css")
    render_model_pages(data, build, engine, model_nav(nav), workers)
    qmd = render("comparison.qmd.j2", build / "index.qmd", page=comparison_page(data, build, nav))
    engines.render(qmd, engine, pdf=pdf, pdf_name="comparison.pdf")
    if previous:
        write_changes(store, build, data.audit_id, previous, nav)
    export_data(store, data, build / "data")
    clean_sources(build)
    write_manifest(build, data, inputs)


def render_model_pages(data: AuditData, build: Path, engine: str, nav: list[Link], workers: int | None) -> None:
    tasks = [(data, m, build, engine, [asdict(n) for n in nav]) for m in data.models]
    workers = workers or min(len(tasks), os.cpu_count() or 1)
    if workers <= 1:
        for t in tasks:
            render_model_page(t)
        return
    # spawn, not fork: the parent holds DuckDB and polars thread pools, which a fork would copy
    # mid-lock; each worker ends itself when this process is gone
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=end_with_parent, initargs=(os.getpid(),)) as pool:
        list(pool.map(render_model_page, tasks))


def render_model_page(task: tuple) -> tuple[str, str]:
    """One model's page: figures, .qmd, HTML and PDF (run in a worker process)."""
    data, model, root, engine, nav = task
    page = model_page(data, model, root / "models", [Link(**n) for n in nav])
    qmd = render("model.qmd.j2", root / "models" / f"{page.slug}.qmd", page=page)
    engines.render(qmd, engine, pdf=True)
    return model, page.slug


@contextlib.contextmanager
def site_lock(site: Path) -> Iterator[None]:
    """One report at a time per site: an exclusive lock on site/.papers-lock. Whoever holds it may
    remove the leftovers of builds that were killed (.build-* folders), since no other build runs."""
    try:
        site.mkdir(parents=True, exist_ok=True)
        handle = open(site / ".papers-lock", "a+")
    except OSError as e:
        raise PapersError(f"{site}: cannot write the site here ({e.strerror or e}).",
                          "choose a folder you can write with --site.") from e
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            raise PapersError(f"{site}: another papers report is writing this site.",
                              "wait for it to finish, then run this report again.") from e
        for leftover in site.glob(".build-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        yield
    finally:
        handle.close()


def web_readable(folder: Path) -> None:
    """mkdtemp makes 0700 folders; a published folder is readable as the umask allows (0755 by default)."""
    mask = os.umask(0)
    os.umask(mask)
    folder.chmod(0o777 & ~mask)


def end_with_parent(parent: int) -> None:
    """In a worker process: exit as soon as the process that started it is gone (killed or not)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def inputs_sha256(data: AuditData, engine: str, pdf: bool) -> str:
    payload = json.dumps([data.audit_id, data.data_sha256, data.settings, data.tool_version, __version__,
                          templates_sha256(), engine, pdf], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def previous_audit(store: Store, site: Path, audit_id: str) -> str | None:
    """The newest other audit of the same store that is published in this site."""
    published = {folder for folder, _ in published_audits(site)}
    return next((other for other in reads.audit_ids(store, besides=audit_id) if other in published), None)


def export_data(store: Store, data: AuditData, out: Path) -> None:
    """The exact rows the audit used, and its results, as Parquet."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in reads.pinned_rows(store, data).items():
        frame.write_parquet(out / f"{name}.parquet")
    for table in RESULT_TABLES:
        data.tables[table].write_parquet(out / f"{table}.parquet")


def clean_sources(build: Path) -> None:
    for pattern in ("*.qmd", "*.typ", "_quarto.yml", "style.css", "models/*.qmd", "models/*.typ"):
        for path in build.glob(pattern):
            path.unlink()
