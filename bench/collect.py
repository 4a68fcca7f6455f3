"""Benchmark: what a user waits for when collecting, each mode a whole process from start to exit.

    python bench/collect.py [--calls 2000] [--concurrency 64] [--latency 0.1] [--repeat 3] [--all]
                            [--auto-sizes 500,2000] [--batch-trials 20000]

Starts tests/openai_server.py in its own process on 127.0.0.1 (answers after --latency seconds; it
is also the fake provider batch API), then, in the same run, each as its own process:

- the baseline, a raw aiohttp loop: the same requests papers makes (prompts, decoding settings,
  JSON mode) under an asyncio semaphore, each answer's JSON decoded, nothing stored; beside it
  `papers collect --processes 1` (the fast path) into a fresh store, every answer parsed and stored.
  --repeat runs of each, alternated, so that a change in the machine's load hits both alike; the
  best of each, and their ratio (issue 26: collection at >= 0.85x the raw loop, peak < 150 MiB);
- with --all, also an `openai` SDK loop and a bare `litellm.acompletion` loop, `papers collect`
  with PAPERS_FAST_PATH=0 (every call through litellm), with 2 processes and with auto; at each of
  --auto-sizes with 1 and auto (auto must never be slower than one process);
- `papers collect --batch --wait` of --batch-trials trials against the fake batch server: seconds
  from start to every result stored, peak memory, and results stored per second of storing
  (download, parse and write; goal >= 5,000/s and < 500 MiB).

Prints requests/s, CPU ms per request (user + system, the process and its workers), peak memory
and the machine's load average (1 minute) as each run ends.
"""

from __future__ import annotations

import argparse
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
from papers.collect.pool import AUTO_FROM  # noqa: E402

ENV = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENAI_API_KEY": "sk-bench"}

