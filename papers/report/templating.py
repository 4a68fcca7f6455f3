"""The Jinja environment of the report templates, and the filters that escape every value from data.

Templates under reports/ run with StrictUndefined, so a missing field is an error rather than an
empty cell. Markdown templates (*.qmd.j2, partials) escape each value explicitly with a filter:

    md         text in Pandoc Markdown (a table cell, a paragraph, a caption)
    quote      an answer inside a block quote, paragraphs kept
    yaml       a value inside a double-quoted string of the front matter
    href       a link target
    condition  a condition key in a reader's words

HTML templates (*.html.j2, the site root's index) are autoescaped by Jinja.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

from papers.report.wording import condition_label
from papers.resources import project_path
from papers.text import printable

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~^$@&%=:\"'])")


def environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(project_path("reports"))), undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        keep_trailing_newline=True, trim_blocks=False,
    )
    env.filters["md"] = escape_markdown
    env.filters["quote"] = escape_quote
    env.filters["yaml"] = escape_yaml
    env.filters["condition"] = condition_label
    env.filters["href"] = escape_href
    return env


def render(template: str, out: Path, **context) -> Path:
    """Render a template under reports/ with its context into a file."""
    out.write_text(environment().get_template(template).render(**context), encoding="utf-8")
    return out


def escape_markdown(value) -> str:
    """Text from data, safe in Pandoc Markdown, HTML and Typst: every punctuation mark that could
    start markup is backslash-escaped (Pandoc then escapes it again for each output), and line
    breaks become spaces so a value can never leave its table cell or paragraph. Control and
    bidirectional-override characters (U+202E and the like, which would show a name reversed) are
    written out as escapes (`\\u202e`)."""
    text = printable(" ".join(str(value).split()))
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
    """One hash of every template file: a report built with other templates is another report."""
    digest = hashlib.sha256()
    for path in sorted(project_path("reports").rglob("*")):
        if path.is_file() and "_site" not in path.parts and "_build" not in path.parts:
            digest.update(path.relative_to(project_path("reports")).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
