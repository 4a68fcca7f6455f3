"""Pages put together from their sections: a model's page, the comparison of all models, and the
links every page of an audit carries to the others."""

from __future__ import annotations

from pathlib import Path

from papers.report import dilemmas, robustness, sections
from papers.report import figure_sections as figs
from papers.report.context import ComparisonPage, Frame, Link, Masthead, ModelPage, slug
from papers.report.method import method
from papers.report.overtime import why
from papers.report.reads import AuditData
from papers.report.takeaway import comparison_takeaway, model_takeaway


def model_page(data: AuditData, model: str, page_dir: Path, nav: list[Link], masthead: Masthead) -> ModelPage:
    """The context of models/<slug>.html, drawing its figures into page_dir/<slug>/."""
    return ModelPage(
        audit_id=data.audit_id, model=model, slug=slug(model), masthead=masthead,
        subtitle=f"Audit {data.audit_id} of {masthead.date} · {asked_with(data)}",
        frame=Frame(downloads(1, f"{slug(model)}.pdf"), sections.notice(data)),
        takeaway=model_takeaway(model, sections.evidence(data)),
        summary=sections.summary_box(data, model),
        profile_figures=figs.profile_figures(data, model, page_dir),
        distribution_figures=figs.rank_distribution_figures(data, model, page_dir),
        peer_figures=figs.peer_figures(data, model, page_dir),
        **sections.conditions_section(data, model),
        **sections.themes_section(data, model),
        **sections.quotes_section(data, model),
        coder_table=sections.coder_rows(data, readable_statistic=True),
        disagreements=sections.disagreement_rows(data, model),
        quality_table=sections.quality_rows(data, model),
        peers_table=sections.peers_rows(data, model),
        agreement_table=sections.agreement_rows(data, model), icc_table=sections.icc_rows(data, model),
        provenance=sections.provenance(data, model), nav=nav, method=method(data),
        **robustness.section(data, model, page_dir), **dilemmas.section(data, model, page_dir),
        over_time=over_time(data, model),
    )


def comparison_page(data: AuditData, site_dir: Path, nav: list[Link], masthead: Masthead) -> ComparisonPage:
    """The context of the audit's index.html, drawing its figures into site_dir/figures/."""
    return ComparisonPage(
        audit_id=data.audit_id, masthead=masthead,
        subtitle=f"Audit {data.audit_id} of {masthead.date} · {len(data.models)} models · {asked_with(data)}",
        frame=Frame(downloads(0, "comparison.pdf"), sections.notice(data)),
        takeaway=comparison_takeaway(sections.evidence(data)),
        models=[Link(f"models/{slug(m)}.html", m) for m in data.models],
        heatmaps=figs.heatmap_figures(data, site_dir),
        **sections.types_section(data), dendrograms=figs.dendrogram_figures(data, site_dir),
        maps=figs.map_figures(data, site_dir),
        agreement_table=sections.agreement_rows(data), icc_table=sections.icc_rows(data),
        stability_table=sections.stability_rows(data), differences_table=sections.differences_rows(data),
        structure_table=sections.structure_rows(data), items_table=sections.items_rows(data),
        coder_table=sections.coder_rows(data, readable_statistic=False), nav=nav, method=method(data),
        provenance=sections.provenance(data, None),
    )


def over_time(data: AuditData, model: str) -> list[dict]:
    """The model against the previous audit of it on the site, and the link to its history page
    (none for a report outside a site)."""
    since = data.over_time.get("statuses", {}).get(model)
    if since is None:
        return []
    status = since.status[0].upper() + since.status[1:]
    return [{"status": status, "reason": why(since.reason), "history": f"../../history/{slug(model)}.html"}]


def asked_with(data: AuditData) -> str:
    """The instrument in a subtitle, named as the questionnaire so that its id and version are not
    taken for the tool's ("papers 1.0.0" is the bundled instrument; the tool is papers 0.x)."""
    return f"questions from instrument {data.instrument.label}"


def downloads(depth: int, pdf: str | None) -> list[Link]:
    """The audit's files a reader may take away, relative to a page `depth` folders below the
    audit's own: the page's PDF (if it has one), the comparison's, the data, the manifest, the citation."""
    up = "../" * depth
    own = [Link(pdf, "this page as PDF")] if pdf else []
    comparison = [Link(f"{up}comparison.pdf", "the comparison of all models (PDF)")] if pdf != "comparison.pdf" else []
    return own + comparison + [Link(f"{up}data/index.html", "the audit's data (Parquet files)"),
                               Link(f"{up}manifest.json", "manifest.json (the SHA-256 of every file)"),
                               Link(f"{up}CITATION.cff", "how to cite it (CITATION.cff)")]


def navigation(previous: str | None) -> list[Link]:
    """The links at the top of an audit's pages: all versions, the comparison, and when there is a
    previous audit, what changed since it and that audit."""
    nav = [Link("../index.html", "All audit versions"), Link("index.html", "Comparison of all models"),
           Link("compare.html", "Compare models side by side")]
    if previous:
        nav += [Link("changes.html", f"What changed since {previous}"),
                Link(f"../{previous}/index.html", f"Previous audit ({previous})")]
    return nav


def model_nav(nav: list[Link]) -> list[Link]:
    """The same links, one folder deeper."""
    return [Link(n.href if n.href.startswith("http") else f"../{n.href}", n.text) for n in nav]
