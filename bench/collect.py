"""Benchmark: `papers collect` against a local OpenAI-compatible server answering after 100 ms.

    python bench/collect.py [--trials 5000] [--concurrency 64] [--latency 0.1]

Starts tests/openai_server.py in its own process on 127.0.0.1, then, in the same run:

- a bare loop: litellm.acompletion under an asyncio semaphore, no parsing, no storage;
- papers collect: planning, litellm, parsing and one committed transaction per arrival, in a
  child process (so its peak memory is its own), into a fresh store: once in one process, once
  with worker processes making the calls (--processes auto: one per core).

Prints trials per second for both, the full tool's peak memory, its ratio to the bare loop and
to the ideal (concurrency / latency). Targets (issue 3): at least 0.9x the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the benchmark server did not start")


async def bare_loop(url: str, n: int, concurrency: int) -> float:
    """The same requests papers makes (prompts, decoding settings, JSON mode), with nothing else."""
    import litellm

    from papers.collect.plan import Decoding, make_plan
    from papers.instrument import load_instrument

    litellm.suppress_debug_info = True
    gate = asyncio.Semaphore(concurrency)
    instrument = load_instrument()
    decoding = Decoding(temperature=1.0, max_tokens=200)
    plan = make_plan(instrument, ["openai/bench-bare"], ["rank"], list(instrument.condition_keys), n // 2, 0, decoding)

    async def one(trial) -> None:
        async with gate:
            await litellm.acompletion(
                model=trial.model, messages=trial.messages(instrument, decoding), api_base=url, api_key="x",
                temperature=decoding.temperature, max_tokens=decoding.max_tokens, seed=trial.sampling_seed,
                drop_params=True, response_format={"type": "json_object"}, num_retries=0, timeout=30)

    started = time.perf_counter()
    await asyncio.gather(*(one(trial) for trial in plan))
    return time.perf_counter() - started


def full_run(url: str, trials: int, concurrency: int, processes: int) -> dict:
    """papers collect in a child process, into a fresh store."""
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import json, resource, sys\n"
            "from papers.collect.service import run_collect\n"
            f"r = run_collect(db_path={str(Path(tmp) / 'bench.duckdb')!r}, instrument=None, models=['openai/bench'],"
            f" tasks=['rank'], conditions=[], trials={trials // 2}, seed=0, temperature=1.0, max_tokens=200,"
            f" system_prompt=None, concurrency={concurrency}, timeout=30, max_retries=2, api_base={url!r},"
            " max_cost=None, retry_errors=False, dry_run=False, simulated_profiles=None, progress=False,"
            f" processes={processes})\n"
            "print(json.dumps({'seconds': r.data['seconds'], 'made': r.data['made'],"
            " 'valid': r.data['per_model']['openai/bench'].get('valid', 0),"
            " 'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
        )
        env = {**os.environ, "OPENAI_API_KEY": "x"}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp)
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "openai_server.py"), str(port), str(args.latency)])
    try:
        wait_for(port)
        url = f"http://127.0.0.1:{port}/v1"
        bare = asyncio.run(bare_loop(url, args.trials, args.concurrency))
        one = full_run(url, args.trials, args.concurrency, 1)
        auto = full_run(url, args.trials, args.concurrency, 0)
    finally:
        server.terminate()
        server.wait(10)
    ideal = args.concurrency / args.latency
    bare_rate = args.trials / bare
    print(f"ideal (concurrency / latency): {ideal:,.0f} trials/s")
    print(f"bare litellm loop: {args.trials:,} calls in {bare:.1f} s = {bare_rate:,.0f}/s ({bare_rate / ideal:.2f}x ideal)")
    for name, full in (("one process", one), ("worker processes (auto)", auto)):
        rate = full["made"] / full["seconds"]
        print(f"papers collect, {name}: {full['made']:,} trials ({full['valid']:,} valid) in {full['seconds']:.1f} s = "
              f"{rate:,.0f}/s ({rate / ideal:.2f}x ideal, {rate / bare_rate:.2f}x the bare loop), "
              f"peak memory {full['peak_rss_mib']:.0f} MiB (storing process)")
    best = max(f["made"] / f["seconds"] for f in (one, auto))
    print(f"target: the full tool >= 0.9x the bare loop: {'met' if best / bare_rate >= 0.9 else 'MISSED'} "
          f"({best / bare_rate:.2f}x)")


if __name__ == "__main__":
    main()
