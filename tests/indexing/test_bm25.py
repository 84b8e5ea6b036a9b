"""BM25 over term counts: the same scores as bm25s, and updates equal to a build from scratch."""

from __future__ import annotations

import random

import bm25s
import numpy as np

from assistant.indexing.bm25 import Bm25, TermCounts
from assistant.indexing.lexical import LexicalIndex
from assistant.retrieval.lexical import LexicalRetriever
from assistant.text.tokens import lexical_tokens

TEXTS = [
    "Tổng số đảng viên toàn tỉnh là 27.350 người, tăng 1.021 đảng viên.",
    "Thành phố có 127.350 hộ dân và 12 phường, 3 xã.",
    "Tỷ lệ chi bộ đã tổ chức đại hội đạt 78,56%, ngày 23/3/2022.",
    "Đảng bộ tỉnh kết nạp đảng viên mới; đảng viên trẻ chiếm 40%.",
    "",
    "Hội nghị tổng kết công tác xây dựng Đảng năm 2022 của tỉnh.",
]
QUESTIONS = ["tổng số đảng viên", "27.350", "đại hội chi bộ 2022", "tỉnh tỉnh đảng", "xã"]


def _random_docs(count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(60)]
    return [rng.choices(words, k=rng.randint(0, 40)) for _ in range(count)]


def _counts(docs: list[list[str]], prefix: str = "d") -> TermCounts:
    return TermCounts.empty().with_chunks((f"{prefix}{i}", doc) for i, doc in enumerate(docs))


def test_scores_equal_bm25s_on_the_same_tokens() -> None:
    docs = [lexical_tokens(text) for text in TEXTS] + _random_docs(50, seed=1)
    ours = _counts(docs)
    scorer = Bm25.from_counts(ours)
    reference = bm25s.BM25()  # its defaults: Lucene variant, k1 1.5, b 0.75
    reference.index(docs, show_progress=False)
    for question in [*QUESTIONS, "w3 w7 w7 w59", "w1"]:
        tokens = [t for t in lexical_tokens(question) + question.split() if t in ours.vocab]
        expected = reference.get_scores_from_ids(reference.get_tokens_ids(tokens))
        got = scorer.scores([ours.vocab[t] for t in tokens])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert got.any()


def test_removing_and_adding_rows_equals_counting_from_scratch() -> None:
    docs = _random_docs(40, seed=2)
    extra = _random_docs(15, seed=3)
    start = _counts(docs)
    drop = {f"d{i}" for i in range(0, 40, 3)}
    updated = start.without(drop).with_chunks((f"e{i}", doc) for i, doc in enumerate(extra))
    kept = [(f"d{i}", doc) for i, doc in enumerate(docs) if f"d{i}" not in drop]
    scratch = TermCounts.empty().with_chunks(
        [*kept, *((f"e{i}", doc) for i, doc in enumerate(extra))]
    )
    assert updated.ids == scratch.ids
    for question in (["w0", "w5"], ["w17"], ["w2", "w2", "w44"]):
        np.testing.assert_allclose(
            Bm25.from_counts(updated).scores([updated.vocab[t] for t in question]),
            Bm25.from_counts(scratch).scores([scratch.vocab[t] for t in question]),
            rtol=1e-6,
        )


def test_unused_columns_are_dropped_once_they_are_half_the_vocabulary() -> None:
    counts = TermCounts.empty().with_chunks(
        [("a", ["x", "y"]), ("b", ["p", "q", "r"]), ("c", ["x", "s"])]
    )
    one_gone = counts.without({"c"}).compacted()
    assert one_gone.vocab is counts.vocab  # 1 of 6 columns unused: kept as they are
    most_gone = counts.without({"b", "c"}).compacted()
    assert sorted(most_gone.vocab) == ["x", "y"]
    alone = _counts([["x", "y"]])
    assert Bm25.from_counts(most_gone).scores([most_gone.vocab["y"]]).tolist() == (
        Bm25.from_counts(alone).scores([alone.vocab["y"]]).tolist()
    )


def test_an_updated_index_ranks_like_one_built_whole_ties_included() -> None:
    texts = {f"t{i}#1": f"Huyện {i % 3} có {i} chi bộ đảng viên." for i in range(12)}
    texts["same-a#1"] = texts["same-b#1"] = "Chi bộ thôn Đông đạt 100%."
    ids = sorted(texts)
    whole = LexicalIndex.build(ids, [texts[i] for i in ids])
    first, later = ids[::2], ids[1::2]
    partial = LexicalIndex.build(
        ["gone#1", *first], ["Bài đã xoá, 100%.", *(texts[i] for i in first)]
    )
    updated = partial.updated(ids, iter((i, texts[i], "") for i in later))
    assert sorted(updated.ids) == ids and updated.stamp == whole.stamp
    updated_top, whole_top = LexicalRetriever(updated), LexicalRetriever(whole)
    for question in ("chi bộ đảng viên", "100%", "Huyện 2", "thôn Đông"):
        assert updated_top.retrieve(question, 5) == whole_top.retrieve(question, 5)
    assert [hit for hit, _ in updated_top.retrieve("thôn Đông", 2)] == ["same-a#1", "same-b#1"]
