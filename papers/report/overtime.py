"""Audits over time on a site: drift since the previous audit, results.json, and the site-level
history pages, schema, Atom feed and sitemap.

When an audit is published, each of its models is compared (papers.drift.compare_audits, the test
`papers drift` runs) with the previous audit on the site that has the same model and instrument,
when that audit is in the store: the model's page says "changed since <that audit>" or "no change
detected since <that audit>" (never "unchanged": no evidence of a change is not evidence of none),
and the audit's results.json carries the comparison (result_drift*, keyed by the pair). A published
audit is never rewritten, so the comparison belongs to the later audit.

Per audit, `results.json` (format "papers-results/1", valid against the site's
schema/results-v1.json) holds every result_* row of the audit, the drift rows comparing it with the
previous audit of each model, and per model the model strings the provider reported and its status
since the previous audit.

The site-level files (each a writer of papers.report.site.SITE_WRITERS, so the signed head covers
them and `papers verify` checks them) are built from the site's published audits alone: their
manifests, and each audit's results.json when its SHA-256 is the one its manifest lists (an altered
one is never read):

    history/<slug>.html   every audit of a model on the site, oldest first: its profile over time
                          with intervals (one figure), each audit's drift status and why, the model
                          strings the provider reported
    schema/results-v1.json   the JSON Schema every results.json is valid against
    feed.xml              an Atom feed, one entry per audit, newest first (feedgen)
    sitemap.xml           every page of the site (absolute addresses when the site's base-url is set)
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from papers.errors import InputError
from papers.limits import load_json
from papers.report import reads, safefs
from papers.report.context import slug
from papers.report.manifest import MANIFEST, published_audits, sha256_file
from papers.report.siteconfig import SiteConfig, readable_date
from papers.report.templating import render
from papers.report.wording import condition_label
from papers.resources import project_path
from papers.store import DRIFT_TABLES, RESULT_TABLES, Store, query
from papers.text import printable

RESULTS = "results.json"
RESULTS_FORMAT = "papers-results/1"
SCHEMA = "schema/results-v1.json"
HISTORY = "history"
FEED = "feed.xml"
SITEMAP = "sitemap.xml"


# ----------------------------------------------------------------------------- drift since the previous audit


@dataclass(frozen=True)
class Since:
    """One model of an audit against the previous audit of it on the site (same instrument)."""

    previous: str | None  # that audit, or None: the first audit of the model on this site
    changed: bool | None  # None: not tested, or not compared
    reason: str  # why, in words ("" for a first audit)
    compared: bool = False  # the drift test ran (the previous audit was in the store)

    @property
    def status(self) -> str:
        """'changed since q1', 'no change detected since q1', ... (never 'unchanged')."""
        if self.previous is None:
            return "first audit of this model on this site"
        if not self.compared:
            return f"not compared with {self.previous}"
        return {True: f"changed since {self.previous}", False: f"no change detected since {self.previous}",
                None: f"not tested against {self.previous}"}[self.changed]


VERDICTS = ("changed: ", "no change detected: ", "not tested: ")


def why(reason: str) -> str:
    """A drift reason without its verdict (the status says it), as a sentence.

    >>> why("changed: in c / rank the profile moved. The provider reported m-1 in both.")
    'In c / rank the profile moved. The provider reported m-1 in both.'
    """
    for verdict in VERDICTS:
        if reason.startswith(verdict):
            reason = reason[len(verdict):]
            break
    return reason[:1].upper() + reason[1:]


def previous_audits(site: Path, audit_id: str, instrument_sha256: str, models: list[str]) -> dict[str, str]:
    """Per model, the audit published last on the site (before this one) with that model and instrument."""
    found: dict[str, str] = {}
    for folder, manifest in published_audits(site):  # last published first
        if folder == audit_id or manifest["instrument"]["sha256"] != instrument_sha256:
            continue
        for model in manifest["models"]:
            if model in models:
                found.setdefault(model, folder)
    return found


def since_previous(store: Store, site: Path, data: reads.AuditData) -> tuple[dict[str, Since], dict[str, pl.DataFrame]]:
    """Each model's status against its previous audit on the site, and the drift rows (the three
    result_drift tables, with audit_a and audit_b) of the comparisons that ran."""
    from papers.drift import compare_audits

    previous = previous_audits(site, data.audit_id, data.instrument.sha256, data.models)
    statuses = {m: Since(None, None, "") for m in data.models if m not in previous}
    frames: dict[str, list[pl.DataFrame]] = {t: [] for t in DRIFT_TABLES}
    known = set(reads.audit_ids(store))
    for before in sorted(set(previous.values())):
        models = sorted(m for m, p in previous.items() if p == before)
        if before not in known:
            why = f"audit {before} is not in the store this audit was published from, so the drift test could not run"
            statuses.update({m: Since(before, None, why) for m in models})
            continue
        report, tables = compare_audits(store, before, data.audit_id, models)
        for row in report.models:
            statuses[row["model"]] = Since(before, row["changed"], row["reason"], compared=True)
        for table, frame in zip(DRIFT_TABLES, (tables.dimensions, tables.profiles, tables.models)):
            frames[table].append(frame.with_columns(audit_a=pl.lit(before), audit_b=pl.lit(data.audit_id)))
    return statuses, {t: pl.concat(fs, how="vertical_relaxed") if fs else pl.DataFrame() for t, fs in frames.items()}


def over_time(store: Store, site: Path, data: reads.AuditData) -> dict:
    """What papers.report.reads.AuditData.over_time holds for an audit about to be published."""
    statuses, drift = since_previous(store, site, data)
    return {"statuses": statuses, "drift": drift}


def write_over_time(store: Store, data: reads.AuditData, build: Path, masthead, notice: str) -> None:
    """results.json and compare.html (with its assets/) of the audit being built."""
    from papers.report.comparepage import write_compare_page

    statuses = data.over_time.get("statuses") or {m: Since(None, None, "") for m in data.models}
    write_results(store, data, build, statuses, data.over_time.get("drift") or {})
    write_compare_page(store, data, build, masthead, notice)


# ----------------------------------------------------------------------------- results.json


def write_results(store: Store, data: reads.AuditData, build: Path, statuses: dict[str, Since],
                  drift: dict[str, pl.DataFrame]) -> Path:
    """results.json of the audit being built: every result_* row, its drift rows, its models."""
    reported = {m: list(r) for m, r in store.sql(query("drift/reported"), {"audit": data.audit_id}).fetchall()}
    tables = {t: rows(reads.in_order(data.tables[t])) for t in RESULT_TABLES if t in data.tables}
    tables |= {t: rows(reads.in_order(drift[t])) if drift.get(t) is not None and drift[t].height else [] for t in DRIFT_TABLES}
    models = [{"model": m, "slug": slug(m), "reported": reported.get(m, []), "previous": statuses[m].previous,
               "changed": statuses[m].changed, "status": statuses[m].status, "reason": statuses[m].reason}
              for m in data.models]
    document = {"format": RESULTS_FORMAT, "schema": f"../{SCHEMA}", "audit_id": data.audit_id,
                "created_at": data.created_at.replace(" ", "T") + "Z",
                "instrument": {"id": data.instrument.id, "version": data.instrument.version,
                               "sha256": data.instrument.sha256},
                "data_sha256": data.data_sha256, "settings": data.settings,
                "dimensions": [{"key": d.key, "name": d.name} for d in data.instrument.dimensions], "models": models,
                "tables": tables}
    text = json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    return safefs.write_file(build / RESULTS, text)


def rows(frame: pl.DataFrame) -> list[dict]:
    """A table's rows as JSON values: NaN and infinities (audits computed before declines were
    stored as NULL) become null."""
    return [{k: _json_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_results(site: Path, folder: str, manifest: dict) -> dict | None:
    """An audit's results.json, if its manifest lists it and it is the file listed; None otherwise
    (an audit published before results.json existed, or an altered file, which is never read)."""
    path = Path(site) / folder / RESULTS
    digest = manifest["files"].get(RESULTS)
    try:
        if digest is None or not safefs.is_regular(path) or sha256_file(path) != digest:
            return None
        found = load_json(safefs.read_text(path))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("format") == RESULTS_FORMAT else None


# ----------------------------------------------------------------------------- the site's audits, oldest first


@dataclass
class SiteAudit:
    folder: str
    manifest: dict
    results: dict | None

    @property
    def published(self) -> datetime:
        return datetime.fromisoformat(self.manifest["published_at"].replace("Z", "+00:00"))

    def model(self, name: str) -> dict:
        """This audit's entry for one model in its results.json ({} without one)."""
        for entry in (self.results or {}).get("models", []):
            if isinstance(entry, dict) and entry.get("model") == name:
                return entry
        return {}

    def table(self, name: str) -> list[dict]:
        found = ((self.results or {}).get("tables") or {}).get(name) or []
        return [r for r in found if isinstance(r, dict)]


