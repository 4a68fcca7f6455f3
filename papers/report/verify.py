"""`papers verify`: check a published audit, or a whole site, against what its manifests say.

For an audit folder:

- the manifest has a manifest's shape (one clear message if not);
- no file was added, is missing or was altered (every file, nested manifest.json files included;
  only the top-level manifest.json, its signature and additions.json are not listed), and there is
  no symbolic link;
- its fields hold for the folder: audit_id is the folder's name, `models` are exactly the models
  with a page (each page titled with its model), the data files hold the rows `rows` counts and
  only those models (paths that leave the folder are refused by the shape check), and the data and
  instrument hashes are exactly the ones the comparison states in its Audit data and Instrument rows;
- no special file (FIFO, socket, device): each is named and never opened;
- files added after publication (additions.json, e.g. briefs) still have the hashes listed there;
  they are named apart, since the manifest's signature and the chain do not cover them; with a key,
  additions.json must carry its own signature (additions.json.minisig, papers brief --sign) that
  verifies, unless --allow-unsigned-additions accepts unsigned ones (saying so), and then only
  those under briefs/ (anyone could add unsigned pages that way);
- with a key, the signature (manifest.json.minisig) verifies and its trusted comment names the
  audit; a missing signature is a failure then.

For a site root (a symbolic link given as the path is followed), every audit as above, the site
head and every entry of the root (papers.report.sitecheck: the head names exactly the audits the
site holds and the newest, the site-level files have their hashes, entries papers did not write are
named and fail with a key), and the hash chain: sequences run 1..n, each audit names the one
published before it and that audit's manifest hash, the root index lists every audit and lists no
audit the site lacks (removed, hidden as a dot folder, or without a readable manifest).
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from papers.errors import InputError, PapersError
from papers.report import safefs, sitecheck
from papers.report.context import slug
from papers.report.head import HEAD
from papers.report.manifest import (
    ADDITIONS,
    ADDITIONS_SIGNATURE,
    GENERATOR,
    MANIFEST,
    SIGNATURE,
    UNLISTED,
    load_manifest,
    read_additions,
    sha256_file,
    walk,
)
from papers.report.signing import PublicKey, SignatureError
from papers.text import printable

BRIEFS = "briefs/"  # where papers brief adds files to a published audit (the only unsigned additions a key accepts)


@dataclass(frozen=True)
class Checks:
    """What a reader asks of verify beyond the hashes: the publisher's key, and what they expect."""

    key: PublicKey | None = None
    allow_unsigned_additions: bool = False  # with a key: accept an additions.json without its signature
    expect_latest: str | None = None  # the head names this audit (as its latest or before it)
    not_before: datetime | None = None  # the head was written at or after this moment (UTC)


@dataclass
class AuditCheck:
    folder: str
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    specials: dict[str, str] = field(default_factory=dict)  # special files {path: kind}, never opened
    fields: list[str] = field(default_factory=list)  # manifest fields the folder contradicts
    signature: str = "not signed"  # verified ..., not checked ..., or a problem
    signature_ok: bool = True
    additions: list[str] = field(default_factory=list)  # files listed in additions.json, each as it was added
    additions_signature: str = ""  # the signature of additions.json, in words (when there are additions)
    additions_ok: bool = True

    @property
    def ok(self) -> bool:
        return (not (self.added or self.missing or self.altered or self.symlinks or self.specials or self.fields)
                and self.signature_ok and self.additions_ok)

    def lines(self) -> list[str]:
        out = [f"  {kind}: {p}" for kind in ("added", "missing", "altered") for p in getattr(self, kind)]
        out += [f"  symbolic link: {p}" for p in self.symlinks]
        out += [f"  special file ({kind}): {p}" for p, kind in self.specials.items()]
        out += [f"  manifest: {f}" for f in self.fields]
        if self.additions:
            out.append(f"  added after publication (additions.json, not covered by the manifest's signature): "
                       f"{len(self.additions)} file{'s' if len(self.additions) != 1 else ''}, e.g. {self.additions[0]}")
            out.append(f"  additions signature: {self.additions_signature}")
        return out + [f"  signature: {self.signature}"]


