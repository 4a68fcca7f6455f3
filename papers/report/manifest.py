"""An audit's manifest.json, its shape, the versions that made it, and the site root that lists
every published audit from their manifests.

A manifest (format "papers-manifest/2") records what a reader needs to trust the folder:

    audit_id, created_at (when the audit was computed), published_at (the date stamped on it)
    instrument {id, version, sha256}, data_sha256 (every input row), inputs_sha256, settings, models
    tool_version, versions {papers, python, pandoc, typst, numpy, scipy, duckdb, polars, pyarrow,
                            litellm, matplotlib, jinja2}
    site {title, publisher, description, base_url, license}
    sequence, previous {audit_id, manifest_sha256} | null     the site's hash chain
    rows {data/<name>.parquet: row count}
    files {path: SHA-256}                                      every file of the folder but manifest.json,
                                                               its signature and additions.json, nested
                                                               manifests included

Each audit published into a site names the audit published before it and the SHA-256 of that
audit's manifest.json; the first has sequence 1 and no previous. Rewriting, removing or reordering
a published audit breaks the chain (papers verify SITE), and a signed manifest cannot be rewritten
without the key.

manifest.json is never rewritten once published (its hash is the next audit's link, its bytes are
what the signature covers). Files added to a published audit afterwards, such as the decision briefs
of `papers brief` (briefs/<slug>.html, .pdf and their figures), are listed in a second file beside
it, additions.json (format "papers-additions/1": audit_id, the manifest's SHA-256, files {path:
SHA-256}), written by papers.report.site.add_to_manifest. papers verify checks every listed file's
hash and reports them as added after publication: the manifest's signature and the chain do not
cover them; `papers brief --sign KEY` signs additions.json itself (additions.json.minisig), which
`papers verify --key` requires.

Every file of a site is read here through papers.report.safefs (a FIFO or device is refused, never
opened) and written as a new file renamed into place (never through a symbolic link).
"""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata
from pathlib import Path

from papers import __version__
from papers.errors import InputError, PapersError
from papers.limits import load_json
from papers.report import safefs
from papers.report.context import PublishedAudit, RootIndex
from papers.report.safefs import sha256 as sha256_file
from papers.report.siteconfig import SiteConfig, readable_date
from papers.report.templating import render
from papers.resources import project_path

FORMAT = "papers-manifest/2"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.minisig"
ADDITIONS = "additions.json"
ADDITIONS_SIGNATURE = "additions.json.minisig"
ADDITIONS_FORMAT = "papers-additions/1"
# the marker by which papers knows a site root's index.html as its own (reports/root_index.html.j2)
GENERATOR = '<meta name="generator" content="papers">'
LIBRARIES = ("numpy", "scipy", "duckdb", "polars", "pyarrow", "litellm", "matplotlib", "jinja2", "typst")

_STR, _INT, _DICT, _LIST = "a string", "a whole number", "an object", "a list"
SHAPE: dict[str, str] = {
    "format": _STR, "audit_id": _STR, "created_at": _STR, "published_at": _STR, "instrument": _DICT,
    "data_sha256": _STR, "inputs_sha256": _STR, "settings": _DICT, "models": _LIST, "tool_version": _STR,
    "versions": _DICT, "site": _DICT, "sequence": _INT, "previous": _DICT, "rows": _DICT,
    "files": _DICT,
}


# ----------------------------------------------------------------------------- files


