"""An audit's manifest (SHA-256 of every file), `papers verify`, and the site root that lists
every published audit from their manifests."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from papers import __version__
from papers.errors import InputError, PapersError
from papers.report.context import PublishedAudit, RootIndex
from papers.report.reads import AuditData
from papers.report.templating import render
from papers.resources import project_path

# the marker by which papers knows a site root's index.html as its own (reports/root_index.html.j2)
GENERATOR = '<meta name="generator" content="papers">'


def file_hashes(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def write_manifest(root: Path, data: AuditData, inputs: str) -> None:
    manifest = {
        "audit_id": data.audit_id, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "instrument": {"id": data.instrument.id, "version": data.instrument.version, "sha256": data.instrument.sha256},
        "data_sha256": data.data_sha256, "tool_version": __version__, "inputs_sha256": inputs,
        "models": data.models, "files": file_hashes(root),
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_manifest(root: Path) -> dict:
    try:
        return json.loads((Path(root) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def verify(root: Path) -> dict[str, list[str]]:
    """Files added, missing or altered since the manifest was written."""
    root = Path(root)
    manifest = read_manifest(root)
    if not manifest:
        raise InputError(f"{root}: no readable manifest.json; not a papers audit directory.",
                         "point papers verify at reports/_site/<audit>.")
    recorded = manifest.get("files", {})
    actual = file_hashes(root)
    return {
        "added": sorted(set(actual) - set(recorded)),
        "missing": sorted(set(recorded) - set(actual)),
        "altered": sorted(p for p in set(actual) & set(recorded) if actual[p] != recorded[p]),
    }


# ----------------------------------------------------------------------------- the site root


def check_site_index(site: Path) -> None:
    """Refuse to publish into a folder whose index.html papers did not write."""
    index = site / "index.html"
    try:
        foreign = index.exists() and GENERATOR not in index.read_text(encoding="utf-8", errors="replace")
    except OSError:
        foreign = True
    if foreign:
        raise PapersError(f"{index} was not written by papers; publishing here would replace it.",
                          "choose an empty folder or a papers site with --site.")


def published_audits(site: Path) -> list[tuple[str, dict]]:
    """(folder name, manifest) of every complete audit in the site: folders not starting with a dot
    whose manifest.json has the fields the index shows; anything else is left out. Newest first."""
    found = []
    for manifest_path in site.glob("*/manifest.json"):
        folder = manifest_path.parent.name
        m = read_manifest(manifest_path.parent)
        instrument = m.get("instrument")
        if folder.startswith(".") or not isinstance(instrument, dict):
            continue
        fields = [m.get("audit_id"), m.get("created_at"), m.get("data_sha256"), *(instrument.get(k) for k in
                                                                                   ("id", "version", "sha256"))]
        if all(isinstance(f, str) for f in fields) and isinstance(m.get("models", []), list):
            found.append((folder, m))
    return sorted(found, key=lambda fm: fm[1]["created_at"], reverse=True)


def write_root_index(site: Path) -> Path:
    """The site root: every published audit, newest first (rebuilt each time; it is not a version)."""
    audits = [PublishedAudit(folder=folder, audit_id=m["audit_id"], created_at=m["created_at"],
                             models=len(m.get("models", [])), instrument_id=m["instrument"]["id"],
                             instrument_version=m["instrument"]["version"],
                             instrument_sha256=m["instrument"]["sha256"], data_sha256=m["data_sha256"])
              for folder, m in published_audits(site)]
    page = RootIndex(audits=audits, css=project_path("reports", "style.css").read_text(encoding="utf-8"),
                     version=__version__)
    site.mkdir(parents=True, exist_ok=True)
    return render("root_index.html.j2", site / "index.html", page=page)
