"""Hybrid retrieval: rank fusion, and Passages that are complete whichever side found them."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core import VectorStoreIndex
from llama_index.vector_stores.chroma import ChromaVectorStore

from assistant.config import Settings
from assistant.indexing.index_service import IndexService
from assistant.indexing.lexical import lexical_dir
from assistant.indexing.store import ChunkStore
from assistant.retrieval import hybrid as hybrid_module
from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.hybrid import HybridRetriever, reciprocal_rank_fusion
from assistant.retrieval.lexical import open_lexical_index
from assistant.retrieval.passage import Passage
from assistant.text.normalize import fold_diacritics
from assistant.wiring import build_retriever

SEED_ID = "000_d06571e5afc15d7f.txt"


def _hybrid(service: IndexService, **options) -> HybridRetriever:
    store = service.open_store()
    lexical = open_lexical_index(store, lexical_dir(service.settings.index, store.name))
    return HybridRetriever(store, DenseRetriever(store, service.embedder), lexical, **options)


def _bodies(service: IndexService) -> dict[str, str]:
    return {article.id: article.body for article in service.scan().articles}


def test_fusion_rewards_agreement_and_breaks_ties_by_best_rank() -> None:
    fused = reciprocal_rank_fusion({"dense": ["a", "b", "c"], "lexical": ["c", "d", "a"]}, 60)
    order = [chunk_id for chunk_id, _ in fused]
    assert order == ["a", "c", "b", "d"]
    scores = dict(fused)
    assert scores["a"] == 1 / 61 + 1 / 63
    assert scores["c"] == 1 / 63 + 1 / 61
    assert scores["b"] == scores["d"] == 1 / 62  # tie: b is dense's, the earlier list


def test_hybrid_finds_the_unaccented_question_and_the_named_conclusion(
    service: IndexService,
) -> None:
    service.update()
    retriever = _hybrid(service)
    top = retriever.retrieve("tong so dang vien toan tinh la bao nhieu", k=5)
    assert any("27.350" in passage.text for passage in top)
    top = retriever.retrieve("Kết luận số 21 là của Ban Chấp hành Trung ương Đảng khóa mấy?")
    assert "khóa XIII" in top[0].text
    assert top[0].scores["dense_rank"] >= 1 and top[0].scores["lexical_rank"] == 1
    assert [p.score for p in top] == sorted((p.score for p in top), reverse=True)


def test_lexical_only_hits_carry_full_passage_data_with_exact_offsets(
    service: IndexService, corpus_dir: Path
) -> None:
    (corpus_dir / "b.txt").write_text(
        "Bài về hợp tác xã\n\nTác giả| 01/02/2023 09:00\n\n"
        "Mở đầu bài viết.\n\nHợp tác xã nuôi tôm có 4.321 thành viên.\n",
        encoding="utf-8",
    )
    service.update()
    # Dense returns one chunk only, so the others can only come from the lexical side.
    retriever = _hybrid(service, dense_k=1)
    passages = retriever.retrieve("4321 thành viên hợp tác xã", k=5)
    lexical_only = [p for p in passages if "dense" not in p.scores]
    assert lexical_only
    bodies = _bodies(service)
    for passage in passages:
        assert isinstance(passage, Passage)
        assert bodies[passage.article_id][passage.start : passage.end] == passage.text
        assert passage.title and passage.date and passage.chunk_id.startswith(passage.article_id)
    found = next(p for p in passages if p.article_id == "b.txt" and "4.321" in p.text)
    assert found.title == "Bài về hợp tác xã"
    assert found.scores["lexical_rank"] == 1


def test_an_english_question_keeps_dense_order(service: IndexService) -> None:
    service.update()
    retriever = _hybrid(service)
    question = "How many Party members does the province have in total?"
    dense_only = [p.chunk_id for p in retriever.dense.retrieve(question, k=3)]
    fused = retriever.retrieve(question, k=3)
    assert retriever.lexical is not None and retriever.lexical.coverage(question) < 0.5
    assert [p.chunk_id for p in fused] == dense_only
    assert not any("lexical" in p.scores for p in fused)
    vietnamese = "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
    assert retriever.lexical.coverage(vietnamese) > 0.9  # all but "nhiêu"
    assert retriever.lexical.coverage(fold_diacritics(vietnamese)) > 0.9


def test_without_a_lexical_index_it_is_dense_retrieval(service: IndexService) -> None:
    service.update()
    store = service.open_store()
    dense = DenseRetriever(store, service.embedder)
    question = "Tỷ lệ chi bộ đã tổ chức đại hội là bao nhiêu?"
    hybrid = HybridRetriever(store, dense, None).retrieve(question, k=4)
    assert [p.chunk_id for p in hybrid] == [p.chunk_id for p in dense.retrieve(question, k=4)]


def test_a_reranker_sees_every_candidate_and_its_order_is_kept(service: IndexService) -> None:
    service.update()
    seen: list[int] = []

    def reverse(question: str, candidates: list[Passage]) -> list[Passage]:
        seen.append(len(candidates))
        return candidates[::-1]

    plain = _hybrid(service, dense_k=6, lexical_k=6)
    reranked = _hybrid(service, dense_k=6, lexical_k=6, reranker=reverse)
    question = "kết nạp đảng viên mới"
    everything = plain.retrieve(question, k=50)
    assert seen == [] and len(everything) > 3
    top = reranked.retrieve(question, k=3)
    assert seen == [len(everything)]
    assert [p.chunk_id for p in top] == [p.chunk_id for p in everything[::-1][:3]]


def test_build_retriever_uses_the_retrieval_settings(
    settings: Settings, service: IndexService
) -> None:
    service.update()
    retriever = build_retriever(settings, service)
    assert (retriever.dense_k, retriever.lexical_k, retriever.rrf_k) == (20, 20, 60)
    assert retriever.lexical is not None and len(retriever.lexical) == service.open_store().count()
    top = retriever.retrieve("78,56%", k=settings.retrieval.k)
    assert len(top) == 5
    assert "78,56%" in top[0].text
    assert top[0].article_id == SEED_ID


def test_dense_ranking_is_llama_indexs_vector_retriever_without_the_reads(
    service: IndexService,
) -> None:
    # `ranked` asks Chroma for ids and distances only; ranks and scores must stay those of
    # llama-index's retriever over the same collection (thresholds are set on the scores).
    service.update()
    store = service.open_store()
    dense = DenseRetriever(store, service.embedder)
    reference = VectorStoreIndex.from_vector_store(
        ChromaVectorStore(chroma_collection=store.collection), embed_model=service.embedder
    ).as_retriever(similarity_top_k=7)
    for question in ("Tổng số đảng viên toàn tỉnh?", "ket nap dang vien moi", "Kết luận số 21"):
        expected = [(hit.node.node_id, hit.score) for hit in reference.retrieve(question)]
        assert dense.ranked(question, k=7) == expected
        passages = dense.retrieve(question, k=7)
        assert [(p.chunk_id, p.score) for p in passages] == expected
        assert all(
            p.text == hit.node.get_content()
            for p, hit in zip(passages, reference.retrieve(question), strict=True)
        )


def test_a_chunk_deleted_after_ranking_leaves_its_place_to_the_next(
    service: IndexService, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.update()
    retriever = _hybrid(service)
    question = "kết nạp đảng viên mới"
    before = retriever.retrieve(question, k=5)
    gone = before[1].chunk_id
    # Both indexes ranked it; an update deletes it before its text is read.
    read = hybrid_module.read_passages

    def read_after_a_delete(
        store: ChunkStore, chunk_ids: list[str], vector: list[float]
    ) -> dict[str, Passage]:
        store.delete_ids([gone])
        return read(store, chunk_ids, vector)

    monkeypatch.setattr(hybrid_module, "read_passages", read_after_a_delete)
    after = retriever.retrieve(question, k=5)
    assert len(after) == 5 and gone not in {p.chunk_id for p in after}
    assert [p.chunk_id for p in after][:4] == [p.chunk_id for p in before if p.chunk_id != gone]
