"""With the real EmbeddingGemma model on the real seed article (marker `model`; CI runs it).

Skipped when the model has not been fetched, unless ASSISTANT_REQUIRE_MODEL=1 (as in CI),
where a missing model is a failure rather than a silent skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import chromadb
import pytest

from assistant.config import Settings, load_settings
from assistant.indexing.embeddings import SentenceTransformerEmbedding
from assistant.indexing.index_service import IndexService
from assistant.retrieval.dense import DenseRetriever

pytestmark = pytest.mark.model

QUESTION = "Tổng số đảng viên toàn tỉnh là bao nhiêu?"


@pytest.fixture(scope="module")
def embedder(real_embedder) -> SentenceTransformerEmbedding:
    assert isinstance(real_embedder, SentenceTransformerEmbedding)
    return real_embedder


@pytest.fixture
def real_service(settings: Settings, embedder: SentenceTransformerEmbedding) -> IndexService:
    real = settings.model_copy(update={"embedding": load_settings().embedding})
    return IndexService(
        real, embedder.model_name, lambda: embedder, lambda: chromadb.EphemeralClient()
    )


def test_model_loads_offline_with_its_prompts(embedder: SentenceTransformerEmbedding) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert embedder.dimension == 768
    assert embedder.query_prompt_name == "query"
    vector = embedder.get_query_embedding(QUESTION)
    assert len(vector) == 768
    assert abs(sum(v * v for v in vector) - 1.0) < 1e-3


def test_repeated_questions_reuse_their_embedding(embedder: SentenceTransformerEmbedding) -> None:
    first = embedder.get_query_embedding("Có bao nhiêu chi bộ đã tổ chức đại hội?")
    assert embedder.get_query_embedding("Có bao nhiêu chi bộ đã tổ chức đại hội?") is first


@pytest.mark.parametrize(
    "question",
    # Unaccented questions need the lexical retriever (next issue); dense alone is not enough.
    [QUESTION, "Tổng số Ðảng viên toàn tỉnh là bao nhiêu?", "Tổng số đảng viên toàn tỉnh".upper()],
)
def test_seed_search_puts_the_27350_paragraph_first(
    real_service: IndexService, question: str
) -> None:
    report = real_service.update()
    assert report.added == 1
    passages = DenseRetriever(real_service.open_store(), real_service.embedder).retrieve(
        question, 3
    )
    assert "27.350" in passages[0].text
    assert passages[0].article_id == "000_d06571e5afc15d7f.txt"


def test_cli_end_to_end_with_the_real_model(tmp_path: Path, corpus_dir: Path) -> None:
    env = os.environ | {
        "ASSISTANT_CORPUS": str(corpus_dir),
        "ASSISTANT_INDEX": str(tmp_path / "ix"),
    }
    env.pop("ASSISTANT_EMBEDDING__BACKEND", None)
    assistant = str(Path(sys.executable).with_name("assistant"))
    update = subprocess.run(
        [assistant, "index", "update", "--json"], env=env, capture_output=True, text=True
    )
    assert update.returncode == 0, update.stderr
    assert json.loads(update.stdout.strip().splitlines()[-1])["added"] == 1
    search = subprocess.run(
        [assistant, "search", QUESTION, "--json"], env=env, capture_output=True, text=True
    )
    assert search.returncode == 0, search.stderr
    rows = json.loads(search.stdout)
    assert "27.350" in rows[0]["text"]
    assert rows[0]["article_id"] == "000_d06571e5afc15d7f.txt"
