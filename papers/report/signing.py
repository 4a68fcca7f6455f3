"""Ed25519 keys and detached signatures in minisign's format, so `minisign -V` checks what
`papers report --sign` signed, and `papers verify` checks what minisign signed.

The format (https://jedisct1.github.io/minisign/, and minisign's src/minisign.c):

    public key file     untrusted comment: minisign public key <KEY ID, 16 hex digits>
                        base64("Ed" || key id (8 bytes) || Ed25519 public key (32))
    secret key file     untrusted comment: <text>
                        base64("Ed" || kdf ("Sc" scrypt, or two zero bytes: no password) || "B2"
                               || salt (32) || opslimit (u64 LE) || memlimit (u64 LE)
                               || key id (8) || Ed25519 secret key (seed || public key, 64)
                               || checksum (32))
                        the checksum is BLAKE2b-256("Ed" || key id || secret key); with a password,
                        the last 104 bytes are XORed with scrypt(password, salt), N, r, p chosen
                        from opslimit and memlimit as libsodium's crypto_pwhash_scryptsalsa208sha256 does
    signature file      untrusted comment: <text>
                        base64("ED" || key id || Ed25519(BLAKE2b-512(file)))
                        trusted comment: <text>
                        base64(Ed25519(signature || trusted comment))

Signatures are prehashed ("ED", minisign's default since 0.8); legacy "Ed" signatures of the file
itself are verified too. Ed25519 is deterministic, so the same key, file and comment always give
the same signature file: a signed audit rebuilt elsewhere is byte-identical, signature included.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from papers.errors import InputError, PapersError

SIGNATURE_SUFFIX = ".minisig"
UNTRUSTED = "untrusted comment: "
TRUSTED = "trusted comment: "
# libsodium's crypto_pwhash_scryptsalsa208sha256_*_SENSITIVE, what minisign -G uses: scrypt with
# N = 2^20, r = 8, p = 1, about 1 GiB of memory and a second or two per use
OPSLIMIT = 33554432
MEMLIMIT = 1073741824
_SECRET_LEN = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32


class SignatureError(PapersError):
    """A key or signature that cannot be used, or a signature that does not match."""


@dataclass(frozen=True)
class PublicKey:
    key_id: bytes  # 8 bytes, shown as 16 hex digits (little-endian, as minisign prints it)
    key: bytes  # the Ed25519 public key, 32 bytes

    @property
    def id_hex(self) -> str:
        return f"{int.from_bytes(self.key_id, 'little'):016X}"

    def text(self) -> str:
        """The public key file."""
        encoded = base64.b64encode(b"Ed" + self.key_id + self.key).decode()
        return f"{UNTRUSTED}minisign public key {self.id_hex}\n{encoded}\n"

    def verify(self, message: bytes, signature: str, source: str = "the signature") -> str:
        """Check a signature file's text against the message; returns its trusted comment."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        algorithm, key_id, sig, comment, global_sig = parse_signature(signature, source)
        if key_id != self.key_id:
            raise SignatureError(f"{source} was made by key {_hex(key_id)}, not by this public key ({self.id_hex}).",
                                 "give --key the public key of whoever signed this audit.")
        signed = hashlib.blake2b(message, digest_size=64).digest() if algorithm == b"ED" else message
        key = Ed25519PublicKey.from_public_bytes(self.key)
        try:
            key.verify(sig, signed)
        except InvalidSignature as e:
            raise SignatureError(f"{source} does not match the file it signs: the file was changed after signing.") from e
        try:
            key.verify(global_sig, sig + comment.encode())
        except InvalidSignature as e:
            raise SignatureError(f"{source}: its trusted comment was changed after signing.") from e
        return comment