def site_audits(site: Path) -> list[SiteAudit]:
    """Every published audit of the site, oldest first, with its results.json when it can be trusted."""
    return [SiteAudit(folder, m, read_results(site, folder, m)) for folder, m in reversed(published_audits(site))]


def model_rows(site: Path) -> list[dict]:
    """Per model on the site (for the root index): its history page, how many audits, the latest
    audit of it and its status there."""
    audits = site_audits(site)
    out = []
    for model in sorted({m for a in audits for m in a.manifest["models"]}):
        mine = [a for a in audits if model in a.manifest["models"]]
        latest = mine[-1]
        status = latest.model(model).get("status") or ("first audit of this model on this site" if len(mine) == 1
                                                        else "published before drift tests")
        out.append({"model": model, "href": f"{HISTORY}/{slug(model)}.html", "audits": len(mine),
                    "latest": latest.folder, "latest_href": f"{latest.folder}/models/{slug(model)}.html",
                    "status": status})
    return out


# ----------------------------------------------------------------------------- history pages


def history_pages(site: Path, config: SiteConfig, out: Path) -> list[Path]:
    """history/<slug>.html of every model on the site (a SITE_WRITERS writer). A page whose inputs
    have not changed since the site head recorded it (see _history_inputs) is the recorded file
    again, so a report that changes nothing draws no figure: a figure costs a fifth of a second."""
    audits = site_audits(site)
    css = project_path("reports", "style.css").read_text(encoding="utf-8")
    (out / HISTORY).mkdir(parents=True, exist_ok=True)
    recorded, code = _recorded_files(site), _code_sha256()
    written, todo = [], []
    for model in sorted({m for a in audits for m in a.manifest["models"]}):
        mine = [a for a in audits if model in a.manifest["models"]]
        name = f"{HISTORY}/{slug(model)}.html"
        page = {"model": model, "title": config.title, "publisher": config.publisher, "css": css,
                "entries": [_entry(a, model) for a in mine]}
        page["inputs"] = _history_inputs(page, mine, code)
        if not _reused(site, name, recorded.get(name), page["inputs"], out / name):
            todo.append((name, page, [_drawn_part(a, model) for a in mine], model))
        written.append(out / name)
    for (name, page, _, _), figures in zip(todo, _draw_all([(mine, model) for _, _, mine, model in todo])):
        render("history.html.j2", out / name, page={**page, "figures": figures})
    return written


