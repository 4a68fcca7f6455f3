"""What `papers power` plans against: a human profile from a sample in the store, a YAML file, or the
built-in plausible one. The simulations themselves are in papers.analysis.power (pure)."""

from __future__ import annotations

from pathlib import Path

from papers.analysis.power import HumanProfile, builtin_profile, profile_from_mapping
from papers.errors import InputError
from papers.instrument import Instrument, parse_instrument
from papers.store import Store, open_store, query, resolve_instrument


def human_profile(task: str, *, db_path=None, sample: str | None = None, profile_file: Path | None = None,
                  condition: str | None = None, instrument: str | None = None, k: int | None = None) -> HumanProfile:
    """The profile named by --sample or --profile, else the built-in one with k dimensions."""
    if sample:
        with open_store(db_path, read_only=True) as store:
            return sample_profile(store, sample, task, condition, instrument)
    if profile_file:
        return file_profile(profile_file, task)
    return builtin_profile(task, k or 5)


def file_profile(path: Path, task: str) -> HumanProfile:
    """A human profile from a YAML file of `KEY: mean`, checked; a bad file is an InputError."""
    import yaml

    from papers.limits import DocumentError, load_yaml

    try:
        raw = load_yaml(Path(path).read_text(encoding="utf-8-sig"))
    except DocumentError as e:
        raise InputError(f"{path}: cannot read the profile ({e}).",
                         "write one line per dimension, `KEY: mean`, e.g. `EI: 1.8`.") from e
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the profile ({e.__class__.__name__}: {getattr(e, 'strerror', None) or e}).",
                         "pass a UTF-8 YAML file with --profile.") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise InputError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', None) or 'unreadable'}).",
                         "write one line per dimension, `KEY: mean`, e.g. `EI: 1.8`.") from e
    return profile_from_mapping(raw, task, str(path))


def sample_profile(store: Store, sample: str, task: str, condition: str | None, instrument: str | None) -> HumanProfile:
    """A human sample's mean profile on one condition and task, from the participants not excluded."""
    inst = resolve_instrument(instrument, store) if instrument else _sample_instrument(store, sample)
    rows = store.frame(query("power/sample_profile"), {"sample": sample, "instrument": inst.sha256, "task": task})
    conditions = sorted(set(rows["condition"].to_list()))
    if condition is None and len(conditions) != 1:
        raise InputError(f"sample '{sample}' has {task} answers in {len(conditions)} conditions"
                         f"{': ' + ', '.join(conditions) if conditions else ''}.",
                         "name one with --condition." if conditions else "try the other --task.")
    condition = condition or conditions[0]
    if condition not in conditions:
        raise InputError(f"sample '{sample}' has no {task} answers in condition '{condition}'.",
                         f"its conditions with {task} answers: {', '.join(conditions) or 'none'}.")
    chosen = rows.filter(rows["condition"] == condition)
    means = dict(zip(chosen["dimension"], chosen["mean"]))
    order = [d for d in inst.shown(condition) if d in means]
    scale = inst.task("rate").scale if task == "rate" and "rate" in inst.task_keys else None
    return profile_from_mapping({d: means[d] for d in order}, task, f"sample '{sample}', condition {condition}",
                                (scale.min, scale.max) if scale else (1, 7), int(chosen["people"].max()))


def _sample_instrument(store: Store, sample: str) -> Instrument:
    rows = store.sql(query("power/sample_instruments"), {"sample": sample}).fetchall()
    if not rows:
        known = [r[0] for r in store.sql("select distinct sample from human_answers order by 1").fetchall()]
        raise InputError(f"{store.path}: no human sample named '{sample}'.",
                         f"samples in the store: {', '.join(known) or 'none (papers ingest survey loads one)'}.")
    if len(rows) > 1:
        names = "; ".join(f"{ident}@{version} ({sha[:12]})" for sha, ident, version, _ in rows)
        raise InputError(f"sample '{sample}' answered {len(rows)} instruments: {names}.",
                         "name one with --instrument id@version or its SHA-256.")
    return parse_instrument(rows[0][3], source=f"store:{rows[0][0][:12]}")
