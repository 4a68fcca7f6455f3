"""What `papers verify SITE` checks of a site root besides each audit: its head and every entry.

- The head (papers-head.json, papers.report.head) has a head's shape; with a key its signature
  verifies (a head without one fails then); it names exactly the audits the site holds, each with
  its manifest's SHA-256 (an audit removed, rewritten or added by hand fails), and its latest audit
  is the last of them. The reader's expectations: --expect-latest AUDIT (AUDIT is the head's latest
  or an audit before it) and --not-before DATE (the head was written on or after DATE), which catch
  a rollback to an older, honestly signed copy of the site.
- The site-level files the head lists (the root index.html, and whatever else papers writes there)
  have their hashes.
- Every entry of the root is accounted for: an audit, a site-level file (or a folder of them), the
  head and its signature, or papers' lock file (.papers-lock, a regular empty file). Anything else
  is "not written by papers": named always, a failure with a key (the key vouches for every file
  the publisher serves). A special file, a symbolic link other than an audit's (which fails as an
  audit) or two names differing only by case fail always.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from papers.errors import PapersError
from papers.report import safefs
from papers.report.head import BUILD_PREFIX, HEAD, HEAD_SIGNATURE, LOCK, read_head, signed_at
from papers.report.manifest import MANIFEST, sha256_file, walk
from papers.report.signing import PublicKey, SignatureError
from papers.report.siteconfig import readable_date


@dataclass
class SiteCheck:
    strict: bool  # a key was given: files papers did not write fail
    summary: str = ""  # the head's date, latest audit and counts
    signature: str = ""  # the head's signature, in words
    problems: list[str] = field(default_factory=list)  # each fails the site
    foreign: list[str] = field(default_factory=list)  # entries papers did not write

    @property
    def ok(self) -> bool:
        return not self.problems and not (self.strict and self.foreign)

    def head_lines(self) -> list[str]:
        """The head's date, latest audit and signature: what a reader compares with what they expect."""
        out = [f"head: {self.summary}"] if self.summary else []
        return out + ([f"head signature: {self.signature}"] if self.signature else [])

    def lines(self) -> list[str]:
        tail = "" if self.strict else " (accepted without --key; a key vouches for every file of the site)"
        return self.problems + [f"not written by papers: {entry}{tail}" for entry in self.foreign]


def check_head(root: Path, key: PublicKey | None, expect_latest: str | None,
               not_before: datetime | None) -> tuple[SiteCheck, dict | None]:
    """The head read and its signature checked, with the reader's expectations; (check, head or None)."""
    site = SiteCheck(strict=key is not None)
    try:
        head = read_head(root)
    except PapersError as e:
        site.problems.append(f"head: {e.message.rstrip('.')}" + (f"; {e.hint}" if e.hint else ""))
        return site, None
    latest, when = head["latest"], signed_at(head)
    n, files = len(head["audits"]), len(head["files"])
    site.summary = (f"latest audit {latest['audit_id']} (sequence {latest['sequence']}), " if latest else "no audit, ") + \
        f"{n} audit{'s' if n != 1 else ''} and {files} site file{'s' if files != 1 else ''}, written {readable_date(when)}"
    site.signature = head_signature(root, key, site)
    names = [a["audit_id"] for a in head["audits"]]
    if expect_latest is not None and expect_latest not in names:
        site.problems.append(f"head: the head's latest audit is {latest['audit_id'] if latest else 'none'}, and "
                             f"{expect_latest} is not among its audits: the site is older than you expected (rolled "
                             f"back, or {expect_latest} not yet published)")
    if not_before is not None and when < not_before:
        site.problems.append(f"head: written {readable_date(when)}, before --not-before {_shown(not_before)}: "
                             "an older copy of the site")
    return site, head


def head_signature(root: Path, key: PublicKey | None, site: SiteCheck) -> str:
    signature = root / HEAD_SIGNATURE
    if not (signature.exists() or signature.is_symlink()):
        if key is not None:
            site.problems.append("head: the site head is not signed, and --key asks for a signed one")
            return "missing: the site head is not signed (published without --sign)"
        return "not signed"
    if key is None:
        return "present, not checked (give --key PUBLIC_KEY to check it)"
    try:
        comment = key.verify(safefs.read_bytes(root / HEAD), safefs.read_text(signature), HEAD_SIGNATURE)
    except (SignatureError, OSError, UnicodeDecodeError) as e:
        site.problems.append("head: its signature does not verify")
        return getattr(e, "message", None) or str(e)
    if not {"site-head", f"file:{HEAD}"} <= set(comment.split("\t")):
        site.problems.append("head: its signature was made for another file")
        return f"signed for another file (trusted comment: {comment[:80]})"
    return f"verified, key {key.id_hex}"


