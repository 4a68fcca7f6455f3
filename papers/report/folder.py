"""Every file of an audit's folder, written into its build folder in this order:

1. pages: each model's page and the comparison (figures, .qmd, HTML, and the .typ of its PDF), in
   worker processes; changes.html when the previous audit of the site is in the store
2. data/*.parquet (exactly the rows the audit pinned, and its results), CITATION.cff and
   ro-crate-metadata.json
3. the evidence each PDF carries: the manifest as it stands (every file but the PDFs, which cannot
   hold their own hash) and the page's rows as CSV
4. the PDFs (PDF/A-3b, evidence attached), in worker processes
5. manifest.json (every file), and with a key its minisign signature, manifest.json.minisig

Nothing here reads a clock or the environment: the same store rows, settings, templates, tools and
previous audit give the same bytes (papers.report.siteconfig stamps the date).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import polars as pl

from papers import __version__
from papers.report import engines, reads, safefs
from papers.report.archive import write_citation, write_crate
from papers.report.changes import write_changes
from papers.report.context import Frame, Link, Masthead, slug
from papers.report.datapage import write_data_index
from papers.report.manifest import FORMAT, MANIFEST, SIGNATURE, dumps, file_hashes, sha256_file, versions, write_manifest
from papers.report.overtime import write_over_time
from papers.report.pdf import Attachment, PdfJob, compile_pdf
from papers.report.reads import AuditData
from papers.report.signing import SecretKey
from papers.report.siteconfig import SiteConfig, iso_date, readable_date
from papers.report.templating import LinkStyle, render, render_text
from papers.resources import project_path
from papers.store import RESULT_TABLES, Store
from papers.text import FORMULA_START

MANIFEST_DRAFT = "manifest-draft.json"  # the name of the manifest attached to each PDF: not the published one
EVIDENCE = ".evidence"  # the PDFs' attachments while they are made; removed with the other sources
SOURCES = (".qmd", ".typ")
PROJECT_FILES = ("_quarto.yml", "style.css")  # copied in for Quarto, removed after
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Plan:
    """How an audit is built, besides the store and the audit itself."""

    engine: str
    config: SiteConfig
    published: datetime
    workers: int | None = None
    key: SecretKey | None = None
    progress: Progress | None = None

    @property
    def masthead(self) -> Masthead:
        return Masthead(self.config.title, self.config.publisher, readable_date(self.published), __version__)


@dataclass(frozen=True)
class Previous:
    """The audit published last in the site before this one: the link of the hash chain."""

    audit_id: str
    manifest_sha256: str
    sequence: int


def page_workers(plan: Plan, data: AuditData):
    """The worker processes that build an audit's pages and PDFs (a context giving run, see
    worker_pool); the site's history figures are drawn on them too while they are open."""
    return worker_pool(plan.workers, len(data.models) + 1, shared=data, prepare=import_page_builders)


