"""`papers report` and `papers verify`: an audit published as a versioned static site.

    site.py             build_report: lock the site, stage, render every page, publish in one rename
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
    manifest.py         manifest.json, verify, the site root's list of audits
    engines.py          .qmd to HTML and PDF: Quarto, or Pandoc + Typst
"""