DRAW_IN_WORKERS_FROM = 8  # history figures to draw from which worker processes draw them (each starts in a second)


def _draw_all(tasks: list[tuple[list[SiteAudit], str]]) -> list[list[dict]]:
    """_figures of each (audits, model), in order: on every core when there are many (a new audit
    on a site of 75 models redraws 75 of them, a fifth of a second each), else here."""
    from papers.report.folder import open_workers, worker_pool

    run = open_workers()  # a report's page workers, still open: no new processes to start
    if run is not None and tasks:
        return run(_figures_task, tasks, "history figures", None)
    if len(tasks) < DRAW_IN_WORKERS_FROM:
        return [_figures(*task) for task in tasks]
    with worker_pool(None, len(tasks), prepare=import_figures) as run:
        return run(_figures_task, tasks, "history figures", None)


def import_figures() -> None:
    import papers.report.figures  # noqa: F401


def _figures_task(task: tuple[list[SiteAudit], str]) -> list[dict]:
    return _figures(*task)


def _drawn_part(audit: SiteAudit, model: str) -> SiteAudit:
    """The part of an audit a model's history figure is drawn from (all _figures reads), so that a
    worker is sent the model's rows, not the audit's whole results.json."""
    results = None if audit.results is None else {
        "dimensions": audit.results.get("dimensions"),
        "tables": {"result_profiles": [r for r in audit.table("result_profiles") if r.get("model") == model]}}
    return SiteAudit(audit.folder, {"instrument": audit.manifest["instrument"]}, results)


