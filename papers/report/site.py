"""`papers report`: the versioned static site of an audit.

Layout of `reports/_site/<audit>/`:

    index.html            the comparison of all models     comparison.pdf
    models/<slug>.html    one audit per model               models/<slug>.pdf
    models/<slug>/*.svg   that page's figures (and figures/*.svg for the comparison)
    changes.html          what changed since the previous audit (when there is one)
    data/*.parquet        exactly the rows the audit pinned, and its results
    CITATION.cff, ro-crate-metadata.json     for archives (papers.report.archive)
    manifest.json         every file's SHA-256, the audit's hashes, settings and versions, the
                          previous audit's manifest hash (papers.report.manifest)
    manifest.json.minisig with --sign: a minisign signature of manifest.json
    briefs/, additions.json   added after publication by papers brief (add_to_manifest)

The site is built in a folder beside it (papers.report.folder writes every file) and moved into
place in one rename, so a failed build publishes nothing; one report writes a site at a time. A
published audit is never rewritten: the same inputs are a no-op, other inputs a refusal, and the
same data under a new name a refusal unless forced. Folders and files are readable as the umask
allows (0755 and 0644 by default), so a web server running as another user can serve them. The
site root's index.html lists every audit, last published first.

Files written into a published audit later (the briefs of `papers brief`) are listed by
add_to_manifest in the audit's additions.json, since manifest.json is never rewritten.

Besides the audits, the site root holds its site-level files, each written by one of SITE_WRITERS
(the root index.html; the history pages, the schema of results.json, the Atom feed and the sitemap
of papers.report.overtime), and the site head that names them and every audit (papers.report.head),
signed with --sign. Every file papers writes into a site is written as a new file renamed into place
(papers.report.safefs): a symbolic link, a folder or a special file where papers writes is refused.
An audit whose name differs from one in the site only by case is refused (case-insensitive hosts
would serve one folder for both).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from papers import __version__
from papers.errors import InputError, PapersError
from papers.names import check_audit_name
from papers.report import engines, head, overtime, safefs
from papers.report.folder import Plan, Previous, Progress, page_workers, sign_manifest, write_audit
from papers.report.manifest import (
    ADDITIONS,
    ADDITIONS_SIGNATURE,
    SIGNATURE,
    chain_head,
    check_site_index,
    check_site_manifests,
    published_audits,
    read_manifest,
    sha256_file,
    write_root_index,
)
from papers.report.reads import AuditData, load_audit
from papers.report.safefs import umask
from papers.report.signing import SecretKey
from papers.report.siteconfig import SiteConfig, iso_date, load_site_config, publication_date
from papers.report.templating import templates_sha256
from papers.store import Store

DEFAULT_SITE = Path("reports") / "_site"


def root_index(site: Path, config: SiteConfig, out: Path) -> list[Path]:
    return [write_root_index(site, config, out, models=overtime.model_rows(site))]


# Every site-level file papers writes, one writer each: writer(site, config, out) writes its files
# into the staging folder `out` (paths inside it as they will be inside the site) from the site's
# published audits, and returns them. The site head records whatever they return, and verify checks
# exactly what the head records: a new site-level file (a feed, a sitemap, history pages) is one
# more writer here, with no change to the head or to verify.
SITE_WRITERS: tuple[Callable[[Path, SiteConfig, Path], list[Path]], ...] = (
    root_index, overtime.history_pages, overtime.results_schema, overtime.feed, overtime.sitemap)


@dataclass
class ReportResult:
    audit_id: str
    site: Path
    index: Path
    unchanged: bool = False
    pages: int = 0
    pdfs: int = 0
    seconds: float = 0.0
    signed: bool = False
    manifest_sha256: str = ""
    notes: list[str] = field(default_factory=list)
    head: str = ""  # what became of the site head, in words


def build_report(store: Store, audit_id: str, *, site: Path = DEFAULT_SITE, engine: str = "auto",
                 workers: int | None = None, key: SecretKey | None = None, force: bool = False,
                 config: SiteConfig | None = None,
                 progress: Progress | None = None) -> ReportResult:
    """Publish an audit into the site (see the module's docstring); `key` signs its manifest,
    `force` publishes data already published under another name, `config` defaults to the
    publisher's settings of the current folder (papers.report.siteconfig)."""
    started = time.perf_counter()
    audit_id = check_audit_name(audit_id)
    engine = engines.choose(engine)
    config = config or load_site_config()
    data = load_audit(store, audit_id)
    if not data.models:
        raise InputError(f"audit '{audit_id}' has no model results to report.", "run papers analyze again after collecting.")
    plan = Plan(engine=engine, config=config, published=publication_date(data.created_at), workers=workers, key=key,
                progress=progress)
    site = Path(site)
    with site_lock(site):
        result = _publish(store, data, site, plan, force)
    result.seconds = 0.0 if result.unchanged else time.perf_counter() - started
    return result


def _publish(store: Store, data: AuditData, site: Path, plan: Plan, force: bool) -> ReportResult:
    check_site(site, data.audit_id, plan.key)
    target = site / data.audit_id
    inputs = inputs_sha256(data, plan)
    result = ReportResult(data.audit_id, target, target / "index.html")
    if target.exists():
        _unchanged(target, inputs, plan, result)
        return _site_files(site, target, plan, result)
    if not force:
        refuse_duplicate(site, data)
    data.over_time = overtime.over_time(store, site, data)  # each model against its previous audit here
    with page_workers(plan, data) as run:  # open for the site files too: the history figures are drawn on them
        with staging(site, data.audit_id) as build:
            write_audit(store, data, build, plan, inputs, previous_link(site), run)
            web_readable(build)
            build.rename(target)
        result.pages = len(data.models) + 1
        result.pdfs = len(list(target.rglob("*.pdf")))
        result.signed = plan.key is not None
        return _site_files(site, target, plan, result)


def _site_files(site: Path, target: Path, plan: Plan, result: ReportResult) -> ReportResult:
    """The site-level files and head after an audit's folder is in place (or found unchanged)."""
    result.manifest_sha256 = sha256_file(target / "manifest.json")
    try:
        result.head = update_site(site, plan.config, plan.key, plan.progress)
    except BaseException:
        if result.pages:  # the audit just placed goes again: the site stays as its head describes it
            shutil.rmtree(target, ignore_errors=True)
        raise
    return result


def check_site(site: Path, audit_id: str, key: SecretKey | None) -> None:
    """Everything that refuses a publication, checked before anything is built or written."""
    check_site_index(site)
    check_write_targets(site)
    check_site_manifests(site)
    overtime.check_results(site)
    target = site / audit_id
    if target.is_symlink():
        safefs.refuse_link(target)
    if not target.exists():
        refuse_case_twin(site, audit_id)
    if key or not target.exists():  # a new audit changes the head: its signer is checked now, not after the build
        head.check_signer(site / head.HEAD_SIGNATURE, key, head.HEAD)


def check_write_targets(site: Path) -> None:
    """Refuse a symbolic link, folder or special file where papers writes a site-level file (those
    the current head names, the root index, the head and its signature), before anything is built."""
    try:
        named = list(head.read_head(site)["files"]) if (site / head.HEAD).is_file() else []
    except PapersError:
        named = []
    for name in dict.fromkeys(["index.html", head.HEAD, head.HEAD_SIGNATURE, *named]):
        path = site / name
        if path.exists() or path.is_symlink():
            safefs.refuse_link(path)


def refuse_case_twin(site: Path, audit_id: str) -> None:
    """Refuse an audit whose name differs from an entry of the site root only by case (a2, A2):
    a case-insensitive host (macOS, Windows, some web servers) would serve one folder for both."""
    for entry in site.iterdir() if site.is_dir() else []:
        if entry.name != audit_id and entry.name.casefold() == audit_id.casefold():
            raise PapersError(f"audit '{audit_id}' differs from '{entry.name}', already in the site, only by case; "
                              "on a case-insensitive host they would be one folder.",
                              "analyze and publish it under another name (papers analyze --audit NAME), "
                              "or publish it into another site with --site.")


def update_site(site: Path, config: SiteConfig, key: SecretKey | None, progress: Progress | None = None) -> str:
    """Write the site-level files (SITE_WRITERS) and the site head naming them and every audit,
    signed with a key; the head is left as it is when what it names has not changed. Everything is
    written in a staging folder first and refused there (a link where a file goes, a signed head
    that would be unsigned), so a refusal changes nothing."""
    with staging(site, "site") as build:
        try:
            written = []
            for done, writer in enumerate(SITE_WRITERS):
                if progress:
                    progress("site files", done, len(SITE_WRITERS))
                written += writer(site, config, build)
            files = {path.relative_to(build).as_posix(): sha256_file(path) for path in written}
            content = head.head_content(site, files)
            keep = head_unchanged(site, content, key)
            for path in [*(site / name for name in files), site / head.HEAD, site / head.HEAD_SIGNATURE]:
                if path.exists() or path.is_symlink():
                    safefs.refuse_link(path)
            for name in files:
                place(build / name, site, name)
        finally:
            shutil.rmtree(build, ignore_errors=True)
    if keep:
        return f"Site head unchanged ({head.HEAD})."
    latest = content["latest"]["audit_id"] if content["latest"] else "none"
    head.write_signed(site / head.HEAD, head.head_text(content, head.head_time()), key,
                      f"site-head\tfile:{head.HEAD}\tlatest:{latest}", "papers site head: signature of " + head.HEAD)
    n = len(content["audits"])
    return (f"Site head {'signed' if key else 'written, unsigned'} ({head.HEAD}): latest audit {latest}, "
            f"{n} audit{'s' if n != 1 else ''}, {len(files)} site file{'s' if len(files) != 1 else ''}.")


def head_unchanged(site: Path, content: dict, key: SecretKey | None) -> bool:
    """Whether the head already names exactly `content` (signed by `key`, when one is given); if
    not, a head that may not be replaced as asked is refused (papers.report.head.check_signer)."""
    try:
        current = head.read_head(site) if (site / head.HEAD).exists() else None
    except PapersError:
        current = None  # damaged: rewritten (its signature, if any, is checked first)
    if head.same_content(current, content) and (key is None or head.signer(site / head.HEAD_SIGNATURE) == key.key_id):
        return True
    head.check_signer(site / head.HEAD_SIGNATURE, key, head.HEAD)
    return False


def place(source: Path, site: Path, name: str) -> None:
    """Move a staged site-level file into the site at `name`, creating its folders (never through a link)."""
    folder = site
    for part in Path(name).parts[:-1]:
        folder = folder / part
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            safefs.refuse_link(folder)
        folder.mkdir(exist_ok=True)
    os.replace(source, site / name)
    (site / name).chmod(0o666 & ~umask())


def _unchanged(target: Path, inputs: str, plan: Plan, result: ReportResult) -> None:
    """An audit already published: a no-op from the same inputs (signing it, if it was not signed
    and a key is given), a refusal from others."""
    if read_manifest(target).get("inputs_sha256") != inputs:
        raise PapersError(
            f"{target} is already published, from other inputs; a published audit is never rewritten.",
            "analyze the new data under a new audit name (papers analyze --audit NAME), then report that audit.",
        )
    result.unchanged = True
    result.notes.append(f"{target} is already published from the same inputs; nothing changed.")
    signature = target / SIGNATURE
    if plan.key and not signature.exists():
        sign_manifest(target, plan.key, result.audit_id)
        web_readable(signature)
        result.signed = True
        result.notes[-1] = f"{target} is already published from the same inputs; its manifest is now signed."
    elif plan.key:
        result.signed = True
        result.notes.append(f"{signature} already exists; it was left as it is.")


def refuse_duplicate(site: Path, data: AuditData) -> None:
    """Refuse to publish, under a new name, data the site already holds (same data and instrument)."""
    for folder, manifest in published_audits(site):
        if manifest["data_sha256"] == data.data_sha256 and manifest["instrument"]["sha256"] == data.instrument.sha256:
            raise PapersError(
                f"audit '{data.audit_id}' holds the same data as the published audit '{folder}' (data SHA-256 "
                f"{data.data_sha256[:12]}...); publishing it would add an identical version under a new name.",
                "pass --force to publish it anyway (e.g. after analyzing with other settings).",
            )


def previous_link(site: Path) -> Previous | None:
    head = chain_head(site)
    return Previous(*head) if head else None


def inputs_sha256(data: AuditData, plan: Plan) -> str:
    """What a published audit is a function of: its data and settings, the tools and templates, the
    engine, the publisher's settings and the stamped date."""
    payload = json.dumps([data.audit_id, data.data_sha256, data.settings, data.tool_version, __version__,
                          templates_sha256(), plan.engine, True, plan.config.as_dict(), iso_date(plan.published)],
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def add_to_manifest(audit_dir: Path, files: Sequence[Path | str], key: SecretKey | None = None) -> Path:
    """List files written into a published audit after it was published (e.g. briefs/<slug>.html)
    in its additions.json, which papers verify checks (papers.report.manifest's docstring), signed
    with a key (additions.json.minisig; an additions.json signed before is never unsigned, see
    papers.report.head); returns that file's path. Each file is given relative to audit_dir, or as
    a path inside it. Takes the site's lock, so call it after writing the files, not while holding
    site_lock."""
    from papers.report.manifest import additions_text

    audit_dir = Path(audit_dir)
    root = audit_dir.resolve()
    names = []
    for given in files:
        path = Path(given)
        full = path if path.is_absolute() else root / path
        full = full.parent.resolve() / full.name  # the folder as the audit's, the file itself not followed
        try:
            name = full.relative_to(root).as_posix()
        except ValueError:
            raise InputError(f"{given} is not inside the published audit {audit_dir}.") from None
        if ".." in Path(name).parts or name in ("", "."):
            raise InputError(f"{given} is not a file inside the published audit {audit_dir}.")
        names.append(name)
    path = audit_dir / ADDITIONS
    with site_lock(audit_dir.parent):
        text, audit_id = additions_text(audit_dir, names)
        signer = head.signer(audit_dir / ADDITIONS_SIGNATURE)
        if safefs.is_regular(path) and safefs.read_text(path) == text and (key is None or signer == key.key_id):
            return path  # listed already as it is (a brief published again), signed as asked
        check_additions_signer(audit_dir, key)
        head.write_signed(path, text, key, f"audit:{audit_id}\tfile:{ADDITIONS}",
                          f"papers audit {audit_id}: signature of {ADDITIONS}")
    return path


def check_additions_signer(audit_dir: Path, key: SecretKey | None) -> None:
    """Refuse to add files to an audit whose additions.json is signed unless by the same key, and a
    link where additions.json or its signature goes."""
    for name in (ADDITIONS, ADDITIONS_SIGNATURE):
        if (audit_dir / name).is_symlink():
            safefs.refuse_link(audit_dir / name)
    head.check_signer(Path(audit_dir) / ADDITIONS_SIGNATURE, key, ADDITIONS)


@contextlib.contextmanager
def staging(site: Path, audit_id: str) -> Iterator[Path]:
    """A temporary folder beside the site to build in, removed if the build fails."""
    build = Path(tempfile.mkdtemp(prefix=f".build-{audit_id}-", dir=site))
    try:
        yield build
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


@contextlib.contextmanager
def site_lock(site: Path) -> Iterator[None]:
    """One report at a time per site: an exclusive lock on site/.papers-lock. Whoever holds it may
    remove the leftovers of builds that were killed (.build-* folders), since no other build runs."""
    lock = site / head.LOCK
    try:
        site.mkdir(parents=True, exist_ok=True)
        if lock.is_symlink() or safefs.special_kind(lock):
            safefs.refuse_link(lock)  # opened through a link, the lock would create or open a file elsewhere
        handle = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
    except OSError as e:
        raise PapersError(f"{site}: cannot write the site here ({e.strerror or e}).",
                          "choose a folder you can write with --site.") from e
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            raise PapersError(f"{site}: another papers report is writing this site.",
                              "wait for it to finish, then run this report again.") from e
        for leftover in site.glob(f"{head.BUILD_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for leftover in site.glob(".*.partial"):  # a site file of a killed report, not yet renamed into place
            if safefs.is_regular(leftover):
                leftover.unlink()
        yield
    finally:
        os.close(handle)


def web_readable(path: Path) -> None:
    """Every folder 0777 and every file 0666 less the umask (0755 and 0644 by default): mkdtemp makes
    0700 folders, and some writers make 0600 files, which a web server running as another user
    could not read."""
    mask = umask()
    folders, files = 0o777 & ~mask, 0o666 & ~mask
    if path.is_file():
        path.chmod(files)
        return
    path.chmod(folders)
    for root, dirs, names in os.walk(path):
        for name in dirs:
            Path(root, name).chmod(folders)
        for name in names:
            Path(root, name).chmod(files)