def write_audit(store: Store, data: AuditData, build: Path, plan: Plan, inputs: str, previous: Previous | None,
                run: Callable | None = None) -> dict:
    """Every file of the audit's folder, in the build folder; returns the manifest. `run`: the
    open page_workers to use (default: its own)."""
    if run is None:
        with page_workers(plan, data) as run:
            return write_audit(store, data, build, plan, inputs, previous, run)
    # here, not above: a report with nothing to build (an unchanged re-run) never imports them (scipy, matplotlib)
    from papers.report.pages import downloads, navigation
    from papers.report.sections import notice

    nav = navigation(previous.audit_id if previous else None)
    shutil.copy(project_path("_quarto.yml"), build / "_quarto.yml")
    shutil.copy(project_path("reports", "style.css"), build / "style.css")
    (build / "models").mkdir()
    rows = reads.pinned_rows(store, data)
    tasks = [(model, build, plan.engine, [asdict(n) for n in nav], plan.masthead,
              plan.config.audit_url(data.audit_id)) for model in [None, *data.models]]
    pages = run(render_page, tasks, "pages", plan.progress)
    if previous and previous.audit_id in reads.audit_ids(store):
        write_changes(store, build, data.audit_id, previous.audit_id, nav, plan.masthead,
                      Frame(downloads(0, None), notice(data)))
    counts = export_data(rows, data, build / "data")
    write_data_index(build, data.audit_id, counts, plan.masthead, notice(data))
    write_over_time(store, data, build, plan.masthead, notice(data))  # results.json, compare.html
    jobs = [page_pdf(page, plan, data) for page in pages]
    fields = manifest_fields(data, plan, inputs, previous, counts)
    date = iso_date(plan.published)
    write_citation(build, data, plan.config, date)
    to_come = [j.pdf.relative_to(build).as_posix() for j in jobs] + [MANIFEST] + [SIGNATURE] * bool(plan.key)
    write_crate(build, data, plan.config, date, sorted(published_files(build)) + to_come)
    write_evidence(build, fields, rows, data)
    run(compile_pdf_task, [(job, build) for job in jobs], "PDFs", plan.progress)
    clean_sources(build)
    manifest = {**fields, "files": file_hashes(build)}
    write_manifest(build, manifest)
    if plan.key:
        sign_manifest(build, plan.key, data.audit_id)
    return manifest


# ----------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class RenderedPage:
    model: str | None  # None: the comparison
    typ: Path
    pdf: Path


def import_page_builders() -> None:
    """What render_page needs (scipy, matplotlib, jinja2 and Typst), imported before the first page."""
    import papers.report.pages  # noqa: F401
    from papers.report.pdf import compiler

    compiler()


def render_page(task: tuple) -> RenderedPage:
    """One page: figures, .qmd, HTML and the .typ of its PDF (run in a worker process). The PDF's
    Markdown differs from the HTML's only in its links (templating.LinkStyle): absolute from the
    audit's public address (`url`, from the site's base-url), or plain text when it is not known."""
    from papers.report.pages import comparison_page, model_nav, model_page  # see write_audit

    model, root, engine, nav, masthead, url = task
    data: AuditData = shared()
    links = [Link(**n) for n in nav]
    if model is None:
        page, template, qmd, pdf = comparison_page(data, root, links, masthead), "comparison.qmd.j2", \
            root / "index.qmd", root / "comparison.pdf"
    else:
        page = model_page(data, model, root / "models", model_nav(links), masthead)
        template, qmd = "model.qmd.j2", root / "models" / f"{page.slug}.qmd"
        pdf, url = qmd.with_suffix(".pdf"), url and f"{url}models/"
    render(template, qmd, page=page)
    pdf_text = render_text(template, page=page, link=LinkStyle(pdf=True, base=url))
    return RenderedPage(model, engines.render(qmd, engine, typst_source=True, pdf_text=pdf_text), pdf)


def page_pdf(page: RenderedPage, plan: Plan, data: AuditData) -> PdfJob:
    """The PDF of a page: its metadata, and as attachments the manifest and the page's rows."""
    manifest = Attachment(MANIFEST_DRAFT, f"/{EVIDENCE}/{MANIFEST}", "application/json",
                          "A draft of the audit's manifest, as it stood before the PDFs were made (the published "
                          "manifest.json also lists the PDFs, so its hash differs): every other file with its "
                          "SHA-256, the instrument, data hash, settings and versions.")
    if page.model is None:
        title = f"Value audit {data.audit_id}: all models"
        subject = f"{len(data.models)} models compared on the {data.instrument.label} instrument"
        data_files = [Attachment("profiles.csv", f"/{EVIDENCE}/profiles.csv", "text/csv",
                                 "Every model's mean per condition, task and dimension, with its 95% interval.")]
    else:
        s = slug(page.model)
        title = f"Value audit {data.audit_id}: {page.model}"
        subject = f"What {page.model} prioritises, on the {data.instrument.label} instrument"
        data_files = [Attachment("answers.csv", f"/{EVIDENCE}/{s}-answers.csv", "text/csv",
                                 "The model's valid rank and rate answers that the audit used, one row per trial and "
                                 "dimension."),
                      Attachment("profile.csv", f"/{EVIDENCE}/{s}-profile.csv", "text/csv",
                                 "The model's mean per condition, task and dimension, with its 95% interval.")]
    return PdfJob(page.typ, page.pdf, title, subject, plan.config.publisher or "papers", keywords(data), plan.published,
                  [manifest, *data_files])


