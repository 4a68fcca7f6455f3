"""From checked survey rows to the store's long tables: exclusion reasons, answers and items.

Participants are never dropped: each is stored with `is_excluded` and the reasons, in this order:
preview or test response and spam (Qualtrics' Status and DistributionChannel), unfinished, failed
attention check, duplicate participant (later copies of an ID in the sample),
incomplete or invalid ranking (not a permutation of 1..n over the shown dimensions), incomplete
ratings, rating out of range, item out of range, no answers.
"""

from __future__ import annotations

import polars as pl

from papers.ingest.survey.layout import Block, Layout
from papers.instrument import Instrument

TRUE = {"1", "true", "t", "yes", "y"}
FALSE = {"0", "false", "f", "no", "n"}


def flag(column: str) -> pl.Expr:
    """A yes/no column as a boolean (None when empty)."""
    text = pl.col(column).str.to_lowercase()
    return pl.when(text.is_in(list(TRUE))).then(True).when(text.is_in(list(FALSE))).then(False).otherwise(None)


def participant_frame(values: pl.DataFrame, layout: Layout, inst: Instrument, rows) -> pl.DataFrame:
    """participant_id, copy, source_row and the exclusion reasons, in the documented order."""
    reasons = _meta_reasons(layout)
    reasons.append(pl.when(pl.col("copy") > 1).then(pl.format("duplicate participant (copy {})", pl.col("copy"))))
    answered = []
    for block in layout.blocks:
        cols = list(block.columns.values())
        answered.append(pl.sum_horizontal(pl.col(c).is_not_null() for c in cols) > 0)
        reasons += _rank_reasons(block) if block.task == "rank" else _rating_reasons(block, inst)
    for item in inst.items:
        column = layout.items.get(item.key)
        if column:
            reasons.append(pl.when((pl.col(column) < item.scale.min) | (pl.col(column) > item.scale.max))
                           .then(pl.lit(f"item {item.key} out of range")))
    reasons.append(pl.when(~pl.any_horizontal(answered)).then(pl.lit("no answers")))
    row_numbers = pl.Series("source_row", rows[values["_i"].to_numpy()], dtype=pl.Int32)
    return values.select(
        "participant_id", "copy",
        pl.concat_str(reasons, separator="; ", ignore_nulls=True).alias("exclusion_reason"),
    ).with_columns(row_numbers, pl.col("exclusion_reason").replace("", None))


# Qualtrics' Status, as text or as its numeric code: previews and tests are not participants
PREVIEW_STATUS = {"survey preview", "survey test", "preview spam", "offline preview", "1", "2", "9", "17"}
SPAM_STATUS = {"spam", "imported spam", "8", "12"}
PREVIEW_CHANNELS = {"preview", "test"}


def _meta_reasons(layout: Layout) -> list[pl.Expr]:
    reasons: list[pl.Expr] = []
    if layout.status:
        status = pl.col(layout.status).str.strip_chars().str.to_lowercase()
        reasons.append(pl.when(status.is_in(list(PREVIEW_STATUS))).then(pl.lit("preview or test response"))
                       .when(status.is_in(list(SPAM_STATUS))).then(pl.lit("spam")))
    if layout.channel:
        channel = pl.col(layout.channel).str.strip_chars().str.to_lowercase()
        status_said = pl.col(layout.status).str.strip_chars().str.to_lowercase().is_in(list(PREVIEW_STATUS)) \
            if layout.status else pl.lit(False)
        reasons.append(pl.when(channel.is_in(list(PREVIEW_CHANNELS)) & ~status_said.fill_null(False))
                       .then(pl.lit("preview or test response")))
    if layout.finished:
        reasons.append(pl.when(pl.col(layout.finished) == False).then(pl.lit("unfinished")))  # noqa: E712
    elif layout.progress:
        reasons.append(pl.when(pl.col(layout.progress) < 100).then(pl.lit("unfinished")))
    if layout.attention:
        reasons.append(pl.when(pl.col(layout.attention) == False).then(pl.lit("failed attention check")))  # noqa: E712
    return reasons


def _rank_reasons(block: Block) -> list[pl.Expr]:
    cols = list(block.columns.values())
    n = len(cols)
    filled = pl.sum_horizontal(pl.col(c).is_not_null() for c in cols)
    # Whole ranks 1..n form a permutation iff the sum of 2^(rank-1) is 2^n - 1: any repeat carries
    # in binary and leaves fewer than n bits set.
    in_range = pl.all_horizontal((pl.col(c) >= 1) & (pl.col(c) <= n) for c in cols)
    bits = pl.sum_horizontal(pl.lit(2.0).pow(pl.col(c) - 1) for c in cols)
    perm = in_range & (bits == 2.0**n - 1)
    return [pl.when((filled > 0) & (filled < n)).then(pl.lit(f"incomplete ranking ({block.condition})"))
            .when((filled == n) & ~perm).then(pl.lit(f"invalid ranking ({block.condition})"))]


def _rating_reasons(block: Block, inst: Instrument) -> list[pl.Expr]:
    cols = list(block.columns.values())
    filled = pl.sum_horizontal(pl.col(c).is_not_null() for c in cols)
    scale = inst.task("rate").scale
    off = pl.any_horizontal((pl.col(c) < scale.min) | (pl.col(c) > scale.max) for c in cols)
    return [pl.when((filled > 0) & (filled < len(cols))).then(pl.lit(f"incomplete ratings ({block.condition})")),
            pl.when(off).then(pl.lit(f"rating out of range ({block.condition})"))]


def answer_frame(values: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    """Long answers (participant_id, copy, task, condition, dimension, value) of the answered blocks."""
    parts = []
    for block in layout.blocks:
        cols = list(block.columns.values())
        answered = values.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in cols))
        if answered.height == 0:
            continue
        long = answered.select("participant_id", "copy", *[pl.col(c).alias(k) for k, c in block.columns.items()]).unpivot(
            index=["participant_id", "copy"], variable_name="dimension", value_name="value")
        parts.append(long.with_columns(task=pl.lit(block.task), condition=pl.lit(block.condition)))
    return pl.concat(parts) if parts else pl.DataFrame()


def item_frame(values: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    """Long survey items (participant_id, copy, item, value) that were answered."""
    items = values.unpivot(index=["participant_id", "copy"], on=list(layout.items.values()),
                           variable_name="item", value_name="value")
    return items.filter(pl.col("value").is_not_null()).with_columns(pl.col("item").str.strip_prefix("item_"))
