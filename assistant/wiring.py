"""The composition root: the one place that names concrete classes.

Every factory picks an implementation from a settings string and imports heavy libraries
lazily, so `assistant --help` and `index status` stay fast.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import LLM

from assistant.config import Settings
from assistant.errors import ConfigError, ModelError
from assistant.indexing.index_service import IndexService
from assistant.indexing.store import chroma_client

if TYPE_CHECKING:
    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.answering.service import Assistant
    from assistant.retrieval.hybrid import HybridRetriever

log = logging.getLogger(__name__)


def build_embedder(settings: Settings) -> BaseEmbedding:
    """The embedding model named by `settings.embedding`."""
    config = settings.embedding
    if config.backend == "hashing":
        from assistant.indexing.embeddings import HashingEmbedding

        return HashingEmbedding(config.hashing_dim)
    if config.backend == "sentence-transformers":
        from assistant.indexing.embeddings import SentenceTransformerEmbedding
        from assistant.models.paths import resolve_model_path

        if config.variant == "int8":
            from assistant.indexing.onnx_embedding import OnnxEmbedding

            return OnnxEmbedding(
                resolve_model_path(config.model, settings.models_dir),
                effective_model_name(settings),
                query_prompt_name=config.query_prompt_name,
                max_seq_length=config.max_seq_length,
                batch_size=config.batch_size,
            )
        return SentenceTransformerEmbedding(
            resolve_model_path(config.model, settings.models_dir),
            config.model,
            query_prompt_name=config.query_prompt_name,
            max_seq_length=config.max_seq_length,
            batch_size=config.batch_size,
        )
    if config.backend == "openai-compatible":
        from assistant.indexing.server_embedding import ServerEmbedding

        return ServerEmbedding(
            config.base_url or "",
            config.model,
            api_model=config.api_model,
            api_key=config.api_key.get_secret_value() if config.api_key else None,
            query_prompt=server_query_prompt(settings),
            batch_size=config.batch_size,
            concurrency=config.concurrency,
            timeout_s=config.timeout_s,
            retries=config.retries,
            retry_backoff_s=config.retry_backoff_s,
        )
    raise ConfigError(f"unknown embedding backend {config.backend!r}")


def build_query_embedder(settings: Settings, service: IndexService) -> BaseEmbedding:
    """What embeds questions: the fp32 ONNX copy of the fp32 model when it is there (the same
    vectors as torch, to cosine 0.9999999, in about half the time), else the index's own
    embedder, with one warning saying why."""
    config = settings.embedding
    if (config.backend, config.variant, config.query_runtime) != (
        "sentence-transformers", "fp32", "onnx"
    ):  # fmt: skip
        return service.embedder
    from assistant.indexing.onnx_embedding import OnnxEmbedding
    from assistant.models.onnx import FP32, export_dir, is_exported
    from assistant.models.paths import resolve_model_path

    try:
        folder = resolve_model_path(config.model, settings.models_dir)
        if not is_exported(folder, FP32):
            raise ModelError(f"no fp32 ONNX copy in {export_dir(folder, FP32)}")
        return OnnxEmbedding(
            folder,
            effective_model_name(settings),
            query_prompt_name=config.query_prompt_name,
            max_seq_length=config.max_seq_length,
            batch_size=config.batch_size,
            copy=FP32,
        )
    except ModelError as error:
        log.warning(
            "questions are embedded with torch, about twice as slow: %s; "
            "`assistant models fetch` makes the ONNX copy",
            error,
        )
        return service.embedder


def server_query_prompt(settings: Settings) -> str:
    """What goes before a question sent to an embedding server: the setting, else the
    model's own prompt (from its folder when this machine has one, else a built-in copy)."""
    from assistant.indexing.server_embedding import model_query_prompt
    from assistant.models.paths import resolve_model_path

    config = settings.embedding
    if config.query_prompt is not None:
        return config.query_prompt
    try:
        folder = resolve_model_path(config.model, settings.models_dir)
    except ModelError:  # the server's machine has the model; this one need not
        folder = None
    return model_query_prompt(config.model, config.query_prompt_name, folder)


def effective_model_name(settings: Settings) -> str:
    """The name vectors are filed under: the hashing fake never shares a real model's."""
    if settings.embedding.backend == "hashing":
        return f"hashing-{settings.embedding.hashing_dim}"
    # A server serving the model writes into the in-process model's collection (probe.py
    # checks that its vectors agree before it does).
    if settings.embedding.variant == "int8" and settings.embedding.backend != "openai-compatible":
        return f"{settings.embedding.model}@int8"
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