LOOP = '''
import asyncio, sys
from papers.collect.plan import Decoding, make_plan
from papers.instrument import load_instrument
url, n, concurrency, kind = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
instrument = load_instrument()
decoding = Decoding(temperature=1.0, max_tokens=200)
plan = make_plan(instrument, ["openai/bench-loop"], ["rank"], list(instrument.condition_keys), n // 2, 0, decoding)

async def main():
    gate = asyncio.Semaphore(concurrency)
    if kind == "litellm":
        import litellm
        litellm.suppress_debug_info = True
        async def call(trial):
            r = await litellm.acompletion(model=trial.model, messages=trial.messages(instrument, decoding),
                api_base=url, api_key="x", temperature=1.0, max_tokens=200, seed=trial.sampling_seed,
                drop_params=True, response_format={"type": "json_object"}, num_retries=0, timeout=30)
            return r.choices[0].message.content
    elif kind == "openai":
        import openai
        try:
            client = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0, http_client=openai.DefaultAioHttpClient())
        except Exception:  # the aiohttp extra is not installed: the SDK's httpx client
            client = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
        async def call(trial):
            r = await client.chat.completions.create(model="bench-loop", messages=trial.messages(instrument, decoding),
                temperature=1.0, max_tokens=200, seed=trial.sampling_seed, response_format={"type": "json_object"},
                timeout=30)
            return r.choices[0].message.content
    else:
        import aiohttp
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))
        async def call(trial):
            body = {"model": "bench-loop", "messages": trial.messages(instrument, decoding), "temperature": 1.0,
                    "max_tokens": 200, "seed": trial.sampling_seed, "response_format": {"type": "json_object"}}
            async with session.post(url + "/chat/completions", json=body, headers={"Authorization": "Bearer x"}) as r:
                return (await r.json())["choices"][0]["message"]["content"]
    async def one(trial):
        async with gate:
            return await call(trial)
    out = await asyncio.gather(*(one(t) for t in plan))
    assert all(out)
    if kind == "aiohttp":
        await session.close()
asyncio.run(main())
print(len(plan))
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the benchmark server did not start")


def whole_process(args: list[str], cwd: str, env: dict | None = None) -> dict:
    """Run a process to its exit: wall seconds, CPU seconds (with its reaped workers), peak memory."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env={**ENV, **(env or {})}, cwd=cwd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # reaped here, so its usage (with its workers') is its own
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:6])}... failed:\n{stderr[-3000:]}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024,
            "stdout": stdout}


def loop(kind: str, url: str, calls: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        result = whole_process([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + LOOP,
                                url, str(calls), str(concurrency), kind], tmp)
    return {**result, "calls": int(result["stdout"].split()[-1])}


def collect(url: str, calls: int, concurrency: int, processes: str, *extra: str, env: dict | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "papers.cli", "collect", "--model", "openai/bench", "--api-base", url,
                "--trials", str(calls // 2), "--concurrency", str(concurrency), "--processes", processes,
                "--max-tokens", "200", "--json", "--db", str(Path(tmp) / "bench.duckdb"), *extra]
        result = whole_process(args, tmp, env)
    report = json.loads(result["stdout"])
    made = report.get("made", report.get("stored", 0))
    return {**result, "calls": made, "report": report}


def line(name: str, r: dict, base: dict | None) -> str:
    rate = r["calls"] / r["seconds"]
    ratio = f", {rate / (base['calls'] / base['seconds']):.2f}x the bare litellm loop" if base else ""
    return (f"  {name:<44} {r['calls']:>6,} calls in {r['seconds']:6.2f} s = {rate:6.0f}/s, "
            f"CPU {1000 * r['cpu'] / max(r['calls'], 1):5.2f} ms/call, peak {r['peak_mib']:5.0f} MiB{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="0: only the batch run.")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3, help="Runs of the baseline and of papers, alternated.")
    parser.add_argument("--all", action="store_true", help="Also the openai and litellm loops and the other modes.")
    parser.add_argument("--auto-sizes", default="500", help="With --all: more sizes for auto against one process.")
    parser.add_argument("--batch-trials", type=int, default=20000)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "openai_server.py"), str(port), str(args.latency)],
                              env=ENV)
    try:
        wait_for(port)
        url = f"http://127.0.0.1:{port}/v1"
        print(f"stub: 127.0.0.1, {args.latency * 1000:.0f} ms per answer, concurrency {args.concurrency}: "
              f"at most {args.concurrency / args.latency:,.0f} requests/s; {os.cpu_count()} cores")
        if args.calls:
            compare(url, args)
        if args.calls and args.all:
            others(url, args)
        if args.batch_trials:
            batch(url, args)
    finally:
        server.terminate()
        server.wait(10)


def compare(url: str, args) -> None:
    """The raw aiohttp loop and papers collect, alternated, best of --repeat each, and their ratio."""
    print(f"{args.calls:,} calls, whole process, best of {args.repeat} (each run: seconds, load average):")
    loops, runs = [], []
    for _ in range(args.repeat):
        loops.append({**loop("aiohttp", url, args.calls, args.concurrency), "load": os.getloadavg()[0]})
        runs.append({**collect(url, args.calls, args.concurrency, "1"), "load": os.getloadavg()[0]})
    base, best = min(loops, key=lambda r: r["seconds"]), min(runs, key=lambda r: r["seconds"])
    print(line("baseline: raw aiohttp loop, nothing stored", base, None) + _runs(loops))
    print(line("papers collect (fast path), stored", best, None) + _runs(runs))
    ratio = (best["calls"] / best["seconds"]) / (base["calls"] / base["seconds"])
    print(f"  ratio: {ratio:.2f}x the raw loop (goal >= 0.85x: {'met' if ratio >= 0.85 else 'MISSED'}); papers' peak "
          f"{best['peak_mib']:.0f} MiB (goal < 150: {'met' if best['peak_mib'] < 150 else 'MISSED'})", flush=True)


def _runs(results: list[dict]) -> str:
    return " [" + ", ".join(f"{r['seconds']:.2f} s @{r['load']:.1f}" for r in results) + "]"


def others(url: str, args) -> None:
    print(f"loops, {args.calls:,} calls, whole process (nothing stored):")
    base = None
    for kind in ("openai", "litellm"):
        result = loop(kind, url, args.calls, args.concurrency)
        base = result if kind == "litellm" else base
        print(line(f"{kind} loop", result, None), flush=True)
    sizes = [args.calls] + [int(s) for s in args.auto_sizes.split(",") if s.strip()]
    for size in sizes:
        print(f"papers collect, {size:,} calls, whole process, stored:")
        runs = {"1": collect(url, size, args.concurrency, "1")}
        print(line("--processes 1", runs["1"], base), flush=True)
        if size == args.calls:
            runs["1, litellm"] = collect(url, size, args.concurrency, "1", env={"PAPERS_FAST_PATH": "0"})
            print(line("--processes 1 through litellm", runs["1, litellm"], base), flush=True)
            runs["2"] = collect(url, size, args.concurrency, "2")
            print(line("--processes 2", runs["2"], base), flush=True)
        runs["auto"] = collect(url, size, args.concurrency, "auto")
        print(line("--processes auto", runs["auto"], base), flush=True)
        auto, one = runs["auto"]["seconds"], runs["1"]["seconds"]
        same = " (below AUTO_FROM auto is one process: the same run, so the gap is noise)" if size < AUTO_FROM else ""
        print(f"  auto vs one process: {one / auto:.2f}x ({'not slower' if auto <= one * 1.05 else 'SLOWER'}){same}")


def batch(url: str, args) -> None:
    r = collect(url, args.batch_trials, args.concurrency, "1", "--batch", "--wait", "--poll-interval", "0.2")
    report = r["report"]
    stored_rate = report["stored"] / max(report.get("store_seconds") or 1e-9, 1e-9)
    print(f"papers collect --batch --wait, {args.batch_trials:,} trials, whole process (load average "
          f"{os.getloadavg()[0]:.1f}):")
    print(f"  {report['stored']:,} results stored in {r['seconds']:.1f} s from start to exit "
          f"({report['jobs_stored']} jobs), peak {r['peak_mib']:.0f} MiB (goal < 500), "
          f"storing {stored_rate:,.0f} results/s (goal >= 5,000; download, parse and write)")


if __name__ == "__main__":
    main()
