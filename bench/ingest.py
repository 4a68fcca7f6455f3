"""Benchmark: load a 1,000,000-row survey CSV with `papers ingest survey`.

    python bench/ingest.py [--rows 1000000]

Prints rows per second and peak memory of the load (run in a child process, so its peak RSS is
its own), and two baselines measured in the same run on the same file:

- scan: DuckDB's own `read_csv` counting the rows (the floor for reading the file);
- write: plain SQL that unpivots the file with DuckDB alone and inserts the same long rows into a
  fresh `human_answers` table, with no checks, exclusions or copy numbers (the floor for storing
  them: each survey row becomes 22 answer rows).

Targets (issue 2): above 200,000 rows/s and below 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

DIMS = {"non_sentient": ["PC", "AG", "PR", "EI", "RF"], "sentient": ["PC", "AG", "PR", "EI", "RF", "SA"]}


def make_survey(path: Path, rows: int, seed: int = 7) -> None:
    """A plain-CSV survey: both conditions, rate and rank, an item, finished and attention flags."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {"participant_id": [f"P{i:08d}" for i in range(rows)]}
    for cond, keys in DIMS.items():
        for k in keys:
            columns[f"rate_{cond}_{k}"] = rng.integers(1, 8, rows)
        ranks = np.argsort(rng.random((rows, len(keys))), axis=1) + 1
        for j, k in enumerate(keys):
            columns[f"rank_{cond}_{k}"] = ranks[:, j]
    columns["item_endorse_sentient"] = rng.integers(1, 8, rows)
    columns["finished"] = np.where(rng.random(rows) < 0.93, "true", "false")
    columns["attention_check_passed"] = np.where(rng.random(rows) < 0.95, "1", "0")
    pl.DataFrame(columns).write_csv(path)


CHILD = """
import json, resource, sys, time
from pathlib import Path
from papers.store import open_store
from papers.ingest.survey import ingest_survey
store = open_store(Path(sys.argv[2]))
t0 = time.perf_counter()
report = ingest_survey(store, Path(sys.argv[1]), sample="bench")
elapsed = time.perf_counter() - t0
store.close()
print(json.dumps({"seconds": elapsed, "rows": report.rows, "counts": report.counts,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BASELINE = """
import duckdb, json, resource, sys, time
t0 = time.perf_counter()
n = duckdb.sql(f"select count(*) from read_csv('{sys.argv[1]}', all_varchar=true)").fetchall()[0][0]
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": n,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


WRITE = """
import duckdb, json, resource, sys, time
from papers.store import open_store
store = open_store(sys.argv[2])
cols = [c for c in duckdb.sql(f"select * from read_csv('{sys.argv[1]}') limit 0").columns if c.startswith(("rank_", "rate_"))]
t0 = time.perf_counter()
store.sql(f\"\"\"
insert into human_answers (participant_id, sample, copy, instrument_sha256, task, condition, dimension, rank, rating)
select participant_id, 'bench', 1, 'x', split_part(col, '_', 1), regexp_extract(col, '^[a-z]+_(.*)_[A-Z]+$', 1),
       regexp_extract(col, '_([A-Z]+)$', 1),
       case when col like 'rank_%' then value::integer end, case when col like 'rate_%' then value::double end
from (unpivot (select participant_id, {', '.join(cols)} from read_csv('{sys.argv[1]}', all_varchar=true))
      on {', '.join(cols)} into name col value value)
\"\"\")
n = store.scalar("select count(*) from human_answers")
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": n,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        survey = Path(tmp) / "survey.csv"
        t0 = time.perf_counter()
        make_survey(survey, args.rows)
        print(f"made {args.rows:,}-row survey ({survey.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s")
        base = child(BASELINE, str(survey))
        write = child(WRITE, str(survey), str(Path(tmp) / "floor.duckdb"))
        load = child(CHILD, str(survey), str(Path(tmp) / "bench.duckdb"))
    rate = load["rows"] / load["seconds"]
    print(f"papers ingest survey: {load['rows']:,} rows in {load['seconds']:.2f} s = {rate:,.0f} rows/s, "
          f"peak memory {load['peak_rss_mib']:.0f} MiB")
    print(f"  loaded: {load['counts']}")
    print(f"baseline scan (DuckDB read_csv count only): {base['seconds']:.2f} s, peak memory {base['peak_rss_mib']:.0f} MiB")
    print(f"baseline write (DuckDB alone: unpivot + insert {write['rows']:,} answer rows): {write['seconds']:.2f} s = "
          f"{load['rows'] / write['seconds']:,.0f} survey rows/s, peak memory {write['peak_rss_mib']:.0f} MiB")
    print(f"ratio papers / bare scan: {load['seconds'] / base['seconds']:.1f}x; "
          f"papers / bare write: {load['seconds'] / write['seconds']:.2f}x")
    print(f"targets: > 200,000 rows/s ({'met' if rate > 200_000 else 'MISSED'}), "
          f"< 1024 MiB ({'met' if load['peak_rss_mib'] < 1024 else 'MISSED'})")


if __name__ == "__main__":
    main()
