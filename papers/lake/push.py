"""`papers push`: copy a local store's raw rows into a shared lake, each row exactly once.

DuckLake has no keys, and two machines inserting the same row at the same moment would both succeed.
So every write names its guard: a one-row table in the lake's `papers_guards` schema, one per model
(its responses, answers, errors and codes), one per human sample (participants, their answers and
items) and one for runs, instruments and rejects. A write transaction updates its guard row, reads
which rows the lake already holds, and inserts the rest; two transactions under the same guard
conflict at commit, and the loser rolls back, waits (exponential backoff with jitter) and runs again,
now seeing the winner's rows. Different models and samples use different guard tables and proceed
in parallel.

Rows go in batches (at most `BATCH` responses or participants, by ranges of their ids), each batch
all or nothing, so a push killed at any point leaves whole batches, and running it again adds only
what is missing. Small batches of different models or samples share a transaction (each still
updates its own guard) while their rows add up to at most `GROUP` batches; where such batches are
whole models with the same statements, one statement per table writes them all (DuckLake writes a
Parquet file per statement).

Run ids are local counters, so the lake gives each run its own id (the next free one, under the runs
guard) and maps every row's run_id; a run is the same run in every store that holds it (copies of a
store) when its kind, start time, instrument, settings, tool version, source and load key agree. A
response or code the lake holds as an error, and the store holds as retried since, replaces the
lake's one.

Each read of a lake table costs catalog look-ups (about 10 ms on PostgreSQL, even inside one
transaction), so a push reads what it must and no more: the lake's tables are listed from its
catalog database, a table the catalog says never held a row (DuckLake's count of the row ids it has
given out, which nothing lowers) is taken as empty unread, and the lake's runs are read once.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from papers.errors import StoreError
from papers.lake.engine import attach, connect, current_snapshot, first_line, redact_url
from papers.lake.schema import GUARD_SCHEMA, check_lake_version, create_schema
from papers.store import binding_without_pandas, check_version, listed, open_store, unnest_listed

BATCH = 50_000  # responses or participants per batch: fewer, larger Parquet files
GROUP = 2  # batches' worth of rows a transaction may hold, when they are small batches of different guards
MODEL_ONE = "model = $model"  # how a batch's statements pick its model's rows ...
MODEL_SET = f"model in (select {unnest_listed(param='$models')})"  # ... and a merged group's
ATTEMPTS = 40
BACKOFF_S = 0.05
BACKOFF_CAP_S = 2.0
TABLES = ("instruments", "runs", "rejects", "llm_responses", "llm_answers", "llm_errors", "codes", "participants",
          "human_answers", "human_items")
RUN_KEY = ("md5(concat_ws(chr(31), {t}.kind, epoch_us({t}.started_at)::varchar, coalesce({t}.instrument_sha256, ''), "
           "coalesce({t}.settings::varchar, ''), {t}.tool_version, coalesce({t}.source_file, ''), "
           "coalesce({t}.source_sha256, ''), coalesce({t}.load_key, '')))")


@dataclass
class PushReport:
    lake: str
    inserted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    batches: int = 0
    retries: int = 0
    snapshot: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"lake": self.lake, "inserted": self.inserted, "batches": self.batches, "retries": self.retries,
                "snapshot": self.snapshot, "seconds": round(self.seconds, 3)}


def push(store_path: str | Path, url: str, *, data_path: str | None = None, batch: int = BATCH,
         progress=None) -> PushReport:
    """Copy the store's raw rows that the lake lacks into it; see the module docstring. `progress(done,
    total)` is told of each batch done (written, or found in the lake already), out of how many."""
    with binding_without_pandas():  # DuckDB would import pandas (half a second) to bind any parameter
        return _push(store_path, url, data_path, batch, progress)


def _push(store_path: str | Path, url: str, data_path: str | None, batch: int, progress) -> PushReport:
    started = time.perf_counter()
    store_path = Path(store_path)
    if not store_path.is_file():
        raise StoreError(f"{store_path}: no store here.", "point --db / PAPERS_DB at the store to push.")
    with open_store(store_path):  # brings an older store's schema up to date before it is read
        pass
    report = PushReport(redact_url(url))
    con = connect()
    try:
        con.execute(f"attach '{str(store_path.resolve()).replace(chr(39), chr(39) * 2)}' as local (read_only)")
        check_version(_LocalView(store_path, con))
        attach(con, url, data_path=data_path)
        pusher = _Pusher(con, report, batch, progress)
        if not pusher.has_schema():  # read once with the guards (each read of the lake's catalog costs)
            pusher.run(lambda: create_schema(con), "the papers tables")
        else:
            check_lake_version(con)
        models = [r[0] for r in con.execute("select distinct model from local.llm_responses order by model").fetchall()]
        samples = [r[0] for r in con.execute("select distinct sample from local.participants order by sample").fetchall()]
        pusher.push_runs(pusher.missing_guards(["runs", *(f"model:{m}" for m in models),
                                                *(f"sample:{s}" for s in samples)]))
        # each pusher takes the batches in its own random order, so that pushers of overlapping stores
        # mostly work under different guards, and find the batches the others wrote already there
        batches = pusher.model_batches(models) + pusher.sample_batches(samples)
        random.shuffle(batches)
        done = 0
        for group in grouped(batches, batch):
            pusher.push_group(group)
            done += len(group)
            if progress:
                progress(done, len(batches))
        report.snapshot = current_snapshot(con)
    except duckdb.Error as e:
        raise StoreError(f"{report.lake}: the push stopped ({redact_url(first_line(e))}).",
                         "run the same push again: it adds only what the lake is missing.") from e
    finally:
        con.close()
    report.seconds = time.perf_counter() - started
    return report


class _LocalView:
    """Enough of a Store for check_version on the attached local store."""

    def __init__(self, path, con):
        self.path, self.con = path, con

    def scalar(self, text, params=None):
        return self.con.execute(text.replace("from schema_version", "from local.schema_version")).fetchone()[0]

    def schema_version(self):
        return self.scalar("select coalesce(max(version), 0) from schema_version")


def grouped(batches: list, batch: int) -> list[list]:
    """Batches in transactions: consecutive ones smaller than `batch`, of different guards, together
    while their rows add up to at most GROUP batches (a store of many models with a few hundred
    responses each commits a few times, not once per model: a commit to the lake costs tens of
    milliseconds); a full batch alone, so a transaction never holds more than one full batch's worth
    of memory and work to redo beyond the small ones."""
    groups: list[list] = []
    rows = 0
    for b in batches:
        small = b[3] < batch and all(other[3] < batch for other in groups[-1]) if groups else False
        if small and rows + b[3] <= GROUP * batch and all(other[1] != b[1] for other in groups[-1]):
            groups[-1].append(b)
            rows += b[3]
        else:
            groups.append([b])
            rows = b[3]
    return groups


def merged(writes: list[tuple[str, list, dict]]) -> list[tuple[list[str], list, dict]]:
    """(guards, statements, parameters) of a transaction's writes, each (guard, statements, params):
    the writes of whole models (no id range) with the same statements become one write of all those
    models under all their guards; any other stays as it is."""
    out: list[tuple[list[str], list, dict]] = []
    alike: dict[tuple, list] = {}
    for guard, statements, params in writes:
        whole = set(params) == {"model", "after", "upto"} and params["after"] is None and params["upto"] is None
        if whole and all(MODEL_ONE in write for _, _, write in statements):
            alike.setdefault(tuple(statements), []).append((guard, params))
        else:
            out.append(([guard], statements, params))
    for statements, members in alike.items():
        if len(members) == 1:
            guard, params = members[0]
            out.append(([guard], list(statements), params))
        else:
            out.append(([g for g, _ in members], [(table, check, write.replace(MODEL_ONE, MODEL_SET))
                                                   for table, check, write in statements],
                        {"models": listed(p["model"] for _, p in members), "after": None, "upto": None}))
    return out


def guard_table(key: str) -> str:
    """The one-row table that serialises the writes under `key` (runs, model:NAME, sample:NAME)."""
    return f'lake.{GUARD_SCHEMA}."g_{hashlib.sha256(key.encode()).hexdigest()[:24]}"'


def is_conflict(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return isinstance(error, duckdb.TransactionException) or "conflict" in text or "failed to commit" in text


class _Pusher:
    def __init__(self, con, report: PushReport, batch: int, progress):
        self.con, self.report, self.batch, self.progress = con, report, batch, progress
        self.rng = random.Random()
        self.pending = dict.fromkeys(TABLES, 0)

    def run(self, work, what: str):
        """Run `work` in one lake transaction, again after a conflict (bounded, with backoff)."""
        for attempt in range(1, ATTEMPTS + 1):
            self.pending = dict.fromkeys(TABLES, 0)
            self.con.begin()
            try:
                result = work()
                self.con.commit()
                for table, n in self.pending.items():  # counted once the rows are in
                    self.report.inserted[table] += n
                return result
            except duckdb.Error as e:
                try:
                    self.con.rollback()
                except duckdb.Error:
                    pass
                if not is_conflict(e) or attempt == ATTEMPTS:
                    if is_conflict(e):
                        raise StoreError(f"{self.report.lake}: {what}: still conflicting with other pushers after "
                                         f"{ATTEMPTS} attempts.", "run the push again later.") from e
                    raise
                self.report.retries += 1
                time.sleep(self.rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_S * 2 ** attempt)))

    def lake_tables(self) -> set[tuple[str, str]]:
        """(schema, table) of every table in the lake, read once before the guards are made: from the
        lake's catalog database itself (a millisecond; DuckDB's own listing loads every table's entry,
        a tenth of a second), or from that listing where the catalog's tables are not as expected."""
        try:
            rows = self.con.execute(
                "select s.schema_name, t.table_name from __ducklake_metadata_lake.ducklake_table as t "
                "inner join __ducklake_metadata_lake.ducklake_schema as s on s.schema_id = t.schema_id "
                "where t.end_snapshot is null and s.end_snapshot is null").fetchall()
        except duckdb.Error:
            rows = self.con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'lake'").fetchall()
        return {tuple(r) for r in rows}

    def held_rows(self) -> set[str]:
        """The lake's tables (main schema) that have ever held a row, by the catalog's own count of the
        row ids given (DuckLake never lowers it): a table outside this set is empty, and costs no reading
        (a read of a lake table costs ~10 ms of catalog look-ups). Every table where the catalog's tables
        are not as expected."""
        try:
            return {r[0] for r in self.con.execute(
                "select t.table_name from __ducklake_metadata_lake.ducklake_table_stats as stats "
                "inner join __ducklake_metadata_lake.ducklake_table as t on t.table_id = stats.table_id "
                "inner join __ducklake_metadata_lake.ducklake_schema as s on s.schema_id = t.schema_id "
                "where t.end_snapshot is null and s.end_snapshot is null and s.schema_name = 'main' "
                "and stats.next_row_id > 0").fetchall()}
        except duckdb.Error:
            return set(TABLES)

    def has_schema(self) -> bool:
        self.tables = self.lake_tables()
        return ("main", "schema_version") in self.tables

    def missing_guards(self, keys: list[str]) -> list[str]:
        """The keys whose guard tables the lake lacks, by the tables listed before (has_schema)."""
        existing = {name for schema, name in (getattr(self, "tables", None) or self.lake_tables())
                    if schema == GUARD_SCHEMA}
        return [key for key in keys if guard_table(key).rsplit(".", 1)[1].strip('"') not in existing]

    def create_guards(self, keys: list[str]) -> None:
        """Create these guard tables (one row each), inside the caller's transaction. The lake is not
        listed again (a tenth of a second): a guard another pusher has made since is left as it is (`if
        not exists`), and one it makes at the same moment conflicts at commit, and the retry finds it."""
        for key in keys:
            self.con.execute(f"create table if not exists {guard_table(key)} as "
                             "select ?::varchar as guard, 0::bigint as writes", [key])

    def _count(self, table: str, sql: str, params=None) -> None:
        rows = self.con.execute(sql, params or []).fetchone()
        self.pending[table] += rows[0] if rows else 0

    # -------------------------------------------------------------------------------------- runs

    def push_runs(self, missing_guards: list[str]) -> None:
        """Instruments, runs and rejects the lake lacks, under the runs guard, with the guards the lake
        lacks made in the same transaction; then the map of each local run to its id in the lake, kept
        for the rest of the push (runs are never renumbered). The lake's runs are read once, before: a
        push whose runs, instruments and rejects the lake holds already writes nothing under the runs
        guard, so pushers of the same runs do not conflict there. What that read finds missing may have
        been written by another pusher since; the transaction's statements insert only what its own
        snapshot lacks."""
        guard = guard_table("runs")
        local_key, lake_key = RUN_KEY.format(t="r"), RUN_KEY.format(t="l")
        self.held = self.held_rows()

        def lake(table: str) -> str:  # a table that never held a row is read as empty, at no cost
            return f"lake.{table}" if table in self.held else f"(select * from local.{table} limit 0)"

        self.con.execute(f"create or replace temp table lake_runs as select l.run_id, {lake_key} as key, "
                         f"l.finished_at is not null as finished from {lake('runs')} as l")
        self.con.execute(f"create or replace temp table local_runs as "
                         f"select r.run_id, {local_key} as key, r.finished_at is not null as finished from local.runs as r")
        read_map = """(select r.run_id as local_run_id, min(l.run_id) as lake_run_id
            from local_runs as r inner join lake_runs as l using (key) group by r.run_id)"""
        runs, instruments, rejects = self.con.execute(f"""select
            (select count(*) from local_runs as r where not exists (
                select 1 from lake_runs as l where l.key = r.key and (l.finished or not r.finished))),
            (select count(*) from local.instruments as i
             where not exists (select 1 from {lake('instruments')} as l where l.sha256 = i.sha256)),
            (select count(*) from local.rejects)""").fetchone()
        if rejects and "rejects" in self.held:  # the lake's rejects are read only where both hold some
            rejects = self.con.execute(f"""select count(*) from local.rejects as rejects
                left join {read_map} as run_map on run_map.local_run_id = rejects.run_id
                where not exists (select 1 from lake.rejects as l
                                  where l.run_id = run_map.lake_run_id and l.row_number = rejects.row_number)"""
                                       ).fetchone()[0]
        run_map = f"""(select r.run_id as local_run_id, min(l.run_id) as lake_run_id
            from local.runs as r inner join lake.runs as l on {lake_key} = {local_key} group by r.run_id)"""

        writes = bool(runs or instruments or rejects)

        def work():
            self.create_guards(missing_guards)
            if not writes:
                return
            self.con.execute(f"update {guard} set writes = writes + 1")
            if instruments:  # the lake only gains instruments: none missing before is none missing now
                self._count("instruments", "insert into lake.instruments by name select * from local.instruments as i "
                            "where not exists (select 1 from lake.instruments as l where l.sha256 = i.sha256)")
            if runs:
                self._count("runs", f"""
                    insert into lake.runs by name
                    with new as (
                        select r.* from local.runs as r
                        where not exists (select 1 from lake.runs as l where {lake_key} = {local_key})
                    )
                    select * replace (
                        (select coalesce(max(run_id), 0) from lake.runs)
                        + row_number() over (order by started_at, run_id) as run_id)
                    from new""")
                self.con.execute(f"""
                    update lake.runs as l set finished_at = r.finished_at
                    from local.runs as r
                    where l.finished_at is null and r.finished_at is not null and {lake_key} = {local_key}""")
            if rejects:
                self._count("rejects", f"""
                    insert into lake.rejects by name
                    select rejects.* replace (run_map.lake_run_id as run_id)
                    from local.rejects as rejects
                    inner join {run_map} as run_map on run_map.local_run_id = rejects.run_id
                    where not exists (select 1 from lake.rejects as l
                                      where l.run_id = run_map.lake_run_id and l.row_number = rejects.row_number)""")
            # the map as this transaction wrote it (a temp table: DuckDB lets a transaction write there too)
            self.con.execute(f"create or replace temp table run_map as select * from {run_map}")

        if missing_guards or writes:  # else nothing to write: no transaction, no conflict
            self.run(work, "runs" if writes else "the guards")
        if writes:
            self.report.batches += 1
        else:  # the lake holds every run: the map as read
            self.con.execute(f"create or replace temp table run_map as select * from {read_map}")

    # ------------------------------------------------------------------------------ by model

    def _ranges(self, sql: str) -> dict[str, list[tuple[str | None, str | None, int]]]:
        """Per key, (after, upto] id ranges of at most `batch` ids, with how many ids each holds: the
        (key, id) rows of `sql` cut, per key, the last range open-ended (ids added since are in it) but
        never empty: no cut after a key's last id. One pass for every key (a model's or sample's own
        query costs milliseconds, which a store of a hundred models would pay a hundred times)."""
        totals = self.con.execute(f"select key, count(*) from ({sql}) group by key").fetchall()
        cuts: dict[str, list] = {}
        if any(total > self.batch for _, total in totals):  # else no key is cut: no ids to sort
            for key, cut in self.con.execute(
                    f"select key, id from (select key, id, row_number() over (partition by key order by id) as n, "
                    f"count(*) over (partition by key) as total from ({sql})) "
                    f"where n % {int(self.batch)} = 0 and n < total order by key, id").fetchall():
                cuts.setdefault(key, []).append(cut)
        ranges = {}
        for key, total in totals:
            bounds = [None, *cuts.get(key, ())]
            ranges[key] = [(bounds[i], bounds[i + 1] if i + 1 < len(bounds) else None,
                            self.batch if i + 1 < len(bounds) else total - self.batch * (len(bounds) - 1))
                           for i in range(len(bounds))]
        return ranges

    def model_batches(self, models: list[str]) -> list:
        """(what, guard, (statements, parameters), responses) of each batch of these models' responses."""
        ranges = self._ranges("select model as key, response_id as id from local.llm_responses")
        with_rows = {name: {r[0] for r in self.con.execute(
            f"select distinct responses.model from local.{table} inner join local.llm_responses as responses "
            "using (response_id)").fetchall()} for name, table in (("errors", "llm_errors"), ("codes", "codes"))}
        batches = []
        for model in models:
            guard = guard_table(f"model:{model}")
            absent = self._absent(model, {name for name, holding in with_rows.items() if model not in holding})
            batches += [(f"model {model}", guard, self._model_steps(model, after, upto, absent), n)
                        for after, upto, n in ranges.get(model, ())]
        return batches

    def _absent(self, model: str, empty: set[str]) -> set[str]:
        """The steps of a model's batches that can have nothing to do, for all its batches: `empty`
        (errors, codes: this store holds none of the model's), retried codes where the store holds
        no codes of the model or the lake no code that is an error, and any check of the lake's responses
        where it held none of the model's, or none that is an error (an error another pusher adds
        meanwhile is replaced by the next push, as any retried since; a batch another pusher writes
        meanwhile is found by the write itself, which inserts only what the lake lacks)."""
        absent = set(empty)
        in_lake = self._in_lake()
        if model not in in_lake:
            absent |= {"retried", "check responses"}
        elif not in_lake[model]:
            absent.add("retried")
        if "codes" in absent or not self._lake_error_codes():  # the lake's codes are read only where needed
            absent.add("retried codes")
        return absent

    def _in_lake(self) -> dict[str, bool]:
        """Each model the lake holds responses of, and whether any of them is an error (one query)."""
        if not hasattr(self, "_lake_models"):
            self._lake_models = {} if "llm_responses" not in self.held else dict(self.con.execute(
                "select model, bool_or(status = 'error') from lake.llm_responses group by model").fetchall())
        return self._lake_models

    def _lake_error_codes(self) -> bool:
        if not hasattr(self, "_error_codes"):
            self._error_codes = "codes" in self.held and self.con.execute(
                "select exists (select 1 from lake.codes where status = 'error')").fetchone()[0]
        return self._error_codes

    def push_group(self, group: list) -> None:
        """Batches (see grouped) in one transaction: each skipped when the lake already holds all of it
        (read outside any transaction, so a batch another pusher has written costs no write and no
        conflict), else written under its guard, each statement only where its check found rows to
        change or a statement it follows runs (an insert follows the delete of the errors it replaces;
        answers follow their responses, which mark them as pushed, and are not read twice). The lake
        only gains rows, but for an error replaced by its retry, which the same transaction inserts: a
        check that found nothing stays true until the write."""
        writes = []
        for what, guard, (statements, params), _ in group:
            needed = [self._found(check, params, table) for table, check, _, _ in statements]
            for _ in statements:  # until every statement a needed one follows is needed too
                needed = [need or any(needed[j] for j in follows) for need, (_, _, _, follows) in zip(needed, statements)]
            if any(needed):
                writes.append((what, guard, [step[:3] for step, need in zip(statements, needed) if need], params))
        if not writes:
            return

        def work():
            for guards, chosen, params in merged([w[1:] for w in writes]):
                self._write(guards, chosen, params)

        self.run(work, ", ".join(w[0] for w in writes))
        self.report.batches += len(writes)

    def _found(self, check: str | None, params: dict, table: str | None) -> bool:
        """Does the check find rows to change? No check: a responses step needs no reading (see
        _absent), any other follows the step its steps say."""
        if check is None:
            return table == "llm_responses"
        return self.con.execute(f"select count(*) from ({check})", params).fetchone()[0] > 0

    def _write(self, guards: list[str], statements: list, params: dict) -> None:
        for guard in guards:
            self.con.execute(f"update {guard} set writes = writes + 1")
        for table, _, write in statements:
            if table is None:
                self.con.execute(write, params)
            else:
                self._count(table, write, params)

    def _model_steps(self, model: str, after, upto, absent: set[str] = frozenset()) -> tuple[list, dict]:
        """The statements of one batch of a model's responses, in order, each as (table counted or None,
        a query selecting what it would change, the statement, the steps it follows), without those
        `absent` names (see _absent)."""
        in_range = "model = $model and ($after is null or response_id > $after) and ($upto is null or response_id <= $upto)"
        params = {"model": model, "after": after, "upto": upto}
        local = f"(select * from local.llm_responses where {in_range})"
        lake = f"(select response_id from lake.llm_responses where {in_range})"
        # an error in the lake that this store has retried since is replaced (deleted, then inserted below)
        retried = f"""from lake.llm_responses
            where {in_range} and status = 'error'
              and response_id in (select response_id from {local} where status <> 'error')"""
        answers = f"""select answers.* from local.llm_answers as answers
            inner join {local} as responses using (response_id)
            where not exists (select 1 from {lake} as l where l.response_id = responses.response_id)"""
        errors = f"""select errors.* replace (run_map.lake_run_id as run_id) from local.llm_errors as errors
            inner join {local} as responses using (response_id)
            inner join run_map on run_map.local_run_id = errors.run_id
            where not exists (select 1 from lake.llm_errors as l where l.response_id = errors.response_id
                              and l.run_id = run_map.lake_run_id and l.attempt = errors.attempt)"""
        responses = f"""select responses.* replace (run_map.lake_run_id as run_id) from {local} as responses
            inner join run_map on run_map.local_run_id = responses.run_id
            where not exists (select 1 from {lake} as l where l.response_id = responses.response_id)"""
        retried_codes = f"""from lake.codes as target
            where target.status = 'error' and exists (
                select 1 from local.codes as retried inner join {local} as responses using (response_id)
                where retried.response_id = target.response_id and retried.coder = target.coder
                  and retried.dimension = target.dimension and coalesce(retried.status, 'valid') <> 'error')"""
        codes = f"""select codes.* replace (run_map.lake_run_id as run_id) from local.codes as codes
            inner join {local} as responses using (response_id)
            left join run_map on run_map.local_run_id = codes.run_id
            where not exists (select 1 from lake.codes as l where l.response_id = codes.response_id
                              and l.coder = codes.coder and l.dimension = codes.dimension)"""
        steps = {  # name: (table counted, check, statement, the steps it follows)
            "retried": (None, f"select 1 {retried}", f"delete {retried}", ()),
            "errors": ("llm_errors", errors, f"insert into lake.llm_errors by name {errors}", ()),
            "answers": ("llm_answers", None, f"insert into lake.llm_answers by name {answers}", ("responses",)),
            "responses": ("llm_responses", responses, f"insert into lake.llm_responses by name {responses}",
                          ("retried",)),
            "retried codes": (None, f"select 1 {retried_codes}", f"delete {retried_codes}", ()),
            "codes": ("codes", codes, f"insert into lake.codes by name {codes}", ("retried codes",)),
        }
        if "check responses" in absent:  # every response of the batch is new to the lake: no need to count them
            steps["responses"] = ("llm_responses", None, steps["responses"][2], ())
        kept = [name for name in steps if name not in absent]
        return [(*steps[name][:3], tuple(kept.index(f) for f in steps[name][3] if f in kept)) for name in kept], params

    # ----------------------------------------------------------------------------- by sample

    def sample_batches(self, samples: list[str]) -> list:
        """(what, guard, (statements, parameters), participants) of each batch of these samples."""
        ranges = self._ranges("select sample as key, participant_id as id from local.participants")
        return [(f"sample {sample}", guard_table(f"sample:{sample}"), self._sample_steps(sample, after, upto), n)
                for sample in samples for after, upto, n in ranges.get(sample, ())]

    def _sample_steps(self, sample: str, after, upto) -> tuple[list, dict]:
        in_range = ("sample = $sample and ($after is null or participant_id > $after) "
                    "and ($upto is null or participant_id <= $upto)")
        params = {"sample": sample, "after": after, "upto": upto}
        new = f"""(select p.participant_id, p.copy from local.participants as p where {in_range}
                   and not exists (select 1 from lake.participants as l where l.sample = p.sample
                                   and l.participant_id = p.participant_id and l.copy = p.copy))"""
        steps = []
        for table in ("human_answers", "human_items"):  # before their participants, which mark them as pushed
            rows = f"""select rows.* from local.{table} as rows
                inner join {new} as new using (participant_id, copy)
                where rows.sample = $sample"""
            steps.append((table, rows, f"insert into lake.{table} by name {rows}", ()))
        participants = f"""select participants.* replace (run_map.lake_run_id as run_id)
            from local.participants as participants
            inner join {new} as new using (participant_id, copy)
            inner join run_map on run_map.local_run_id = participants.run_id
            where participants.sample = $sample"""
        steps.append(("participants", participants, f"insert into lake.participants by name {participants}", ()))
        return steps, params
