"""Self-check of the answer corpus: every file loads and every expectation is well formed.

Run it from anywhere: `python tests/data/answers/check_corpus.py`. It needs no parser: it checks
the corpus itself (JSON Lines, unique ids, `shown` a permutation of the condition's dimensions,
valid rankings a permutation of `shown`, valid ratings a number on 1-7 for every shown dimension),
prints the counts per status and per style (file), and exits 1 on any problem.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONDITIONS = {
    "non_sentient": ("PC", "AG", "PR", "EI", "RF"),
    "sentient": ("PC", "AG", "PR", "EI", "RF", "SA"),
}
TASKS = ("rank", "rate")
STATUSES = ("valid", "refused", "incomplete", "unparseable")
SCALE = (1, 7)
FIELDS = {"id", "task", "condition", "shown", "text", "expect"}
OPTIONAL = {"note"}
MIN_CASES = 300


def _check_expect(task: str, shown: list[str], expect: object) -> list[str]:
    if not isinstance(expect, dict):
        return ["expect is not an object"]
    status = expect.get("status")
    if status not in STATUSES:
        return [f"expect.status {status!r} is not one of {', '.join(STATUSES)}"]
    keys = set(expect) - {"status"}
    if status == "valid":
        want = "ranking" if task == "rank" else "ratings"
        if keys != {want}:
            return [f"a valid {task} answer needs exactly expect.{want} (found: {', '.join(sorted(keys)) or 'nothing'})"]
        if task == "rank":
            ranking = expect["ranking"]
            if not isinstance(ranking, list) or sorted(ranking) != sorted(shown) or len(set(ranking)) != len(ranking):
                return [f"ranking {ranking!r} is not a permutation of shown {shown!r}"]
        else:
            ratings = expect["ratings"]
            if not isinstance(ratings, dict) or set(ratings) != set(shown):
                got = sorted(ratings) if isinstance(ratings, dict) else ratings
                return [f"ratings keys {got!r} are not the shown dimensions {sorted(shown)!r}"]
            bad = {
                k: v for k, v in ratings.items()
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not SCALE[0] <= v <= SCALE[1]
            }
            if bad:
                return [f"ratings not a number on {SCALE[0]}-{SCALE[1]}: {bad!r}"]
        return []
    if status == "unparseable":
        if keys != {"reason"} or not isinstance(expect["reason"], str) or not expect["reason"].strip():
            return ["an unparseable expectation needs exactly a non-empty expect.reason"]
        return []
    if keys:
        return [f"a {status} expectation takes no other field (found: {', '.join(sorted(keys))})"]
    return []


def _check_case(case: object) -> list[str]:
    if not isinstance(case, dict):
        return ["the line is not a JSON object"]
    missing = FIELDS - set(case)
    extra = set(case) - FIELDS - OPTIONAL
    problems = []
    if missing:
        problems.append(f"missing field(s): {', '.join(sorted(missing))}")
    if extra:
        problems.append(f"unknown field(s): {', '.join(sorted(extra))}")
    if missing:
        return problems
    if not isinstance(case["id"], str) or not case["id"].strip():
        problems.append("id is not a non-empty string")
    if case["task"] not in TASKS:
        problems.append(f"task {case['task']!r} is not one of {', '.join(TASKS)}")
    if case["condition"] not in CONDITIONS:
        problems.append(f"condition {case['condition']!r} is not one of {', '.join(CONDITIONS)}")
    if not isinstance(case["text"], str):
        problems.append("text is not a string")
    if "note" in case and not isinstance(case["note"], str):
        problems.append("note is not a string")
    shown = case["shown"]
    if case["condition"] in CONDITIONS:
        dims = CONDITIONS[case["condition"]]
        if not isinstance(shown, list) or sorted(shown) != sorted(dims) or len(set(shown)) != len(shown):
            problems.append(f"shown {shown!r} is not a permutation of the {case['condition']} dimensions {list(dims)!r}")
    if problems:
        return problems
    return _check_expect(case["task"], shown, case["expect"])


def check(directory: Path = HERE) -> tuple[list[str], list[dict]]:
    """All problems found in the corpus files of `directory`, and the cases (with their style)."""
    problems: list[str] = []
    cases: list[dict] = []
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        return [f"{directory}: no .jsonl files"], cases
    seen: dict[str, str] = {}
    texts: dict[tuple, tuple[str, str]] = {}
    for path in files:
        raw = path.read_bytes()
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append(f"{path.name}: not UTF-8 ({e})")
            continue
        if content and not content.endswith("\n"):
            problems.append(f"{path.name}: the last line does not end with a newline")
        for n, line in enumerate(content.split("\n")[:-1] if content.endswith("\n") else content.split("\n"), 1):
            where = f"{path.name}:{n}"
            if not line.strip():
                problems.append(f"{where}: blank line")
                continue
            try:
                case = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{where}: not valid JSON ({e.msg}, column {e.colno})")
                continue
            label = f"{where} ({case.get('id')})" if isinstance(case, dict) else where
            found = _check_case(case)
            problems += [f"{label}: {p}" for p in found]
            if found:
                continue
            if case["id"] in seen:
                problems.append(f"{label}: id {case['id']!r} is already used at {seen[case['id']]}")
            seen.setdefault(case["id"], where)
            same = (case["task"], tuple(case["shown"]), case["text"])
            expect = json.dumps(case["expect"], sort_keys=True)
            if same in texts and texts[same][0] != expect:
                problems.append(f"{label}: the same task, shown order and text as {texts[same][1]} with another expectation")
            texts.setdefault(same, (expect, where))
            cases.append(dict(case, style=path.stem))
    if len(cases) < MIN_CASES:
        problems.append(f"only {len(cases)} cases; the corpus should hold at least {MIN_CASES}")
    return problems, cases


def _table(cases: list[dict]) -> str:
    styles = sorted({c["style"] for c in cases})
    by = Counter((c["style"], c["expect"]["status"]) for c in cases)
    tasks = Counter((c["style"], c["task"]) for c in cases)
    conds = Counter((c["style"], c["condition"]) for c in cases)
    head = ["style", *STATUSES, "rank", "rate", "non_sentient", "sentient", "total"]
    rows = []
    for s in styles:
        counts = [by[s, st] for st in STATUSES] + [tasks[s, t] for t in TASKS] + [conds[s, c] for c in CONDITIONS]
        rows.append([s, *map(str, counts), str(sum(by[s, st] for st in STATUSES))])
    totals = [sum(by[s, st] for s in styles) for st in STATUSES]
    totals += [sum(tasks[s, t] for s in styles) for t in TASKS] + [sum(conds[s, c] for s in styles) for c in CONDITIONS]
    rows.append(["total", *map(str, totals), str(len(cases))])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(r, widths))) for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else HERE
    problems, cases = check(directory)
    if cases:
        print(_table(cases))
        print()
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    print(f"{len(cases)} cases in {len({c['style'] for c in cases})} files: all well formed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
