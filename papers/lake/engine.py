"""DuckLake from papers: lake URLs, offline extension loading, and attaching a lake to a connection.

A lake URL is what DuckDB's ATTACH takes: `ducklake:postgres:<libpq connection string>` (the shared
catalog several machines push to), `ducklake:path/to/catalog.ducklake` (a local DuckDB catalog) or
`ducklake:sqlite:path` (a local SQLite catalog; one writer at a time). Credentials come from the URL or
the environment at run time (libpq reads PGPASSWORD, PGUSER, PGHOST, PGPASSFILE) and are never stored
nor printed: every message names the lake by `redact_url(url)`.

The extensions come from the PyPI packages `duckdb-extension-ducklake`, `-postgres` and `-sqlite`,
which are built for one duckdb version (the pin in pyproject.toml). They are installed from the
package directory into a per-user extension directory (`FORCE INSTALL '<file>'`), never downloaded,
and DuckDB autoloads them when a `ducklake:` URL is attached.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
import random
import re
import tempfile
import time
from pathlib import Path

import duckdb

from papers.errors import StoreError
from papers.text import add_secret

PREFIX = "ducklake:"
# package, the name DuckDB installs the extension under (the postgres one is `postgres_scanner`)
EXTENSIONS = (
    ("duckdb_extension_ducklake", "ducklake"),
    ("duckdb_extension_postgres", "postgres_scanner"),
    ("duckdb_extension_sqlite", "sqlite_scanner"),
)
DATA_PATH_ENV = "PAPERS_LAKE_DATA_PATH"
ATTACH_ATTEMPTS = 8
_PASSWORD_RES = (
    re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE),
    re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)"),
)


def is_lake_url(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def redact_url(url: str) -> str:
    """The URL without its password (`password=...` or `user:password@`), for messages."""
    text = _PASSWORD_RES[0].sub(r"\1[redacted]", url)
    return _PASSWORD_RES[1].sub(r"\1[redacted]\3", text)


def remember_secrets(url: str) -> None:
    """Make the CLI redact the URL's password wherever it might appear (an engine's error message)."""
    for pattern in _PASSWORD_RES:
        for m in pattern.finditer(url):
            add_secret(m.group(2).strip("'"))


def catalog_kind(url: str) -> str:
    """postgres, sqlite or duckdb: which database holds the lake's catalog."""
    rest = url[len(PREFIX):]
    for kind in ("postgres", "sqlite"):
        if rest.startswith(kind + ":"):
            return kind
    return "duckdb"


def check_url(url: str) -> None:
    rest = url[len(PREFIX):] if is_lake_url(url) else ""
    if not rest or rest in ("postgres:", "sqlite:"):
        raise StoreError(f"'{redact_url(url)}' is not a lake URL.",
                         "use ducklake:postgres:dbname=NAME host=HOST (shared), ducklake:path/catalog.ducklake "
                         "or ducklake:sqlite:path/catalog.sqlite (local).")


def extension_directory() -> Path:
    """Where papers installs the extensions from their packages (per user, per duckdb version)."""
    base = os.environ.get("PAPERS_EXTENSION_DIR") or os.path.join(tempfile.gettempdir(), f"papers-duckdb-{os.getuid()}")
    return Path(base)


