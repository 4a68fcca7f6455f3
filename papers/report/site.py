"""`papers report`: the versioned static site of an audit, and `papers verify`.

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
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import json
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from papers import __version__
from papers.errors import InputError, PapersError
from papers.names import check_audit_name
from papers.report import engines
from papers.report.context import AuditData, Link, condition_label, load_audit
from papers.resources import project_path
from papers.store import RESULT_TABLES, Store, query

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


# ----------------------------------------------------------------------------- rendering


def environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(project_path("reports"))), undefined=jinja2.StrictUndefined,
        autoescape=False, keep_trailing_newline=True, trim_blocks=False,
    )
    env.filters["md"] = escape_markdown
    env.filters["quote"] = escape_quote
    env.filters["yaml"] = escape_yaml
    env.filters["condition"] = condition_label
    env.filters["href"] = escape_href
    return env


MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~^$@&%=:\"'])")


def escape_markdown(value) -> str:
    """Text from data, safe in Pandoc Markdown, HTML and Typst: every punctuation mark that could
    start markup is backslash-escaped (Pandoc then escapes it again for each output), and line
    breaks become spaces so a value can never leave its table cell or paragraph."""
    text = " ".join(str(value).split())
    return MD_SPECIAL.sub(r"\\\1", text)


def escape_href(value) -> str:
    """A link target in Markdown: percent-encoded except for the characters of a relative path, so
    no value can close the link, open another or name a scheme (a ':' is encoded)."""
    return quote(str(value), safe="/.-_~#")


def escape_quote(value) -> str:
    """A quoted answer: escaped like any value, its paragraphs kept inside the block quote."""
    paragraphs = [escape_markdown(p) for p in str(value).split("\n\n") if p.strip()]
    return "\n>\n> ".join(paragraphs[:6])


def escape_yaml(value) -> str:
    """A value inside a double-quoted YAML string in front matter, also escaped for Markdown."""
    return escape_markdown(value).replace("\\", "\\\\").replace('"', '\\"')


def templates_sha256() -> str:
    digest = hashlib.sha256()
    for path in sorted(project_path("reports").rglob("*")):
        if path.is_file() and "_site" not in path.parts and "_build" not in path.parts:
            digest.update(path.relative_to(project_path("reports")).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def render_model_page(task: tuple) -> tuple[str, str]:
    """One model's page: figures, .qmd, HTML and PDF (run in a worker process)."""
    from papers.report.pages import model_page

    data, model, root, engine, nav = task
    page = model_page(data, model, root / "models", [Link(**n) for n in nav])
    qmd = root / "models" / f"{page.slug}.qmd"
    qmd.write_text(environment().get_template("model.qmd.j2").render(page=page), encoding="utf-8")
    engines.render(qmd, engine, pdf=True)
    return model, page.slug


# ----------------------------------------------------------------------------- the site


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
        return _publish(store, data, site, engine, workers, pdf, started)


def _publish(store: Store, data: AuditData, site: Path, engine: str, workers: int | None, pdf: bool,
             started: float) -> ReportResult:
    audit_id = data.audit_id
    check_site_index(site)
    target = site / audit_id
    inputs = inputs_sha256(data, engine, pdf)
    result = ReportResult(audit_id, target, target / "index.html")
    if target.exists():
        existing = read_manifest(target)
        if existing.get("inputs_sha256") == inputs:
            result.unchanged = True
            result.notes.append(f"{target} is already published from the same inputs; nothing changed.")
            write_root_index(site)
            return result
        raise PapersError(
            f"{target} is already published, from other inputs; a published audit is never rewritten.",
            "analyze the new data under a new audit name (papers analyze --audit NAME), then report that audit.",
        )
    build = Path(tempfile.mkdtemp(prefix=f".build-{audit_id}-", dir=site))
    try:
        web_readable(build)
        previous = previous_audit(store, site, audit_id)
        nav = navigation(previous)
        (build / "models").mkdir()
        shutil.copy(project_path("_quarto.yml"), build / "_quarto.yml")
        shutil.copy(project_path("reports", "style.css"), build / "style.css")
        tasks = [(data, m, build, engine, [asdict(n) for n in model_nav(nav)]) for m in data.models]
        workers = workers or min(len(tasks), os.cpu_count() or 1)
        if workers > 1:
            # spawn, not fork: the parent holds DuckDB and polars thread pools, which a fork would
            # copy mid-lock; each worker ends itself when this process is gone
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                     initializer=end_with_parent, initargs=(os.getpid(),)) as pool:
                list(pool.map(render_model_page, tasks))
        else:
            for t in tasks:
                render_model_page(t)
        from papers.report.pages import comparison_page

        page = comparison_page(data, build, nav)
        qmd = build / "index.qmd"
        qmd.write_text(environment().get_template("comparison.qmd.j2").render(page=page), encoding="utf-8")
        engines.render(qmd, engine, pdf=pdf, pdf_name="comparison.pdf")
        if previous:
            write_changes(store, build, audit_id, previous, nav)
        export_data(store, data, build / "data")
        clean_sources(build)
        write_manifest(build, data, inputs)
        build.rename(target)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    write_root_index(site)
    result.pages = len(data.models) + 1
    result.pdfs = len(list(target.rglob("*.pdf")))
    result.seconds = time.perf_counter() - started
    return result


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


