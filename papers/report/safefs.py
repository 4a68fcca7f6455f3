"""Files of a site as papers reads and writes them: only regular files.

A site or audit folder comes back from tar, rsync or a web host's copy, which keep FIFOs, sockets
and device files: reading a FIFO waits forever for a writer, and a device can be endless. So papers
reads a file of a site only through `open_regular`, which opens it without waiting and refuses
anything but a regular file, naming the path.

A site is also a folder anyone with access can plant symbolic links in: a link where papers writes
would make it write through the link to a file outside the site. So papers writes a file of a site
only with `write_file`, which refuses a link (or a folder, or a special file) at the path, writes a
new file beside it under a random name, and renames it over the path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from papers.errors import InputError, PapersError

SPECIAL = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
           stat.S_IFBLK: "a block device"}


class SpecialFileError(InputError):
    """A FIFO, socket or device file where papers expects a regular file."""


def special_kind(path: Path) -> str | None:
    """'a FIFO', 'a socket', ... when path itself (not followed) is a special file, else None."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return SPECIAL.get(stat.S_IFMT(mode))


def refuse_special(path: Path, kind: str) -> SpecialFileError:
    return SpecialFileError(f"{path} is {kind} (a special file), not a regular file; papers never reads one "
                            "(reading a FIFO would wait forever) and never publishes one.",
                            "remove it (tar and rsync copy special files as they are), then run papers again.")


@contextlib.contextmanager
def open_regular(path: Path) -> Iterator:
    """The regular file at path, opened for reading in binary (a link to one is followed); a special
    file is refused before anything is read from it, a folder raises IsADirectoryError as open() does."""
    kind = special_kind(path)
    if kind:
        raise refuse_special(path, kind)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO swapped in now opens without waiting
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        raise refuse_special(path, SPECIAL.get(stat.S_IFMT(mode), "a special file"))
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as f:
        yield f


def read_bytes(path: Path) -> bytes:
    with open_regular(path) as f:
        return f.read()


def read_text(path: Path) -> str:
    return read_bytes(path).decode("utf-8")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_regular(path: Path) -> bool:
    """A regular file, not a link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


# ----------------------------------------------------------------------------- writing


def refuse_link(path: Path) -> None:
    """Refuse a symbolic link, a special file or a folder at a path papers is about to write a file to."""
    path = Path(path)
    if path.is_symlink():
        raise PapersError(f"{path} is a symbolic link (to {os.readlink(path)}); papers writes the files of a site "
                          "only as regular files inside it, never through a link.",
                          "remove the link (and check who planted it), then run papers again.")
    kind = special_kind(path)
    if kind:
        raise refuse_special(path, kind)
    if path.is_dir():
        raise PapersError(f"{path} is a folder, where papers writes a file.", "move the folder away, then run papers again.")


def write_file(path: Path, data: bytes | str) -> Path:
    """Write path as a new regular file (0666 less the umask) renamed over it, after refuse_link."""
    path = Path(path)
    refuse_link(path)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(partial, 0o666 & ~umask())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