def build_retriever(settings: Settings, service: IndexService) -> HybridRetriever:
    """Dense + lexical retrieval over the service's collection, fused (`settings.retrieval`)."""
    from assistant.retrieval.dense import DenseRetriever
    from assistant.retrieval.hybrid import HybridRetriever
    from assistant.retrieval.lexical import open_lexical_index

    config = settings.retrieval
    store = service.open_store()
    lexical = None
    if config.lexical_k > 0:
        lexical = open_lexical_index(store, service.lexical_dir(store))
    return HybridRetriever(
        store,
        DenseRetriever(store, build_query_embedder(settings, service)),
        lexical,
        dense_k=config.dense_k,
        lexical_k=config.lexical_k,
        rrf_k=config.rrf_k,
    )


def build_llm(settings: Settings) -> LLM | None:
    """The language model named by `settings.llm`, or None when answers stay extractive."""
    config = settings.llm
    if config.backend == "none":
        return None
    if config.backend == "llama-cpp":
        # Spinning OpenMP workers collapse llama.cpp on a busy 2-core machine (measured 0.8
        # instead of 6 tokens/s); it reads this once, when llama_cpp is first imported.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError as error:
            raise ConfigError(
                "llm.backend llama-cpp needs the llm-local extra: pip install -e '.[llm-local]' "
                f"(llama-cpp-python compiles from source for several minutes; {error})"
            ) from error
        from assistant.answering.llm import chatml_completion_prompt, chatml_prompt
        from assistant.models.gguf import resolve_gguf_path

        model_path = resolve_gguf_path(config.model, settings.models_dir)
        try:
            return LlamaCPP(
                model_path=str(model_path),
                temperature=config.temperature,
                max_new_tokens=config.max_tokens,
                context_window=config.context_window,
                # Qwen ends a turn with <|im_end|>; without the stop it may start another.
                generate_kwargs={"stop": ["<|im_end|>", "<|endoftext|>"]},
                model_kwargs={"n_threads": config.threads or os.cpu_count() or 1},
                messages_to_prompt=chatml_prompt,
                completion_to_prompt=chatml_completion_prompt,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:  # llama.cpp could not load it
            raise ModelError(f"llama.cpp cannot load {model_path}: {error}") from error
    if config.backend == "openai-compatible":
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as error:
            raise ConfigError(
                "llm.backend openai-compatible needs the llm-api extra: "
                f"pip install -e '.[llm-api]' ({error})"
            ) from error
        return OpenAILike(
            model=config.api_model,
            api_base=config.base_url,
            api_key=config.api_key.get_secret_value() if config.api_key else "not-needed",
            is_chat_model=True,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            context_window=config.context_window,
            timeout=config.timeout_s,
            # A server that refuses or times out once will do so again; say it at once.
            max_retries=0,
        )
    raise ConfigError(f"unknown llm backend {config.backend!r}")


def _calibrated_model(settings: Settings) -> bool:
    """Whether the embedding model is the one the cosine settings were chosen for."""
    from assistant.config import EmbeddingSettings

    default = EmbeddingSettings.model_fields["model"].default
    config = settings.embedding
    if config.backend == "openai-compatible":  # the same model, served: the same cosines
        return config.model == default
    return (
        config.backend == "sentence-transformers"
        and config.model == default
        and config.variant == "fp32"
    )


def dense_gate(settings: Settings) -> float:
    """`answer.min_dense`, for the model it was chosen for; 0 (off) for any other, whose
    cosines mean something else."""
    return settings.answer.min_dense if _calibrated_model(settings) else 0.0


def build_extractive(settings: Settings) -> ExtractiveAnswerer:
    """The extractive reader; cosine-based settings only for the model they were chosen for."""
    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.answering.support import SimilarityScale

    answer = settings.answer
    scale = None
    if _calibrated_model(settings) and answer.similarity_weight > 0:
        scale = SimilarityScale(
            answer.similarity_weight, *answer.similarity_range, answer.min_blended_support
        )
    return ExtractiveAnswerer(answer.min_support, dense_gate(settings), scale)


def build_assistant(settings: Settings, service: IndexService | None = None) -> Assistant:
    """The question-answering service over the built index (`IndexStoreError` if none)."""
    from assistant.answering.llm import LLMAnswerer
    from assistant.answering.service import Assistant
    from assistant.errors import IndexStoreError

    service = service or build_index_service(settings)
    if not service.is_built():
        build = "build it with `assistant index update`"
        if settings.store.mode == "http":  # a second writer would fight the first one
            build = (
                "run `assistant index update` on the one machine that updates the Chroma "
                "server, and give other app machines a copy of its manifest.sqlite and "
                "lexical/ (docs/scaling.md)"
            )
        raise IndexStoreError(
            f"no index in {settings.index} for model {service.model_name}; {build}"
        )
    llm = build_llm(settings)
    return Assistant(
        build_retriever(settings, service),
        k=settings.retrieval.k,
        extractive=build_extractive(settings),
        llm=LLMAnswerer(llm) if llm is not None else None,
    )
