"""Turn a .qmd page into HTML and into the Typst source of its PDF.

HTML: with Quarto where a `quarto` binary exists, otherwise with Pandoc (the pypandoc-binary wheel)
as one self-contained file. PDF: always Pandoc's Typst writer, then the `typst` package
(papers.report.pdf), the engines Quarto itself drives, so every PDF is PDF/A-3b with its
attachments whatever made the HTML.

Every table of a page is wrapped in a box that scrolls sideways on its own (`div.table-scroll`),
so a narrow screen scrolls the table, never the page.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

from papers.errors import PapersError
from papers.resources import project_path

ENGINES = ("auto", "quarto", "pandoc")
_TABLE_OPEN = re.compile(r"<table\b")


def choose(engine: str) -> str:
    if engine not in ENGINES:
        raise PapersError(f"unknown engine '{engine}'.", "use --engine auto, quarto or pandoc.")
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "pandoc"
    if engine == "quarto" and not shutil.which("quarto"):
        raise PapersError("--engine quarto: no quarto binary on PATH.",
                          "install Quarto (quarto.org, or pip install 'papers-audit[quarto]' where its download works), "
                          "or use --engine pandoc.")
    return engine


def quarto_command(qmd: Path, to: str, output: str) -> list[str]:
    """The command that renders one page with Quarto inside the audit's Quarto project."""
    return ["quarto", "render", str(qmd.name), "--to", to, "--output", output]


def pandoc_html_args(qmd: Path, out: Path) -> list[str]:
    css = project_path("reports", "style.css")
    return ["--from", "markdown", "--to", "html5", "--standalone", "--embed-resources", f"--css={css}",
            f"--resource-path={qmd.parent}", "--output", str(out)]


def pandoc_typst_args(out: Path) -> list[str]:
    return ["--from", "markdown", "--to", "typst", "--standalone",
            f"--template={project_path('reports', 'template.typ')}", "--output", str(out)]


def render(qmd: Path, engine: str, *, typst_source: bool = False, pdf: bool = False,
           pdf_name: str | None = None, date: datetime | None = None, pdf_text: str | None = None) -> Path | None:
    """Write the page's HTML beside the .qmd. With typst_source, also the .typ its PDF is compiled
    from, which is returned (papers.report.folder compiles the audit's PDFs with their metadata and
    attachments). With pdf, also the PDF itself: PDF/A-3b, titled from the page's front matter,
    without attachments. pdf_text is the page's Markdown as the PDF has it (its links absolute or
    plain, papers.report.templating.LinkStyle), when it differs from the .qmd's."""
    html = qmd.with_suffix(".html")
    typ = qmd.with_suffix(".typ") if typst_source or pdf else None
    if engine == "quarto":
        _run(quarto_command(qmd, "html", html.name), qmd.parent)
    # the text on standard input, not the path: nothing in a folder's name is read as an option or a glob
    source = qmd.read_text(encoding="utf-8")
    if engine != "quarto":
        _pandoc(pandoc_html_args(qmd, html), source, qmd)
    if typ is not None:
        _pandoc(pandoc_typst_args(typ), pdf_text or source, qmd)
    scrolling_tables(html)
    if pdf:
        from papers.report.pdf import PdfJob, compile_pdf

        job = PdfJob(typ, qmd.parent / (pdf_name or qmd.with_suffix(".pdf").name), front_matter_title(source), "", "",
                     [], date)
        compile_pdf(job, qmd.parent)
    return typ


def front_matter_title(source: str) -> str:
    """The pagetitle (or title) of a .qmd's YAML front matter, for its PDF's metadata."""
    import yaml

    from papers.limits import DocumentError, load_yaml

    if source.startswith("---"):
        try:
            meta = load_yaml(source.split("---", 2)[1]) or {}
        except (yaml.YAMLError, DocumentError):
            meta = {}
        title = meta.get("pagetitle") or meta.get("title") if isinstance(meta, dict) else None
        if isinstance(title, str):
            return title.replace("\\", "")
    return ""


def scrolling_tables(html: Path) -> None:
    """Wrap every table in a box of its own that scrolls sideways (tables are never nested here)."""
    text = html.read_text(encoding="utf-8")
    wrapped = _TABLE_OPEN.sub('<div class="table-scroll"><table', text).replace("</table>", "</table></div>")
    html.write_text(wrapped, encoding="utf-8")


# Pandoc's runtime starts with a 64 MB heap (its -H64m); a page needs a few, and setting up the rest
# cost more than converting it: with 8 MB a model page's two conversions take a third less time
# (0.16 s instead of 0.25 s here). GHC's runtime takes GHCRTS options even where a program accepts
# only safe ones on its command line; one built with runtime options off warns and ignores them.
PANDOC_RTS = "-H8m"


def _pandoc(args: list[str], text: str, qmd: Path) -> None:
    """Run the Pandoc of the pypandoc-binary wheel on `text` (papers never asks pypandoc to convert:
    it checks the formats with two more Pandoc runs per call)."""
    import os

    import pypandoc

    try:
        done = subprocess.run([pypandoc.get_pandoc_path(), *args], input=text.encode("utf-8"), capture_output=True,
                              env={**os.environ, "GHCRTS": PANDOC_RTS})
    except OSError as e:
        raise PapersError(f"{qmd.name}: rendering failed (Pandoc could not start: {e}).") from e
    said = [line for line in done.stderr.decode("utf-8", "replace").strip().splitlines()
            if line.strip() and "GHCRTS" not in line and "RTS options are disabled" not in line]
    if done.returncode != 0:
        raise PapersError(f"{qmd.name}: rendering failed ({(said or [f'exit status {done.returncode}'])[-1][:300]}).")
    for line in said:  # what Pandoc warns of (a resource it could not fetch ...) reaches the user, as it did
        logging.getLogger("papers.report").warning("%s: %s", qmd.name, line)


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise PapersError(f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}")
