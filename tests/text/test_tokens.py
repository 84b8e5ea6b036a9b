"""Lexical tokens: quantities whole and canonical, folded forms, NFD and Ð, word pairs."""

from __future__ import annotations

import unicodedata

import bm25s
import pytest
from llama_index.core.indices.keyword_table.utils import simple_extract_keywords

from assistant.text.tokens import lexical_tokens

SENTENCE = "Tổng số đảng viên toàn tỉnh là 27.350 người, đạt 78,56% (ngày 23/3/2022)."


@pytest.mark.parametrize("written", ["27.350", "27,350", "27350", "có 27.350 người"])
def test_a_number_is_one_canonical_token(written: str) -> None:
    tokens = lexical_tokens(written)
    assert "27350" in tokens
    assert not {"27", "350"} & set(tokens)


def test_a_number_is_not_a_part_of_a_larger_one() -> None:
    assert "27350" not in lexical_tokens("127.350 người")
    assert "127350" in lexical_tokens("127.350 người")
    assert set(lexical_tokens("27.350")).isdisjoint(lexical_tokens("127.350"))


@pytest.mark.parametrize("written", ["78,56%", "78.56%", "78,56 %", "78,56 phần trăm"])
def test_a_percent_is_one_canonical_token(written: str) -> None:
    assert lexical_tokens(written) == ["78.56%"]


@pytest.mark.parametrize(
    "written", ["23/3/2022", "23/03/2022", "ngày 23 tháng 3 năm 2022", "2022-03-23"]
)
def test_a_date_is_one_canonical_token_and_its_month(written: str) -> None:
    tokens = lexical_tokens(written)
    assert "2022-03-23" in tokens
    assert "2022-03" in tokens
    assert not {"23", "3", "03", "2022"} & set(tokens)


def test_a_month_date_is_its_month() -> None:
    assert "2022-09" in lexical_tokens("trong tháng 9/2022")
    assert "2022-09" in lexical_tokens("tháng 9 năm 2022")


def test_an_unaccented_question_shares_every_token_with_the_accented_text() -> None:
    question = set(lexical_tokens("tong so dang vien toan tinh la bao nhieu"))
    assert question <= set(lexical_tokens("Tổng số đảng viên toàn tỉnh là bao nhiêu?"))
    text = set(lexical_tokens(SENTENCE))
    assert {"đảng", "dang", "đảng_viên", "dang_vien"} <= text


def test_nfd_input_and_eth_give_the_same_tokens() -> None:
    composed = lexical_tokens("Xây dựng Đảng: " + SENTENCE)
    assert lexical_tokens(unicodedata.normalize("NFD", "Xây dựng Đảng: " + SENTENCE)) == composed
    assert lexical_tokens("Xây dựng \u00d0ảng: " + SENTENCE) == composed


def test_punctuation_is_dropped_and_pairs_stay_inside_a_phrase() -> None:
    tokens = lexical_tokens("đảng viên, toàn tỉnh; (kết nạp) “tự diễn biến”")
    assert all(token.replace("_", "").replace("-", "").isalnum() for token in tokens)
    assert "viên_toàn" not in tokens
    assert {"đảng_viên", "toàn_tỉnh", "kết_nạp", "tự_diễn", "diễn_biến"} <= set(tokens)


def test_syllables_only_and_a_segmenter_can_be_chosen() -> None:
    assert not any("_" in t for t in lexical_tokens("đảng viên mới", word_units="none"))
    tokens = lexical_tokens("đảng viên mới", word_units=lambda phrase: ["đảng viên", "mới"])
    assert "đảng_viên" in tokens
    assert "viên_mới" not in tokens


def test_stopwords_can_be_removed() -> None:
    tokens = lexical_tokens("tổng số là bao nhiêu", stopwords=True)
    assert "là" not in tokens
    assert "la" not in tokens
    assert "bao_nhiêu" not in tokens
    assert "tổng" in tokens


def test_default_tokenisers_split_numbers_and_break_nfd_text() -> None:
    """Why lexical_tokens is hand-written: what bm25s and llama-index do by default."""
    nfd = unicodedata.normalize("NFD", "Tổng số đảng viên")
    default = bm25s.tokenize(["27.350 người", nfd], return_ids=False, show_progress=False)
    assert default[0] == ["27", "350", "người"]
    assert "tổng" not in default[1]
    assert "ng" in default[1]  # "Tổng" broken at its combining marks
    assert {"27", "350"} <= simple_extract_keywords("27.350 người")
    assert "tổng" not in simple_extract_keywords(nfd)