@dataclass(frozen=True)
class SecretKey:
    key_id: bytes
    seed: bytes  # the Ed25519 private key's 32-byte seed
    public: bytes

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(self.key_id, self.public)

    def sign(self, message: bytes, trusted_comment: str, untrusted_comment: str = "signature from papers secret key") -> str:
        """A prehashed ("ED") signature file's text for the message."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        for comment in (trusted_comment, untrusted_comment):
            if "\n" in comment or "\r" in comment:
                raise ValueError("a minisign comment is one line")
        key = Ed25519PrivateKey.from_private_bytes(self.seed)
        sig = key.sign(hashlib.blake2b(message, digest_size=64).digest())
        global_sig = key.sign(sig + trusted_comment.encode())
        return (f"{UNTRUSTED}{untrusted_comment}\n{base64.b64encode(b'ED' + self.key_id + sig).decode()}\n"
                f"{TRUSTED}{trusted_comment}\n{base64.b64encode(global_sig).decode()}\n")

    def text(self, password: str | None, *, opslimit: int = OPSLIMIT, memlimit: int = MEMLIMIT) -> str:
        """The secret key file, encrypted with the password as minisign does (None: unencrypted, minisign -W)."""
        secret = self.key_id + self.seed + self.public
        body = secret + _checksum(secret)
        if password is None:
            head, salt, opslimit, memlimit = b"\0\0", bytes(32), 0, 0
        else:
            head, salt = b"Sc", secrets.token_bytes(32)
            body = _xor(body, _scrypt(password, salt, opslimit, memlimit, len(body)))
        raw = b"Ed" + head + b"B2" + salt + opslimit.to_bytes(8, "little") + memlimit.to_bytes(8, "little") + body
        comment = "minisign encrypted secret key" if password is not None else "minisign secret key (no password)"
        return f"{UNTRUSTED}{comment}\n{base64.b64encode(raw).decode()}\n"


def generate() -> SecretKey:
    """A new Ed25519 key pair with a random key id."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    raw = serialization.Encoding.Raw
    seed = private.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return SecretKey(secrets.token_bytes(8), seed, private.public_key().public_bytes(raw, serialization.PublicFormat.Raw))