@dataclass
class Verification:
    root: Path
    kind: str  # "audit" or "site"
    audits: list[AuditCheck]
    chain: list[str] = field(default_factory=list)  # problems with the site's hash chain
    site: sitecheck.SiteCheck | None = None  # the site's head and root entries (a site only)

    @property
    def ok(self) -> bool:
        return all(a.ok for a in self.audits) and not self.chain and (self.site is None or self.site.ok)

    def as_dict(self) -> dict:
        site = {**asdict(self.site), "ok": self.site.ok} if self.site else None
        return {"root": str(self.root), "kind": self.kind, "ok": self.ok, "chain": self.chain, "site": site,
                "audits": [{**asdict(a), "ok": a.ok} for a in self.audits]}

    def lines(self) -> list[str]:
        if self.kind == "audit":
            a = self.audits[0]
            bad = len(a.added) + len(a.missing) + len(a.altered)
            files = f"{bad} files differ from the manifest" if bad else "every file matches its manifest"
            verdict = "verified" if a.ok else "NOT verified"
            return [f"{self.root}: {files}.", *a.lines(), f"{self.root}: {verdict}."]
        n = len(self.audits)
        out = [f"{self.root}: a site of {n} audit{'s' if n != 1 else ''}."]
        out += self.site.head_lines() if self.site else []
        for a in self.audits:
            out += [f"{a.folder}: {'verified' if a.ok else 'NOT verified'}", *a.lines()]
        out += self.site.lines() if self.site else []
        out += [f"chain: {c}" for c in self.chain] or ["chain: intact, every audit follows the one published before it"]
        return out + [f"{self.root}: {'verified' if self.ok else 'NOT verified'}."]


def verify(path: Path, key: PublicKey | None = None, **expectations) -> Verification:
    """Verify an audit folder (it holds manifest.json) or a site root (its audits, head, entries and
    chain); `expectations` are the other fields of Checks."""
    checks = Checks(key, **expectations)
    root = Path(path)
    if root.is_symlink():  # a link given on the command line is followed; links inside a site or audit never are
        root = root.resolve()
    if not root.is_dir():
        raise InputError(f"{root}: no such folder.", "point papers verify at reports/_site/<audit>, or at the site root.")
    if (root / MANIFEST).exists() or (root / MANIFEST).is_symlink():
        return Verification(root, "audit", [verify_audit(root, checks)])
    folders = [p for p in root.iterdir() if not p.name.startswith(".") and (p.is_dir() or p.is_symlink())]
    if not (any((p / MANIFEST).exists() for p in folders) or (root / HEAD).exists()
            or GENERATOR in _text(root / "index.html")):
        load_manifest(root)  # raises the message for a folder that is neither
    return verify_site(root, checks)


def verify_audit(folder: Path, checks: Checks) -> AuditCheck:
    manifest = load_manifest(folder)
    check = AuditCheck(folder.name)
    files, check.symlinks, check.specials = walk(folder)
    added_later, problems = read_additions(folder, manifest)
    recorded = {**added_later, **manifest["files"]}
    actual = {p: sha256_file(folder / p) for p in files if p not in UNLISTED}
    check.added = sorted(set(actual) - set(recorded))
    check.missing = sorted(set(recorded) - set(actual) - set(check.specials))
    check.altered = sorted(p for p in set(actual) & set(recorded) if actual[p] != recorded[p])
    check.additions = sorted(added_later)
    check.fields = problems + field_problems(folder, manifest, files)
    check_additions(folder, manifest, checks, check)
    check_signature(folder, manifest, checks.key, check)
    return check