def _history_inputs(page: dict, audits: list[SiteAudit], code: str) -> str:
    """A hash of everything a history page is made from: its words and entries, each audit's
    instrument, profile rows of the model and dimension names (its figure), and the code and
    templates that draw and write it."""
    model = page["model"]
    drawn = [{"audit": a.folder, "instrument": a.manifest["instrument"], "results": a.results is not None,
              "rows": [r for r in a.table("result_profiles") if r.get("model") == model],
              "dimensions": (a.results or {}).get("dimensions")} for a in audits]
    text = json.dumps({"page": page, "drawn": drawn, "code": code}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _code_sha256() -> str:
    """The templates, this module and the figures' module, and matplotlib's version."""
    from importlib.metadata import version

    from papers.report.templating import templates_sha256

    digest = hashlib.sha256(templates_sha256().encode())
    for path in (Path(__file__), Path(__file__).with_name("figures.py")):  # read, not imported: no matplotlib
        digest.update(path.read_bytes())
    digest.update(version("matplotlib").encode())
    return digest.hexdigest()


def _recorded_files(site: Path) -> dict[str, str]:
    """The site-level files the site head records, with their SHA-256 ({} without a readable head)."""
    from papers.errors import PapersError
    from papers.report import head

    try:
        return dict(head.read_head(site)["files"]) if (Path(site) / head.HEAD).is_file() else {}
    except PapersError:
        return {}


def _reused(site: Path, name: str, digest: str | None, inputs: str, target: Path) -> bool:
    """Copy the site's page `name` to `target` when it is the file the head records and was made
    from these inputs (its papers-inputs meta); False, and nothing written, otherwise."""
    path = Path(site) / name
    try:
        if digest is None or not safefs.is_regular(path):
            return False
        data = safefs.read_bytes(path)
    except OSError:
        return False
    if hashlib.sha256(data).hexdigest() != digest or f'<meta name="papers-inputs" content="{inputs}">'.encode() not in data:
        return False
    target.write_bytes(data)
    return True


def _entry(audit: SiteAudit, model: str) -> dict:
    m, entry = audit.manifest, audit.model(model)
    drift = [r for r in audit.table("result_drift_models") if r.get("model") == model and r.get("audit_b") == audit.folder]
    return {"audit": audit.folder, "href": f"../{audit.folder}/models/{slug(model)}.html",
            "published": readable_date(audit.published, time=False), "published_iso": m["published_at"],
            "instrument": f"{m['instrument']['id']} {m['instrument']['version']}",
            "reported": ", ".join(entry.get("reported") or []) or ("not recorded" if audit.results is None else
                                                                  "none reported"),
            "status": entry.get("status") or "published before drift tests: no comparison recorded",
            "changed": entry.get("changed"), "reason": why(entry.get("reason") or ""),
            "compared_with": drift[0]["audit_a"] if drift else None}


def _figures(audits: list[SiteAudit], model: str) -> list[dict]:
    """One figure per instrument (results are never pooled across instruments): the model's profile
    in each audit, a panel per condition and task."""
    by_instrument: dict[str, list[SiteAudit]] = {}
    for a in audits:
        if a.results is not None:
            by_instrument.setdefault(a.manifest["instrument"]["sha256"], []).append(a)
    figures = []
    for group in by_instrument.values():
        label = f"{group[0].manifest['instrument']['id']} {group[0].manifest['instrument']['version']}"
        svg = profile_over_time(group, model)
        if svg:
            figures.append({"src": "data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
                            "caption": f"{model}: mean per dimension and audit (oldest left) with its 95% interval, "
                                       f"one panel per condition and task; instrument {label}."})
    return figures


def profile_over_time(audits: list[SiteAudit], model: str) -> bytes | None:
    """An SVG: per condition x task a panel, the audits along x, a line per dimension with its
    95% intervals (rank 1 at the top for ranks)."""
    from papers.report import figures  # matplotlib, set up as every figure of the report

    plt = figures.plt
    rows = [dict(r, audit=a.folder) for a in audits for r in a.table("result_profiles") if r.get("model") == model]
    panels = sorted({(r["condition"], r["task"]) for r in rows})
    if not panels:
        return None
    names = [a.folder for a in audits]
    labels = {d.get("key"): d.get("name") for a in audits for d in (a.results or {}).get("dimensions", [])
              if isinstance(d, dict)}
    fig, axes = plt.subplots(len(panels), 1, figsize=(6.4, 3.4 * len(panels)), squeeze=False)
    for ax, (condition, task) in zip(axes[:, 0], panels):
        _panel(ax, [r for r in rows if (r["condition"], r["task"]) == (condition, task)], names, condition, task, labels)
    fig.tight_layout(h_pad=2.5)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "papers"})
    plt.close(fig)
    return buffer.getvalue()


