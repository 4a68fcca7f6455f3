"""The site head, papers-head.json: what a site holds as a whole, so that removing its newest audit,
rolling the site back to an older copy or editing its root index is detected by `papers verify`
(TUF's snapshot and timestamp roles do this for software repositories). Format "papers-site-head/1":

    signed_at   when the head was written (UTC; SOURCE_DATE_EPOCH when set), ISO 8601
    latest      {audit_id, manifest_sha256, sequence, published_at} of the audit published last
    audits      [{audit_id, manifest_sha256, sequence}] every audit, in the order published
    files       {path: SHA-256} every site-level file papers wrote: whatever the writers of
                papers.report.site.SITE_WRITERS return (the root index.html today), never a fixed list

`papers report --sign KEY` signs it: papers-head.json.minisig, whose trusted comment names the site
head, its SHA-256 and the latest audit. Without --sign the head is written unsigned: its hashes are
checked, but `verify --key` fails on it. A head is rewritten only when what it names changes (so a
rerun leaves it byte for byte, date included), and a signed head is never replaced by an unsigned
one or by one signed with another key: report refuses (deleting papers-head.json.minisig is how a
publisher stops signing a site, or moves it to a new key, on purpose). The same rule keeps the
signature of an audit's additions.json (papers brief --sign).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from papers.errors import PapersError
from papers.limits import load_json
from papers.report import safefs
from papers.report.manifest import MANIFEST, dumps, published_audits, sha256_file
from papers.report.signing import SecretKey, SignatureError, parse_signature
from papers.report.siteconfig import iso_date, source_date_epoch

HEAD = "papers-head.json"
HEAD_SIGNATURE = "papers-head.json.minisig"
HEAD_FORMAT = "papers-site-head/1"
SIGNATURE_SUFFIX = ".minisig"
# the dot entries papers itself keeps at a site root, and why (verify names any other dot entry)
LOCK = ".papers-lock"  # the lock report and brief take while writing; papers never writes into it
BUILD_PREFIX = ".build-"  # a build in progress, or left by a killed one; the next report removes it
UNREADABLE = b"?"  # the signer of a signature file that cannot be read


def head_content(site: Path, files: dict[str, str]) -> dict:
    """Every field of the head but signed_at, from the audits the site holds and its site files."""
    published = published_audits(site)  # last published first
    audits = [{"audit_id": folder, "manifest_sha256": sha256_file(site / folder / MANIFEST),
               "sequence": m["sequence"]} for folder, m in reversed(published)]
    latest = {**audits[-1], "published_at": published[0][1]["published_at"]} if audits else None
    return {"format": HEAD_FORMAT, "latest": latest, "audits": audits, "files": dict(sorted(files.items()))}


def same_content(head: dict | None, content: dict) -> bool:
    return head is not None and {k: v for k, v in head.items() if k != "signed_at"} == content


def head_time() -> str:
    return iso_date(source_date_epoch() or datetime.now(timezone.utc))


def read_head(site: Path) -> dict:
    """The site's head, checked for shape; an InputError-like PapersError saying what is wrong."""
    path = Path(site) / HEAD
    try:
        head = load_json(safefs.read_text(path))
    except FileNotFoundError as e:
        raise PapersError(f"the site has no {HEAD}: it was removed, or the site was published by a papers older "
                          "than the site head.", "run papers report (the latest audit again) to write it.") from e
    except (OSError, ValueError) as e:  # a DocumentError (nested too deeply) is a ValueError
        raise PapersError(f"{HEAD} is not a papers site head (not readable JSON: {str(e)[:80]}).") from e
    problems = head_shape_problems(head)
    if problems:
        raise PapersError(f"{HEAD} is not a papers site head ({problems[0]}).")
    return head