def keywords(data: AuditData) -> list[str]:
    from papers.report.sections import notice

    return ["value audit", "large language models", "PAPERS", f"instrument {data.instrument.label}",
            f"audit {data.audit_id}"] + ["synthetic data"] * bool(notice(data))


def compile_pdf_task(task: tuple) -> Path:
    job, root = task
    return compile_pdf(job, root)


# ----------------------------------------------------------------------------- data, evidence, manifest


def export_data(rows: dict[str, pl.DataFrame], data: AuditData, out: Path) -> dict[str, int]:
    """The exact rows the audit used, and its results, as Parquet; returns the row count of each file."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, frame in [*rows.items(), *((t, reads.in_order(data.tables[t])) for t in RESULT_TABLES)]:
        frame.write_parquet(out / f"{name}.parquet")
        counts[f"data/{name}.parquet"] = frame.height
    return counts


def write_evidence(build: Path, fields: dict, rows: dict[str, pl.DataFrame], data: AuditData) -> None:
    """What the PDFs attach: the manifest of every file so far (all but the PDFs) and each page's rows."""
    folder = build / EVIDENCE
    folder.mkdir()
    (folder / MANIFEST).write_text(dumps({**fields, "files": file_hashes_published(build)}), encoding="utf-8")
    profiles = reads.in_order(data.tables["result_profiles"])
    write_csv(profiles, folder / "profiles.csv")
    for model in data.models:
        s = slug(model)
        write_csv(rows["model_answers"].filter(pl.col("model") == model), folder / f"{s}-answers.csv")
        write_csv(profiles.filter(pl.col("model") == model), folder / f"{s}-profile.csv")


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    spreadsheet_frame(frame).write_csv(path)


def spreadsheet_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as CSV a spreadsheet opens safely: lists as comma-joined text, a text cell that
    starts like a formula with a leading ' (OWASP, CSV injection); numbers stay as they are."""
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    frame = frame.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join(",") for c in lists)
    formula = "^[" + "".join(re.escape(c) for c in FORMULA_START) + "]"
    return frame.with_columns(pl.when(pl.col(c).str.contains(formula)).then("'" + pl.col(c)).otherwise(pl.col(c))
                              .alias(c) for c, t in frame.schema.items() if t == pl.String)


def manifest_fields(data: AuditData, plan: Plan, inputs: str, previous: Previous | None, counts: dict[str, int]) -> dict:
    """Every field of the manifest but its list of files."""
    return {
        "format": FORMAT, "audit_id": data.audit_id, "created_at": data.created_at.replace(" ", "T") + "Z",
        "published_at": iso_date(plan.published),
        "instrument": {"id": data.instrument.id, "version": data.instrument.version, "sha256": data.instrument.sha256},
        "data_sha256": data.data_sha256, "inputs_sha256": inputs, "settings": data.settings, "models": data.models,
        "tool_version": data.tool_version, "versions": versions(), "site": plan.config.as_dict(),
        "sequence": previous.sequence + 1 if previous else 1,
        "previous": {"audit_id": previous.audit_id, "manifest_sha256": previous.manifest_sha256} if previous else None,
        "rows": counts,
        "scope": "files: every file of the folder but manifest.json and its signature",
    }


def is_source(path: str) -> bool:
    """A file the build needs but does not publish."""
    return path.endswith(SOURCES) or path in PROJECT_FILES or path.startswith(f"{EVIDENCE}/")


