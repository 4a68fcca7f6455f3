"""papers: audit the values large language models prioritise (the PAPERS method)."""

import os

# litellm downloads its model cost map at import unless told to use the bundled copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"

# The Python API (papers.api), each function the one a command calls. They are looked up when first
# used, so `import papers` (and `papers --help`) imports nothing heavy.
__all__ = ["open_store", "load_instrument", "collect_answers", "ingest_responses", "ingest_survey", "analyze_audit", "results",
           "publish_report"]


def __getattr__(name: str):
    if name in __all__:
        import importlib

        return getattr(importlib.import_module("papers.api"), name)
    raise AttributeError(f"module 'papers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
