"""The request key that makes a trial unique, shared by collection and ingest."""

from __future__ import annotations

import hashlib
import json

DEFAULT_VARIANT = "default"


def response_id(instrument_sha256: str, model: str, task: str, condition: str, trial: int,
                item_order: list[str] | None, decoding: dict | None = None, variant: str | None = None,
                scenario: str | None = None) -> str:
    """SHA-256 of the request key: instrument, model, task, condition, trial, item order, the
    decoding settings (temperature and the like) and the variant (wording and answer format) of the
    task. Replicates differ in `trial`, so they are never one key; the same trial asked twice is.
    The default variant adds nothing to the key, so trials stored before variants existed keep theirs.
    A choose trial's key names its scenario (its item order: the dimensions its actions serve, A first)."""
    key = [instrument_sha256, model, task, condition, int(trial), list(item_order) if item_order else None,
           {k: v for k, v in sorted((decoding or {}).items()) if v is not None}]
    if variant and variant != DEFAULT_VARIANT:
        key.append({"variant": variant})
    if scenario is not None:
        key.append({"scenario": scenario})
    return hashlib.sha256(json.dumps(key, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
