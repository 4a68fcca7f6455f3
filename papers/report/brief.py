"""`papers brief`: a decision brief of two to five candidate models of one audit, for procurement.

Layout of a brief, written by `write_brief` into one target folder under one name (the stem):

    <stem>.html    self-contained, figures embedded        <stem>.pdf
    <stem>/*.svg   the brief's own figures (a page's figures are never shared)

`papers brief --out DIR` writes DIR/brief.html, brief.pdf and brief/. Without --out the brief is
published inside the audit's folder of the site by `publish_brief`: briefs/<slug>.html|.pdf, the
slug naming the candidates in the order given. The brief's context is `BriefPage`; its sections
come from papers.report.brief_sections, its figure from candidate_profiles below.
Like every page of a report, the brief reads only the rows the audit pinned and its result tables.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import polars as pl

from papers.errors import InputError, PapersError
from papers.names import check_audit_name
from papers.report import brief_sections as bs
from papers.report import dilemmas, engines, figures, robustness, safefs
from papers.report.context import Figure, Link, slug
from papers.report.method import CAVEATS, method_text
from papers.report.reads import AuditData, load_audit
from papers.report.sections import notice, provenance
from papers.report.signing import SecretKey
from papers.report.siteconfig import publication_date
from papers.report.templating import LinkStyle, render, render_text
from papers.report.wording import measure, where
from papers.resources import project_path
from papers.store import Store, query

MIN_CANDIDATES, MAX_CANDIDATES = 2, 5


@dataclass
class CandidateLines:
    """One candidate on the summary page: five lines a reader who reads nothing else can act on."""

    name: str
    href: str  # its model page in the published site, or "" when the brief stands alone
    type: str  # type per condition and task, grouped, with the margin
    stability: str  # mean rho with its interval, lowest and highest
    fidelity: str  # per human sample: CCC range, order r, calibration
    quality: str  # answers, valid share, other outcomes
    cost: str  # cost and latency per 1,000 calls
    robustness: str = ""  # robust to wording in every condition and task, or where not (papers.report.robustness)
    says: str = ""  # whether its choices in dilemmas follow what it says (papers.report.dilemmas)


@dataclass
class BriefPage:
    """brief.html and brief.pdf (reports/brief.qmd.j2): the candidates side by side.

    Rows are dicts of strings worded for a reader (keys at each field); the template escapes every
    value that comes from data."""

    audit_id: str
    title: str
    subtitle: str
    candidates: list[CandidateLines]
    profiles_line: str  # the summary's first difference: how many dimension tests differ
    largest: list[str]  # the largest of those differences, in words
    differences: list[str]  # the summary's other differences (type, stability, people, quality, cost), each a sentence
    method_line: str  # how the candidates are compared (pairs, Holm family)
    profile_figures: list[Figure]
    difference_blocks: list[dict]  # where, count, dimensions: name, findings (sentences), none
    stability_table: list[dict]  # model, where, mean_rho, friedman_p, trials
    stability_lines: list[str]
    type_table: list[dict]  # model, where, type, orientation, margin, p_holm
    agreement_table: list[dict]  # model, sample, where, r, spread, level, ccc, n
    closest_lines: list[str]
    condition_keys: list[str]
    conditions_table: list[dict]  # dimension, cells (one "a / b" per candidate)
    conditions_caption: str
    priorities: list[str]  # per candidate: first priorities per condition, as Friedman's test allows
    quality_table: list[dict]  # model, where, responses, valid, refused, unparseable, incomplete, error
    cost_table: list[dict]  # model, calls, tokens, per_1000, recorded, latency, thousand
    price_note: str  # which price map priced the tokens, with its version and date
    limits: list[str]  # what the brief cannot tell: the method's caveats
    method: list[str]
    provenance: list[tuple[str, str]]
    nav: list[Link]
    notice: str = ""  # what of the audit is synthetic (papers.report.synthetic); empty when nothing is


@dataclass
class BriefResult:
    html: Path
    pdf: Path
    unchanged: bool = False
    head: str = ""  # what became of the site head (its root index lists the brief), in words


# ----------------------------------------------------------------------------- the candidates


def check_candidates(data: AuditData, candidates: list[str]) -> list[str]:
    """The candidates as given, or an InputError: two to five distinct models of the audit."""
    check_count(candidates)
    twice = sorted({m for m in candidates if candidates.count(m) > 1})
    if twice:
        raise InputError(f"candidate '{twice[0]}' is named twice.", "name each candidate once.")
    known = data.models
    missing = [m for m in candidates if m not in known]
    if missing:
        shown = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        raise InputError(f"model '{missing[0]}' is not in audit '{data.audit_id}'.",
                         f"models in this audit: {shown}. To brief another model, analyze it into an audit "
                         "(papers analyze --audit NAME --model MODEL ...).")
    return list(candidates)


def brief_slug(candidates: list[str]) -> str:
    """The brief's file name in the site: the candidates, in the order given, as a slug."""
    return slug(" vs ".join(candidates))