def _extension_files() -> list[tuple[str, Path]]:
    found = []
    for package, name in EXTENSIONS:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        folder = Path(module.__path__[0]) / "extensions" / f"v{duckdb.__version__}"
        files = sorted(folder.glob("*.duckdb_extension"))
        if files:
            found.append((name, files[0]))
    return found


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that can attach lakes, with the packaged extensions installed
    offline (once per extension directory) and nothing downloaded."""
    folder = extension_directory()
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"extension_directory": str(folder), "autoinstall_known_extensions": False,
                                 "autoload_known_extensions": True})
    installed = {r[0] for r in con.execute(
        "select extension_name from duckdb_extensions() where installed").fetchall()}
    files = _extension_files()
    if not any(name == "ducklake" for name, _ in files):
        con.close()
        raise StoreError(f"the DuckLake extension for duckdb {duckdb.__version__} is not installed.",
                         "pip install duckdb-extension-ducklake duckdb-extension-postgres of the same version as duckdb "
                         "(papers pins it).")
    missing = [(name, path) for name, path in files if name not in installed]
    if missing:
        # several pushers may start at once on a fresh machine: one installs, the others wait for it
        with open(folder / ".install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for name, path in missing:
                con.execute(f"force install '{_quote(str(path))}'")
    con.execute("set enable_progress_bar = false")
    return con


def attach(con: duckdb.DuckDBPyConnection, url: str, alias: str = "lake", *, data_path: str | None = None,
           read_only: bool = False, snapshot: int | None = None) -> None:
    """ATTACH the lake as `alias`. DATA_PATH (where the Parquet files go) is needed when a lake is
    created; an existing lake remembers it. `snapshot` attaches the lake as it was at that snapshot."""
    check_url(url)
    remember_secrets(url)
    data_path = data_path or os.environ.get(DATA_PATH_ENV) or None
    options, made = [], []
    if data_path:
        if "://" not in data_path:
            made += _make_folder(Path(data_path))
            data_path = str(Path(data_path).resolve()) + "/"
        options.append(f"data_path '{_quote(data_path)}'")
    if read_only:
        options.append("read_only")
    if snapshot is not None:
        options.append(f"snapshot_version {int(snapshot)}")
    if catalog_kind(url) in ("duckdb", "sqlite") and not read_only:  # a local catalog's folder, for a new lake
        made += _make_folder(Path(url[len(PREFIX):].removeprefix("sqlite:")).parent)
    clause = f" ({', '.join(options)})" if options else ""
    for attempt in range(1, ATTACH_ATTEMPTS + 1):
        try:
            con.execute(f"attach '{_quote(url)}' as {alias}{clause}")
            return
        except duckdb.Error as e:
            # machines attaching a new lake at once race to create its catalog tables: one wins, the others
            # find them on their next attempt
            racing = any(sign in str(e).lower() for sign in ("initialize", "duplicate key", "already exists", "conflict"))
            if not racing or attempt == ATTACH_ATTEMPTS:
                for folder in reversed(made):  # a lake that did not open leaves no folders behind
                    with contextlib.suppress(OSError):
                        folder.rmdir()
                raise StoreError(f"{redact_url(url)}: cannot open the lake ({redact_url(first_line(e))}).",
                                 _attach_hint(url, e)) from e
            time.sleep(random.uniform(0.1, 0.5) * attempt)


def _make_folder(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; returns the folders created, outermost first."""
    missing = [p for p in [folder, *folder.parents] if not p.exists()][::-1]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _attach_hint(url: str, error: Exception) -> str:
    text = str(error).lower()
    if "does not match existing data path" in text:
        return (f"this lake keeps its Parquet files where the message says: leave out --data-path (and "
                f"{DATA_PATH_ENV}), or give that path.")
    if "data_path" in text or "data path" in text:
        return f"a new lake needs a place for its Parquet files: --data-path DIR (or {DATA_PATH_ENV})."
    if "does not exist" in text and ("creating a new ducklake" in text or "read-only" in text):
        return "nothing has been pushed to this lake yet: papers push --lake URL --data-path DIR creates it."
    if catalog_kind(url) == "postgres":
        if "password" in text or "authentication" in text:
            return "give the password in PGPASSWORD (or a ~/.pgpass file), not on the command line."
        return "check the catalog database is running and reachable (host, port, dbname in the URL; PGHOST, PGUSER)."
    return "check the URL: ducklake:postgres:..., ducklake:path/catalog.ducklake or ducklake:sqlite:path."


def current_snapshot(con: duckdb.DuckDBPyConnection, alias: str = "lake") -> int:
    return con.execute(f"select id from ducklake_current_snapshot('{alias}') as snapshot(id)").fetchone()[0]


def first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _quote(text: str) -> str:
    return text.replace("'", "''")
