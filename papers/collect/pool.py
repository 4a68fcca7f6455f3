"""The pool that makes a run's calls, in this process or in worker processes, and hands each
outcome over to be stored as it arrives.

Workers take jobs, wait for a slot of the adaptive limiter, make each call and put its outcome
on a queue. With one process the workers are an event loop on a thread of this process; with
several, each worker process runs its own loop over its share of the jobs (and of the
concurrency), since litellm spends milliseconds of CPU on every call and one loop saturates one
core. Either way this process takes every outcome that has arrived, hands them all to
`on_batch` (which stores them) and only then waits for more: each answer is stored before the
next is awaited. A stop reaches every worker through one shared event: when `on_batch` returns
a reason (the cost limit) no new call starts and the calls in flight are still stored; a refused
request (every answer that arrived before it is stored), Ctrl-C or a worker that died ends the
run. A worker process whose storing process is gone stops paying for calls that no one could store.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from papers.collect.calls import AdaptiveLimiter, redact_logs
from papers.collect.settings import CallSettings
from papers.errors import ProviderError

OK, FAILED, DONE = "ok", "error", "done"


AUTO_FROM = 10_000  # calls: below this one process finishes first (bench/collect.py, README)


def processes_for(settings: CallSettings, calls: int) -> int:
    """--processes N, or with auto one process, unless the run is large enough to repay the workers'
    start-up (each imports litellm: seconds of CPU) and there are idle cores to run them on: one
    worker per idle core, up to 4."""
    if settings.processes:
        return settings.processes
    if calls < AUTO_FROM:
        return 1
    return max(1, min(idle_cores(), 4))


def idle_cores() -> int:
    """Cores this process may use that are not already busy (the load average)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    return int(cores - load + 0.5)


def run_calls(jobs: list, call, on_batch, settings: CallSettings, profiles: dict | None = None) -> str | None:
    """Make `call(job, limiter)` for every job, at most `settings.concurrency` at once, and hand the
    outcomes to `on_batch` as they arrive. `call` must pickle (worker processes receive it);
    `profiles` are the simulated profiles the workers' provider needs. Returns the reason
    `on_batch` gave to stop, if any."""
    profiles = _simulated(jobs, profiles)
    prepare_process(profiles)
    processes = processes_for(settings, len(jobs))
    if processes > 1:
        workers = _InProcesses(jobs, call, settings.concurrency, processes, profiles, settings.max_cost)
    else:
        workers = _InThread(jobs, call, settings.concurrency, settings.max_cost)
    try:
        return _drain(workers, on_batch)
    finally:
        workers.close()


def _simulated(jobs: list, profiles: dict | None) -> dict | None:
    """The profiles, when a job calls a simulated model (else None: litellm need not be imported for them)."""
    if any(str(getattr(job, "model", "")).startswith("simulated/") for job in jobs):
        return profiles or {}
    return None


def prepare_process(profiles: dict | None) -> None:
    """What every process that makes calls needs: the simulated provider (with these profiles; None:
    no simulated model is called) and litellm's logs redacted."""
    if profiles is not None:
        from papers.collect.simulated import register

        register(profiles)
    redact_logs()


async def serve(jobs: list, call, concurrency: int, results, stop, parent: int | None = None,
                max_cost: float | None = None) -> None:
    """The workers' side: make every call, putting each outcome on `results`, until the jobs run
    out or `stop` is set (or, in a worker process, the storing process `parent` is gone). Calls
    that have cost `max_cost` between them set `stop` themselves: the storing side, which sums
    every worker's spending, may be several batches behind calls that answer fast."""
    limiter = AdaptiveLimiter(concurrency)
    pending = iter(jobs)
    spent = 0.0

    async def worker() -> None:
        nonlocal spent
        for job in pending:
            # a killed storing process could not keep what is asked for now: stop paying for it
            if stop.is_set() or (parent is not None and os.getppid() != parent):
                return
            try:
                outcome = await call(job, limiter)
            except Exception as e:  # noqa: BLE001 - raised by the storing process
                results.put((FAILED, e))
                stop.set()
                return
            results.put((OK, outcome))
            spent += getattr(outcome, "cost_usd", None) or 0.0
            if max_cost is not None and spent >= max_cost:
                stop.set()

    try:
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(jobs)))))
    finally:
        await _close_sessions()


async def _close_sessions() -> None:
    """The fast path's HTTP session of this loop, closed before the loop is (only if it was made)."""
    import sys

    fast = sys.modules.get("papers.collect.fast")
    if fast is not None:
        await fast.close()


