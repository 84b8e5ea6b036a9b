"""Chunking: exact offsets, numbers never split, title embedded but not quoted."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from llama_index.core.schema import MetadataMode

from assistant.corpus.article import Article, content_hash
from assistant.corpus.reader import read_article
from assistant.indexing.chunking import VietnameseChunker, article_document, chunk_spans
from tests.conftest import SEED

NUMBER = re.compile(r"\d[\d.,/]*\d%?|\d%?")


def _seed() -> Article:
    return read_article(SEED, SEED.parent, 10_000_000)


def _article(body: str, title: str = "Tiêu đề") -> Article:
    return Article("a.txt", title, None, None, body, content_hash(title, None, None, body))


def test_chunk_text_is_exactly_the_body_slice() -> None:
    article = _seed()
    for max_chars in (200, 400, 800, 1200):
        nodes = VietnameseChunker(max_chars=max_chars)([article_document(article, "v1")])
        assert nodes, max_chars
        for node in nodes:
            start, end = node.metadata["start"], node.metadata["end"]
            assert article.body[start:end] == node.text
            assert (node.start_char_idx, node.end_char_idx) == (start, end)


def test_no_chunk_boundary_falls_inside_a_number() -> None:
    article = _seed()
    numbers = [m.span() for m in NUMBER.finditer(article.body)]
    assert any(article.body[s:e] == "27.350" for s, e in numbers)
    for max_chars in (200, 300, 400, 800):
        for start, end in chunk_spans(article.body, max_chars):
            for n_start, n_end in numbers:
                assert not (n_start < start < n_end), (max_chars, article.body[n_start:n_end])
                assert not (n_start < end < n_end), (max_chars, article.body[n_start:n_end])


def test_chunks_respect_the_limit_and_cover_every_paragraph() -> None:
    article = _seed()
    spans = chunk_spans(article.body, 400)
    assert all(end - start <= 400 for start, end in spans)
    covered = "".join(article.body[s:e] for s, e in spans)
    for paragraph in article.body.split("\n\n"):
        assert paragraph[:40] in covered


def test_long_paragraph_is_split_at_sentences_with_overlap() -> None:
    sentences = [f"Câu số {i} nói về 27.350 đảng viên và tỷ lệ 78,56%." for i in range(30)]
    body = " ".join(sentences)
    spans = chunk_spans(body, 300, overlap_sentences=1)
    assert len(spans) > 3
    texts = [body[s:e] for s, e in spans]
    for text in texts:
        assert text.startswith("Câu số") and text.endswith("78,56%.")
    # The last sentence of one chunk opens the next, so no fact is cut off from its context.
    for previous, following in pairwise(texts):
        assert following.split(". ")[0] in previous


def test_a_single_overlong_sentence_is_cut_at_spaces_only() -> None:
    body = "Ngày 23/3/2022 có " + " ".join(["27.350"] * 200) + " người."
    spans = chunk_spans(body, 200)
    assert len(spans) > 1
    for start, end in spans:
        assert re.fullmatch(r"(Ngày 23/3/2022 có )?(27\.350 ?)+( người\.)?", body[start:end])


def test_heading_moves_to_the_chunk_it_introduces() -> None:
    body = ("Đoạn mở đầu dài. " * 20).strip() + "\n\nTiêu đề phụ\n\n" + ("Nội dung. " * 20).strip()
    texts = [body[s:e] for s, e in chunk_spans(body, 400)]
    assert any(text.startswith("Tiêu đề phụ\n\nNội dung.") for text in texts)
    assert not any(text.endswith("Tiêu đề phụ") for text in texts)


def test_title_is_embedded_but_not_part_of_the_quote() -> None:
    article = _article("Tổng số đảng viên là 27.350 người.", title="Báo cáo tổ chức")
    node = VietnameseChunker()([article_document(article, "v1")])[0]
    assert node.text == "Tổng số đảng viên là 27.350 người."
    embedded = node.get_content(metadata_mode=MetadataMode.EMBED)
    assert embedded == "title: Báo cáo tổ chức | text: Tổng số đảng viên là 27.350 người."


def test_chunk_ids_are_deterministic_per_version(tmp_path: Path) -> None:
    article = _seed()
    first = [n.node_id for n in VietnameseChunker()([article_document(article, "v1")])]
    again = [n.node_id for n in VietnameseChunker()([article_document(article, "v1")])]
    other = [n.node_id for n in VietnameseChunker()([article_document(article, "v2")])]
    assert first == again
    assert not set(first) & set(other)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("aăâđ0123456789 .,;:!?/%\n-"), max_size=3000)
    | st.builds(lambda n: "x" * n, st.integers(0, 5000)),
    max_chars=st.integers(20, 500),
)
def test_no_chunk_is_ever_over_the_limit(text: str, max_chars: int) -> None:
    # A 200 KB line without spaces used to become one 204,800-character chunk (issue 16).
    spans = chunk_spans(text, max_chars)
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert all(end - start <= max_chars for start, end in spans)
    assert [start for start, _ in spans] == sorted(start for start, _ in spans)


def test_a_long_line_without_spaces_is_cut_at_the_limit() -> None:
    spans = chunk_spans("x" * 204_800, 400)
    assert len(spans) == 512 and {end - start for start, end in spans} == {400}
    url = "Xem https://ví-dụ.vn/" + "tin/" * 300 + " hôm nay."
    pieces = [url[a:b] for a, b in chunk_spans(url, 100)]
    assert all(len(piece) <= 100 for piece in pieces)
    # cut beside a "/", never inside a word
    assert all(not (a[-1].isalnum() and b[0].isalnum()) for a, b in pairwise(pieces[1:-1]))