def navigation(previous: str | None) -> list[Link]:
    nav = [Link("../index.html", "All audit versions"), Link("index.html", "Comparison of all models")]
    if previous:
        nav += [Link("changes.html", f"What changed since {previous}"),
                Link(f"../{previous}/index.html", f"Previous audit ({previous})")]
    return nav


def model_nav(nav: list[Link]) -> list[Link]:
    """The same links, one folder deeper."""
    return [Link(n.href if n.href.startswith("http") else f"../{n.href}", n.text) for n in nav]


def previous_audit(store: Store, site: Path, audit_id: str) -> str | None:
    """The newest other audit of the same store that is published in this site."""
    rows = store.sql("select audit_id from audits where audit_id <> ? order by created_at desc", [audit_id]).fetchall()
    published = {folder for folder, _ in published_audits(site)}
    for (other,) in rows:
        if other in published:
            return other
    return None


def write_changes(store: Store, build: Path, audit_id: str, previous: str, nav: list[Link]) -> None:
    rows = store.frame(query("report/changes"), {"now": audit_id, "before": previous})
    now = set(store.frame("select distinct model from result_profiles where audit_id = ?", [audit_id])["model"])
    before = set(store.frame("select distinct model from result_profiles where audit_id = ?", [previous])["model"])

    def pair(a, b, digits=False):
        fa = f"{a:.2f}" if digits and a is not None else (a or "n/a")
        fb = f"{b:.2f}" if digits and b is not None else (b or "n/a")
        return fb if fa == fb else f"{fa} -> {fb}"

    changed = []
    for r in rows.iter_rows(named=True):
        ccc_moved = r["ccc_before"] is not None and r["ccc_now"] is not None and abs(r["ccc_now"] - r["ccc_before"]) >= 0.05
        if r["first_before"] != r["first_now"] or r["type_before"] != r["type_now"] or ccc_moved:
            changed.append({"model": r["model"], "condition": r["condition"], "task": r["task"],
                            "first": pair(r["first_before"], r["first_now"]), "type": pair(r["type_before"], r["type_now"]),
                            "ccc": pair(r["ccc_before"], r["ccc_now"], digits=True)})
    page = {"audit_id": audit_id, "previous": previous, "added": sorted(now - before), "dropped": sorted(before - now),
            "rows": changed, "nav": nav}
    qmd = build / "changes.qmd"
    qmd.write_text(environment().get_template("changes.qmd.j2").render(page=page), encoding="utf-8")
    engines.render(qmd, "pandoc", pdf=False)


def export_data(store: Store, data: AuditData, out: Path) -> None:
    """The exact rows the audit used, and its results, as Parquet."""
    out.mkdir(parents=True, exist_ok=True)
    params = {"instrument": data.instrument.sha256}
    for name in ("model_answers", "model_outcomes", "human_answers", "human_items", "codes"):
        store.frame(query(f"analysis/{name}"), params).write_parquet(out / f"{name}.parquet")
    for table in RESULT_TABLES:
        data.tables[table].write_parquet(out / f"{table}.parquet")


