"""The DuckDB store: connection, numbered migrations, named SQL from `queries/`, transactions, and
the look-up of instruments by reference.

Where SQL lives. A statement that answers a question (it joins, aggregates, or filters for a
purpose) is a file under `queries/`, one question per file, dbt style, loaded with `query(name)`:
`queries/schema/` (numbered migrations, and the shared views `valid_responses` and `valid_codes`),
`queries/analysis/`, `queries/report/`, `queries/ingest/`, `queries/collect/`, `queries/coding/`,
`queries/power/`, `queries/dbinfo/` and `queries/store/`. Statements that only move rows stay
inline where they are used: inserts and deletes by key, `insert ... by name select * from` a
registered frame, counts of one table, look-ups of one row by its key (an audit, a load, an
instrument by SHA-256 or id@version), and session settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import duckdb

from papers import __version__
from papers.errors import InputError, InstrumentError, StoreError
from papers.instrument import Instrument, bundled_instruments, load_instrument, parse_instrument
from papers.resources import project_path
from papers.text import excerpt

DEFAULT_DB = Path("data") / "papers.duckdb"
PUBLIC_TABLES = (
    "instruments",
    "runs",
    "llm_responses",
    "llm_answers",
    "participants",
    "human_answers",
    "human_items",
    "codes",
    "rejects",
    "audits",
    "llm_errors",
)
PIN_TABLES = ("audit_responses", "audit_participants", "audit_codes")  # the rows each audit used (migration 009)
RESULT_TABLES = (
    "result_profiles", "result_stability", "result_differences", "result_clusters", "result_mds", "result_structure",
    "result_human_profiles", "result_agreement", "result_items", "result_themes", "result_coder_agreement",
    "result_robustness", "result_variant_profiles", "result_revealed", "result_consistency", "result_dilemmas",
)
# keyed by a pair of audits (audit_a, audit_b) rather than by one: papers drift (migration 018)
DRIFT_TABLES = ("result_drift", "result_drift_profiles", "result_drift_models")
STORAGE_CONFIG = {"storage_compatibility_version": "v1.5.0"}
MIGRATION_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, Path]]:
    """The numbered schema files under queries/schema/, in order."""
    found = []
    for path in sorted(project_path("queries", "schema").glob("*.sql")):
        m = MIGRATION_RE.match(path.name)
        if m:
            found.append((int(m.group(1)), path))
    return found


def query(name: str) -> str:
    """The text of a named query, e.g. `query("analysis/model_answers")` for queries/analysis/model_answers.sql."""
    path = project_path("queries", f"{name}.sql")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise StoreError(f"{path}: query file missing; the installation is incomplete.") from e


def listed(values) -> str:
    """A list of values as one JSON text, the parameter that unnest_listed reads in a statement.
    DuckDB binds a Python list value by value, each time looking for pandas: about 10 microseconds
    a value, a quarter of a second for the 20,000 ids of one batch job; one text binds at once, and
    its JSON reader types the values."""
    return json.dumps(list(values))


def unnest_listed(element: str = "VARCHAR", param: str = "?") -> str:
    """SQL giving the values of a listed() parameter as rows of DuckDB type `element`
    (`unnest(from_json(?, '["VARCHAR"]'))`); an element ending in [] is a list of that type."""
    structure = '"' + element.removesuffix("[]") + '"'
    if element.endswith("[]"):
        structure = f"[{structure}]"
    return f"unnest(from_json({param}, '[{structure}]'))"


class _NoPandasForDuckDB:
    """DuckDB imports pandas before it binds any parameter, to recognise pandas values: half a
    second of CPU and 120 MiB at the first bound statement of every command, though papers binds
    only plain Python values. While a statement of this thread runs (Store.guard) and pandas is not
    imported yet (so no pandas value can be among its parameters), that import fails at once and
    DuckDB binds the values without it; pandas imports as usual everywhere else."""

    state = threading.local()

    @classmethod
    def hide(cls) -> bool:
        """Hide pandas from this thread's statement; returns whether it was hidden before (to restore)."""
        before = getattr(cls.state, "on", False)
        cls.state.on = "pandas" not in sys.modules
        return before

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name == "pandas" and getattr(cls.state, "on", False):
            raise ModuleNotFoundError("pandas is not imported for a statement of papers' store", name=name)
        return None