def _panel(ax, rows: list[dict], names: list[str], condition: str, task: str, labels: dict) -> None:
    x = {n: i for i, n in enumerate(names)}
    for k, dim in enumerate(sorted({r["dimension"] for r in rows})):
        mine = sorted((r for r in rows if r["dimension"] == dim), key=lambda r: x[r["audit"]])
        xs = [x[r["audit"]] + (k - 2.5) * 0.03 for r in mine]
        ys = [r["mean"] if r.get("mean") is not None else float("nan") for r in mine]
        low = [y - r["ci_low"] if r.get("ci_low") is not None else 0 for y, r in zip(ys, mine)]
        high = [r["ci_high"] - y if r.get("ci_high") is not None else 0 for y, r in zip(ys, mine)]
        ax.errorbar(xs, ys, yerr=[low, high], marker="o", markersize=4, capsize=3, linewidth=1.2,
                    label=labels.get(dim) or dim)
    ax.set_xticks(range(len(names)), names)
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_title(f"{condition_label(condition)}, {'ranking' if task == 'rank' else 'rating'}", loc="left")
    ax.set_ylabel("mean rank (1 = first)" if task == "rank" else "mean rating")
    if task == "rank":
        ax.invert_yaxis()
    ax.grid(axis="y", color="#eeeeee")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False, fontsize=8)


# ----------------------------------------------------------------------------- schema, feed, sitemap


def results_schema(site: Path, config: SiteConfig, out: Path) -> list[Path]:
    """schema/results-v1.json (a SITE_WRITERS writer): the JSON Schema of every audit's results.json."""
    target = out / SCHEMA
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(project_path("reports", "schema", "results-v1.json").read_bytes())
    return [target]


