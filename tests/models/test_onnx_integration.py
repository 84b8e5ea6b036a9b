"""The ONNX copies of the real model, made here and compared with torch's fp32 (markers
`model`, `slow`: an export takes a few minutes the first time, then it is cached and only
verified). The fp32 copy embeds questions against torch's chunk vectors, so it must rank
exactly as torch does; int8 has a collection of its own and need only stay close.
"""

from __future__ import annotations

import math

import pytest

from assistant.config import load_settings
from assistant.models.onnx import FP32, INT8, export, verify_export
from assistant.models.paths import resolve_model_path
from tests.answering.passages import article_from_file, passages_of
from tests.conftest import SEED

pytestmark = [pytest.mark.model, pytest.mark.slow]
QUESTIONS = [
    "Tổng số đảng viên toàn tỉnh là bao nhiêu?",
    "Tỷ lệ chi bộ đã tổ chức đại hội là bao nhiêu?",
    "Kế hoạch số 43 của Ban Thường vụ Tỉnh ủy được ban hành ngày nào?",
]


@pytest.fixture(scope="module")
def int8(real_embedder):
    from assistant.indexing.onnx_embedding import OnnxEmbedding

    settings = load_settings(embedding={"variant": "int8"})
    folder = resolve_model_path(settings.embedding.model, settings.models_dir)
    export(folder, INT8)  # made once per models cache; verified on every later call
    return OnnxEmbedding(folder, "google/embeddinggemma-300m@int8")


@pytest.fixture(scope="module")
def fp32_questions(real_embedder):
    """What `build_query_embedder` gives by default, once `make models` made the copy."""
    from assistant.indexing.onnx_embedding import OnnxEmbedding
    from assistant.wiring import build_index_service, build_query_embedder

    settings = load_settings()
    export(resolve_model_path(settings.embedding.model, settings.models_dir), FP32)
    embedder = build_query_embedder(settings, build_index_service(settings))
    assert isinstance(embedder, OnnxEmbedding)
    return embedder


def cosine(a, b) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b)
    )


def test_the_export_is_verified_and_shaped_like_the_original(int8, real_embedder):
    settings = load_settings()
    verify_export(resolve_model_path(settings.embedding.model, settings.models_dir), INT8)
    assert int8.dimension == real_embedder.dimension == 768
    vector = int8.get_query_embedding(QUESTIONS[0])
    assert abs(sum(v * v for v in vector) - 1) < 1e-4


def test_int8_vectors_stay_close_to_fp32(int8, real_embedder):
    chunks = [p.text for p in passages_of(article_from_file(SEED))][:8]
    for ours, theirs in zip(
        int8.get_text_embedding_batch(chunks), real_embedder.get_text_embedding_batch(chunks),
        strict=True,
    ):  # fmt: skip
        assert cosine(ours, theirs) > 0.97
    for question in QUESTIONS:
        assert cosine(int8.get_query_embedding(question),
                      real_embedder.get_query_embedding(question)) > 0.97  # fmt: skip


def test_int8_ranks_the_seed_chunks_like_fp32(int8, real_embedder):
    passages = passages_of(article_from_file(SEED))
    texts = [f"title: {p.title} | text: {p.text}" for p in passages]
    for model in (int8, real_embedder):
        vectors = model.get_text_embedding_batch(texts)
        query = model.get_query_embedding(QUESTIONS[0])
        best = max(range(len(texts)), key=lambda i: cosine(vectors[i], query))
        assert "27.350" in passages[best].text


def test_the_fp32_copy_embeds_questions_as_torch_does(fp32_questions, real_embedder):
    passages = passages_of(article_from_file(SEED))
    texts = [f"title: {p.title} | text: {p.text}" for p in passages]
    vectors = real_embedder.get_text_embedding_batch(texts)  # the index is torch's
    asked = [*QUESTIONS, "tong so dang vien toan tinh", "How many party members are there?"]
    for question in asked:
        ours = fp32_questions.get_query_embedding(question)
        theirs = real_embedder.get_query_embedding(question)
        assert cosine(ours, theirs) > 0.99999
        ranked = [
            sorted(range(len(texts)), key=lambda i, q=q: -cosine(vectors[i], q))[:5]
            for q in (ours, theirs)
        ]
        assert ranked[0] == ranked[1], question
