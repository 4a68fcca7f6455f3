"""Pages that cannot go stale: parts of the docs written from the code at build time.

A line holding only one of these markers is replaced, when Sphinx reads the page, by Markdown made
from the package itself:

- `{papers-schema}`: every table and view of a new store, with its columns and types (the
  migrations in queries/schema/ applied to an empty database);
- `{papers-variants}`: the wordings of the bundled instruments' rank, rate and choose tasks.
"""

from __future__ import annotations


def schema_markdown() -> str:
    import duckdb

    from papers.store import Store, migrate

    con = duckdb.connect()
    try:
        migrate(Store(":memory:", con))
        out = []
        tables = con.execute("select table_name, table_type from information_schema.tables "
                             "where table_schema = 'main' order by table_type, table_name").fetchall()
        for name, kind in tables:
            columns = con.execute("select column_name, data_type from information_schema.columns "
                                  "where table_schema = 'main' and table_name = ? order by ordinal_position",
                                  [name]).fetchall()
            what = "view" if kind == "VIEW" else "table"
            out.append(f"### `{name}` ({what})\n\n| column | type |\n|---|---|")
            out += [f"| `{c}` | {t.lower()} |" for c, t in columns]
            out.append("")
        return "\n".join(out)
    finally:
        con.close()


def variants_markdown() -> str:
    from papers.instrument import bundled_instruments, load_instrument

    out = []
    for name in bundled_instruments():
        inst = load_instrument(name)
        out.append(f"**{inst.label}**\n\n| task | variant | items shown as | answer format | scale |\n|---|---|---|---|---|")
        for task in (t for t in inst.tasks if t.key in ("rank", "rate", "choose")):
            for v in task.all_variants:
                scale = v.scale or task.scale
                text = "" if scale is None else (f"{scale.min}-{scale.max}, "
                                                 f"{scale.min if scale.reversed else scale.max} most important")
                shown = "the scenario and its two actions" if task.key == "choose" else v.show.replace("_", " + ")
                out.append(f"| {task.key} | `{v.id}` | {shown} | {v.format} | {text} |")
        out.append("")
    return "\n".join(out)


MARKERS = {"{papers-schema}": schema_markdown, "{papers-variants}": variants_markdown}


def fill(app, docname, source):
    text = source[0]
    for marker, make in MARKERS.items():
        if marker in text:
            text = "\n".join(make() if line.strip() == marker else line for line in text.split("\n"))
    source[0] = text


def escape_help(app, ctx, lines):
    """The commands' help is plain text: a glob's star ('openai/*') is not reStructuredText emphasis,
    nor a word ending in an underscore ('result_*') a link."""
    import re

    lines[:] = [re.sub(r"(\w)_(?=\W|$)", r"\1\\_", line.replace("*", "\\*")) for line in lines]


def setup(app):
    app.connect("source-read", fill)
    for part in ("description", "usage", "options", "arguments", "envvars", "epilog"):
        app.connect(f"sphinx-click-process-{part}", escape_help)
    return {"version": "1", "parallel_read_safe": True}
