"""The composition root: the one place that names concrete classes.

Every factory picks an implementation from a settings string and imports heavy libraries
lazily, so `assistant --help` and `index status` stay fast.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.indexing.index_service import IndexService
from assistant.indexing.store import chroma_client


def build_embedder(settings: Settings) -> BaseEmbedding:
    """The embedding model named by `settings.embedding`."""
    config = settings.embedding
    if config.backend == "hashing":
        from assistant.indexing.embeddings import HashingEmbedding

        return HashingEmbedding(config.hashing_dim)
    if config.backend == "sentence-transformers":
        from assistant.indexing.embeddings import SentenceTransformerEmbedding
        from assistant.indexing.models import resolve_model_path

        return SentenceTransformerEmbedding(
            resolve_model_path(config.model, settings.models_dir),
            config.model,
            query_prompt_name=config.query_prompt_name,
            max_seq_length=config.max_seq_length,
            batch_size=config.batch_size,
        )
    raise ConfigError(f"unknown embedding backend {config.backend!r}")


def effective_model_name(settings: Settings) -> str:
    """The name vectors are filed under: the hashing fake never shares a real model's."""
    if settings.embedding.backend == "hashing":
        return f"hashing-{settings.embedding.hashing_dim}"
    return settings.embedding.model


def build_index_service(settings: Settings, client: Any = None) -> IndexService:
    """The index service; `client` overrides the Chroma client (tests pass an ephemeral one)."""
    return IndexService(
        settings,
        effective_model_name(settings),
        embedder_factory=lambda: build_embedder(settings),
        client_factory=lambda: (
            client if client is not None else chroma_client(settings.store, settings.index)
        ),
    )
