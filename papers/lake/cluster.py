"""A private PostgreSQL cluster in a temporary directory, for the lake's tests and bench/push.py.

It listens on 127.0.0.1 on a free port only, trusts local connections (nothing else can reach it),
runs as the `postgres` user when started by root (PostgreSQL refuses to run as root), and is stopped
and removed by `stop()`. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

START_TIMEOUT_S = 60


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries installed from Debian (/usr/lib/postgresql/N/bin), if any."""
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").exists()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running cluster: `dsn(dbname)` for libpq, `create_database(name)`, `stop()`."""

    def __init__(self, bindir: Path, root: Path):
        self.bindir, self.root = bindir, root
        self.data = root / "data"
        self.port = _free_port()
        self.user = "postgres"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str, timeout: float = START_TIMEOUT_S) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout, check=True)

    def start(self) -> Cluster:
        if self.as_root:
            shutil.chown(self.root, "postgres")
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "-t", str(START_TIMEOUT_S), "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c max_connections=100",
                  "start")
        return self

    def dsn(self, dbname: str = "postgres") -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user={self.user}"

    def create_database(self, name: str) -> str:
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.dsn(name)

    def dump(self, dbname: str) -> str:
        """The database as SQL text (pg_dump), to look for what it stores."""
        return self._run(str(self.bindir / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                         dbname).stdout

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    """A started cluster, stopped and removed on exit; RuntimeError if PostgreSQL is not installed."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                           "(apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="papers-pg-"))
    os.chmod(root, 0o755)
    cluster = Cluster(bindir, root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
