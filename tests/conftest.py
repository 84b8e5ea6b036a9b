"""Shared fixtures: hermetic settings (hashing embedder, temp folders) and the seed article."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import chromadb
import pytest

from assistant.config import Settings, load_settings
from assistant.indexing.index_service import IndexService
from assistant.wiring import build_index_service

PROJECT = Path(__file__).resolve().parents[1]
SEED = PROJECT / "corpus" / "000_d06571e5afc15d7f.txt"
SHARED = PROJECT.parent / "shared"


def hashing_env(settings: Settings) -> dict[str, str]:
    """Environment for an `assistant` subprocess on `settings`' folders, hashing embedder."""
    return os.environ | {
        "ASSISTANT_CORPUS": str(settings.corpus),
        "ASSISTANT_INDEX": str(settings.index),
        "ASSISTANT_MODELS_DIR": str(settings.models_dir),
        "ASSISTANT_EMBEDDING__BACKEND": "hashing",
        "PYTHONPATH": str(PROJECT),
    }


def require_kernel(missing: str | None) -> None:
    """Skip a test that needs a kernel feature this machine does not allow (a private mount
    namespace through `unshare`, capabilities dropped through `setpriv`); `missing` says which
    and why, None when it is there. With ASSISTANT_REQUIRE_KERNEL=1 (as in CI, whose machine
    allows both) a missing feature is a failure rather than a silent skip.
    """
    if missing is None:
        return
    if os.environ.get("ASSISTANT_REQUIRE_KERNEL") == "1":
        pytest.fail(f"{missing} (ASSISTANT_REQUIRE_KERNEL=1 requires it)")
    pytest.skip(missing)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A corpus folder holding a copy of the seed article."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path) -> Settings:
    """Settings that need no model files: hashing embedder, temp index and models cache."""
    return load_settings(
        corpus=corpus_dir,
        index=tmp_path / "index",
        models_dir=tmp_path / "models",
        embedding={"backend": "hashing"},
        # Ephemeral Chroma clients share one in-memory system per process: keep tests apart.
        store={"collection_prefix": f"t{uuid.uuid4().hex[:12]}"},
    )


@pytest.fixture
def service(settings: Settings) -> IndexService:
    return build_index_service(settings, client=chromadb.EphemeralClient())


@pytest.fixture
def run(tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """Invoke the `assistant` CLI in-process, with folders in tmp_path and the hashing embedder."""
    from click.testing import CliRunner

    from assistant.cli import cli

    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(corpus_dir))
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING__BACKEND", "hashing")

    def invoke(*args: str, stdin: str | bytes | None = None):
        return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def real_embedder():
    """The real EmbeddingGemma model, loaded once per test session (marker `model` tests).

    Skipped when it has not been fetched, unless ASSISTANT_REQUIRE_MODEL=1 (as in CI), where
    a missing model is a failure rather than a silent skip.
    """
    from assistant.models.cache import is_fetched
    from assistant.models.embedding import PACKAGED_MODELS
    from assistant.wiring import build_embedder

    real = load_settings()
    if not is_fetched(real.models_dir, PACKAGED_MODELS[real.embedding.model]):
        if os.environ.get("ASSISTANT_REQUIRE_MODEL") == "1":
            pytest.fail("the embedding model is not fetched; run `assistant models fetch`")
        pytest.skip("the embedding model is not fetched (run `assistant models fetch`)")
    return build_embedder(real)
