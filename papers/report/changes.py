"""changes.html: what changed since the previous published audit of the same store.

Per model, condition and task in both audits, a row is shown when the first priority or the type
changed, or the best concordance with a human sample (CCC) moved by 0.05 or more. The first
priority is the first of the ordered dimensions of queries/analysis/summary.sql, the same ordering
every summary box names.
"""

from __future__ import annotations

from pathlib import Path

from papers.report import engines, reads
from papers.report.context import ChangesPage, Frame, Link, Masthead
from papers.report.templating import render
from papers.store import Store

KEYS = ["model", "condition", "task"]
CCC_MOVE = 0.05  # the smallest move of the best CCC the page reports


def write_changes(store: Store, build: Path, audit_id: str, previous: str, nav: list[Link], masthead: Masthead,
                  frame: Frame) -> None:
    """Render changes.html into the audit's build folder (HTML only: the page has no PDF)."""
    page = changes_page(store, audit_id, previous, nav, masthead, frame)
    engines.render(render("changes.qmd.j2", build / "changes.qmd", page=page), "pandoc")


def changes_page(store: Store, audit_id: str, previous: str, nav: list[Link], masthead: Masthead,
                 frame: Frame) -> ChangesPage:
    now, before = reads.summary(store, audit_id), reads.summary(store, previous)
    added, dropped = set(now["model"]) - set(before["model"]), set(before["model"]) - set(now["model"])
    both = before.join(now, on=KEYS, how="inner", suffix="_now").sort(KEYS)
    rows = [change_row(r) for r in both.iter_rows(named=True) if changed(r)]
    return ChangesPage(audit_id=audit_id, previous=previous, added=sorted(added), dropped=sorted(dropped), rows=rows,
                       nav=nav, masthead=masthead, frame=frame)


def changed(r: dict) -> bool:
    before, now = r["best_ccc"], r["best_ccc_now"]
    ccc_moved = before is not None and now is not None and abs(now - before) >= CCC_MOVE
    return r["first_dimension"] != r["first_dimension_now"] or r["model_type"] != r["model_type_now"] or ccc_moved


def change_row(r: dict) -> dict:
    return {"model": r["model"], "condition": r["condition"], "task": r["task"],
            "first": pair(r["first_dimension"], r["first_dimension_now"]),
            "type": pair(r["model_type"], r["model_type_now"]),
            "ccc": pair(r["best_ccc"], r["best_ccc_now"], digits=True)}


def pair(before, now, digits: bool = False) -> str:
    """"before -> now", or the value once when it did not change."""
    fb = f"{before:.2f}" if digits and before is not None else (before or "n/a")
    fn = f"{now:.2f}" if digits and now is not None else (now or "n/a")
    return fb if fb == fn else f"{fb} -> {fn}"


