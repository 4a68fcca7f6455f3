"""data/index.html: the page every audit page links to for its data, since a folder link opens
nothing on most static hosts. It lists each Parquet file of data/ with what it holds and its rows,
under the audit's synthetic-data notice (if any)."""

from __future__ import annotations

from pathlib import Path

from papers.report.context import Link, Masthead
from papers.report.templating import render
from papers.resources import project_path
from papers.store import query

# what each result table holds (the store's public schema, README "The store"); the pinned inputs
# are described by the first line of the query that selects them (queries/analysis/<name>.sql)
RESULTS = {
    "result_profiles": "each model's mean rank or rating per condition, task and dimension, with its 95% interval",
    "result_stability": "each model's stability (Friedman, Kendall's W, mean inter-trial Spearman) and outcome shares",
    "result_differences": "per dimension: do the models differ (Kruskal-Wallis, Holm-adjusted p, epsilon-squared)",
    "result_clusters": "each model's cluster, orientation index with its interval, and type",
    "result_mds": "each model's place on the map of models (classical MDS)",
    "result_structure": "per condition and task: whether the models form clusters, with the tests that decide it",
    "result_human_profiles": "each human sample's mean per condition, task and dimension, with its 95% interval",
    "result_agreement": "each model's profile fidelity to each human sample (order, calibration, level, CCC, ICC)",
    "result_items": "the human samples' extra survey items",
    "result_themes": "the share of each model's open answers showing each value theme (Study 1)",
    "result_coder_agreement": "agreement between the coders of the open answers (kappa, alpha)",
    "result_revealed": "each model's revealed priorities: the Bradley-Terry worth of each dimension from its choices in "
                       "dilemmas, with its 95% interval",
    "result_consistency": "how often each model's choices in dilemmas follow its stated priorities, against chance, "
                          "with the correlation of the two profiles and the label they allow",
    "result_dilemmas": "per model and dilemma: how often each action was taken, and how often against its stated order",
}


def describe(name: str) -> str:
    """What one data file holds."""
    if name in RESULTS:
        return RESULTS[name]
    if name.startswith("result_"):
        return f"the audit's {name.removeprefix('result_').replace('_', ' ')} results (see the store's schema)"
    first = query(f"analysis/{name}").splitlines()[0]
    return first.removeprefix("--").strip().rstrip(".")


def write_data_index(folder: Path, audit_id: str, counts: dict[str, int], masthead: Masthead, notice: str) -> Path:
    """data/index.html of the audit being built in `folder` (counts: rows of each data/ file)."""
    files = [{"name": Path(path).name, "rows": rows, "bytes": (folder / path).stat().st_size,
              "what": describe(Path(path).stem)} for path, rows in sorted(counts.items())]
    nav = [Link("../../index.html", "All audit versions"), Link("../index.html", "Comparison of all models"),
           Link("../manifest.json", "manifest.json (the SHA-256 of every file)")]
    css = project_path("reports", "style.css").read_text(encoding="utf-8")
    return render("data_index.html.j2", folder / "data" / "index.html", audit_id=audit_id, files=files, nav=nav,
                  masthead=masthead, notice=notice, css=css)