if _NoPandasForDuckDB not in sys.meta_path:
    sys.meta_path.insert(0, _NoPandasForDuckDB)


@contextlib.contextmanager
def binding_without_pandas() -> Iterator[None]:
    """DuckDB statements of this thread bind their parameters without importing pandas, unless it is
    imported already (Store.guard does this for every statement of a Store; papers push for its lake
    connection)."""
    hidden = _NoPandasForDuckDB.hide()
    try:
        yield
    finally:
        _NoPandasForDuckDB.state.on = hidden


@dataclass
class Store:
    path: Path
    con: duckdb.DuckDBPyConnection

    def sql(self, text: str, params: list | dict | None = None) -> duckdb.DuckDBPyConnection:
        with self.guard():
            return self.con.execute(text, used_params(text, params) or [])

    def run_query(self, name: str, params: dict | None = None) -> None:
        """Run every statement of a named query file, each with the named parameters it uses."""
        for statement in split_statements(query(name)):
            with self.guard():
                self.con.execute(statement, used_params(statement, params or {}))

    def frame(self, text: str, params: list | dict | None = None):
        """A query's result as a polars DataFrame."""
        with self.guard():
            return self.con.sql(text, params=used_params(text, params) or None).pl()

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """A damaged file (cut short, bits flipped) surfaces only when its blocks are read: say so
        once, as a StoreError naming the store, instead of a DuckDB traceback. And DuckDB does not
        import pandas to bind the statement's parameters (_NoPandasForDuckDB)."""
        try:
            with binding_without_pandas():
                yield
        except duckdb.Error as e:
            problem = damaged(e, self.path)
            if problem is None:
                raise
            raise problem from e

    def scalar(self, text: str, params: list | dict | None = None) -> Any:
        rows = self.sql(text, params).fetchall()
        return rows[0][0] if rows else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing: everything inside commits together or is rolled back."""
        self.con.begin()
        try:
            yield self
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a damaged file may refuse even this; the error says why
                self.con.rollback()
            raise
        else:
            with self.guard():
                self.con.commit()

    def schema_version(self) -> int:
        return self.scalar("select coalesce(max(version), 0) from schema_version")

    def register_instrument(self, instrument: Instrument) -> None:
        self.sql(
            "insert into instruments (sha256, instrument_id, version, spec) values (?, ?, ?, ?) "
            "on conflict do nothing",
            [instrument.sha256, instrument.id, instrument.version, instrument.canonical],
        )

    def start_run(self, kind: str, *, instrument_sha256: str | None, settings: dict,
                  source_file: str | None = None, source_sha256: str | None = None,
                  load_key: str | None = None) -> int:
        return self.scalar(
            "insert into runs (kind, instrument_sha256, settings, tool_version, source_file,"
            " source_sha256, load_key) values (?, ?, ?, ?, ?, ?, ?) returning run_id",
            [kind, instrument_sha256, json.dumps(settings, sort_keys=True), __version__,
             source_file, source_sha256, load_key],
        )

    def finish_run(self, run_id: int) -> None:
        self.sql("update runs set finished_at = current_timestamp where run_id = ?", [run_id])

    def find_load(self, load_key: str) -> dict | None:
        rows = self.sql(
            "select run_id, kind, source_file, finished_at from runs where load_key = ?", [load_key]
        ).fetchall()
        if not rows:
            return None
        return dict(zip(("run_id", "kind", "source_file", "finished_at"), rows[0]))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _newer_storage(path: Path, error: Exception) -> StoreError:
    """A store written in a storage format newer than this duckdb reads (a duckdb 2.x default)."""
    return StoreError(
        f"{path}: written by a newer DuckDB than the {duckdb.__version__} papers runs on "
        f"({_first_line(error)}); nothing was changed.",
        f"rewrite it in a format both read, with that newer duckdb: ATTACH '{path}' AS old (READ_ONLY); "
        "ATTACH 'converted.duckdb' AS new (STORAGE_VERSION 'v1.5.0'); COPY FROM DATABASE old TO new; "
        "then use converted.duckdb.")


def open_store(path: str | Path | None = None, *, read_only: bool = False, audit: str | None = None,
               create: bool = True) -> Store:
    """Open and migrate the store at `path`; use as `with open_store(path) as store:`. Only a writable
    open with `create` (the commands that load data) makes a new store: every other command needs
    answers already stored, so a mistyped path is refused rather than becoming an empty store.
    A `ducklake:` URL is refused: papers.stores.open_store, above both, opens a lake. `audit` is
    accepted for the same signature and has no effect on a local store."""
    if isinstance(path, str) and path.startswith("ducklake:"):
        raise StoreError("a ducklake: URL names a lake, not a store file.",
                         "read a lake with papers.stores.open_store (the commands that read an audit do); "
                         "answers are written to a local store and copied into a lake by papers push.")
    path = Path(path) if path else DEFAULT_DB
    if (read_only or not create) and not path.exists():
        raise StoreError(
            f"{path}: no store here yet.",
            "load data first (papers ingest ...), or point --db / PAPERS_DB at an existing store.",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a new file is written in a storage version that duckdb 1.5 and every later version read
        con = duckdb.connect(str(path), read_only=read_only, config=STORAGE_CONFIG)
    except duckdb.IOException as e:
        if damaged(e, path) is not None:  # duckdb 1.5 says a checksum failed as an IO error
            raise damaged(e, path) from e
        if "version number" in str(e) and "can only read versions" in str(e):
            raise _newer_storage(path, e) from e
        hint = "another papers command may be using it; wait for it to finish" if "lock" in str(e).lower() else None
        raise StoreError(f"{path}: cannot open the store ({_first_line(e)}).", hint) from e
    except (duckdb.Error, OSError) as e:
        raise damaged(e, path) or StoreError(
            f"{path}: not a papers store, or damaged ({_first_line(e)}).",
            "point --db at a DuckDB file made by papers, or at a new path.",
        ) from e
    store = Store(path, con)
    try:
        configure(store)
        if not read_only:
            migrate(store)
        elif check_version(store) >= 0 and pending(store):
            con.close()  # written by an older papers: upgraded first (a read would miss the new tables)
            upgrade(path)
            return open_store(path, read_only=True, audit=audit, create=create)
    except duckdb.Error as e:
        con.close()
        raise damaged(e, path) or StoreError(
            f"{path}: not a papers store, or damaged ({_first_line(e)}).",
            "point --db at a DuckDB file made by papers, or at a new path.",
        ) from e
    except StoreError:
        con.close()
        raise
    return store


_ERROR_KIND_RE = re.compile(r"^[A-Z][A-Za-z ]* Error: ")  # "IO Error: " before duckdb 2 messages
DAMAGE_SIGNS = ("corrupt database", "could not read enough bytes", "checksum", "not a valid duckdb database file")


def damaged(error: BaseException, path=None) -> StoreError | None:
    """A StoreError if this DuckDB error means the store's file is damaged; None for other errors."""
    text = str(error).lower()
    fatal = isinstance(error, (duckdb.InternalException, duckdb.FatalException))
    if not fatal and not any(sign in text for sign in DAMAGE_SIGNS):
        return None
    where = f"{path}: " if path else ""
    return StoreError(
        f"{where}the store is damaged and cannot be read ({_ERROR_KIND_RE.sub('', _first_line(error))[:200]}).",
        "restore the file from a backup, or point --db at another store; nothing was changed.",
    )


