"""Errors a user can act on: each carries a message and, where there is one, the fix."""

from __future__ import annotations


class PapersError(Exception):
    """Base class: shown to the user as `Error: <message>` plus the hint, without a traceback."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nHint: {self.hint}"


class InputError(PapersError):
    """A file the user gave cannot be loaded as it is."""


class InstrumentError(PapersError):
    """An instrument file is malformed or does not fit the data."""


class StoreError(PapersError):
    """The DuckDB store cannot be opened, migrated or written."""


class ProviderError(PapersError):
    """A model provider could not be reached or refused the request."""


def located(path, row: int | None = None, field: str | None = None) -> str:
    """`file.csv, row 12, field 'trial'` -- the prefix every input message starts with."""
    parts = [str(path)]
    if row is not None:
        parts.append(f"row {row}")
    if field is not None:
        from papers.text import excerpt

        parts.append(f"field '{excerpt(field)}'")
    return ", ".join(parts)