def clean_sources(build: Path) -> None:
    for pattern in ("*.qmd", "*.typ", "_quarto.yml", "style.css", "models/*.qmd", "models/*.typ"):
        for path in build.glob(pattern):
            path.unlink()


# ----------------------------------------------------------------------------- manifest


def file_hashes(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def write_manifest(root: Path, data: AuditData, inputs: str) -> None:
    manifest = {
        "audit_id": data.audit_id, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "instrument": {"id": data.instrument.id, "version": data.instrument.version, "sha256": data.instrument.sha256},
        "data_sha256": data.data_sha256, "tool_version": __version__, "inputs_sha256": inputs,
        "models": data.models, "files": file_hashes(root),
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_manifest(root: Path) -> dict:
    try:
        return json.loads((Path(root) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def verify(root: Path) -> dict[str, list[str]]:
    """Files added, missing or altered since the manifest was written."""
    root = Path(root)
    manifest = read_manifest(root)
    if not manifest:
        raise InputError(f"{root}: no readable manifest.json; not a papers audit directory.",
                         "point papers verify at reports/_site/<audit>.")
    recorded = manifest.get("files", {})
    actual = file_hashes(root)
    return {
        "added": sorted(set(actual) - set(recorded)),
        "missing": sorted(set(recorded) - set(actual)),
        "altered": sorted(p for p in set(actual) & set(recorded) if actual[p] != recorded[p]),
    }


GENERATOR = '<meta name="generator" content="papers">'


def check_site_index(site: Path) -> None:
    """Refuse to publish into a folder whose index.html papers did not write."""
    index = site / "index.html"
    try:
        foreign = index.exists() and GENERATOR not in index.read_text(encoding="utf-8", errors="replace")
    except OSError:
        foreign = True
    if foreign:
        raise PapersError(f"{index} was not written by papers; publishing here would replace it.",
                          "choose an empty folder or a papers site with --site.")


def published_audits(site: Path) -> list[tuple[str, dict]]:
    """(folder name, manifest) of every complete audit in the site: folders not starting with a dot
    whose manifest.json has the fields the index shows; anything else is left out."""
    found = []
    for manifest_path in site.glob("*/manifest.json"):
        folder = manifest_path.parent.name
        m = read_manifest(manifest_path.parent)
        instrument = m.get("instrument")
        if folder.startswith(".") or not isinstance(instrument, dict):
            continue
        fields = [m.get("audit_id"), m.get("created_at"), m.get("data_sha256"), *(instrument.get(k) for k in
                                                                                   ("id", "version", "sha256"))]
        if all(isinstance(f, str) for f in fields) and isinstance(m.get("models", []), list):
            found.append((folder, m))
    return sorted(found, key=lambda fm: fm[1]["created_at"], reverse=True)


def write_root_index(site: Path) -> Path:
    """The site root: every published audit, newest first (rebuilt each time; it is not a version)."""
    esc = html.escape
    rows = "\n".join(
        f'<tr><td><a href="{esc(quote(folder), quote=True)}/index.html">{esc(m["audit_id"])}</a></td>'
        f'<td>{esc(m["created_at"])}</td><td>{len(m.get("models", []))}</td>'
        f'<td>{esc(m["instrument"]["id"])} {esc(m["instrument"]["version"])} '
        f'(<code>{esc(m["instrument"]["sha256"][:12])}</code>)</td>'
        f'<td><code>{esc(m["data_sha256"][:12])}</code></td></tr>'
        for folder, m in published_audits(site)
    )
    css = project_path("reports", "style.css").read_text(encoding="utf-8")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
{GENERATOR}
<title>Value audits</title><style>{css}</style></head>
<body><header id="title-block-header"><h1 class="title">Value audits</h1>
<p class="subtitle">Every published audit, newest first. Each is a fixed version:
its manifest.json lists the SHA-256 of every file.</p></header>
<table><thead><tr><th>Audit</th><th>Published (UTC)</th><th>Models</th><th>Instrument</th><th>Data hash</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p>Made with papers {esc(__version__)}.</p>
</body></html>
"""
    site.mkdir(parents=True, exist_ok=True)
    (site / "index.html").write_text(page, encoding="utf-8")
    return site / "index.html"