def feed(site: Path, config: SiteConfig, out: Path) -> list[Path]:
    """feed.xml (a SITE_WRITERS writer): an Atom feed with one entry per audit, newest first, each
    with its summary and links. Every date in it is an audit's own, so it is rebuilt byte for byte."""
    from feedgen.feed import FeedGenerator

    audits = list(reversed(site_audits(site)))  # newest first
    generator = FeedGenerator()
    base = config.base_url.rstrip("/") + "/" if config.base_url else ""
    first = audits[-1] if audits else None
    generator.id(base or (f"urn:sha256:{sha256_file(site / first.folder / MANIFEST)}" if first else "urn:papers:empty"))
    generator.title(config.title)
    generator.author({"name": config.publisher or "papers"})
    generator.link(href=f"{base}index.html" if base else "index.html", rel="alternate")
    generator.link(href=f"{base}{FEED}" if base else FEED, rel="self")
    generator.subtitle(config.description or "Every audit published on this site, newest first.")
    generator.generator("papers")
    generator.updated(audits[0].published if audits else datetime(1970, 1, 1).astimezone())
    for audit in reversed(audits):  # feedgen lists entries last added first
        entry = generator.add_entry()
        entry.id(f"urn:sha256:{sha256_file(site / audit.folder / MANIFEST)}")
        entry.title(f"Value audit {audit.folder}")
        entry.link(href=f"{base}{audit.folder}/index.html")
        entry.published(audit.published)
        entry.updated(audit.published)
        entry.summary(printable(_summary(audit)))  # names from manifests: XML holds no control character
    target = out / FEED
    generator.atom_file(str(target), pretty=True)
    return [target]


def _summary(audit: SiteAudit) -> str:
    m = audit.manifest
    models = m["models"]
    text = (f"{len(models)} model{'s' if len(models) != 1 else ''} ({', '.join(models[:8])}"
            f"{', ...' if len(models) > 8 else ''}) on instrument {m['instrument']['id']} {m['instrument']['version']}.")
    statuses = [f"{e['model']}: {e['status']}" for e in (audit.results or {}).get("models", [])
                if isinstance(e, dict) and e.get("previous")]
    return text + (" Since the previous audit of each model: " + "; ".join(statuses) + "." if statuses else "")


def sitemap(site: Path, config: SiteConfig, out: Path) -> list[Path]:
    """sitemap.xml (a SITE_WRITERS writer): the root index, the history pages and every HTML page
    of every audit, with its date; absolute from the site's base-url when it is set (as the
    sitemap protocol wants), relative to the site root otherwise."""
    import xml.etree.ElementTree as ET

    base = config.base_url.rstrip("/") + "/" if config.base_url else ""
    audits = site_audits(site)
    root = ET.Element("urlset", xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")
    latest = audits[-1].manifest["published_at"][:10] if audits else None
    pages = [("index.html", latest)] + [(f"{HISTORY}/{slug(m)}.html", latest)
                                        for m in sorted({m for a in audits for m in a.manifest["models"]})]
    for audit in audits:
        pages += [(f"{audit.folder}/{name}", audit.manifest["published_at"][:10])
                  for name in sorted(audit.manifest["files"]) if name.endswith(".html")]
    for path, date in pages:
        url = ET.SubElement(root, "url")
        ET.SubElement(url, "loc").text = base + path
        if date:
            ET.SubElement(url, "lastmod").text = date
    ET.indent(root)
    target = out / SITEMAP
    target.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n")
    return [target]


def check_results(site: Path) -> None:
    """Refuse to publish into a site one of whose audits lists a results.json that is not the file
    listed: the history pages and the root index read it."""
    for folder, manifest in published_audits(site):
        path = Path(site) / folder / RESULTS
        if RESULTS in manifest["files"] and (not safefs.is_regular(path) or sha256_file(path) != manifest["files"][RESULTS]):
            raise InputError(f"{path} is not the results.json its manifest lists (altered or removed); the site's "
                             "history pages are built from it.", "restore that audit from a copy (papers verify "
                             "names what else differs), or publish into another site.")