def head_shape_problems(head) -> list[str]:
    if not isinstance(head, dict) or head.get("format") != HEAD_FORMAT:
        return [f"its format is not {HEAD_FORMAT!r}"]
    audits, files, latest = head.get("audits"), head.get("files"), head.get("latest")
    checks = [
        (isinstance(head.get("signed_at"), str) and _date(head["signed_at"]) is not None,
         "signed_at is not an ISO date and time"),
        (isinstance(audits, list) and all(_is_entry(a) for a in audits), "audits is not a list of audits"),
        (isinstance(files, dict) and all(isinstance(k, str) and _inside(k) and _is_sha256(v) for k, v in files.items()),
         "files does not map paths inside the site to SHA-256s"),
        (latest is None if not audits else _is_entry(latest) and latest.get("audit_id") in
         [a["audit_id"] for a in audits if isinstance(a, dict)], "latest is not one of its audits"),
    ]
    return [message for ok, message in checks if not ok]


def _is_entry(entry) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("audit_id"), str) and _inside(entry["audit_id"])
            and "/" not in entry["audit_id"] and _is_sha256(entry.get("manifest_sha256"))
            and isinstance(entry.get("sequence"), int) and not isinstance(entry["sequence"], bool))


def _is_sha256(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _inside(path: str) -> bool:
    return bool(path) and not path.startswith("/") and "\\" not in path and all(
        part not in ("", ".", "..") for part in path.split("/"))


def _date(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def signed_at(head: dict) -> datetime:
    return _date(head["signed_at"])


def head_text(content: dict, when: str) -> str:
    return dumps({"format": content["format"], "signed_at": when, **{k: v for k, v in content.items() if k != "format"}})


# ----------------------------------------------------------------------------- signatures of site files


def signer(signature: Path) -> bytes | None:
    """The key id of a signature file (UNREADABLE when it is damaged), or None when there is none."""
    if not (signature.exists() or signature.is_symlink()):
        return None
    try:
        return parse_signature(safefs.read_text(signature), str(signature))[1]
    except (OSError, ValueError, SignatureError, safefs.SpecialFileError):
        return UNREADABLE


def check_signer(signature: Path, key: SecretKey | None, what: str) -> None:
    """Refuse to replace a signed file unsigned, or signed by another key (see the module's docstring)."""
    found = signer(signature)
    if found is None or (key is not None and found in (key.key_id, UNREADABLE)):
        return
    shown = f"{int.from_bytes(found, 'little'):016X}"
    stop = f"to stop signing it, or to move to a new key, delete {signature.name} first (on purpose)"
    if key is None:
        by = "its signature cannot be read" if found == UNREADABLE else f"key {shown}"
        raise PapersError(f"{signature.parent / what} is signed ({by}); publishing without --sign would "
                          "leave it unsigned, and papers verify --key would fail on it.",
                          f"pass --sign with the secret key that signed it (its password from PAPERS_KEY_PASSWORD); {stop}.")
    raise PapersError(f"{signature.parent / what} is signed by key {shown}, not by the key --sign gives "
                      f"({key.public_key.id_hex}).", f"sign with the key {shown}; {stop}.")


def signature_text(data: bytes, key: SecretKey, trusted: str, untrusted: str) -> str:
    """A minisign signature of data whose trusted comment adds the data's SHA-256 to `trusted`."""
    import hashlib

    return key.sign(data, f"{trusted}\tsha256:{hashlib.sha256(data).hexdigest()}", untrusted)


def write_signed(path: Path, data: bytes | str, key: SecretKey | None, trusted: str, untrusted: str) -> None:
    """Write a file and, with a key, its signature beside it (path + .minisig); without one, remove
    a signature left there (check_signer has refused first if that would unsign it by accident)."""
    data = data.encode("utf-8") if isinstance(data, str) else data
    signature = path.with_name(path.name + SIGNATURE_SUFFIX)
    safefs.refuse_link(signature)
    safefs.write_file(path, data)
    if key is None:
        signature.unlink(missing_ok=True)
    else:
        safefs.write_file(signature, signature_text(data, key, trusted, untrusted + f" by key {key.public_key.id_hex}"))
