"""Embedding models behind llama-index's `BaseEmbedding`: sentence-transformers, and a hashing fake.

`SentenceTransformerEmbedding` loads a local model folder with the Hugging Face libraries
forced offline, embeds questions with the model's own query prompt, and embeds chunks as
given (the chunk's text template already carries the document format and the title).

`HashingEmbedding` is a deterministic bag-of-words hash for tests: no files, no network,
similar texts get similar vectors. It is never a user default.

Not here: finding or fetching model files (`assistant/models/`), chunking.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.errors import ModelError
from assistant.models.hub import force_hub_offline
from assistant.text.normalize import fold_diacritics

_WORD = re.compile(r"\w+", re.UNICODE)
QUERY_CACHE_SIZE = 512


class QueryCache:
    """The vectors of the last `size` questions, least recently asked dropped first.

    A question costs ~100 ms of CPU to embed here; people and eval suites repeat questions.
    """

    def __init__(self, size: int = QUERY_CACHE_SIZE) -> None:
        self.size = size
        self._vectors: dict[str, list[float]] = {}  # a dict keeps insertion order

    def get(self, query: str, embed: Callable[[], list[float]]) -> list[float]:
        vector = self._vectors.pop(query, None)
        if vector is None:
            vector = embed()
        self._vectors[query] = vector
        while len(self._vectors) > self.size:
            del self._vectors[next(iter(self._vectors))]
        return vector

    def clear(self) -> None:
        self._vectors.clear()

    def __len__(self) -> int:
        return len(self._vectors)


class SentenceTransformerEmbedding(BaseEmbedding):
    """A sentence-transformers model loaded from a local folder, on the CPU by default."""

    query_prompt_name: str | None = None
    dimension: int = 0
    _model: Any = PrivateAttr()
    _cache: QueryCache = PrivateAttr(default_factory=QueryCache)

    def __init__(
        self,
        model_path: Path,
        model_name: str,
        *,
        query_prompt_name: str | None = "query",
        max_seq_length: int = 512,
        batch_size: int = 16,
        device: str = "cpu",
    ) -> None:
        force_hub_offline()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ModelError(
                "sentence-transformers is not installed; run `make index` or "
                "`pip install -e .` in the project"
            ) from error
        try:
            model = SentenceTransformer(str(model_path), device=device, local_files_only=True)
        except Exception as error:  # the library raises many types for a broken folder
            raise ModelError(
                f"cannot load the embedding model from {model_path}: {error}"
            ) from error
        model.max_seq_length = min(max_seq_length, model.max_seq_length or max_seq_length)
        prompts = getattr(model, "prompts", {}) or {}
        if query_prompt_name and query_prompt_name not in prompts:
            query_prompt_name = None  # a model without prompts embeds questions as they are
        super().__init__(
            model_name=model_name,
            embed_batch_size=batch_size,
            query_prompt_name=query_prompt_name,
            dimension=model.get_embedding_dimension(),
        )
        self._model = model

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    @property
    def tokenizer(self) -> Any:
        return self._model.tokenizer

    def _encode(self, texts: list[str], prompt_name: str | None) -> list[list[float]]:
        vectors = self._model.encode(
            texts,
            prompt_name=prompt_name,
            batch_size=self.embed_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.tolist()

    def clear_query_cache(self) -> None:
        """Forget the cached questions (benchmarks time each question's first embedding)."""
        self._cache.clear()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._cache.get(query, lambda: self._encode([query], self.query_prompt_name)[0])

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text], None)[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, None)


class HashingEmbedding(BaseEmbedding):
    """Deterministic feature-hashing embedder over diacritic-folded words and word pairs."""

    dimension: int = 256

    def __init__(self, dimension: int = 256) -> None:
        super().__init__(model_name=f"hashing-{dimension}", dimension=dimension)

    @classmethod
    def class_name(cls) -> str:
        return "HashingEmbedding"

    def _vector(self, text: str) -> list[float]:
        words = _WORD.findall(fold_diacritics(text))
        features = words + [f"{a} {b}" for a, b in pairwise(words)]
        vector = [0.0] * self.dimension
        for feature in features:
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % self.dimension
            vector[slot] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(value * value for value in vector)) or 1.0
        return [value / norm for value in vector]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)
