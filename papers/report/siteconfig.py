"""Who publishes the site, and when: the publisher's settings and the date stamped on every page.

The settings come from the audit project where `papers report` runs, the first found of:

    pyproject.toml   [tool.papers.site]  title, publisher, description, base-url, license
    _quarto.yml      website: title, description, site-url;  papers: publisher, license

and default to a site titled "Value audits" with no publisher named. They are used by the site's
root index, every page (a line naming the publisher), the PDFs' metadata (Author), CITATION.cff
and ro-crate-metadata.json.

The date stamped on an audit's pages, PDFs and manifest is the audit's own date (when `papers
analyze` computed it), or SOURCE_DATE_EPOCH when that is set (reproducible-builds.org), never
the time of the build: an audit rebuilt later or elsewhere is byte-identical.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from papers.errors import InputError

DEFAULT_TITLE = "Value audits"
FIELDS = ("title", "publisher", "description", "base_url", "license")
URL_RE = re.compile(r"https?://[^\s\"'<>]+")
# a license: an SPDX license id (spdx.org/licenses: letters, digits, '.', '-', an optional '+' for
# "or later", or a LicenseRef-...), or the https address of the license's text; nothing else reaches
# CITATION.cff and ro-crate-metadata.json (a "javascript:" value would become a link there)
SPDX_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,63}\+?")
HTTPS_RE = re.compile(r"https://[^\s\"'<>\\]+")


@dataclass(frozen=True)
class SiteConfig:
    title: str = DEFAULT_TITLE
    publisher: str = ""  # empty: not named
    description: str = ""
    base_url: str = ""  # where the site root is served, e.g. https://audits.example.org/values/
    license: str = ""  # an SPDX id or a URL, e.g. CC-BY-4.0
    source: str = "defaults"  # the file the settings came from

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if k != "source"}

    def audit_url(self, audit_id: str) -> str:
        """The public address of an audit's folder, when the base URL is known."""
        return f"{self.base_url.rstrip('/')}/{audit_id}/" if self.base_url else ""


def load_site_config(project: Path | None = None) -> SiteConfig:
    """The publisher's settings from the audit project (the current folder by default)."""
    project = Path(project or ".")
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        section = _pyproject_section(pyproject)
        if section is not None:
            return _config(section, str(pyproject))
    quarto = project / "_quarto.yml"
    if quarto.is_file():
        values = _quarto_values(quarto)
        if values:
            return _config(values, str(quarto))
    return SiteConfig()


def _pyproject_section(path: Path) -> dict | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except RecursionError as e:  # tomllib reads nested arrays and tables recursively
        raise InputError(f"{path}: cannot read it as TOML (nested too deeply).",
                         "fix the file, or remove [tool.papers.site].") from e
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"{path}: cannot read it as TOML ({e}).", "fix the file, or remove [tool.papers.site].") from e
    section = data.get("tool", {}).get("papers", {}).get("site")
    if section is not None and not isinstance(section, dict):
        raise InputError(f"{path}: [tool.papers.site] must be a table of settings.",
                         "write it as [tool.papers.site] with title = \"...\", publisher = \"...\".")
    return {k.replace("-", "_"): v for k, v in section.items()} if section is not None else None


def _quarto_values(path: Path) -> dict:
    import yaml

    from papers.limits import DocumentError, load_yaml

    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, DocumentError) as e:
        raise InputError(f"{path}: cannot read it as YAML ({e}).", "fix the file.") from e
    website = data.get("website") if isinstance(data, dict) else None
    papers = data.get("papers") if isinstance(data, dict) else None
    values = {}
    if isinstance(website, dict):
        values.update({"title": website.get("title"), "description": website.get("description"),
                       "base_url": website.get("site-url")})
    if isinstance(papers, dict):
        values.update({"publisher": papers.get("publisher"), "license": papers.get("license")})
    return {k: v for k, v in values.items() if v is not None}


def _config(values: dict, source: str) -> SiteConfig:
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise InputError(f"{source}: unknown site setting '{unknown[0]}'.",
                         f"the settings are {', '.join(f.replace('_', '-') for f in FIELDS)}.")
    for key, value in values.items():
        if not isinstance(value, str) or len(value) > 500 or any(ord(c) < 32 for c in value):
            raise InputError(f"{source}: site setting '{key}' must be one line of text (at most 500 characters).",
                             f'write it as {key.replace("_", "-")} = "..."')
    base = values.get("base_url", "")
    if base and not URL_RE.fullmatch(base):
        raise InputError(f"{source}: base-url must be an http(s) address, got '{base[:80]}'.",
                         "write it as base-url = \"https://audits.example.org/\".")
    license_ = values.get("license", "").strip()
    if license_ and not (SPDX_ID_RE.fullmatch(license_) or HTTPS_RE.fullmatch(license_)):
        shown = "".join(c if c.isprintable() else "?" for c in license_)[:80]
        raise InputError(f"{source}: site setting 'license' must be an SPDX license id (such as CC-BY-4.0 or MIT) "
                         f"or an https:// address of the license's text, not '{shown}'.",
                         'write it as license = "CC-BY-4.0", or license = "https://example.org/terms".')
    return SiteConfig(**{k: v.strip() for k, v in values.items()}, source=source)


# ----------------------------------------------------------------------------- the date


def publication_date(audit_created_at: str) -> datetime:
    """The date stamped on an audit: SOURCE_DATE_EPOCH when set, else the audit's own date (UTC)."""
    return source_date_epoch() or datetime.fromisoformat(audit_created_at[:19]).replace(tzinfo=timezone.utc)


def source_date_epoch() -> datetime | None:
    """SOURCE_DATE_EPOCH as a date (UTC), or None when it is not set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    if not epoch.isdigit() or int(epoch) > 253402300799:
        raise InputError(f"SOURCE_DATE_EPOCH='{epoch[:40]}' is not a number of seconds since 1970.",
                         "set it to an integer such as 1767225600, or unset it to use the audit's date.")
    return datetime.fromtimestamp(int(epoch), timezone.utc)


def readable_date(moment: datetime, *, time: bool = True) -> str:
    """"5 January 2026, 14:03 UTC" (or without the time)."""
    day = f"{moment.day} {moment:%B %Y}"
    return f"{day}, {moment:%H:%M} UTC" if time else day


def iso_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