def _drain(workers, on_batch) -> str | None:
    """The storing side: everything that has arrived goes to `on_batch` at once, until every worker
    is done. `on_batch` runs on a thread of its own so that Ctrl-C cannot cut a commit in half: the
    batch being stored is committed (the executor is shut down waiting for it) before the
    interrupt ends the run."""
    done, stopped = 0, None
    with ThreadPoolExecutor(1, thread_name_prefix="papers-store") as storing:
        while done < workers.count:
            arrived = _arrivals(workers)
            done += sum(1 for kind, _ in arrived if kind == DONE)
            outcomes = [item for kind, item in arrived if kind == OK]
            failure = next((item for kind, item in arrived if kind == FAILED), None)
            reason = storing.submit(on_batch, outcomes).result() if outcomes else None
            if failure is not None:
                _store_the_rest(workers, storing, on_batch)
                raise failure
            if reason and stopped is None:
                stopped = reason
                workers.stop.set()
    return stopped


def _store_the_rest(workers, storing, on_batch) -> None:
    """A refusal ends the run: the workers stop (calls in flight are cancelled), and every answer
    that arrived meanwhile is stored before the refusal is raised."""
    workers.close()
    rest = []
    while True:
        try:
            kind, item = workers.results.get_nowait()
        except queue.Empty:
            break
        if kind == OK:
            rest.append(item)
    if rest:
        storing.submit(on_batch, rest).result()


def _arrivals(workers) -> list[tuple]:
    """Every item on the queue, waiting for the first; workers gone without saying so are an error."""
    while True:
        try:
            arrived = [workers.results.get(timeout=1.0)]
            break
        except queue.Empty:
            if not workers.alive():
                raise ProviderError("the worker processes making the calls stopped unexpectedly.",
                                    "run the same command again; every stored answer is kept.") from None
    while True:
        try:
            arrived.append(workers.results.get_nowait())
        except queue.Empty:
            return arrived


class _Workers:
    """Started workers: their queue of outcomes, the shared stop event, and their threads or processes."""

    results: queue.Queue
    stop: threading.Event
    handles: list

    @property
    def count(self) -> int:
        return len(self.handles)

    def alive(self) -> bool:
        return any(h.is_alive() for h in self.handles)

    def close(self) -> None:
        self.stop.set()
        self.cancel()
        for handle in self.handles:
            handle.join(timeout=10)

    def cancel(self) -> None:
        """End the calls in flight."""


class _InThread(_Workers):
    """One event loop on a thread of this process."""

    def __init__(self, jobs: list, call, concurrency: int, max_cost: float | None = None):
        self.results, self.stop = queue.Queue(), threading.Event()
        self.task: tuple | None = None
        self.handles = [threading.Thread(target=self._main, args=(jobs, call, concurrency, max_cost), daemon=True,
                                         name="papers-calls")]
        self.handles[0].start()

    def _main(self, jobs: list, call, concurrency: int, max_cost: float | None) -> None:
        async def main() -> None:
            self.task = (asyncio.get_running_loop(), asyncio.current_task())
            await serve(jobs, call, concurrency, self.results, self.stop, max_cost=max_cost)

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        finally:
            self.results.put((DONE, None))

    def cancel(self) -> None:
        if self.task is not None:
            loop, task = self.task
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(task.cancel)


class _InProcesses(_Workers):
    """Worker processes, each with its own event loop over its share of the jobs."""

    def __init__(self, jobs: list, call, concurrency: int, processes: int, profiles: dict | None,
                 max_cost: float | None = None):
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # not fork: DuckDB and polars threads live here
        self.results, self.stop = context.Queue(), context.Event()
        share = max(1, concurrency // processes)
        self.handles = [context.Process(target=_process_main, daemon=True,
                                        args=(jobs[i::processes], call, share, self.results, self.stop, os.getpid(),
                                              profiles, max_cost))
                        for i in range(processes) if jobs[i::processes]]
        for handle in self.handles:
            handle.start()

    def close(self) -> None:
        super().close()
        for handle in self.handles:
            if handle.is_alive():
                handle.terminate()


def _process_main(jobs: list, call, concurrency: int, results, stop, parent: int, profiles: dict | None,
                  max_cost: float | None = None) -> None:
    prepare_process(profiles)
    try:
        asyncio.run(serve(jobs, call, concurrency, results, stop, parent, max_cost))
    except KeyboardInterrupt:
        pass
    finally:
        results.put((DONE, None))


def end_with_parent(parent: int) -> None:
    """In a worker process (storage's parsers): exit as soon as the process that started it is gone,
    killed or not, so that a killed run leaves nothing behind."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
