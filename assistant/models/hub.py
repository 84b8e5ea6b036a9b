"""Keeping the Hugging Face libraries offline, for everything that loads a model folder.

This machine has no model hub to reach, and a library that tries one waits for a timeout
or prints warnings. `force_hub_offline` sets the libraries' own switches before a model is
loaded (by the embedding models in `indexing`, and by the ONNX export here).

Not here: finding model folders (`paths.py`), loading models (`indexing/embeddings.py`).
"""

from __future__ import annotations

import os


def force_hub_offline() -> None:
    """Make the Hugging Face libraries never try the network (there is none to try)."""
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[variable] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
