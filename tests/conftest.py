"""Shared fixtures: hermetic settings (hashing embedder, temp folders) and the seed article."""

from __future__ import annotations

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
