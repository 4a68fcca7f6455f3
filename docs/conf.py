"""Sphinx configuration of the papers documentation (`make docs` builds it into docs/_build/html)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from papers import __version__  # noqa: E402

project = "papers"
author = "The papers team"
copyright = "2026, the papers team"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "numpydoc",
    "sphinx_click",
    "papers_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "README.md"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
autodoc_typehints = "none"  # numpydoc's sections say the types
autodoc_member_order = "bysource"
html_theme = "furo"
html_title = f"papers {__version__}"
html_static_path: list[str] = []
suppress_warnings = ["myst.xref_missing"]
