"""papers: audit the values large language models prioritise (the PAPERS method)."""

import os

# litellm downloads its model cost map at import unless told to use the bundled copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"
