"""Benchmark: push 100,000 model responses (and their answers) into a lake with `papers push`.

    python bench/push.py [--responses 100000] [--repeat 3]

Starts a private PostgreSQL cluster (papers.lake.cluster) as the lake's catalog, with the Parquet
files in a temporary folder, and prints responses pushed per second:

- 1 pusher: one store of N responses into a lake with the papers tables and no rows, beside the
  baseline measured in the same run: the same rows copied with plain SQL (`insert into lake.t
  select * from local.t`: the responses, answers and errors, one transaction, no guard, no check)
  into another such lake of the same catalog, from connecting to the commit, and the ratio (issue 26:
  at least 0.5x); best of --repeat runs of each, alternated;
- 3 pushers: three stores of N/3 responses each (one model each, so three guards), at once, into
  another empty lake (rows/s over the wall time of the slowest);
- 3 overlapping: three copies of the N-response store at once into a third lake (each row is
  written once; the others find it there).

Each push and each baseline copy runs in its own process; its time excludes the interpreter's start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from papers.lake.cluster import private_cluster

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"

CHILD = """
import json, sys
from papers.lake.push import push
report = push(sys.argv[1], sys.argv[2], data_path=sys.argv[3])
print(json.dumps(report.as_dict()))
"""

SCHEMA = """
import sys
from papers.lake.engine import attach, connect
from papers.lake.schema import create_schema
con = connect()
attach(con, sys.argv[1], data_path=sys.argv[2])
con.begin(); create_schema(con); con.commit()
"""

COPY = """
import json, sys, time
from papers.lake.engine import attach, connect
started = time.perf_counter()
con = connect()
con.execute("attach '" + sys.argv[1].replace("'", "''") + "' as local (read_only)")
attach(con, sys.argv[2], data_path=sys.argv[3])
con.begin()
for table in ("llm_responses", "llm_answers", "llm_errors"):
    con.execute(f"insert into lake.{table} by name select * from local.{table}")
con.commit()
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def make_store(path: Path, responses: int) -> None:
    """The example responses repeated under later trial numbers, loaded with `papers ingest responses`."""
    rows = [json.loads(line) for line in (EXAMPLES / "model_responses.jsonl").read_text().splitlines() if line.strip()]
    jsonl = path.with_suffix(".jsonl")
    with jsonl.open("w") as out:
        for k in range(-(-responses // len(rows))):
            for r in rows:
                out.write(json.dumps({**r, "trial": r["trial"] + 1000 * k}) + "\n")
    with jsonl.open() as f:
        lines = f.readlines()[:responses]
    jsonl.write_text("".join(lines))
    subprocess.run([str(Path(sys.executable).parent / "papers"), "ingest", "responses", str(jsonl), "--db", str(path)],
                   check=True, capture_output=True)


def split_by_model(store: Path, folder: Path) -> list[Path]:
    con = duckdb.connect(str(store), read_only=True)
    models = [r[0] for r in con.execute("select distinct model from llm_responses order by model").fetchall()]
    con.close()
    parts = []
    for i, model in enumerate(models):
        part = folder / f"part{i}.duckdb"
        shutil.copy(store, part)
        con = duckdb.connect(str(part))
        con.execute("delete from llm_answers where response_id in (select response_id from llm_responses where model <> ?)",
                    [model])
        con.execute("delete from llm_responses where model <> ?", [model])
        con.close()
        parts.append(part)
    return parts


def pushes(stores: list[Path], url: str, data: Path) -> tuple[float, list[dict]]:
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(s), url, str(data)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for s in stores]
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=3600)
        if p.returncode != 0:
            sys.exit(f"push failed: {err.strip()}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return max(r["seconds"] for r in reports), reports


def new_lake(cluster, name: str, data: Path) -> str:
    """The URL of a new lake with the papers tables (as a lake in use has them: neither the copy nor
    the push is timed creating them)."""
    url = f"ducklake:postgres:{cluster.create_database(name)}"
    subprocess.run([sys.executable, "-c", SCHEMA, url, str(data)], check=True, capture_output=True, timeout=600)
    return url


def baseline(store: Path, url: str, data: Path) -> float:
    """Seconds of a plain SQL copy of the store's responses, answers and errors into the lake at `url`,
    from connecting to the commit (as the push's time runs from its start to its last commit)."""
    done = subprocess.run([sys.executable, "-c", COPY, str(store), url, str(data)], capture_output=True, text=True,
                          timeout=3600)
    if done.returncode != 0:
        sys.exit(f"the baseline copy failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, private_cluster() as cluster:
        folder = Path(tmp)
        store = folder / "store.duckdb"
        t0 = time.perf_counter()
        make_store(store, args.responses)
        con = duckdb.connect(str(store), read_only=True)
        n, answers = con.execute("select (select count(*) from llm_responses), (select count(*) from llm_answers)").fetchone()
        con.close()
        print(f"store: {n:,} responses, {answers:,} answers (made in {time.perf_counter() - t0:.0f} s)")
        parts = split_by_model(store, folder)
        copies = []
        for i in range(3):
            copies.append(folder / f"copy{i}.duckdb")
            shutil.copy(store, copies[-1])

        pushed, copied = [], []
        for i in range(args.repeat):  # alternated, so that a change in the machine's load hits both alike
            url = new_lake(cluster, f"copy{i}", folder / f"files-copy{i}")
            copied.append(baseline(store, url, folder / f"files-copy{i}"))
            url = new_lake(cluster, f"one{i}", folder / f"files-one{i}")
            seconds, reports = pushes([store], url, folder / f"files-one{i}")
            assert reports[0]["inserted"]["llm_responses"] == n
            pushed.append(seconds)
        base, one = min(copied), min(pushed)
        load = os.getloadavg()[0]
        print(f"{'baseline: plain SQL copy into the same lake':<48} {n / base:>12,.0f} responses/s  ({base:.2f} s)")
        print(f"{'1 pusher':<48} {n / one:>12,.0f} responses/s  ({one:.2f} s): {base / one:.2f}x the plain copy "
              f"(goal >= 0.5x; best of {args.repeat}, load average {load:.1f})")
        for label, stores, db in (("3 pushers, one model each", parts, "three"),
                                  ("3 pushers, the same rows", copies, "overlap")):
            url = f"ducklake:postgres:{cluster.create_database(db)}"
            seconds, reports = pushes(stores, url, folder / f"files-{db}")
            pushed = sum(r["inserted"]["llm_responses"] for r in reports)
            retries = sum(r["retries"] for r in reports)
            assert pushed == n, f"{label}: {pushed} responses pushed, expected {n}"
            print(f"{label:<48} {n / seconds:>12,.0f} responses/s  ({seconds:.2f} s, {retries} retries)")


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:  # no PostgreSQL on this machine
        sys.exit(f"bench/push.py: {e}")
