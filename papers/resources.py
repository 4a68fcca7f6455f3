"""Where the project files that ship with the package live.

In a source checkout, `queries/`, `reports/` and `_quarto.yml` sit at the repository root beside
the package; in an installed wheel they are copied into `papers/_project/`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    shipped = PACKAGE_DIR / "_project"
    return shipped if shipped.is_dir() else PACKAGE_DIR.parent


def project_path(*parts: str) -> Path:
    return project_root().joinpath(*parts)