def write_key_pair(secret_path: Path, public_path: Path, password: str | None, **kdf) -> PublicKey:
    """Write a new key pair; the secret key readable by its owner only. Existing files are never replaced."""
    secret_path, public_path = Path(secret_path), Path(public_path)
    if secret_path.resolve() == public_path.resolve():
        raise InputError("the secret and the public key must be two files.", "give --secret-key and --public-key other paths.")
    for path in (secret_path, public_path):
        if path.exists():
            raise InputError(f"{path} already exists; a key is never overwritten.",
                             "choose another path, or move the old key away first.")
    for path in (secret_path, public_path):
        if not path.parent.is_dir():
            raise InputError(f"cannot write {path}: its folder {path.parent} does not exist.",
                             "create the folder first, or choose another path.")
    key = generate()
    written: list[Path] = []  # both files or neither: a half-written pair is removed again
    try:
        for path, text, mode in ((secret_path, key.text(password, **kdf), 0o600), (public_path, key.public_key.text(), 0o644)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            written.append(path)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(text)
    except OSError as e:
        for path in written:
            path.unlink(missing_ok=True)
        raise InputError(f"cannot write the key pair ({e.strerror or e}: {e.filename}); no key was written.",
                         "choose paths in a folder you can write.") from e
    return key.public_key


def load_secret_key(path: Path, password: Callable[[], str]) -> SecretKey:
    """Read a minisign secret key file; `password` is asked only when the key is encrypted."""
    raw = _key_bytes(Path(path), "secret")
    if len(raw) != _SECRET_LEN or raw[:2] != b"Ed" or raw[4:6] != b"B2":
        if len(raw) == 42 and raw[:2] == b"Ed":
            raise SignatureError(f"{path} is a public key; --sign takes the secret key.",
                                 "give --sign the secret key file that papers keygen wrote (papers.key).")
        raise SignatureError(f"{path} is not a minisign secret key.", "make one with papers keygen.")
    kdf, salt = raw[2:4], raw[6:38]
    opslimit, memlimit = int.from_bytes(raw[38:46], "little"), int.from_bytes(raw[46:54], "little")
    body = raw[54:]
    if kdf == b"Sc":
        body = _xor(body, _scrypt(password(), salt, opslimit, memlimit, len(body)))
    elif kdf != b"\0\0":
        raise SignatureError(f"{path}: unknown key derivation '{kdf.hex()}'.", "make a key with papers keygen.")
    key_id, secret, checksum = body[:8], body[8:72], body[72:]
    if checksum != _checksum(key_id + secret) and not (kdf == b"\0\0" and checksum == bytes(32)):
        if kdf == b"Sc":
            raise SignatureError(f"wrong password for {path}.", "type the password given to papers keygen.")
        raise SignatureError(f"{path} is damaged: its checksum does not match.", "make a new key with papers keygen.")
    return SecretKey(key_id, secret[:32], secret[32:])


def load_public_key(value: str | Path) -> PublicKey:
    """A public key from its file, or from the base64 line itself (as minisign -P takes it)."""
    path = Path(value)
    if path.is_file():
        raw = _key_bytes(path, "public")
        source = str(path)
    else:
        try:
            raw, source = _b64(str(value).strip(), str(value)[:80]), "--key"
        except SignatureError:
            raise InputError(f"{str(value)[:200]}: no such public key file, nor a public key's base64 line.",
                             "give --key the .pub file that papers keygen wrote.") from None
    if len(raw) != 42 or raw[:2] != b"Ed":
        if len(raw) == _SECRET_LEN:
            raise SignatureError(f"{source} is a secret key; never hand it out.",
                                 "give --key the public key file (papers.pub).")
        raise SignatureError(f"{source} is not a minisign public key (a file, or its base64 line).",
                             "give --key the public key file that papers keygen wrote (papers.pub).")
    return PublicKey(raw[2:10], raw[10:])


def parse_signature(text: str, source: str) -> tuple[bytes, bytes, bytes, str, bytes]:
    """(algorithm, key id, signature, trusted comment, global signature) of a signature file."""
    lines = text.splitlines()
    if len(lines) < 4 or not lines[0].startswith(UNTRUSTED) or not lines[2].startswith(TRUSTED):
        raise SignatureError(f"{source} is not a minisign signature.", "sign again with papers report --sign KEY.")
    raw, global_sig = _b64(lines[1].strip(), source), _b64(lines[3].strip(), source)
    if len(raw) != 74 or raw[:2] not in (b"ED", b"Ed") or len(global_sig) != 64:
        raise SignatureError(f"{source} is not a minisign signature.", "sign again with papers report --sign KEY.")
    return raw[:2], raw[2:10], raw[10:], lines[2][len(TRUSTED):], global_sig


def _key_bytes(path: Path, kind: str) -> bytes:
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise SignatureError(f"{path}: cannot read it as a minisign {kind} key ({getattr(e, 'strerror', None) or e}).",
                             "make a key pair with papers keygen.") from e
    if len(lines) < 2 or not lines[0].startswith(UNTRUSTED):
        raise SignatureError(f"{path} is not a minisign {kind} key.", "make a key pair with papers keygen.")
    return _b64(lines[1].strip(), str(path))


def _b64(text: str, source: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise SignatureError(f"{source}: not base64.", "give a minisign key or signature as papers keygen wrote it.") from e


def _checksum(secret: bytes) -> bytes:
    return hashlib.blake2b(b"Ed" + secret, digest_size=32).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def _hex(key_id: bytes) -> str:
    return f"{int.from_bytes(key_id, 'little'):016X}"


def scrypt_parameters(opslimit: int, memlimit: int) -> tuple[int, int, int]:
    """(N, r, p) for libsodium's opslimit and memlimit, as its pickparams() chooses them."""
    opslimit, r = max(opslimit, 32768), 8
    by_time = opslimit < memlimit // 32
    max_n = opslimit // (r * 4) if by_time else memlimit // (r * 128)
    n_log2 = next((n for n in range(1, 63) if (1 << n) > max_n // 2), 63)
    p = 1 if by_time else min((opslimit // 4) // (1 << n_log2), 0x3FFFFFFF) // r
    return 1 << n_log2, r, p


def _scrypt(password: str, salt: bytes, opslimit: int, memlimit: int, length: int) -> bytes:
    n, r, p = scrypt_parameters(opslimit, memlimit)
    try:
        return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=128 * r * (n + 2 + p) + 2**20,
                              dklen=length)
    except (ValueError, MemoryError) as e:
        raise SignatureError(f"cannot derive the key from the password (scrypt N = {n}, r = {r}, p = {p}: {e}).",
                             "this needs about 1 GiB of memory, as minisign does.") from e