def check_additions(folder: Path, manifest: dict, checks: Checks, check: AuditCheck) -> None:
    """With a key, additions.json must carry a signature that verifies (papers brief --sign), or be
    accepted unsigned by --allow-unsigned-additions, and then only with files under briefs/."""
    if not check.additions:
        return
    signature, key = folder / ADDITIONS_SIGNATURE, checks.key
    if signature.exists() or signature.is_symlink():
        if key is None:
            check.additions_signature = "present, not checked (give --key PUBLIC_KEY to check it)"
            return
        check.additions_signature, ok = verify_signed(folder, ADDITIONS, ADDITIONS_SIGNATURE, key,
                                                      {f"audit:{manifest['audit_id']}", f"file:{ADDITIONS}"}, "file")
        check.additions_ok = check.additions_ok and ok
        return
    if key is None:
        check.additions_signature = "not signed"
        return
    if not checks.allow_unsigned_additions:
        check.additions_ok = False
        check.additions_signature = ("missing: additions.json is not signed, so anyone could have added these files "
                                     "(their hashes are anyone's to compute); papers brief --sign KEY signs them, "
                                     "--allow-unsigned-additions accepts them")
        return
    check.additions_signature = ("not signed, accepted by --allow-unsigned-additions: these files are covered by "
                                 "hashes anyone can compute, not by the publisher's key")
    check.fields += [f"{ADDITIONS} lists {p}, outside briefs/: an unsigned file in a signed audit"
                     for p in check.additions if not p.startswith(BRIEFS)]


def field_problems(folder: Path, m: dict, files: list[str]) -> list[str]:
    """The manifest's fields that the folder contradicts."""
    problems = []
    if m["audit_id"] != folder.name:
        problems.append(f"audit_id is '{m['audit_id']}', but the folder is named '{folder.name}'")
    pages = {p.removeprefix("models/").removesuffix(".html") for p in files if p.startswith("models/")
             and p.count("/") == 1 and p.endswith(".html")}
    expected = {slug(model): model for model in m["models"]}
    if set(expected) != pages:
        problems.append(f"models lists {len(expected)} models, but the folder has pages for {len(pages)} "
                        f"(without a page: {', '.join(sorted(expected[s] for s in set(expected) - pages)) or 'none'}; "
                        f"pages of no listed model: {', '.join(sorted(pages - set(expected))) or 'none'})")
    for s in sorted(set(expected) & pages):
        if printable(" ".join(expected[s].split())) not in _title_of(folder / "models" / f"{s}.html"):  # as shown
            problems.append(f"models/{s}.html is not the page of '{expected[s]}'")
    problems += data_problems(folder, m)
    stated = stated_hashes(_text(folder / "index.html"))
    for name, label, value in (("data_sha256", "Audit data", m["data_sha256"]),
                               ("instrument sha256", "Instrument", m["instrument"]["sha256"])):
        if value not in stated[label]:
            problems.append(f"{name} {value[:12]}... is not the SHA-256 index.html states for '{label}'")
    return problems


def stated_hashes(page: str) -> dict[str, set[str]]:
    """The SHA-256 values the comparison page states in its 'Instrument' and 'Audit data' rows
    (compared whole: a manifest field must equal one, not merely occur in the page)."""
    plain = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    return {label: set(re.findall(label + r" .{0,200}?SHA-256 ([0-9a-f]{64})\b", plain))
            for label in ("Instrument", "Audit data")}


def data_problems(folder: Path, m: dict) -> list[str]:
    """Row counts of the data files, and the models in the audit's answers."""
    import pyarrow.parquet as pq

    problems = []
    for name, rows in sorted(m["rows"].items()):
        path = folder / name
        try:
            if not safefs.is_regular(path):  # a FIFO would block the read; a link is reported apart
                raise OSError(f"{name} is not a regular file")
            found = pq.read_metadata(path).num_rows
        except (OSError, ValueError):
            problems.append(f"rows counts {name}, which is missing or not Parquet")
            continue
        if found != rows:
            problems.append(f"rows says {name} holds {rows} rows; it holds {found}")
    answers = folder / "data" / "model_answers.parquet"
    if safefs.is_regular(answers) and "data/model_answers.parquet" in m["rows"]:
        try:
            models = set(pq.read_table(answers, columns=["model"]).column("model").to_pylist())
        except (OSError, ValueError, KeyError):
            models = set()
        if models - set(m["models"]):
            problems.append(f"data/model_answers.parquet holds models the manifest does not list: "
                            f"{', '.join(sorted(models - set(m['models'])))}")
    return problems


