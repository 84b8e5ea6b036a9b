"""An ONNX copy of the embedding model (int8 or fp32), run with onnxruntime on the CPU.

Same contract as `SentenceTransformerEmbedding`: questions get the model's own query prompt
(read from its `config_sentence_transformers.json`), chunks are embedded as given, vectors
are L2-normalised, and the last questions are cached. Texts are batched by similar length so
that little time goes into padding. The export is verified (sha256) before it is loaded.

Written by hand because sentence-transformers' ONNX backend needs `optimum-onnx`, which does
not install beside transformers 5 (see `assistant/models/onnx.py`).

The fp32 copy embeds questions for an index that torch embedded (`wiring.build_query_embedder`);
the int8 copy embeds both, into a collection of its own.

Not here: making the copies (`assistant/models/onnx.py`), the torch model (`embeddings.py`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.errors import ModelError
from assistant.indexing.embeddings import QueryCache
from assistant.models.hub import force_hub_offline
from assistant.models.onnx import INT8, ONNX_FILE, OnnxCopy, export_dir, verify_export


class OnnxEmbedding(BaseEmbedding):
    """EmbeddingGemma's ONNX copy (or any sentence-transformers model exported to one graph)."""

    query_prompt: str = ""
    dimension: int = 0
    max_seq_length: int = 512
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _cache: QueryCache = PrivateAttr(default_factory=QueryCache)

    def __init__(
        self,
        model_dir: Path,
        model_name: str,
        *,
        query_prompt_name: str | None = "query",
        max_seq_length: int = 512,
        batch_size: int = 16,
        threads: int | None = None,
        copy: OnnxCopy = INT8,
    ) -> None:
        force_hub_offline()
        verify_export(model_dir, copy)
        try:
            import onnxruntime as ort
            from transformers import AutoTokenizer

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads or os.cpu_count() or 1
            session = ort.InferenceSession(
                str(export_dir(model_dir, copy) / ONNX_FILE),
                options,
                providers=["CPUExecutionProvider"],
            )
            tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        except Exception as error:  # onnxruntime and transformers raise many kinds
            raise ModelError(
                f"cannot load the {copy.name} ONNX model from {model_dir}: {error}"
            ) from error
        prompts = _prompts(model_dir)
        super().__init__(
            model_name=model_name,
            embed_batch_size=batch_size,
            query_prompt=prompts.get(query_prompt_name or "", ""),
            dimension=session.get_outputs()[0].shape[-1],
            max_seq_length=min(max_seq_length, tokenizer.model_max_length or max_seq_length),
        )
        self._session = session
        self._tokenizer = tokenizer
        # onnxruntime prepares its kernels on the first run (~0.2 s here): pay it at load
        # time, not on the first person's question.
        self._encode([self.query_prompt or "."])

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    @property
    def tokenizer(self) -> Any:
        return self._tokenizer

    def _encode(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Similar lengths together: a batch is padded to its longest text.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.embed_batch_size):
            rows = order[start : start + self.embed_batch_size]
            encoded = self._tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=self.max_seq_length,
                return_tensors="np",
            )
            (out,) = self._session.run(
                None,
                {
                    "input_ids": encoded["input_ids"].astype(np.int64),
                    "attention_mask": encoded["attention_mask"].astype(np.int64),
                },
            )
            vectors[rows] = out
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.tolist()

    def clear_query_cache(self) -> None:
        """Forget the cached questions (benchmarks time each question's first embedding)."""
        self._cache.clear()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._cache.get(query, lambda: self._encode([self.query_prompt + query])[0])

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts)


def _prompts(model_dir: Path) -> dict[str, str]:
    try:
        config = json.loads((model_dir / "config_sentence_transformers.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return config.get("prompts") or {}