def walk(root: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """(files, symlinks, special files {path: kind}) under root, as sorted POSIX paths; links are
    listed, never followed, and special files (FIFOs, sockets, devices) are named, never opened."""
    files, links, specials = [], [], {}
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in [*dirs, *names]:
            path, kind = here / name, safefs.special_kind(here / name)
            if path.is_symlink():
                links.append(path.relative_to(root).as_posix())
            elif kind:
                specials[path.relative_to(root).as_posix()] = kind
            elif name in names:
                files.append(path.relative_to(root).as_posix())
    return sorted(files), sorted(links), dict(sorted(specials.items()))


UNLISTED = (MANIFEST, SIGNATURE, ADDITIONS, ADDITIONS_SIGNATURE)  # top-level files a manifest never lists


def file_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under root but the top-level manifest.json, additions.json and their
    signatures; a special file is refused, naming it."""
    files, _, specials = walk(root)
    for path, kind in specials.items():
        raise safefs.refuse_special(Path(root) / path, kind)
    return {p: sha256_file(root / p) for p in files if p not in UNLISTED}


def versions() -> dict[str, str]:
    """The versions of what made the numbers and pages (read from package metadata: nothing is imported)."""
    import pypandoc

    found = {"papers": __version__, "python": sys.version.split()[0], "pandoc": pypandoc.get_pandoc_version()}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def dumps(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_manifest(root: Path, manifest: dict) -> Path:
    return safefs.write_file(Path(root) / MANIFEST, dumps(manifest))


# ----------------------------------------------------------------------------- reading


def read_manifest(root: Path) -> dict:
    """The manifest of a folder, or {} when it is missing or not a JSON object (for listing)."""
    try:
        found = load_json(safefs.read_text(Path(root) / MANIFEST))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def load_manifest(root: Path) -> dict:
    """The manifest of an audit folder, checked for shape: one clear message if it is not one."""
    path = Path(root) / MANIFEST
    try:
        text = safefs.read_text(path)
    except FileNotFoundError as e:
        raise InputError(f"{root}: no readable manifest.json; not a papers audit directory.",
                         "point papers verify at reports/_site/<audit>, or at the site root.") from e
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read it ({getattr(e, 'strerror', None) or e}).") from e
    try:
        manifest = load_json(text)
    except ValueError as e:
        raise InputError(f"{path} is not valid JSON ({e}).",
                         "a manifest is never edited by hand; publish the audit again.") from e
    problems = shape_problems(manifest)
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InputError(f"{path} does not have the shape of a papers manifest: {problems[0]}{more}.",
                         "a manifest is written by papers report and never edited; publish the audit again.")
    return manifest


def shape_problems(manifest) -> list[str]:
    """What is wrong with a manifest's shape, in words (empty when it is right)."""
    if not isinstance(manifest, dict):
        return [f"it is {type(manifest).__name__}, not an object"]
    if manifest.get("format") != FORMAT and "format" not in manifest:
        return ["it has no 'format' (written by a papers older than signed manifests)"]
    if manifest.get("format") != FORMAT:
        return [f"its format is {str(manifest.get('format'))[:40]!r}, not {FORMAT!r}"]
    problems = []
    kinds = {_STR: str, _INT: int, _DICT: dict, _LIST: list}
    for key, kind in SHAPE.items():
        value = manifest.get(key)
        if key == "previous" and value is None and key in manifest:
            continue
        if key not in manifest:
            problems.append(f"field '{key}' is missing")
        elif not isinstance(value, kinds[kind]) or isinstance(value, bool):
            problems.append(f"field '{key}' should be {kind}")
    if problems:
        return problems
    checks = [
        (all(isinstance(manifest["instrument"].get(k), str) for k in ("id", "version", "sha256")),
         "field 'instrument' should hold id, version and sha256 as strings"),
        (all(isinstance(m, str) for m in manifest["models"]), "field 'models' should be a list of strings"),
        (all(isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in manifest["files"].items()),
         "field 'files' should map each path to a SHA-256"),
        (all(isinstance(v, int) and not isinstance(v, bool) for v in manifest["rows"].values()),
         "field 'rows' should map each data file to a row count"),
        (manifest["sequence"] >= 1, "field 'sequence' should be 1 or more"),
        (manifest["previous"] is None or (isinstance(manifest["previous"].get("audit_id"), str)
                                          and isinstance(manifest["previous"].get("manifest_sha256"), str)),
         "field 'previous' should hold audit_id and manifest_sha256"),
    ]
    checks += [(_is_date(manifest[key]), f"field '{key}' should be an ISO date and time, not {manifest[key][:40]!r}")
               for key in ("created_at", "published_at")]
    checks += [(_is_sha256(value), f"field '{name}' should be a SHA-256 (64 hexadecimal digits)")
               for name, value in (("data_sha256", manifest["data_sha256"]), ("inputs_sha256", manifest["inputs_sha256"]),
                                   ("instrument.sha256", manifest["instrument"].get("sha256")),
                                   ("previous.manifest_sha256", (manifest["previous"] or {}).get("manifest_sha256", "0" * 64)))]
    checks += [(all(_is_sha256(v) for v in manifest["files"].values()), "field 'files' should map each path to a SHA-256")]
    checks += [(_inside(path), f"field '{key}' names {path[:80]!r}, a path that leaves the audit folder")
               for key in ("rows", "files") for path in manifest[key]]
    return [message for ok, message in checks if not ok]


def _is_date(value) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_sha256(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _inside(path: str) -> bool:
    """A relative POSIX path that stays inside the folder it is relative to."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and "\\" not in path and all(part not in ("", ".", "..")
                                                                                for part in parts)


# ----------------------------------------------------------------------------- additions


def read_additions(folder: Path, manifest: dict) -> tuple[dict[str, str], list[str]]:
    """(files added after publication {path: SHA-256}, problems with additions.json) of an audit
    folder; no additions.json is no additions."""
    path = Path(folder) / ADDITIONS
    if not path.exists():
        return {}, []
    try:
        found = load_json(safefs.read_text(path))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return {}, [f"{ADDITIONS} is not readable JSON ({e})"]
    except safefs.SpecialFileError as e:
        return {}, [e.message]
    if not (isinstance(found, dict) and found.get("format") == ADDITIONS_FORMAT and isinstance(found.get("files"), dict)
            and all(isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in found["files"].items())):
        return {}, [f"{ADDITIONS} does not have the shape of papers' additions (format {ADDITIONS_FORMAT!r}, "
                    "files mapping each path to a SHA-256)"]
    problems = []
    if found.get("audit_id") != manifest["audit_id"]:
        problems.append(f"{ADDITIONS} names audit '{str(found.get('audit_id'))[:64]}', not '{manifest['audit_id']}'")
    if found.get("manifest_sha256") != sha256_file(Path(folder) / MANIFEST):
        problems.append(f"{ADDITIONS} was written for another manifest.json than this one")
    overlap = sorted(set(found["files"]) & set(manifest["files"]))
    if overlap:
        problems.append(f"{ADDITIONS} lists {overlap[0]}, which manifest.json lists already")
    return found["files"], problems


def additions_text(folder: Path, files: list[str]) -> tuple[str, str]:
    """(the text of additions.json listing files of a published audit folder besides those listed
    before, the audit's id); see the module's docstring. `files` are POSIX paths relative to the
    folder, each an existing regular file that manifest.json does not list. A path listed before
    gets its current hash."""
    folder = Path(folder)
    manifest = load_manifest(folder)
    listed, problems = read_additions(folder, manifest)
    if problems:
        raise InputError(f"{folder}: {problems[0]}.", "remove additions.json and add the files again.")
    for name in files:
        path = folder / name
        if name in manifest["files"] or name in UNLISTED:
            raise InputError(f"{path} is part of the published audit; it cannot be added again.")
        if not safefs.is_regular(path):
            raise InputError(f"{path} is not a regular file; only files can be added to a published audit.")
        listed[name] = sha256_file(path)
    additions = {"format": ADDITIONS_FORMAT, "audit_id": manifest["audit_id"],
                 "manifest_sha256": sha256_file(folder / MANIFEST), "files": dict(sorted(listed.items()))}
    return dumps(additions), manifest["audit_id"]


# ----------------------------------------------------------------------------- the site


def published_audits(site: Path) -> list[tuple[str, dict]]:
    """(folder name, manifest) of every complete audit in the site: folders not starting with a dot,
    and not symbolic links, whose manifest.json has a manifest's shape; anything else is left out.
    Last published first."""
    found = []
    for manifest_path in Path(site).glob(f"*/{MANIFEST}"):
        folder = manifest_path.parent.name
        if folder.startswith(".") or manifest_path.parent.is_symlink():
            continue
        manifest = read_manifest(manifest_path.parent)
        if manifest and not shape_problems(manifest):
            found.append((folder, manifest))
    return sorted(found, key=lambda fm: (fm[1]["sequence"], fm[0]), reverse=True)


def chain_head(site: Path) -> tuple[str, str, int] | None:
    """(audit folder, SHA-256 of its manifest.json, sequence) of the last audit published in the site."""
    audits = published_audits(site)
    if not audits:
        return None
    folder, manifest = audits[0]
    return folder, sha256_file(Path(site) / folder / MANIFEST), manifest["sequence"]


def check_site_index(site: Path) -> None:
    """Refuse to publish into a folder whose index.html papers did not write, or is a symbolic link
    or a special file (papers would write through the link, or wait on the FIFO)."""
    index = site / "index.html"
    if not (index.exists() or index.is_symlink()):
        return
    safefs.refuse_link(index)
    try:
        foreign = GENERATOR.encode() not in safefs.read_bytes(index)
    except OSError:
        foreign = True
    if foreign:
        raise PapersError(f"{index} was not written by papers; publishing here would replace it.",
                          "choose an empty folder or a papers site with --site.")


def check_site_manifests(site: Path) -> None:
    """Refuse to publish into a site one of whose audits has a manifest.json without a manifest's
    shape (a date that is no date, say): the chain and the root index are built from them, so
    publishing would leave the site half-updated."""
    for path in sorted(Path(site).glob(f"*/{MANIFEST}")):
        if path.parent.name.startswith(".") or path.parent.is_symlink():
            continue
        try:
            manifest = load_json(safefs.read_text(path))
        except (OSError, ValueError) as e:
            raise PapersError(f"{path} is not a readable manifest ({e}); publishing would break the site's chain.",
                              "restore that audit from a copy, or publish into another site.") from e
        problems = shape_problems(manifest)
        if problems:
            raise PapersError(f"{path} does not have the shape of a papers manifest: {problems[0]}; "
                              "publishing would break the site's chain.",
                              "restore that audit from a copy, or publish into another site.")


def published_briefs(site: Path, folder: str, manifest: dict) -> list[dict]:
    """The decision briefs added to a published audit by papers brief, in name order: each brief's
    name and links from the site root to its HTML and (where listed) its PDF, from the audit's
    additions.json; none where additions.json cannot be trusted (papers verify says why)."""
    listed, problems = read_additions(Path(site) / folder, manifest)
    if problems:
        return []
    stems = sorted(name[len("briefs/"):-len(".html")] for name in listed
                   if name.startswith("briefs/") and name.count("/") == 1 and name.endswith(".html"))
    return [{"name": stem, "html": f"{folder}/briefs/{stem}.html",
             "pdf": f"{folder}/briefs/{stem}.pdf" if f"briefs/{stem}.pdf" in listed else ""} for stem in stems]


def write_root_index(site: Path, config: SiteConfig | None = None, out: Path | None = None,
                     models: list[dict] | None = None) -> Path:
    """The site root: every published audit, last published first, and a link to the latest
    (rebuilt each time; it is not a version), and each model over time (`models`, from
    papers.report.overtime.model_rows), under the publisher's settings (default: none named);
    written to out/index.html (default: the site's own, as papers.report.site stages it first)."""
    from datetime import datetime

    config = config or SiteConfig()

    audits = [PublishedAudit(folder=folder, audit_id=m["audit_id"],
                             published=readable_date(datetime.fromisoformat(m["published_at"].replace("Z", "+00:00")),
                                                     time=False),
                             published_iso=m["published_at"], models=len(m["models"]),
                             instrument_id=m["instrument"]["id"], instrument_version=m["instrument"]["version"],
                             instrument_sha256=m["instrument"]["sha256"], data_sha256=m["data_sha256"],
                             signed=(Path(site) / folder / SIGNATURE).is_file(),
                             briefs=published_briefs(site, folder, m))
              for folder, m in published_audits(site)]
    page = RootIndex(audits=audits, css=project_path("reports", "style.css").read_text(encoding="utf-8"),
                     version=__version__, title=config.title, publisher=config.publisher,
                     description=config.description, base_url=config.base_url, models=models or [])
    site.mkdir(parents=True, exist_ok=True)
    return render("root_index.html.j2", (out or site) / "index.html", page=page)
