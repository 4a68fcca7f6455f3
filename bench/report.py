"""Benchmark: the publishing a user waits for, each a whole `papers` process from start to exit.

    python bench/report.py [--models 75] [--trials 60] [--repeat 3] [--candidates 5] [--skip-baseline]

Builds a store of simulated-style answers for the models (Plackett-Luce draws, rank task, both
conditions) and a human sample, analyzes it, then runs the `papers` console script as a user would
(interpreter start-up and imports included), best of --repeat runs each:

- `papers report` of the audit with every PDF (an HTML and a PDF per model, the comparison, data
  and manifest), each run into a new site; beside it, alternated so that a change in the machine's
  load hits both alike, the baseline from the same run: the same command with `--workers 1`, so the
  speed-up from rendering on both cores is the ratio (issue 26: the full build under 30 s);
- the unchanged re-run of `papers report` into a published site (a no-op: every page skipped);
- `papers brief` of --candidates models, each run into a fresh copy of the published site (issue 26:
  under 8 s), beside the floor from the same run: `papers --help`, the console script's start-up.

Prints seconds, CPU seconds (the process and its workers), peak memory and the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPERS = str(Path(sys.executable).parent / "papers")


SETUP = """
import sys
from pathlib import Path
from bench.analyze import make_store
from papers.analysis.audit import Settings
from papers.analyze import run_analyze
from papers.store import open_store
make_store(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
store = open_store(sys.argv[1])
run_analyze(store, "bench", settings=Settings(b=500))
store.close()
"""


def whole(args: list[str], cwd: Path) -> dict:
    """Run `papers ARGS` to its exit: wall and CPU seconds (with its reaped workers), peak memory."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([PAPERS, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"papers {' '.join(args[:4])}... failed:\n{err.read()[-3000:]}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024,
            "load": os.getloadavg()[0]}


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["seconds"])


def line(name: str, runs: list[dict]) -> str:
    b = best(runs)
    each = ", ".join(f"{r['seconds']:.2f} s @{r['load']:.1f}" for r in runs)
    return (f"  {name:<46} {b['seconds']:7.2f} s, CPU {b['cpu']:6.1f} s, peak {b['peak_mib']:5.0f} MiB "
            f"(best of {len(runs)}: {each})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=75)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--participants", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--candidates", type=int, default=5)
    parser.add_argument("--skip-baseline", action="store_true", help="No --workers 1 runs.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "bench.duckdb"
        # in a child, so that this process stays small: a child's peak memory starts from its parent's
        subprocess.run([sys.executable, "-c", SETUP, str(db), str(args.models), str(args.trials),
                        str(args.participants)], check=True, cwd=ROOT)
        report = ["report", "--audit", "bench", "--engine", "pandoc", "--json", "--db", str(db)]
        full, one = [], []
        for i in range(args.repeat):
            full.append(whole([*report, "--site", str(folder / f"site{i}")], folder))
            if not args.skip_baseline:
                one.append(whole([*report, "--site", str(folder / f"one{i}"), "--workers", "1"], folder))
        site = folder / "site0"
        again = [whole([*report, "--site", str(site)], folder) for _ in range(args.repeat)]
        models = [f"model-{m:02d}" for m in range(args.candidates)]
        briefs, floor = [], []
        for i in range(args.repeat):
            copy = folder / f"brief{i}"
            shutil.copytree(site, copy, symlinks=True)
            briefs.append(whole(["brief", *models, "--audit", "bench", "--engine", "pandoc", "--site", str(copy),
                                 "--json", "--db", str(db)], folder))
            floor.append(whole(["--help"], folder))
        pdfs = len(list((site / "bench").rglob("*.pdf")))
    print(f"papers report, {args.models} models, {pdfs} PDFs, whole process, {os.cpu_count()} cores:")
    print(line("report (one worker per core)", full))
    if one:
        print(line("baseline: report --workers 1", one))
        print(f"  ratio: {best(one)['seconds'] / best(full)['seconds']:.2f}x faster than one worker")
    print(line("unchanged re-run (every page skipped)", again))
    print(f"papers brief of {args.candidates} candidates, whole process:")
    print(line("brief", briefs))
    print(line("floor: papers --help (start-up)", floor))
    print(f"  ratio: brief takes {best(briefs)['seconds'] / best(floor)['seconds']:.1f}x the start-up")
    met = {"full < 30 s": best(full)["seconds"] < 30, "unchanged < 2 s": best(again)["seconds"] < 2,
           "brief < 8 s": best(briefs)["seconds"] < 8}
    print("targets: " + ", ".join(f"{k} ({'met' if v else 'MISSED'})" for k, v in met.items()))


if __name__ == "__main__":
    main()
