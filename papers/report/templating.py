"""The Jinja environment of the report templates, and the filters that escape every value from data.

Templates under reports/ run with StrictUndefined, so a missing field is an error rather than an
empty cell. Markdown templates (*.qmd.j2, partials) escape each value explicitly with a filter:

    md         text in Pandoc Markdown (a table cell, a paragraph, a caption)
    quote      an answer inside a block quote, paragraphs kept
    yaml       a value inside a double-quoted string of the front matter
    href       a link target
    condition  a condition key in a reader's words

and write a page's links with `link(text, target)` (a LinkStyle): relative in the site's HTML; in a
PDF, which leaves the site, absolute from the site's base URL, or plain text where it is unknown.

HTML templates (*.html.j2, the site root's index) are autoescaped by Jinja.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from papers.report.wording import condition_label
from papers.resources import project_path
from papers.text import printable

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~^$@&%=:\"'])")


@functools.lru_cache(maxsize=1)
def environment():
    """The one jinja2 environment of a process: each template is compiled once, not once per page
    (a tenth of a 75-model site's build went to compiling the same templates again)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(project_path("reports"))), undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        keep_trailing_newline=True, trim_blocks=False, finalize=jinja2.pass_eval_context(_shown_in_html),
    )
    env.filters["md"] = escape_markdown
    env.filters["quote"] = escape_quote
    env.filters["yaml"] = escape_yaml
    env.filters["condition"] = condition_label
    env.filters["href"] = escape_href
    return env


def _shown_in_html(eval_ctx, value):
    """Every value an HTML template prints, with control and bidirectional-override characters
    written out as escapes, as the Markdown pages write them (`escape_markdown`): a model name
    holding U+202E is shown as typed, never reversed. Markup (JSON, papers' own CSS) is left as it is."""
    import markupsafe

    if eval_ctx.autoescape and isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return printable(value, keep_newlines=True)
    return value


@dataclass(frozen=True)
class LinkStyle:
    """How a page writes its links to the site's other files (`link(text, target)` in a template).

    The site's HTML keeps them relative, so the site works from file:// and any host. A PDF leaves
    the site (downloaded, mailed, archived), where a relative link leads nowhere: there each link is
    made absolute from `base`, the public address of the page's folder (from the site's base-url),
    and where no base URL is known the text is written without a link."""

    pdf: bool = False
    base: str = ""  # for a PDF: "https://audits.example.org/values/2026-q4/models/"; "": unknown

    def __call__(self, text, target) -> str:
        if not self.pdf:
            return f"[{escape_markdown(text)}]({escape_href(target)})"
        if not self.base:
            return escape_markdown(text)
        return f"[{escape_markdown(text)}]({absolute_href(self.base, str(target))})"

    @property
    def online(self) -> bool:
        """The page's links lead somewhere: it is the site's HTML, or a PDF whose base URL is known."""
        return not self.pdf or bool(self.base)


def absolute_href(base: str, target: str) -> str:
    """A link target relative to the page made absolute from the page folder's URL, percent-encoded
    like escape_href ('..' resolved, so a link up from models/ stays inside the site's address)."""
    parts = urlsplit(base)
    path = posixpath.normpath(posixpath.join(parts.path, target.split("#")[0]))
    fragment = "#" + target.split("#", 1)[1] if "#" in target else ""
    return f"{parts.scheme}://{quote(parts.netloc, safe=':@[]')}{quote(path, safe='/.-_~')}{quote(fragment, safe='#')}"


HTML_LINKS = LinkStyle()


def render(template: str, out: Path, **context) -> Path:
    """Render a template under reports/ with its context into a file (links as the site's HTML
    writes them, unless `link` is given)."""
    out.write_text(render_text(template, **context), encoding="utf-8")
    return out


def render_text(template: str, **context) -> str:
    context.setdefault("link", HTML_LINKS)
    return environment().get_template(template).render(**context)


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