def check_head_audits(root: Path, head: dict, audits: list[str], site: SiteCheck) -> None:
    """The head names exactly the audits the site holds (`audits`: folders with a manifest), each
    with its manifest's hash, and its latest is the last of them."""
    named = {a["audit_id"]: a for a in head["audits"]}
    for name, entry in named.items():
        folder = root / name
        if not folder.is_dir() or folder.is_symlink():
            site.problems.append(f"head: the head names audit {name} (sequence {entry['sequence']}), which the site "
                                 "does not hold: it was removed")
        elif _sha256(folder / MANIFEST) != entry["manifest_sha256"]:
            site.problems.append(f"head: {name}/manifest.json is not the manifest the head names: it was rewritten "
                                 "or replaced")
    site.problems += [f"head: audit {name} is not named in the site head: it was added without papers report, or "
                      "the head is older than the site" for name in audits if name not in named]
    last = max(head["audits"], key=lambda a: a["sequence"], default=None)
    if last is not None and {k: head["latest"][k] for k in last} != last:
        site.problems.append(f"head: its latest audit is {head['latest']['audit_id']}, but it names "
                             f"{last['audit_id']} (sequence {last['sequence']}) as published last")


def check_site_files(root: Path, head: dict, site: SiteCheck) -> None:
    """Each site-level file the head lists has its hash; inside a folder of them, every other file is foreign."""
    for name, digest in head["files"].items():
        path, parts = root / name, Path(name).parts
        link = next((p for p in (root.joinpath(*parts[:i]) for i in range(1, len(parts) + 1)) if p.is_symlink()), None)
        kind = safefs.special_kind(path)
        if link is not None:
            site.problems.append(f"symbolic link: {link.relative_to(root).as_posix()}")
        elif kind:
            site.problems.append(f"special file ({kind}): {name}")
        elif not path.is_file():
            site.problems.append(f"site file missing: {name}")
        elif _sha256(path) != digest:
            site.problems.append(f"site file altered: {name}")
    for top in sorted({name.split("/")[0] for name in head["files"] if "/" in name}):
        if (root / top).is_dir() and not (root / top).is_symlink():
            files, links, specials = walk(root / top)
            site.foreign += [f"{top}/{p}" for p in files if f"{top}/{p}" not in head["files"]]
            site.problems += [f"symbolic link: {top}/{p}" for p in links]
            site.problems += [f"special file ({kind}): {top}/{p}" for p, kind in specials.items()]


def root_entries(root: Path, head: dict | None, site: SiteCheck) -> list[Path]:
    """The audit folders of the site root (to verify each), with every other entry accounted for in
    `site`. With a head: the folders it names and any other folder holding a manifest.json; without
    one, as before the head: every folder not starting with a dot. Non-dot links are returned too
    (they fail as audits)."""
    named = {a["audit_id"] for a in head["audits"]} if head else set()
    tops = {name.split("/")[0] for name in head["files"]} if head else {"index.html"}  # without a head: as before it
    audits = []
    for entry in sorted(root.iterdir()):
        name, kind = entry.name, safefs.special_kind(entry)
        if kind:
            site.problems.append(f"special file ({kind}): {name}")
        elif name in tops:
            continue  # check_site_files checks these, links included
        elif entry.is_symlink() and (name.startswith(".") or name in (HEAD, HEAD_SIGNATURE)):
            site.problems.append(f"symbolic link: {name}")
        elif entry.is_symlink():
            audits.append(entry)
        elif name in (HEAD, HEAD_SIGNATURE) or _is_lock(entry):
            continue
        elif entry.is_dir() and (name in named or (not name.startswith(".") and (
                head is None or (entry / MANIFEST).exists() or (entry / MANIFEST).is_symlink()))):
            audits.append(entry)
        else:
            site.foreign.append(_described(entry))
    site.problems += case_twins(root)
    return audits


def case_twins(root: Path) -> list[str]:
    groups: dict[str, list[str]] = {}
    for entry in root.iterdir():
        groups.setdefault(entry.name.casefold(), []).append(entry.name)
    return [f"names that differ only by case: {', '.join(sorted(names))} (one entry on a case-insensitive host)"
            for names in groups.values() if len(names) > 1]


def _is_lock(entry: Path) -> bool:
    """papers' own lock file: a regular file named .papers-lock that papers never writes into."""
    return entry.name == LOCK and safefs.is_regular(entry) and entry.stat().st_size == 0


def _described(entry: Path) -> str:
    shown = entry.name + ("/" if entry.is_dir() else "")
    if entry.name.startswith(BUILD_PREFIX):
        shown += " (named like a build papers left when interrupted; the next papers report removes it)"
    return shown


def _sha256(path: Path) -> str:
    try:
        return sha256_file(path)
    except (OSError, PapersError):
        return ""


def _shown(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d" if (moment.hour, moment.minute, moment.second) == (0, 0, 0) else "%Y-%m-%dT%H:%M:%SZ")
