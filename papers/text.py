"""Text that came from outside (files, servers, model names) made safe to print and to store.

Three small tools, used wherever such text reaches a message, the terminal or the store:

- `printable` escapes control characters (ESC, OSC and the other C0/C1 controls, bidirectional
  overrides, line separators), so a model name or a file value cannot drive the terminal or forge
  lines of output.
- `excerpt` is `printable` cut to a short length: an error message quotes at most that much of a file.
- `redact` replaces the values of the provider keys in the environment (and any key or URL
  credential registered with `add_secret`) by `[redacted]`, so a server that echoes a key puts
  nothing secret in the store.
- `spreadsheet_safe` neutralises a CSV text cell that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import os
import re

EXCERPT_CHARS = 80
REDACTED = "[redacted]"
# Names whose values are secrets: litellm reads OPENAI_API_KEY, ANTHROPIC_API_KEY, AZURE_API_KEY,
# GEMINI_API_KEY, AWS_SECRET_ACCESS_KEY, HF_TOKEN, DATABRICKS_TOKEN, WATSONX_APIKEY, ...
SECRET_NAME_RE = re.compile(r"(_API_?KEY|_KEY|_TOKEN|_SECRET|_SECRET_ACCESS_KEY|_PASSWORD|_CREDENTIALS)$",
                            re.IGNORECASE)
MIN_SECRET_CHARS = 8  # shorter values ("1", "true") would redact ordinary words
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
_CONTROL_RE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}]")
_CONTROL_BUT_NEWLINE_RE = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")
_extra_secrets: set[str] = set()


def _escape(match: re.Match) -> str:
    code = ord(match.group(0))
    return {9: "\\t", 10: "\\n", 13: "\\r"}.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text, keep_newlines: bool = False) -> str:
    """`text` with every control character escaped (`\\x1b`, `\\n`, `\\u202e`); newlines kept if asked."""
    pattern = _CONTROL_BUT_NEWLINE_RE if keep_newlines else _CONTROL_RE
    return pattern.sub(_escape, str(text))


def excerpt(value, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters of `value`, escaped, with `...` where it was cut."""
    text = value if isinstance(value, str) else _short_repr(value, limit)
    cut = text[:limit]
    return printable(cut) + ("..." if len(text) > limit else "")


def _short_repr(value, limit: int) -> str:
    try:
        return str(value)
    except ValueError:  # an integer too long to print in full
        return f"a number of more than {limit} digits"


def add_secret(value: str | None, minimum: int = MIN_SECRET_CHARS) -> None:
    """Redact this value too: a key given other than through the environment, or a credential a
    run's endpoint URL carries (known to be one, so shorter values count: `minimum`)."""
    if value and len(value) >= minimum:
        _extra_secrets.add(value)


def secret_values(environ=None) -> list[str]:
    """The values to redact, longest first (so a key containing another is redacted whole)."""
    environ = os.environ if environ is None else environ
    found = {v for k, v in environ.items() if SECRET_NAME_RE.search(k) and len(v.strip()) >= MIN_SECRET_CHARS}
    found = {v.strip() for v in found} | _extra_secrets
    return sorted(found, key=len, reverse=True)


def redact(text, secrets: list[str] | None = None):
    """`text` with every secret value replaced by `[redacted]` (None and non-text pass through)."""
    if not isinstance(text, str) or not text:
        return text
    for secret in secret_values() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


# OWASP, "CSV Injection": a cell starting with one of these is run as a formula by spreadsheets
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell that starts like a formula, with a leading `'` (numbers and other values pass)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def decimals(value: float, digits: int = 2) -> str:
    """A number with a fixed number of decimals, never "-0.00": a value that rounds to zero has no sign.

    >>> decimals(-0.004), decimals(-0.006), decimals(1.0, 1)
    ('0.00', '-0.01', '1.0')
    """
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text
