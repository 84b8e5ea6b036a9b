"""Settings: defaults, environment variables, overrides, and clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.config import DEFAULT_EMBEDDING_MODEL, load_settings, with_overrides
from assistant.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)


def test_defaults_run_offline_with_the_real_model() -> None:
    settings = load_settings()
    assert settings.corpus == Path("corpus") and settings.index == Path("index")
    assert settings.embedding.backend == "sentence-transformers"
    assert settings.embedding.model == DEFAULT_EMBEDDING_MODEL
    assert settings.store.mode == "persistent"


def test_environment_sets_top_level_and_nested_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CORPUS", "/data/bai-viet")
    monkeypatch.setenv("ASSISTANT_EMBEDDING__BACKEND", "hashing")
    monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_CHARS", "800")
    settings = load_settings()
    assert settings.corpus == Path("/data/bai-viet")
    assert settings.embedding.backend == "hashing"
    assert settings.chunking.max_chars == 800


def test_overrides_win_and_merge_into_nested_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX", "/env/index")
    monkeypatch.setenv("ASSISTANT_EMBEDDING__BACKEND", "hashing")
    settings = load_settings(index=Path("/flag/index"), corpus=None, embedding={"batch_size": 4})
    assert settings.index == Path("/flag/index")
    assert settings.corpus == Path("corpus")  # None means "not given"
    assert settings.embedding.backend == "hashing"  # kept from the environment
    assert settings.embedding.batch_size == 4


def test_models_dir_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert load_settings().models_dir == tmp_path / "vn-report-assistant" / "models"


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("ASSISTANT_CHUNKING__MAX_CHARS", "10", "chunking.max_chars"),
        ("ASSISTANT_EMBEDDING__BACKEND", "openai", "embedding.backend"),
        ("ASSISTANT_STORE__PORT", "99999", "store.port"),
        ("ASSISTANT_STORE__TOKEN", "tok en", "store.token"),
    ],
)
def test_bad_values_name_the_field(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_settings()


def test_the_store_token_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_STORE__MODE", "http")
    monkeypatch.setenv("ASSISTANT_STORE__TOKEN", "s3cret-token")
    settings = load_settings(store={"ssl": True})
    assert settings.store.token.get_secret_value() == "s3cret-token"  # kept through the merge
    assert settings.store.ssl and settings.store.mode == "http"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ConfigError, match="colour"):
        load_settings(colour="red")


def test_with_overrides_merges_sections_ignores_none_and_validates_again() -> None:
    settings = load_settings(embedding={"backend": "hashing"})
    changed = with_overrides(settings, retrieval={"k": 3}, llm={"backend": None}, index=None)
    assert changed.retrieval.k == 3 and changed.retrieval.dense_k == settings.retrieval.dense_k
    assert changed.embedding.backend == "hashing" and changed.llm.backend == "none"
    assert with_overrides(settings, retrieval={"k": None}) is settings  # nothing given
    with pytest.raises(ConfigError, match=r"llm: .*api_model"):
        with_overrides(settings, llm={"backend": "openai-compatible"})
    with pytest.raises(ConfigError, match=r"retrieval\.k"):
        with_overrides(settings, retrieval={"k": 0})
