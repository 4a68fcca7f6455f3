"""`papers report` and `papers verify`: an audit published as a versioned static site.

    site.py             build_report: lock the site, stage, publish in one rename; add_to_manifest
    folder.py           every file of an audit's folder, in order: pages, data, evidence, PDFs, manifest
    reads.py            every store read of the report (AuditData, load_audit, summary, pinned rows)
    pages.py            a model's page and the comparison, put together from sections; navigation
    sections.py         one builder per table or text section of a page
    figure_sections.py  which figures a page draws, from which rows, with what caption
    figures.py          the drawing itself (matplotlib, SVG)
    method.py           method text, theme rule and caveats from the audit's instrument and settings
    changes.py          changes.html: what changed since the previous published audit
    context.py          the documented dataclasses the templates render
    templating.py       the Jinja environment (StrictUndefined) and the escaping filters
    wording.py          numbers, intervals, condition and task names in a reader's words
    manifest.py         manifest.json and additions.json: shape, versions, hash chain; the site root
    head.py             the site head (papers-head.json): the audits and site-level files, signed
    safefs.py           reading only regular files of a site, writing none through a link
    verify.py           papers verify: an audit folder or a whole site, its signature and its chain
    sitecheck.py        papers verify of a site root: its head and every entry of the root
    signing.py          Ed25519 keys and signatures in minisign's format (papers keygen, report --sign)
    siteconfig.py       the publisher's settings ([tool.papers.site]) and the date stamped on an audit
    archive.py          CITATION.cff and ro-crate-metadata.json
    engines.py          .qmd to HTML and to the Typst source of its PDF: Quarto, or Pandoc
    pdf.py              Typst to PDF/A-3b with metadata and the audit's evidence attached
    brief.py            papers brief: a decision brief of 2-5 candidates (BriefPage), written by
                        write_brief to --out or published into the audit's briefs/ by publish_brief
    brief_sections.py   the brief's sections: every pair compared (Holm across pairs), one line per candidate
"""
