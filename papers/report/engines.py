"""Turn a .qmd page into HTML and PDF: with Quarto where a `quarto` binary exists, otherwise with
Pandoc (the pypandoc-binary wheel) to self-contained HTML and Pandoc's Typst writer plus the
`typst` package to PDF -- the engines Quarto itself drives."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from papers.errors import PapersError
from papers.resources import project_path

ENGINES = ("auto", "quarto", "pandoc")


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


def render(qmd: Path, engine: str, *, pdf: bool = True, pdf_name: str | None = None) -> None:
    html = qmd.with_suffix(".html")
    pdf_path = qmd.parent / (pdf_name or qmd.with_suffix(".pdf").name)
    if engine == "quarto":
        _run(quarto_command(qmd, "html", html.name), qmd.parent)
        if pdf:
            _run(quarto_command(qmd, "typst", pdf_path.name), qmd.parent)
        return
    import pypandoc

    # the text, not the path: pypandoc expands a path as a glob, and a folder named with [ or * breaks it
    source = qmd.read_text(encoding="utf-8")
    try:
        pypandoc.convert_text(source, "html5", format="markdown", extra_args=pandoc_html_args(qmd, html)[4:],
                              outputfile=str(html))
        if pdf:
            typ = qmd.with_suffix(".typ")
            pypandoc.convert_text(source, "typst", format="markdown", extra_args=pandoc_typst_args(typ)[4:],
                                  outputfile=str(typ))
            import typst

            typst.compile(str(typ), output=str(pdf_path), root=str(qmd.parent))
    except (RuntimeError, OSError) as e:
        raise PapersError(f"{qmd.name}: rendering failed ({str(e).strip().splitlines()[-1][:300]}).") from e


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise PapersError(f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}")
