"""Names that come from users and become folders, links and file names.

An audit name becomes a folder of the published site and part of every link to it, so it is held
to a small alphabet: letters, digits, dot, underscore and dash, at most 64 characters, not starting
with a dot or dash, and not the name of a file the site root already holds (index.html, the site head).
"""

from __future__ import annotations

import re

from papers.errors import InputError

AUDIT_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RESERVED = {"index.html", "style.css", "papers-head.json", "papers-head.json.minisig"}  # files of the site root


def check_audit_name(name: str) -> str:
    """The audit name, or an InputError that says what is allowed.

    >>> check_audit_name("2026-q4")
    '2026-q4'
    """
    if not AUDIT_NAME_RE.fullmatch(name or "") or name.lower() in RESERVED:
        shown = "".join(c if c.isprintable() else "?" for c in (name or ""))[:80]
        raise InputError(
            f"--audit '{shown}': an audit name is 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit, and not the name of a file of the site root (index.html, papers-head.json).",
            "use a name such as 2026-11-27 or q4-procurement.",
        )
    return name
