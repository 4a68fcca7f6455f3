"""Benchmark: push 100,000 model responses (and their answers) into a lake with `papers push`.

    python bench/push.py [--responses 100000]

Starts a private PostgreSQL cluster (papers.lake.cluster) as the lake's catalog, with the Parquet
files in a temporary folder, and prints responses pushed per second:

- 1 pusher: one store of N responses into an empty lake;
- 3 pushers: three stores of N/3 responses each (one model each, so three guards), at once, into
  another empty lake (rows/s over the wall time of the slowest);
- 3 overlapping: three copies of the N-response store at once into a third lake (each row is
  written once; the others find it there);

beside a baseline measured in the same run: the same rows copied with plain SQL
(`insert into ... select`) from the store into a DuckDB file, with no guard, no check and one
transaction (the floor for moving the rows).

Each push runs in its own process; its time excludes the interpreter's start.
"""

from __future__ import annotations

import argparse
import json
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


def baseline(store: Path, folder: Path) -> float:
    con = duckdb.connect(str(folder / "copy.duckdb"))
    con.execute(f"attach '{store}' as src (read_only)")
    t0 = time.perf_counter()
    con.execute("create table llm_responses as select * from src.llm_responses")
    con.execute("create table llm_answers as select * from src.llm_answers")
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
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

        base = baseline(store, folder)
        print(f"{'baseline: plain SQL copy into a DuckDB file':<48} {n / base:>12,.0f} responses/s  ({base:.2f} s)")
        for label, stores, db in (("1 pusher", [store], "one"), ("3 pushers, one model each", parts, "three"),
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