def check_signature(folder: Path, manifest: dict, key: PublicKey | None, check: AuditCheck) -> None:
    signature = folder / SIGNATURE
    if not (signature.exists() or signature.is_symlink()):
        check.signature = "missing: the audit is not signed" if key else "not signed"
        check.signature_ok = key is None
        return
    if key is None:
        check.signature = "present, not checked (give --key PUBLIC_KEY to check it)"
        return
    check.signature, ok = verify_signed(folder, MANIFEST, SIGNATURE, key, {f"audit:{manifest['audit_id']}"}, "audit")
    check.signature_ok = check.signature_ok and ok


def verify_signed(folder: Path, signed: str, signature: str, key: PublicKey, tags: set[str], what: str) -> tuple[str, bool]:
    """Check the file `signed` in `folder` against its signature file with `key`, and that the
    signature's trusted comment holds every tag (`audit:ID`, `file:NAME`) so that it was made for
    this `what`, not moved here from another. Returns what to report, and whether it verified."""
    try:
        comment = key.verify(safefs.read_bytes(folder / signed), safefs.read_text(folder / signature), signature)
    except (SignatureError, OSError, UnicodeDecodeError) as e:
        return getattr(e, "message", None) or str(e), False
    if not tags <= set(comment.split("\t")):
        return f"signed for another {what} (trusted comment: {comment[:80]})", False
    return f"verified, key {key.id_hex}", True


def verify_site(root: Path, checks: Checks) -> Verification:
    site, head = sitecheck.check_head(root, checks.key, checks.expect_latest, checks.not_before)
    audits, manifests = [], {}
    for folder in sitecheck.root_entries(root, head, site):
        if folder.is_symlink():
            audits.append(AuditCheck(folder.name, symlinks=[folder.name]))
            continue
        try:
            manifests[folder.name] = load_manifest(folder)
            audits.append(verify_audit(folder, checks))
        except InputError as e:
            audits.append(AuditCheck(folder.name, fields=[e.message]))
    if head is not None:
        sitecheck.check_head_audits(root, head, sorted(manifests), site)
        sitecheck.check_site_files(root, head, site)
    return Verification(root, "site", audits, chain_problems(root, manifests), site)


def chain_problems(root: Path, manifests: dict[str, dict]) -> list[str]:
    """What breaks the site's hash chain: a sequence out of place, a previous audit missing or
    named wrongly, a previous manifest that is not the one linked, an audit the root index omits."""
    problems = []
    by_sequence = sorted(manifests.items(), key=lambda kv: kv[1]["sequence"])
    sequences = [m["sequence"] for _, m in by_sequence]
    if sequences != list(range(1, len(sequences) + 1)):
        problems.append(f"sequences are {sequences}, not 1 to {len(sequences)}: an audit was removed or added by hand")
    for position, (folder, m) in enumerate(by_sequence):
        previous = m["previous"]
        before = by_sequence[position - 1][0] if position else None
        if previous is None:
            if position:
                problems.append(f"{folder} names no previous audit, but {before} was published before it")
            continue
        named = previous["audit_id"]
        if named not in manifests:
            problems.append(f"{folder} follows {named}, which is not in the site")
        elif named != before:
            problems.append(f"{folder} follows {named}, but by sequence {before or 'nothing'} comes before it")
        elif sha256_file(root / named / MANIFEST) != previous["manifest_sha256"]:
            problems.append(f"{named}/manifest.json is not the manifest {folder} was published after: it was rewritten")
    index = _text(root / "index.html")
    problems += [f"the site's index.html does not list {folder}" for folder in manifests
                 if f'href="{folder}/index.html"' not in index]
    listed = dict.fromkeys(html.unescape(name) for name in re.findall(r'href="([^"/]+)/index\.html"', index))
    problems += [f"the site's index.html lists {name}, but the site has no audit {name} with a manifest"
                 for name in listed if name not in manifests]
    return problems


def _text(path: Path) -> str:
    try:
        return safefs.read_bytes(path).decode("utf-8", errors="replace")
    except (OSError, PapersError):
        return ""


def _title_of(page: Path) -> str:
    text = _text(page)
    start, end = text.find("<title>"), text.find("</title>")
    return html.unescape(text[start + len("<title>"):end]) if 0 <= start < end else ""