def configure(store: Store) -> None:
    """Session settings: no DuckDB progress bar (papers draws its own), and a memory limit for
    DuckDB's buffers (env PAPERS_MEMORY_LIMIT, default 512MB) so a big load or checkpoint spills
    to disk instead of growing the process."""
    store.sql("set enable_progress_bar = false")
    limit = os.environ.get("PAPERS_MEMORY_LIMIT", "512MB")
    try:
        store.con.execute(f"set memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error as e:
        raise StoreError(f"PAPERS_MEMORY_LIMIT={limit!r} is not a memory size ({_first_line(e)}).",
                         "use a size such as 512MB or 2GB.") from e


def check_version(store: Store) -> int:
    try:
        current = store.schema_version()
    except duckdb.CatalogException as e:
        raise StoreError(f"{store.path}: this DuckDB file is not a papers store (no schema_version table).") from e
    latest = migrations()[-1][0]
    if current > latest:
        raise StoreError(
            f"{store.path}: the store has schema version {current}, newer than this papers "
            f"{__version__} knows ({latest}).",
            "upgrade papers (pip install -U papers-audit) to use this store.",
        )
    return current


def pending(store: Store) -> list[int]:
    """The numbered migrations this store has not seen (a store written by an older papers), by
    number: one numbered below one already applied (merged later from another branch) counts too."""
    done = {r[0] for r in store.sql("select version from schema_version").fetchall()}
    return [number for number, _ in migrations() if number not in done]


def upgrade(path: Path) -> None:
    """Migrate an older store for a command that only reads it: opened for writing just long enough."""
    try:
        con = duckdb.connect(str(path), read_only=False, config=STORAGE_CONFIG)
    except duckdb.Error as e:
        raise StoreError(f"{path}: the store was written by an older papers and must be upgraded before it is read, "
                         f"but it cannot be opened for writing ({_first_line(e)}).",
                         "wait for the papers command using it to finish, or make the file writable, and run "
                         "this again.") from e
    store = Store(path, con)
    try:
        configure(store)
        migrate(store)
    finally:
        con.close()


def migrate(store: Store) -> list[int]:
    """Apply every numbered migration the store has not seen, each in its own transaction."""
    store.sql(
        "create table if not exists schema_version ("
        " version integer primary key, applied_at timestamptz not null default current_timestamp)"
    )
    check_version(store)
    # applied by number, not by the highest: a migration numbered below one already applied (merged
    # later from another branch) is still applied
    todo = set(pending(store))
    applied = []
    for number, path in migrations():
        if number not in todo:
            continue
        with store.transaction():
            try:
                store.con.execute(path.read_text(encoding="utf-8"))
            except duckdb.Error as e:
                raise StoreError(f"{path.name}: migration failed ({_first_line(e)}).") from e
            store.sql("insert into schema_version (version) values (?)", [number])
        applied.append(number)
    if applied:
        # the new schema goes into the file itself: DuckDB cannot replay a WAL holding 009's
        # statements, so a process killed before its first checkpoint would leave a store that
        # no longer opens (INTERNAL Error: Failure while replaying WAL file)
        store.sql("checkpoint")
    return applied


def used_params(text: str, params: list | dict | None):
    """Named parameters that the statement uses (DuckDB refuses extra ones); a list passes as it is,
    so one parameter dict can serve every query of a command."""
    if not isinstance(params, dict):
        return params
    return {k: v for k, v in params.items() if f"${k}" in text}


def split_statements(text: str) -> list[str]:
    """Statements of a query file, split at semicolons that end a line (comments dropped)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    parts = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return [p.strip() for p in parts if p.strip()]


def table_counts(store: Store) -> dict[str, int]:
    return {t: store.scalar(f'select count(*) from "{t}"') for t in PUBLIC_TABLES}


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


# ----------------------------------------------------------------------------- instruments by reference


def resolve_instrument(ref: str | None, store: Store) -> Instrument:
    """An instrument given on the command line: a YAML path, a bundled name, or `id`, `id@version` or a
    SHA-256 (prefix) of one in the store. Only the command line may name a file to open."""
    if ref is None:
        return load_instrument()
    ref = str(ref).strip()
    if Path(ref).is_file():
        return load_instrument(Path(ref))
    return named_instrument(ref, store)


def list_instruments(db_path=None) -> list[dict]:
    """The bundled instruments and, when a store exists at db_path, the other instruments in it."""
    rows = [{"name": name, "id": inst.id, "version": inst.version, "sha256": inst.sha256, "where": "bundled"}
            for name, inst in ((n, load_instrument(n)) for n in bundled_instruments())]
    if db_path and Path(db_path).exists():
        with open_store(db_path, read_only=True) as store:
            stored = store.sql("select instrument_id, version, sha256 from instruments order by loaded_at").fetchall()
        known = {r["sha256"] for r in rows}
        rows += [{"name": f"{ident}@{version}", "id": ident, "version": version, "sha256": sha, "where": "store"}
                 for ident, version, sha in stored if sha not in known]
    return rows


def instrument_in_use(store: Store, ref: str | None, *, tasks: tuple[str, ...] = (), what: str = "analyze") -> Instrument:
    """The instrument a command is about: the one named on the command line, or else the only
    instrument the store holds model answers to (of these tasks); answers to two instruments are
    never pooled, so with several one must be named."""
    if ref is not None:
        return resolve_instrument(ref, store)
    rows = store.sql(query("store/answered_instruments"), {"tasks": list(tasks)}).fetchall()
    if not rows:
        raise InputError(f"the store holds no model answers to {what}.",
                         "collect some (papers collect) or load them (papers ingest responses) first.")
    if len(rows) > 1:
        names = "; ".join(f"{ident}@{version} ({sha[:12]}, {n} answers)" for sha, ident, version, _, n in rows)
        raise InputError(f"the store holds answers to {len(rows)} instruments, which are never pooled: {names}.",
                         "name one with --instrument id@version or its SHA-256.")
    return parse_instrument(rows[0][3], source=f"store:{rows[0][0][:12]}")


def named_instrument(ref: str, store: Store) -> Instrument:
    """An instrument named by a value inside a data file: a bundled name or one in the store, never a
    file, so that a data file cannot make papers read other files."""
    ref = str(ref).strip()
    if looks_like_path(ref):
        raise InstrumentError(
            f"'{excerpt(ref)}' names a file; a data file can name an instrument but not open one.",
            "pass the instrument file on the command line (--instrument PATH), or name one already in the "
            "store by id@version or SHA-256 (papers db info lists them).",
        )
    if not NAME_RE.fullmatch(ref):
        raise InstrumentError(f"'{excerpt(ref)}' is not an instrument name.",
                              _NAME_HINT.format(bundled=", ".join(bundled_instruments())))
    if ref in bundled_instruments():
        return load_instrument(ref)
    return _stored_instrument(ref, store)


NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}(@[0-9A-Za-z.+-]{1,64})?")
_NAME_HINT = ("name a bundled instrument ({bundled}), or one in the store by id, id@version or SHA-256 "
              "(papers db info lists them).")


def looks_like_path(ref: str) -> bool:
    return ("/" in ref or "\\" in ref or ref.startswith((".", "~"))
            or ref.lower().endswith((".yaml", ".yml", ".json")))


def _stored_instrument(ref: str, store: Store) -> Instrument:
    ident, _, version = ref.partition("@")
    rows = store.sql(
        "select spec, sha256 from instruments where sha256 like ? || '%' or "
        "(instrument_id = ? and (? = '' or version = ?)) order by loaded_at desc",
        [ref.lower() if len(ref) >= 8 else "\x00", ident, version, version],
    ).fetchall()
    if len({sha for _, sha in rows}) == 1:
        return parse_instrument(rows[0][0], source=f"store:{rows[0][1][:12]}")
    if len(rows) > 1:
        raise InstrumentError(
            f"instrument '{excerpt(ref)}' matches {len(rows)} instruments in the store.",
            "name it by id@version or by its SHA-256 (papers db info lists them).",
        )
    raise InstrumentError(
        f"instrument '{excerpt(ref)}': not a file, a bundled instrument or an instrument in the store.",
        _NAME_HINT.format(bundled=", ".join(bundled_instruments())),
    )
