"""Vectors from an embedding server speaking OpenAI's `/v1/embeddings` API.

`ServerEmbedding` is a llama-index `BaseEmbedding` that sends texts to a server (Infinity,
Text Embeddings Inference, vLLM, Ollama...) with httpx: `batch_size` texts per request,
`concurrency` requests in flight (a thread pool), retries with doubling back-off after a
connection error, a timeout, a 5xx or a 429, a timeout per request, and
`Authorization: Bearer <key>`. A server that cannot be reached or refuses is one
`EmbeddingServerError` line.

Texts are prepared exactly as `SentenceTransformerEmbedding` prepares them, since servers
apply no prompt: a chunk is sent as given (its text template already carries the document
format and title, filled in by llama-index), a question with the model's query prompt put
in front (`query_prompt`), as sentence-transformers does. Vectors are normalised here, as
the local model's are.

llama-index's own `OpenAIEmbedding` (and `OpenAILikeEmbedding` over it) is not used: it
replaces newlines in every text by spaces (so a server's vectors would not be the local
model's for chunks holding a line break), sends its batches one after the other, and asks
for base64 encoding, which not every OpenAI-compatible server speaks.

Not here: choosing the backend (`wiring.py`), checking that a server's model is the
collection's (`probe.py`).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.errors import EmbeddingServerError
from assistant.indexing.embeddings import QueryCache

# The query prompts of packaged models, for a machine that has no copy of the model folder
# (its config_sentence_transformers.json is read first when there is one).
BUILTIN_QUERY_PROMPTS = {"google/embeddinggemma-300m": "task: search result | query: "}
_DIMENSION_PROBE = "dimension"
_RETRY_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))


def model_query_prompt(model: str, prompt_name: str | None, folder: Path | None) -> str:
    """The text sentence-transformers puts before a question for `model`'s `prompt_name`:
    from the model folder's config_sentence_transformers.json, else a built-in copy, else ""."""
    if not prompt_name:
        return ""
    if folder is not None:
        try:
            config = json.loads((folder / "config_sentence_transformers.json").read_text())
            prompt = (config.get("prompts") or {}).get(prompt_name)
            if isinstance(prompt, str):
                return prompt
        except (OSError, ValueError):
            pass
    if prompt_name == "query":
        return BUILTIN_QUERY_PROMPTS.get(model, "")
    return ""


class ServerEmbedding(BaseEmbedding):
    """An OpenAI-compatible embedding server; `dimension` is asked of it at construction."""

    dimension: int = 0
    query_prompt: str = ""
    base_url: str = ""
    request_batch_size: int = 16
    concurrency: int = 1
    _client: Any = PrivateAttr()
    _api_model: str = PrivateAttr()
    _retries: int = PrivateAttr()
    _backoff_s: float = PrivateAttr()
    _sleep: Callable[[float], None] = PrivateAttr()
    _cache: QueryCache = PrivateAttr(default_factory=QueryCache)

    def __init__(
        self,
        base_url: str,
        model_name: str,
        *,
        api_model: str | None = None,
        api_key: str | None = None,
        query_prompt: str = "",
        batch_size: int = 16,
        concurrency: int = 2,
        timeout_s: float = 60.0,
        retries: int = 4,
        retry_backoff_s: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            model_name=model_name,
            # llama-index hands over this many texts per call; they go out as several
            # requests of `batch_size`, `concurrency` at a time.
            embed_batch_size=min(2048, batch_size * concurrency * 4),
            query_prompt=query_prompt,
            base_url=base_url.rstrip("/"),
            request_batch_size=batch_size,
            concurrency=concurrency,
        )
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            headers=headers,
            timeout=timeout_s,
            transport=transport,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self._api_model = api_model or model_name
        self._retries = retries
        self._backoff_s = retry_backoff_s
        self._sleep = sleep
        self.dimension = len(self._request([_DIMENSION_PROBE])[0])

    @classmethod
    def class_name(cls) -> str:
        return "ServerEmbedding"

    def close(self) -> None:
        self._client.close()

    def clear_query_cache(self) -> None:
        """Forget the cached questions (benchmarks time each question's first embedding)."""
        self._cache.clear()

    def _request(self, texts: list[str], stop: threading.Event | None = None) -> list[list[float]]:
        """One POST of `texts`, retried (unless `stop` is set); their vectors, normalised."""
        url = f"{self.base_url}/embeddings"
        body = {"model": self._api_model, "input": texts, "encoding_format": "float"}
        attempt = 0
        while True:
            try:
                response = self._client.post(url, json=body)
            except httpx.TransportError as error:  # refused, reset, timed out...
                problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            else:
                if response.status_code < 300:
                    return self._vectors(response, len(texts))
                problem = f"HTTP {response.status_code} {_excerpt(response)}"
                if response.status_code not in _RETRY_STATUS:
                    raise EmbeddingServerError(
                        f"the embedding server at {self.base_url} refused the request "
                        f"({problem}); check embedding.api_model and embedding.api_key"
                    )
            if attempt >= self._retries or (stop is not None and stop.is_set()):
                raise EmbeddingServerError(
                    f"the embedding server at {self.base_url} failed after "
                    f"{attempt + 1} attempts ({' '.join(problem.split())}); is it running? "
                    "(embedding.base_url, docs/scaling.md)"
                )
            self._sleep(self._backoff_s * 2**attempt)
            attempt += 1

    def _vectors(self, response: httpx.Response, count: int) -> list[list[float]]:
        try:
            rows = sorted(response.json()["data"], key=lambda row: row["index"])
            vectors = [[float(x) for x in row["embedding"]] for row in rows]
        except (ValueError, KeyError, TypeError) as error:
            raise EmbeddingServerError(
                f"the embedding server at {self.base_url} answered something other than "
                f"OpenAI embeddings ({type(error).__name__}: {error})"
            ) from error
        if len(vectors) != count or len({len(v) for v in vectors}) > 1:
            raise EmbeddingServerError(
                f"the embedding server at {self.base_url} returned {len(vectors)} vectors "
                f"for {count} texts"
            )
        return [_normalised(vector) for vector in vectors]

    def _embed(self, texts: list[str]) -> list[list[float]]:
        size = self.request_batch_size
        batches = [texts[start : start + size] for start in range(0, len(texts), size)]
        if len(batches) <= 1 or self.concurrency <= 1:
            parts = [self._request(batch) for batch in batches]
        else:
            parts = self._concurrently(batches)
        return [vector for part in parts for vector in part]

    def _concurrently(self, batches: list[list[str]]) -> list[list[list[float]]]:
        """`concurrency` requests in flight; after one fails for good, no new request starts
        and none is retried, and that failure is raised."""
        stop = threading.Event()

        def send(batch: list[str]) -> list[list[float]]:
            if stop.is_set():
                return []
            try:
                return self._request(batch, stop)
            except BaseException:
                stop.set()
                raise

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(send, batch) for batch in batches]
            wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            if future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        return [future.result() for future in futures]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._cache.get(query, lambda: self._request([self.query_prompt + query])[0])

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._request([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts)


def _normalised(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def _excerpt(response: httpx.Response) -> str:
    return " ".join(response.text.split())[:200]