# ----------------------------------------------------------------------------- reading and building


def read_usage(store: Store, audit_id: str, candidates: list[str]) -> pl.DataFrame:
    """Calls, tokens, latency and recorded cost per candidate over the audit's pinned answers."""
    return store.frame(query("brief/usage"), {"audit": audit_id, "models": candidates})


def litellm_price(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """What these tokens cost by litellm's price map, as `papers collect --dry-run` estimates it."""
    import litellm

    litellm.suppress_debug_info = True  # no "Provider List" banner for a model it does not know
    from papers.collect.costs import price

    return price(model, input_tokens, output_tokens)


def price_source() -> str:
    """Which price map priced the calls: litellm's version, whether its bundled copy, and its date
    (the build time litellm's package records in its software bill of materials, if it does)."""
    from importlib import metadata

    try:
        dist = metadata.distribution("litellm")
    except metadata.PackageNotFoundError:
        return "no price map (litellm is not installed)"
    bundled = os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP", "").lower() == "true"
    which = ("bundled price map (model_prices_and_context_window_backup.json)" if bundled else
             "price map as fetched from litellm's repository when the brief was made "
             "(LITELLM_LOCAL_MODEL_COST_MAP is not True)")
    built = _package_date(dist)
    return f"litellm {dist.version}'s {which}, " + (f"package built {built}" if built else "undated")


def price_label() -> str:
    """The price map in a few words, for the summary: "litellm 1.110.2's bundled price map of 2026-11-20"."""
    from importlib import metadata

    try:
        dist = metadata.distribution("litellm")
    except metadata.PackageNotFoundError:
        return "no price map"
    bundled = os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP", "").lower() == "true"
    built = _package_date(dist)
    return f"litellm {dist.version}'s {'bundled' if bundled else 'fetched'} price map" + (f" of {built}" if built else "")


def _package_date(dist) -> str | None:
    import json

    for path in dist.files or []:
        if str(path).endswith(".cyclonedx.json"):
            try:
                stamp = json.loads(Path(dist.locate_file(path)).read_text(encoding="utf-8"))["metadata"]["timestamp"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            return str(stamp)[:10]
    return None


def brief_page(store: Store, data: AuditData, candidates: list[str], page_dir: Path, stem: str,
               nav: list[Link], links: dict[str, str], price: bs.Price | None = litellm_price) -> BriefPage:
    """The brief's context, drawing its figures into page_dir/<stem>/. `links` maps a candidate to
    its model page (published briefs); `price` prices tokens (None: no price for any model)."""
    usage = read_usage(store, data.audit_id, candidates)
    needs_price = bool(usage.height and usage["calls_with_tokens"].sum())
    costs = bs.cost_rows(usage, candidates, price if needs_price else None)
    rows = bs.pairwise(store, data, candidates)
    by_name = {c["model"]: c for c in costs}
    profiles_line, largest = bs.profile_differences(rows, candidates)
    return BriefPage(
        audit_id=data.audit_id,
        title="Decision brief: " + (" and ".join(candidates) if len(candidates) == 2 else f"{len(candidates)} candidates"),
        subtitle=f"{len(candidates)} candidates from audit {data.audit_id}, {data.created_at} UTC · instrument "
                 f"{data.instrument.label}",
        candidates=[CandidateLines(m, links.get(m, ""), bs.type_line(data, m), bs.stability_line(data, m),
                                   bs.fidelity_line(data, m), bs.quality_line(data, m), bs.cost_line(by_name[m]),
                                   robustness.brief_line(data, m), dilemmas.brief_line(data, m))
                    for m in candidates],
        profiles_line=profiles_line, largest=largest,
        differences=[bs.type_differences(data, candidates),
                     *bs.stability_leaders(data, candidates), *bs.closest_leaders(data, candidates),
                     *bs.cost_differences(costs, price_label() if needs_price else None)],
        method_line=bs.method_line(candidates, data),
        profile_figures=profile_figures(data, candidates, page_dir, stem),
        difference_blocks=bs.difference_blocks(data, rows, candidates),
        stability_table=bs.stability_rows(data, candidates), stability_lines=bs.stability_leaders(data, candidates),
        type_table=bs.type_rows(data, candidates),
        agreement_table=bs.agreement_rows(data, candidates), closest_lines=bs.closest_leaders(data, candidates),
        **bs.conditions_section(data, candidates),
        quality_table=bs.quality_rows(data, candidates),
        cost_table=bs.cost_table(costs),
        price_note=(f"List price: the mean tokens per call priced by {price_source()}; \"not known\" where it has "
                    "no price for the model." if needs_price else
                    "List price: not known, as the API reported no tokens for these calls."),
        limits=list(CAVEATS), method=method_text(data) + robustness.method(data) + dilemmas.method(data),
        provenance=provenance(data, None), nav=nav,
        notice=notice(data, short=True),  # one line: the brief's first page holds its whole summary
    )


def _of(frame: pl.DataFrame, condition: str, task: str) -> pl.DataFrame:
    return frame.filter((pl.col("condition") == condition) & (pl.col("task") == task))


def _points(frame: pl.DataFrame, dims: list[str]) -> list[tuple[float, float, float]]:
    """Mean with its interval per dimension, in the order of dims."""
    rows = {r["dimension"]: r for r in frame.iter_rows(named=True)}
    return [(rows[d]["mean"], rows[d]["ci_low"], rows[d]["ci_high"]) for d in dims]


def profile_figures(data: AuditData, candidates: list[str], page_dir: Path, stem: str) -> list[Figure]:
    """Per condition and task: every candidate's profile with intervals on one plot, over the first
    human sample (by name) that answered the matched task."""
    prof = data.tables["result_profiles"]
    out = []
    for condition, task in bs.blocks(data, candidates):
        dims = list(data.instrument.shown(condition))
        part = _of(prof, condition, task)
        shown = [(m, _points(part.filter(pl.col("model") == m), dims)) for m in candidates
                 if part.filter(pl.col("model") == m).height == len(dims)]
        samples = _of(data.tables["result_human_profiles"], condition, task)
        human = None
        if samples.height:
            sample = samples["sample"].sort()[0]
            human = (sample, _points(samples.filter(pl.col("sample") == sample), dims))
        name = f"profiles-{condition}-{task}.svg"
        candidate_profiles(page_dir / stem / name, [data.name(d) for d in dims], shown, human, task,
                                   where(condition, task))
        out.append(Figure(f"{stem}/{name}", f"Mean {measure(task)} per dimension with 95% intervals, "
                          f"{where(condition, task)}" + (f"; grey: the human sample {human[0]}." if human else ".")))
    return out


# colour-blind-safe (Okabe & Ito) colours and distinct markers, one pair per candidate
BRIEF_MARKER = "<!-- written by papers brief -->"  # in every brief's HTML (reports/brief.qmd.j2)
CANDIDATE_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00")
CANDIDATE_MARKERS = ("o", "s", "^", "D", "v")


def candidate_profiles(path: Path, dims: list[str], candidates: list[tuple[str, list[tuple[float, float, float]]]],
                       human: tuple[str, list[tuple[float, float, float]]] | None, task: str, title: str) -> Path:
    """The profiles of a brief's candidates on one plot: per dimension, each candidate's mean with
    its 95% interval in its own colour and marker, side by side, over the human sample's interval
    drawn as a grey band. First priority at the top and, for ranks, at the right."""
    import numpy as np

    plt = figures.plt
    rows = len(dims)
    height = rows * (0.25 + 0.11 * len(candidates)) + 1.3 + 0.2 * len(candidates)
    fig, ax = plt.subplots(figsize=(6.4, height))
    figures._margins(fig, dims, height, bottom=0.45 + 0.2 * ((len(candidates) + (human is not None) + 1) // 2))
    y = np.arange(rows)
    if human:
        label, points = human
        for i, (mean, low, high) in enumerate(points):
            ax.fill_betweenx([i - 0.42, i + 0.42], low, high, color="#e3e6ea", zorder=0, linewidth=0,
                             label=f"humans, {label} (95% CI)" if i == 0 else None)
            ax.plot([mean, mean], [i - 0.42, i + 0.42], color="#8a939c", linewidth=1, zorder=1)
    step = 0.7 / max(1, len(candidates))
    for k, (name, points) in enumerate(candidates):
        m = np.array(points, float)
        offset = (k - (len(candidates) - 1) / 2) * step
        ax.errorbar(m[:, 0], y + offset, xerr=[m[:, 0] - m[:, 1], m[:, 2] - m[:, 0]],
                    fmt=CANDIDATE_MARKERS[k % 5], color=CANDIDATE_COLOURS[k % 5], markersize=5, capsize=2.5,
                    linewidth=1.2, label=name, zorder=3)
    figures.value_axis(ax, dims, task, title, rank_label="mean rank (1 = highest priority, at the right)")
    ax.set_ylim(rows - 0.5, -0.5)  # the first dimension at the top, the rows' margins even
    fig.legend(loc="lower center", ncol=2, frameon=False, fontsize=8)
    return figures._save(fig, path)


# ----------------------------------------------------------------------------- writing


def write_brief(store: Store, data: AuditData, candidates: list[str], folder: Path, stem: str, engine: str, *,
                nav: list[Link] | None = None, links: dict[str, str] | None = None, url: str = "",
                progress: Progress | None = None) -> BriefResult:
    """The one place a brief is written: folder/<stem>.html, .pdf and <stem>/*.svg, built in a
    temporary folder inside `folder` and moved into place only when both files rendered (whatever
    was there under those names is replaced). `url` is the folder's public address, for the PDF's
    links (papers.report.templating.LinkStyle); without it the PDF names its links without linking.
    `progress(stage, done, total)` is told of each of the brief's STEPS done after the audit is read."""
    folder.mkdir(parents=True, exist_ok=True)
    with _staging(folder) as build:
        page = brief_page(store, data, candidates, build, stem, nav or [], links or {})
        _step(progress, 3)
        for name in (("_quarto.yml",), ("reports", "style.css")):  # as the site's pages have them, for Quarto
            shutil.copy(project_path(*name), build / name[-1])
        qmd = render("brief.qmd.j2", build / f"{stem}.qmd", page=page)
        pdf_text = render_text("brief.qmd.j2", page=page, link=LinkStyle(pdf=True, base=url))
        # dated as report dates its PDFs
        engines.render(qmd, engine, pdf=True, date=publication_date(data.created_at), pdf_text=pdf_text)
        _step(progress, 4)
        for name in (f"{stem}.html", f"{stem}.pdf", stem):
            _replace(build / name, folder / name)
    return BriefResult(folder / f"{stem}.html", folder / f"{stem}.pdf")


Progress = Callable[[str, int, int], None]  # (stage, done, total), as papers.report.folder's
STEPS = 4  # the brief's steps as progress counts them: started (imports), audit read, compared and drawn, rendered


def _step(progress: Progress | None, done: int) -> None:
    if progress is not None:
        progress("brief", done, STEPS)


@contextlib.contextmanager
def _staging(folder: Path) -> Iterator[Path]:
    build = Path(tempfile.mkdtemp(prefix=".brief-", dir=folder))
    try:
        yield build
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _replace(source: Path, target: Path) -> None:
    _remove(target)
    if source.exists():
        source.rename(target)


def _remove(target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.exists() or target.is_symlink():
        target.unlink()


def make_brief(store: Store, audit_id: str, candidates: list[str], out: Path, *, engine: str = "auto",
               progress: Progress | None = None) -> BriefResult:
    """`papers brief --out DIR`: DIR/brief.html, DIR/brief.pdf and DIR/brief/ (its figures). DIR
    may not lie inside a published audit, whose files its manifest lists: a brief is published
    there without --out, and listed."""
    from papers.report.manifest import read_manifest

    out = Path(out)
    for folder in [out.resolve(), *out.resolve().parents]:
        if "files" in read_manifest(folder):
            raise InputError(f"{out} is inside the published audit {folder}; writing there would change it.",
                             "leave out --out to publish the brief into its audit (listed in additions.json), "
                             "or write it to a folder outside the site.")
    data, candidates, engine = _prepare(store, audit_id, candidates, engine)
    _step(progress, 2)
    check_replaceable(out, "brief")
    return write_brief(store, data, candidates, out, "brief", engine, progress=progress)


def check_replaceable(folder: Path, stem: str) -> None:
    """Refuse to write a brief over files papers did not write: folder/<stem>.html is replaced only
    when it carries the brief's marker, <stem>.pdf only beside such a page, and <stem>/ only when it
    holds nothing but the brief's SVG figures (papers never deletes a folder of someone else's)."""
    html_path, pdf, figures = folder / f"{stem}.html", folder / f"{stem}.pdf", folder / stem
    ours = html_path.is_file() and not html_path.is_symlink() and BRIEF_MARKER in html_path.read_text(
        encoding="utf-8", errors="replace")
    foreign = []
    if html_path.exists() or html_path.is_symlink():
        foreign += [] if ours else [html_path]
    if pdf.exists() or pdf.is_symlink():
        foreign += [] if ours and pdf.is_file() and not pdf.is_symlink() and _head(pdf, 5) == b"%PDF-" else [pdf]
    if figures.exists() or figures.is_symlink():
        own_figures = figures.is_dir() and not figures.is_symlink() and all(
            p.is_file() and not p.is_symlink() and p.suffix == ".svg" and b"<svg" in _head(p, 4096)
            for p in figures.iterdir())
        foreign += [] if ours and own_figures else [figures]
    if foreign:
        raise InputError(f"{foreign[0]} was not written by papers brief; writing the brief would replace it.",
                         "choose another folder with --out, or move those files away first.")


def _head(path: Path, size: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(size)


def publish_brief(store: Store, audit_id: str, candidates: list[str], site: Path, *,
                  engine: str = "auto", key: SecretKey | None = None, progress: Progress | None = None) -> BriefResult:
    """`papers brief` without --out: the brief inside the audit's published folder,
    site/<audit>/briefs/<slug>.html|.pdf (figures in briefs/<slug>/), its candidates linked to their
    model pages and the page to the audit's comparison.

    The audit must be published already (papers report). The brief's files are then listed in the
    audit's additions.json (papers.report.site.add_to_manifest), which papers verify checks: the
    signed manifest.json is never rewritten, so they are covered by their hashes and, with a key, by
    additions.json's own signature (an additions.json signed before is never unsigned: without the
    key the brief is refused before it is written). A brief already published under the same name is
    never rewritten: the same HTML is a no-op, another is refused. If the files cannot be listed, the
    ones just written are removed. A symbolic link for the audit's folder or its briefs/ is refused.
    The site's root index, which links every audit's briefs, and the site head are then written
    again (papers.report.site.update_site), signed with the key like the head before them."""
    from papers.report import head
    from papers.report.manifest import read_manifest
    from papers.report.site import add_to_manifest, check_additions_signer, site_lock, update_site
    from papers.report.siteconfig import load_site_config

    data, candidates, engine = _prepare(store, audit_id, candidates, engine)
    _step(progress, 2)
    site = Path(site)
    audit_dir = site / data.audit_id
    if not audit_dir.is_symlink() and not read_manifest(audit_dir):
        raise PapersError(f"audit '{data.audit_id}' is not published in {site}.",
                          f"run papers report --audit {data.audit_id} first, or write the brief to a folder with --out DIR.")
    stem = brief_slug(candidates)
    folder = audit_dir / "briefs"
    for path in (audit_dir, folder):
        if path.is_symlink():  # the brief would be written through the link, outside the site
            safefs.refuse_link(path)
    if not (folder / f"{stem}.html").exists():  # a new brief changes additions.json and the site head (its root
        check_additions_signer(audit_dir, key)  # index links the brief): refused now, not once written
        head.check_signer(site / head.HEAD_SIGNATURE, key, head.HEAD)
    links = {m: f"../models/{slug(m)}.html" for m in candidates if (audit_dir / "models" / f"{slug(m)}.html").exists()}
    nav = [Link("../../index.html", "All audit versions"), Link("../index.html", "Comparison of all models")]
    result = BriefResult(folder / f"{stem}.html", folder / f"{stem}.pdf")
    with site_lock(site):
        folder.mkdir(exist_ok=True)
        with _staging(folder) as trial:
            fresh = write_brief(store, data, candidates, trial, stem, engine, nav=nav, links=links,
                                url=briefs_url(data.audit_id), progress=progress)
            if result.html.exists():
                if result.html.read_bytes() != fresh.html.read_bytes():
                    raise PapersError(f"{result.html} is already published, from other inputs; a published brief is "
                                      "never rewritten.", "publish a new audit and brief that one, or use --out DIR.")
                result.unchanged = True
            else:
                for name in (f"{stem}.html", f"{stem}.pdf", stem):
                    _replace(trial / name, folder / name)
    files = [result.html, result.pdf, *sorted(p for p in (folder / stem).rglob("*") if p.is_file())]
    try:
        add_to_manifest(audit_dir, [p.relative_to(audit_dir) for p in files], key)  # takes the site's lock itself
    except PapersError:
        if not result.unchanged:
            for name in (f"{stem}.html", f"{stem}.pdf", stem):
                _remove(folder / name)
        raise
    with site_lock(site):
        result.head = update_site(site, load_site_config(), key)
    return result


def briefs_url(audit_id: str) -> str:
    """The public address of an audit's briefs/ folder, from the site's base-url; "" when unknown."""
    from papers.report.siteconfig import load_site_config

    base = load_site_config().audit_url(audit_id)
    return f"{base}briefs/" if base else ""


def _prepare(store: Store, audit_id: str, candidates: list[str], engine: str) -> tuple[AuditData, list[str], str]:
    engine = engines.choose(engine)
    check_count(candidates)  # before reading the audit: the count alone is enough to refuse
    data = load_audit(store, check_audit_name(audit_id))
    return data, check_candidates(data, list(candidates)), engine


def check_count(candidates: list[str]) -> None:
    if not MIN_CANDIDATES <= len(candidates) <= MAX_CANDIDATES:
        raise InputError(f"a brief compares {MIN_CANDIDATES} to {MAX_CANDIDATES} candidate models; "
                         f"{len(candidates)} given.",
                         "name the candidates after --audit, e.g. papers brief --audit NAME MODEL_A MODEL_B.")
