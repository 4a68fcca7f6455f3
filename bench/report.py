"""Benchmark: `papers report` for 75 models, with PDFs, then again with nothing changed.

    python bench/report.py [--models 75] [--trials 60]

Builds a store of simulated-style answers for the models (Plackett-Luce draws, rank and rate
tasks, both conditions) and a human sample, analyzes it, then times the full site build (an HTML
and a PDF per model, the comparison, data and manifest) and an unchanged re-run, each in a child
process. As a baseline measured in the same run, it times the same build with one worker, so the
speed-up from rendering pages in parallel is visible. Targets (issue 5), on 2 cores: under 60 s
for the full build, under 2 s for the unchanged re-run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import json, sys, time
from papers.report.site import build_report
from papers.store import open_store
store = open_store(sys.argv[1], read_only=True)
t0 = time.perf_counter()
r = build_report(store, "bench", site=sys.argv[2], engine="pandoc", workers=int(sys.argv[3]) or None)
print(json.dumps({"seconds": time.perf_counter() - t0, "pages": r.pages, "pdfs": r.pdfs, "unchanged": r.unchanged}))
"""


def timed(db: Path, site: Path, workers: int) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(db), str(site), str(workers)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=75)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--participants", type=int, default=400)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    from bench.analyze import make_store
    from papers.analysis.audit import Settings
    from papers.analyze import run_analyze
    from papers.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        make_store(db, args.models, args.trials, args.participants)
        store = open_store(db)
        run_analyze(store, "bench", settings=Settings(b=500))
        store.close()
        full = timed(db, Path(tmp) / "site", 0)
        again = timed(db, Path(tmp) / "site", 0)
        base = None if args.skip_baseline else timed(db, Path(tmp) / "site-one-worker", 1)
    print(f"full build ({full['pages']} pages, {full['pdfs']} PDFs): {full['seconds']:.1f} s "
          f"({full['wall']:.1f} s with start-up)")
    print(f"unchanged re-run: {again['seconds']:.2f} s ({again['wall']:.1f} s with start-up), no-op: {again['unchanged']}")
    if base:
        print(f"baseline, one worker: {base['seconds']:.1f} s; parallel speed-up {base['seconds'] / full['seconds']:.2f}x")
    print(f"targets: full < 60 s ({'met' if full['seconds'] < 60 else 'MISSED'}), "
          f"unchanged < 2 s ({'met' if again['seconds'] < 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