def published_files(build: Path) -> list[str]:
    return [p for p in file_hashes(build) if not is_source(p)]


def file_hashes_published(build: Path) -> dict[str, str]:
    return {p: h for p, h in file_hashes(build).items() if not is_source(p)}


def clean_sources(build: Path) -> None:
    for path in list(file_hashes(build)):
        if is_source(path):
            (build / path).unlink()
    shutil.rmtree(build / EVIDENCE, ignore_errors=True)


def sign_manifest(folder: Path, key: SecretKey, audit_id: str) -> Path:
    """manifest.json.minisig: a detached minisign signature whose trusted comment names the audit."""
    manifest = (folder / MANIFEST).read_bytes()
    comment = f"audit:{audit_id}\tfile:{MANIFEST}\tsha256:{sha256_file(folder / MANIFEST)}"
    signature = key.sign(manifest, comment, f"papers audit {audit_id}: signature of {MANIFEST} by key {key.public_key.id_hex}")
    return safefs.write_file(folder / SIGNATURE, signature)


# ----------------------------------------------------------------------------- workers


def worker_pool(workers: int | None, tasks: int, shared: Any = None, prepare: Callable[[], None] | None = None):
    """A context giving run(function, tasks, stage, progress) -> results in order: worker processes
    when there is more than one task and core, else this process. `shared` (what every task reads,
    such as the audit's data) reaches each worker once, not with every task; a task reads it with
    shared(). `prepare` (a module's function) imports what the tasks need as each worker starts;
    what it and `shared` make is kept out of the garbage collector's walks (papers.startup)."""
    return _Pool(min(workers or os.cpu_count() or 1, max(tasks, 1)), shared, prepare)


_SHARED: dict[str, Any] = {}
_OPEN: list[_Pool] = []  # the pools open in this process, innermost last


def shared() -> Any:
    """In a task of worker_pool: the value the pool was given to share."""
    return _SHARED["value"]


def open_workers() -> Callable | None:
    """The run of the innermost open pool with worker processes, for tasks that need no shared value
    (the site's history figures, drawn on the page workers instead of on new ones); None if none."""
    pools = [p for p in _OPEN if p.executor is not None]
    return pools[-1].run if pools else None


def _start_worker(parent: int, value: Any, prepare: Callable[[], None] | None) -> None:
    from papers.startup import long_lived

    with long_lived():
        _SHARED["value"] = value
        if prepare is not None:
            prepare()
    end_with_parent(parent)


class _Pool:
    def __init__(self, workers: int, shared: Any = None, prepare: Callable[[], None] | None = None):
        self.workers, self.shared, self.prepare, self.executor, self.before = workers, shared, prepare, None, None

    def __enter__(self):
        self.before = _SHARED.get("value")  # a pool inside another's task gives it back on leaving
        _SHARED["value"] = self.shared  # the tasks run here when there is one worker
        if self.workers > 1:
            # spawn, not fork: the parent holds DuckDB and polars thread pools, which a fork would copy
            # mid-lock; each worker ends itself when this process is gone
            self.executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_start_worker,
                                                initargs=(os.getpid(), self.shared, self.prepare))
        _OPEN.append(self)
        return self.run

    def __exit__(self, *exc) -> None:
        _SHARED["value"] = self.before
        _OPEN.remove(self)
        if self.executor:
            self.executor.shutdown(wait=True, cancel_futures=True)

    def run(self, function: Callable, tasks: list, stage: str, progress: Progress | None) -> list:
        if self.executor is None and self.prepare is not None and tasks:  # here, once, when there is work
            from papers.startup import long_lived

            with long_lived():
                self.prepare()
            self.prepare = None
        results: list = []
        outputs: Iterator = self.executor.map(function, tasks) if self.executor else map(function, tasks)
        for result in outputs:
            results.append(result)
            if progress:
                progress(stage, len(results), len(tasks))
        return results


def end_with_parent(parent: int) -> None:
    """In a worker process: exit as soon as the process that started it is gone (killed or not)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()

