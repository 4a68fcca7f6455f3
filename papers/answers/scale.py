"""Answers on one scale: ratings given on each variant's own scale, read on the task's.

`papers analyze` and `papers drift` read ratings through `on_task_scale`, so that an audit and a
comparison of two audits see the same numbers.
"""

from __future__ import annotations

import polars as pl

from papers.instrument import Instrument


def on_task_scale(answers: pl.DataFrame, inst: Instrument) -> pl.DataFrame:
    """Ratings as answered (each on its variant's scale) mapped onto the rate task's scale, read so
    that higher is more important: linear between the ends, a reversed scale turned around
    (Scale.to_reference). Ranks are left as they are."""
    if "rate" not in inst.task_keys or answers.height == 0:
        return answers
    task = inst.task("rate")
    variant = pl.col("variant") if "variant" in answers.columns else pl.lit("default")
    mapped = pl.col("value")
    for v in task.all_variants:
        scale = v.scale or task.scale
        slope = scale.to_reference(scale.max, task.scale) - scale.to_reference(scale.min, task.scale)
        offset = scale.to_reference(scale.min, task.scale)
        share = (pl.col("value") - scale.min) * (slope / (scale.max - scale.min)) + offset
        mapped = pl.when((pl.col("task") == "rate") & (variant == v.id)).then(share).otherwise(mapped)
    return answers.with_columns(value=mapped)
