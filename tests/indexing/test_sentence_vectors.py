"""Sentence vectors: made with the chunks, stored once, scored against the question."""

from __future__ import annotations

import numpy as np

from assistant.config import Settings
from assistant.indexing.index_service import IndexService
from assistant.indexing.sentence_vectors import (
    SENTENCE_DIMS,
    VECTORS_KEY,
    cut_query,
    pack_spans,
    pack_vectors,
    unpack_spans,
    unpack_vectors,
)
from assistant.retrieval.sentences import read_passages
from assistant.text.sentences import sentence_spans
from assistant.wiring import build_retriever

HEALTH = """Tiêm chủng mở rộng năm 2023

Bệnh viện Nhi tỉnh Hòa Bình cho biết trong quý I đã tiếp nhận 1.240 ca sốt xuất huyết.
Số ca nặng phải chuyển tuyến là 37 ca, giảm một nửa so với cùng kỳ.
Giám đốc bệnh viện, bác sĩ Lò Văn Tâm, đề nghị người dân diệt lăng quăng hằng tuần.
"""


def test_packing_cuts_renormalises_and_round_trips() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(3, 768)).astype(np.float32)
    packed = unpack_vectors(pack_vectors(vectors), 3)
    assert packed is not None and packed.shape == (3, SENTENCE_DIMS)
    assert np.allclose(np.linalg.norm(packed, axis=1), 1.0, atol=1e-3)
    expected = (
        vectors[:, :SENTENCE_DIMS] / np.linalg.norm(vectors[:, :SENTENCE_DIMS], axis=1)[:, None]
    )
    assert np.allclose(packed, expected, atol=1e-3)
    assert unpack_spans(pack_spans([(0, 12), (13, 40)])) == [(0, 12), (13, 40)]


def test_damaged_metadata_reads_as_none() -> None:
    assert unpack_vectors("not base64!", 2) is None
    assert unpack_vectors(pack_vectors(np.ones((3, 7))), 2) is None  # rows do not fit
    assert unpack_spans("1:2;x:y") is None
    assert np.isclose(np.linalg.norm(cut_query([3.0] * 600)), 1.0)


def test_every_chunk_stores_one_vector_per_sentence_once(
    settings: Settings, service: IndexService
) -> None:
    (settings.corpus / "health.txt").write_text(HEALTH, encoding="utf-8")
    service.update()
    got = service.open_store().collection.get(include=["metadatas", "documents"])
    assert got["ids"]
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        spans = unpack_spans(meta["sentence_spans"])
        assert spans == sentence_spans(text)
        vectors = unpack_vectors(meta[VECTORS_KEY], len(spans))
        assert vectors is not None and vectors.shape[0] == len(spans)
        # Stored beside llama-index's JSON copy of the node, not inside it too.
        assert meta[VECTORS_KEY] not in meta["_node_content"]


def test_retrieved_passages_carry_each_sentences_similarity(
    settings: Settings, service: IndexService
) -> None:
    (settings.corpus / "health.txt").write_text(HEALTH, encoding="utf-8")
    service.update()
    retriever = build_retriever(settings, service)
    question = "Bác sĩ nào là giám đốc bệnh viện?"
    top = next(p for p in retriever.retrieve(question, k=5) if p.article_id == "health.txt")
    assert top.sentences and all(-1.0 <= cosine <= 1.0001 for _, _, cosine in top.sentences)
    best = max(top.sentences, key=lambda sentence: sentence[2])
    assert "Giám đốc bệnh viện" in top.text[best[0] : best[1]]


def test_passages_without_stored_vectors_are_left_as_they_are(
    settings: Settings, service: IndexService
) -> None:
    service.update()
    store = service.open_store()
    retriever = build_retriever(settings, service)
    passages = retriever.retrieve("tổng số đảng viên", k=2)
    ids = [passage.chunk_id for passage in passages]
    got = store.collection.get(ids=ids, include=["metadatas"])
    for chunk_id, meta in zip(got["ids"], got["metadatas"], strict=True):
        stripped = {k: v for k, v in meta.items() if k != VECTORS_KEY}
        store.collection.update(ids=[chunk_id], metadatas=[stripped | {VECTORS_KEY: "???"}])
    reread = read_passages(store, ids, [1.0] * service.embedder.dimension)
    assert [reread[chunk_id].sentences for chunk_id in ids] == [(), ()]
