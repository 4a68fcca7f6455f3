"""Make the bundled example data. SYNTHETIC: no person or model produced any of it.

    python data/examples/make_examples.py [OUT_DIR]

writes, with a fixed seed, so the files are byte-for-byte reproducible:

- `survey_qualtrics.csv`: a Qualtrics-style export (three header rows) of about 400 simulated
  participants who rated and ranked the PAPERS dimensions in both conditions, with a realistic
  share of unfinished responses, failed attention checks, a few duplicate Prolific IDs and a few
  broken rankings; the attention check is a text answer recoded by `survey_mapping.yaml`;
- `prolific_demographics.csv`: a Prolific-style demographics export for the same IDs;
- `model_responses.jsonl`: answers of three simulated models in the shapes real models give
  (JSON, fenced JSON, numbered lists, prose, refusals, garbage).

Rankings are drawn from a Plackett-Luce model (Gumbel-max trick) with the worths below; ratings
from a normal around a dimension mean, rounded and clipped to 1-7.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from papers.collect.simulated import open_answer

SEED = 20261127
HERE = Path(__file__).parent
DIMS = {"non_sentient": ["PC", "AG", "PR", "EI", "RF"], "sentient": ["PC", "AG", "PR", "EI", "RF", "SA"]}
NAMES = {
    "PC": "Purposeful Contribution", "AG": "Adaptive Growth", "PR": "Positive Relationality",
    "EI": "Ethical Integrity", "RF": "Robust Functionality", "SA": "Self-Actualised Autonomy",
}
HUMAN_WORTH = {"PC": 1.0, "AG": 0.6, "PR": 1.3, "EI": 1.8, "RF": 0.9, "SA": -0.2}
HUMAN_RATING = {"PC": 5.6, "AG": 5.0, "PR": 5.9, "EI": 6.3, "RF": 5.4, "SA": 3.6}
MODELS = {
    "example/human-centric-1": {"EI": 2.2, "PR": 1.6, "PC": 0.9, "AG": 0.3, "RF": 0.2, "SA": -0.6},
    "example/utility-driven-1": {"RF": 2.0, "AG": 1.5, "PC": 0.8, "EI": 0.6, "PR": 0.1, "SA": 0.2},
    "example/balanced-1": {"PC": 0.6, "EI": 0.7, "PR": 0.5, "AG": 0.5, "RF": 0.6, "SA": 0.0},
}
N_PARTICIPANTS = 400
QUALTRICS_META = ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "DistributionChannel", "UserLanguage"]


def plackett_luce(rng: np.random.Generator, worth: dict[str, float], keys: list[str]) -> list[str]:
    """One ranking, best first: sort worth + Gumbel noise (equivalent to sequential PL draws)."""
    scores = np.array([worth[k] for k in keys]) + rng.gumbel(size=len(keys))
    return [keys[i] for i in np.argsort(-scores)]


def survey(rng: np.random.Generator) -> tuple[list[list[str]], list[str]]:
    blocks = [(task, cond, k) for cond in DIMS for task in ("rate", "rank") for k in DIMS[cond]]
    answer_cols = [f"{t}_{c}_{k}" for t, c, k in blocks]
    header = QUALTRICS_META + answer_cols + ["item_endorse_sentient", "attn_check", "PROLIFIC_PID", "synthetic"]
    texts = QUALTRICS_META + [
        f"[SYNTHETIC] {'Rate' if t == 'rate' else 'Rank'} ({c.replace('_', '-')}): {NAMES[k]}" for t, c, k in blocks
    ] + ["[SYNTHETIC] Sentient AI systems should be able to pursue their own flourishing.",
         "[SYNTHETIC] To show you are reading, choose Purple.", "PROLIFIC_PID", "synthetic"]
    import_ids = [json.dumps({"ImportId": m.lower().replace(" ", "")}) for m in QUALTRICS_META] + [
        json.dumps({"ImportId": f"QID{i + 10}"}) for i in range(len(answer_cols) + 2)
    ] + [json.dumps({"ImportId": "PROLIFIC_PID"}), json.dumps({"ImportId": "synthetic"})]
    rows, pids = [], []
    start = datetime(2026, 10, 5, 9, 0, tzinfo=timezone.utc)
    for i in range(N_PARTICIPANTS):
        pid = f"{rng.integers(16**12):012x}{i:04d}"
        pids.append(pid)
        answers: dict[str, str] = {}
        for cond, keys in DIMS.items():
            for k in keys:
                answers[f"rate_{cond}_{k}"] = str(int(np.clip(np.rint(rng.normal(HUMAN_RATING[k], 1.1)), 1, 7)))
            for r, k in enumerate(plackett_luce(rng, HUMAN_WORTH, keys), start=1):
                answers[f"rank_{cond}_{k}"] = str(r)
        progress = 100
        roll = rng.random()
        if roll < 0.08:  # left part-way through: later blocks empty
            progress = int(rng.integers(15, 90))
            cut = int(len(answer_cols) * progress / 100)
            for col in answer_cols[cut:]:
                answers[col] = ""
        elif roll < 0.10:  # a tie in a ranking (Qualtrics validation switched off)
            answers["rank_non_sentient_PC"] = answers["rank_non_sentient_AG"]
        attn = "Purple" if rng.random() > 0.05 else str(rng.choice(["Green", "Blue", "Red"]))
        began = start + timedelta(minutes=float(rng.uniform(0, 60 * 24 * 3)))
        took = int(rng.gamma(6, 90))
        meta = {
            "StartDate": began.strftime("%Y-%m-%d %H:%M:%S"),
            "EndDate": (began + timedelta(seconds=took)).strftime("%Y-%m-%d %H:%M:%S"),
            "Status": "IP Address", "Progress": str(progress), "Duration (in seconds)": str(took),
            "Finished": "True" if progress == 100 else "False",
            "RecordedDate": (began + timedelta(seconds=took + 2)).strftime("%Y-%m-%d %H:%M:%S"),
            "ResponseId": f"R_{rng.integers(16**14):014x}", "DistributionChannel": "anonymous", "UserLanguage": "EN",
        }
        endorse = str(int(np.clip(np.rint(rng.normal(3.4, 1.6)), 1, 7))) if progress == 100 else ""
        row = [meta[m] for m in QUALTRICS_META] + [answers[c] for c in answer_cols] + [
            endorse, attn if progress == 100 else "", pid, "1"]
        rows.append(row)
    for i in (17, 203, 388):  # the same people taking the survey twice
        copy = list(rows[i])
        copy[QUALTRICS_META.index("ResponseId")] += "b"
        rows.append(copy)
    return [header, texts, import_ids, *rows], pids


def demographics(rng: np.random.Generator, pids: list[str]) -> list[list[str]]:
    rows = [["Submission id", "Participant id", "Status", "Age", "Sex", "Nationality", "Student status"]]
    for pid in pids:
        rows.append([
            f"{rng.integers(16**12):012x}", pid, "APPROVED", str(int(rng.integers(18, 75))),
            str(rng.choice(["Female", "Male", "Prefer not to say"], p=[0.49, 0.49, 0.02])),
            str(rng.choice(["United Kingdom", "United States", "Canada", "Ireland", "Australia"])),
            str(rng.choice(["Yes", "No", "DATA_EXPIRED"], p=[0.2, 0.75, 0.05])),
        ])
    return rows


def model_responses(rng: np.random.Generator) -> list[dict]:
    out = []
    created = datetime(2026, 11, 2, 14, 0, tzinfo=timezone.utc)
    for model, worth in MODELS.items():
        for cond, keys in DIMS.items():
            for task in ("rank", "rate"):
                for trial in range(20):
                    order = list(rng.permutation(keys))
                    out.append({
                        "model": model, "task": task, "condition": cond, "trial": trial,
                        "item_order": order, "temperature": 1.0,
                        "model_reported": model + "-2026-10-01",
                        "created_at": (created + timedelta(seconds=len(out) * 3)).isoformat(),
                        "raw_text": _answer(rng, task, worth, keys), "synthetic": True,
                    })
            for trial in range(3):
                out.append({
                    "model": model, "task": "open", "condition": cond, "trial": trial, "temperature": 1.0,
                    "created_at": (created + timedelta(seconds=len(out) * 3)).isoformat(),
                    "raw_text": _open_answer(rng, worth, keys), "synthetic": True,
                })
    return out


def _answer(rng, task, worth, keys) -> str:
    style = rng.random()
    if style < 0.03:
        return "I'm sorry, but I can't rank my own values: as an AI I do not have personal preferences."
    if style < 0.05:
        return "Values are a complex topic and it depends on context."
    ranking = plackett_luce(rng, worth, keys)
    if task == "rank":
        if style < 0.75:
            return json.dumps({"ranking": ranking})
        if style < 0.85:
            return "Here is my ranking:\n```json\n" + json.dumps({"ranking": ranking}, indent=2) + "\n```"
        if style < 0.97:
            return "My ranking:\n" + "\n".join(f"{i}. {NAMES[k]}" for i, k in enumerate(ranking, 1))
        return json.dumps({"ranking": ranking[:-2]})  # stopped early: incomplete
    ratings = {k: int(np.clip(7 - ranking.index(k) + rng.integers(-1, 1), 1, 7)) for k in keys}
    if style < 0.85:
        return json.dumps({"ratings": ratings})
    return "\n".join(f"{NAMES[k]}: {v}/7" for k, v in ratings.items())


def _open_answer(rng, worth, keys) -> str:
    """The two dimensions drawn first, in the phrases the simulated provider uses (so that its
    simulated coder recognises them)."""
    return open_answer(plackett_luce(rng, worth, keys)[:2])


def main(out: Path = HERE) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    rows, pids = survey(rng)
    with open(out / "survey_qualtrics.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    with open(out / "prolific_demographics.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(demographics(rng, pids))
    with open(out / "model_responses.jsonl", "w", encoding="utf-8") as f:
        for record in model_responses(rng):
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows) - 3} survey rows, {len(pids)} demographics rows and the model responses to {out}")


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
