"""A mapping file: renames a survey export's columns to papers' names and recodes their values.

    columns:                       # file column: papers column
      Q7_1: rate_non_sentient_PC
    values:                        # per papers column (globs allowed): raw value -> code
      "rate_*": {"Not at all important": 1, "Extremely important": 7}
      attention_check_passed: {"Purple": 1, "": "", "*": 0}   # "*" is the default
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from papers.errors import InputError
from papers.ingest.files import sha256_file
from papers.limits import DocumentError, load_yaml
from papers.text import excerpt


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    sha256: str | None = None

    def recode_for(self, column: str) -> dict[str, str] | None:
        for pattern, table in self.values.items():
            if fnmatch.fnmatchcase(column, pattern):
                return table
        return None


def load_mapping(path: Path) -> Mapping:
    try:
        raw = load_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, DocumentError) as e:
        problem = str(e) if isinstance(e, DocumentError) else excerpt(str(e).splitlines()[0])  # ours: whole
        raise InputError(f"{path}: cannot read the mapping file ({problem}).") from e
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a mapping file is a YAML mapping with keys 'columns' and 'values'.")
    unknown = set(raw) - {"columns", "values"}
    if unknown:
        raise InputError(f"{path}: field '{excerpt(sorted(map(str, unknown))[0])}': unknown key.",
                         "allowed keys: columns, values.")
    columns = raw.get("columns") or {}
    values = raw.get("values") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise InputError(f"{path}: field 'columns': expected file column: papers column pairs.")
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise InputError(f"{path}: field 'values': expected, per column (or glob), a mapping of raw value: code.")
    recode = {str(col): _recode_table(path, str(col), table) for col, table in values.items()}
    return Mapping({str(k): v for k, v in columns.items()}, recode, sha256_file(Path(path)))


def label_key(text: str) -> str:
    """How a label is matched: case and runs of white space do not matter ("Strongly  Disagree" is
    "strongly agree"'s neighbour, not a new label; survey tools mix "Strongly Disagree" and "Strongly agree")."""
    return " ".join(text.split()).lower()


def _recode_table(path: Path, column: str, table: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw, code in table.items():
        key, value = (label_key(_code_text(raw)) if _code_text(raw) != "*" else "*"), _code_text(code)
        if key in out and out[key] != value:
            raise InputError(f"{path}: field 'values.{excerpt(column)}': '{excerpt(_code_text(raw))}' is given twice "
                             f"with different codes ({out[key]} and {value}); labels match whatever their case and spacing.",
                             "keep one code per label.")
        out[key] = value
    return out


def _code_text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def check_mapping_sources(path: Path | None, maps: Mapping, header: list[str]) -> None:
    for source in maps.columns:
        if source not in header:
            raise InputError(
                f"{path}: field 'columns.{excerpt(source)}': the survey file has no column '{excerpt(source)}'.",
                "check the spelling against the file's header row.",
            )


def recode(batch: pl.DataFrame, maps: Mapping) -> pl.DataFrame:
    """Every column's raw values replaced by the mapping's codes (the default '*' where given)."""
    exprs = []
    for column in batch.columns:
        table = maps.recode_for(column) if column != "_i" else None
        if not table:
            continue
        default = table.get("*")
        pairs = {k: v for k, v in table.items() if k != "*"}
        key = pl.col(column).str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()
        exprs.append(key.replace_strict(
            list(pairs), list(pairs.values()), default=pl.col(column) if default is None else pl.lit(default),
            return_dtype=pl.String))
    return batch.with_columns(exprs) if exprs else batch
