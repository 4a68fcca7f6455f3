"""Benchmark: `papers analyze` on 75 models x 2 conditions x 1,000 rank trials and 5,000 participants.

    python bench/analyze.py [--models 75] [--trials 1000] [--participants 5000] [--b 2000]

Builds a store with that data (Plackett-Luce draws), runs the full analysis with B bootstrap
resamples in a child process (so its peak memory is its own) and prints wall time and peak
memory. In the same run it times what a researcher would write by hand with pandas + pingouin:
per model and condition, pingouin.friedman for W and a loop of pandas resamples for the bootstrap
CIs of the profile and of W; per model and human sample, pingouin.intraclass_corr in a bootstrap
loop. The baseline runs on a subset (--baseline-models models, --baseline-b draws) and is scaled
linearly to the full size (time per model-condition-draw x models x conditions x B), which is
stated in the output. Targets (issue 4): under 10 s, at least 10x faster than the baseline, under 2 GiB.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_store(path: Path, models: int, trials: int, participants: int, seed: int = 3) -> None:
    from papers.instrument import load_instrument
    from papers.store import open_store

    inst = load_instrument()
    rng = np.random.default_rng(seed)
    store = open_store(path)
    store.register_instrument(inst)
    response_rows, answer_frames = [], []
    for m in range(models):
        worth = rng.normal(0, 1, 6)
        for condition in inst.condition_keys:
            dims = list(inst.shown(condition))
            w = worth[: len(dims)]
            scores = w + rng.gumbel(size=(trials, len(dims)))
            ranks = np.argsort(np.argsort(-scores, axis=1), axis=1) + 1
            ids = [f"m{m}-{condition}-{t}" for t in range(trials)]
            response_rows.append(pl.DataFrame({
                "response_id": ids, "run_id": 1, "model": f"model-{m:02d}", "instrument_sha256": inst.sha256,
                "task": "rank", "condition": condition, "trial": list(range(trials)), "status": "valid"}))
            answer_frames.append(pl.DataFrame({
                "response_id": np.repeat(ids, len(dims)), "dimension": np.tile(dims, trials),
                "rank": ranks.reshape(-1).astype(np.int32)}))
    store.con.register("_r", pl.concat(response_rows))
    store.sql("insert into llm_responses by name select * from _r")
    store.con.register("_a", pl.concat(answer_frames))
    store.sql("insert into llm_answers by name select * from _a")
    human_worth = np.array([0.8, 0.3, 1.5, 2.0, 0.6, -0.3])
    pids = [f"p{i:05d}" for i in range(participants)]
    store.con.register("_p", pl.DataFrame({"participant_id": pids, "sample": "bench", "copy": 1, "run_id": 2,
                                           "source_file": "bench.csv", "source_row": list(range(2, participants + 2)),
                                           "is_excluded": False}))
    store.sql("insert into participants by name select * from _p")
    frames = []
    for condition in inst.condition_keys:
        dims = list(inst.shown(condition))
        scores = human_worth[: len(dims)] + rng.gumbel(size=(participants, len(dims)))
        ranks = np.argsort(np.argsort(-scores, axis=1), axis=1) + 1
        frames.append(pl.DataFrame({"participant_id": np.repeat(pids, len(dims)), "sample": "bench", "copy": 1,
                                    "instrument_sha256": inst.sha256, "task": "rank", "condition": condition,
                                    "dimension": np.tile(dims, participants), "rank": ranks.reshape(-1).astype(np.int32)}))
    store.con.register("_h", pl.concat(frames))
    store.sql("insert into human_answers by name select * from _h")
    store.close()


CHILD = """
import json, resource, sys, time
from papers.analysis.audit import Settings
from papers.analyze import run_analyze
from papers.store import open_store
store = open_store(sys.argv[1])
t0 = time.perf_counter()
report = run_analyze(store, "bench", settings=Settings(b=int(sys.argv[2])))
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "rows": report.counts,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def baseline(path: Path, n_models: int, b: int) -> dict:
    """pandas + pingouin, as a researcher would write it, on the first n_models models."""
    import duckdb
    import pandas as pd
    import pingouin as pg

    con = duckdb.connect(str(path), read_only=True)
    models = [r[0] for r in con.execute("select distinct model from llm_responses order by 1 limit ?", [n_models]).fetchall()]
    answers = con.execute(
        "select r.model, r.condition, r.response_id, a.dimension, a.rank from llm_responses r join llm_answers a "
        "using (response_id) where r.model in (select unnest(?::varchar[]))", [models]).df()
    human = con.execute("select participant_id, condition, dimension, rank from human_answers").df()
    con.close()
    started = time.perf_counter()
    for (model, condition), part in answers.groupby(["model", "condition"]):
        wide = part.pivot(index="response_id", columns="dimension", values="rank")
        pg.friedman(part, dv="rank", within="dimension", subject="response_id")
        means, ws = [], []
        for _ in range(b):
            sample = wide.sample(frac=1, replace=True)
            means.append(sample.mean())
            ranks_sum = sample.sum()
            m, k = sample.shape
            ws.append(12 * ((ranks_sum - ranks_sum.mean()) ** 2).sum() / (m**2 * (k**3 - k)))
        pd.DataFrame(means).quantile([0.025, 0.975])
        hwide = human[human.condition == condition].pivot(index="participant_id", columns="dimension", values="rank")
        for _ in range(b):
            mm = wide.sample(frac=1, replace=True).mean()
            hm = hwide.sample(frac=1, replace=True).mean()
            long = pd.DataFrame({"target": list(mm.index) * 2, "rater": ["model"] * len(mm) + ["human"] * len(hm),
                                 "score": list(mm.values) + list(hm.reindex(mm.index).values)})
            pg.intraclass_corr(long, targets="target", raters="rater", ratings="score")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "groups": len(answers.groupby(["model", "condition"])), "b": b}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=75)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--participants", type=int, default=5000)
    parser.add_argument("--b", type=int, default=2000)
    parser.add_argument("--baseline-models", type=int, default=2)
    parser.add_argument("--baseline-b", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        make_store(db, args.models, args.trials, args.participants)
        print(f"built the store ({args.models} models x 2 conditions x {args.trials:,} trials, "
              f"{args.participants:,} participants) in {time.perf_counter() - t0:.1f} s")
        out = subprocess.run([sys.executable, "-c", CHILD, str(db), str(args.b)], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        full = json.loads(out.stdout.strip().splitlines()[-1])
        base = baseline(db, args.baseline_models, args.baseline_b)
    groups_full = args.models * 2
    scaled = base["seconds"] / (base["groups"] * base["b"]) * groups_full * args.b
    print(f"papers analyze (B = {args.b:,}): {full['seconds']:.2f} s, peak memory {full['peak_rss_mib']:.0f} MiB")
    print(f"  rows: {full['rows']}")
    print(f"baseline pandas + pingouin: {base['seconds']:.1f} s for {base['groups']} model-conditions x "
          f"{base['b']} draws, scaled linearly to {groups_full} x {args.b:,}: {scaled:,.0f} s")
    print(f"speed-up over the baseline: {scaled / full['seconds']:,.0f}x")
    print(f"targets: < 10 s ({'met' if full['seconds'] < 10 else 'MISSED'}), >= 10x "
          f"({'met' if scaled / full['seconds'] >= 10 else 'MISSED'}), < 2048 MiB "
          f"({'met' if full['peak_rss_mib'] < 2048 else 'MISSED'})")


if __name__ == "__main__":
    main()
