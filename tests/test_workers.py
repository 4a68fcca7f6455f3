"""The report's worker pool (papers.report.folder.worker_pool): what every task shares reaches each
worker once, the workers stay open for the site's history figures, and one worker means this process."""

from __future__ import annotations

import gc
import os

from papers.report.folder import open_workers, shared, worker_pool

PREPARED: list[int] = []


def _prepare() -> None:
    PREPARED.append(os.getpid())


def _task(n: int) -> tuple[int, str, int, bool]:
    return os.getpid(), shared()["tag"], n * n, os.getpid() in PREPARED


def test_workers_get_the_shared_value_once_and_stay_open_for_later_tasks():
    PREPARED.clear()
    assert open_workers() is None
    with worker_pool(2, 10, shared={"tag": "audit"}, prepare=_prepare) as run:
        out = run(_task, list(range(10)), "pages", None)
        assert [o[2] for o in out] == [n * n for n in range(10)]  # in order
        assert {o[1] for o in out} == {"audit"} and all(o[3] for o in out)  # shared and prepared in each worker
        assert os.getpid() not in {o[0] for o in out} and PREPARED == []  # in workers, not here
        later = open_workers()  # what the site's history figures are drawn on
        assert later is not None and [o[2] for o in later(_task, [3], "history figures", None)] == [9]
    assert open_workers() is None


def test_one_worker_runs_here_and_prepares_only_when_there_is_work():
    PREPARED.clear()
    with worker_pool(1, 10, shared={"tag": "here"}, prepare=_prepare) as run:
        assert run(_task, [], "pages", None) == [] and PREPARED == []  # nothing to build: nothing imported
        out = run(_task, [2, 3], "pages", None)
        assert {o[0] for o in out} == {os.getpid()} and [o[2] for o in out] == [4, 9] and PREPARED == [os.getpid()]
        run(_task, [4], "PDFs", None)
        assert PREPARED == [os.getpid()]  # once
        assert open_workers() is None  # no worker processes to lend
    assert gc.isenabled()  # the collector is paused only while preparing
