"""Tests of Vietnamese normalisation: NFC, Ð→Đ, invisible characters, whitespace, folding."""

from __future__ import annotations

import unicodedata

import pytest

from assistant.text.normalize import (
    fold_diacritics,
    normalize_inline,
    normalize_text,
    without_marks,
)
from tests.textdata import nfd

VIETNAMESE = "Tổng số đảng viên toàn tỉnh là 27.350 người; Việt Nam, Đảng, ỷ lại, ưu ái, Ơn"


def test_nfd_input_becomes_nfc() -> None:
    assert normalize_text("Vie\u0323\u0302t Nam") == "Việt Nam"
    assert normalize_text(nfd(VIETNAMESE)) == VIETNAMESE


def test_output_is_nfc() -> None:
    result = normalize_text(nfd(VIETNAMESE))
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("\u00d0ảng", "\u0110ảng"),
        ("\u00f0ảng viên", "\u0111ảng viên"),
        ("xây dựng \u00d0ảng", "xây dựng Đảng"),
    ],
)
def test_eth_becomes_vietnamese_d(typed: str, expected: str) -> None:
    assert normalize_text(typed) == expected


def test_eth_repaired_in_one_line_values() -> None:
    # The seed article's title is typed with the Icelandic eth.
    title = "Chủ động tham mưu tốt công tác tổ chức, xây dựng \u00d0ảng"
    assert normalize_inline(title) == "Chủ động tham mưu tốt công tác tổ chức, xây dựng \u0110ảng"


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u00ad", "\u200c", "\u200d", "\u2060"])
def test_invisible_characters_removed(invisible: str) -> None:
    assert normalize_text(f"Vi{invisible}ệt{invisible} Nam") == "Việt Nam"


@pytest.mark.parametrize("noise", ["\u200b", "\ufeff", "\u00ad", "\x07", "\x00", "\x1b"])
def test_noise_between_letter_and_its_marks_loses_no_letter(noise: str) -> None:
    # Decomposed "Việt" with the noise between "e" and its marks must still compose.
    decomposed = nfd("Việt")
    assert normalize_text(decomposed[:3] + noise + decomposed[3:]) == "Việt"


def test_control_characters_removed() -> None:
    assert normalize_text("Việt\x07 Nam\x00\x1b") == "Việt Nam"


def test_text_without_noise_is_unchanged() -> None:
    assert normalize_text(VIETNAMESE) == VIETNAMESE


def test_runs_of_spaces_tabs_and_nbsp_become_one_space() -> None:
    assert normalize_text("cấp ủy  các\t\tcấp\u00a0 hướng \u00a0\u00a0dẫn") == (
        "cấp ủy các cấp hướng dẫn"
    )


def test_line_ends_unified() -> None:
    assert normalize_text("một\r\nhai\rba") == "một\nhai\nba"


def test_many_blank_lines_become_one() -> None:
    assert normalize_text("đoạn một\n\n\n\n\nđoạn hai") == "đoạn một\n\nđoạn hai"
    # Lines holding only spaces count as blank too.
    assert normalize_text("đoạn một\n  \n\t\n \u00a0\nđoạn hai") == "đoạn một\n\nđoạn hai"


def test_paragraph_breaks_and_single_line_breaks_kept() -> None:
    text = "Tiêu đề\n\nĐoạn một.\nDòng hai.\n\nĐoạn hai."
    assert normalize_text(text) == text


def test_lines_and_text_are_stripped() -> None:
    assert normalize_text("\n\n  Đảng  \n   viên  \n\n") == "Đảng\nviên"


def test_normalize_is_idempotent() -> None:
    messy = "  \ufeffXây\u00a0dựng \u00d0ảng\r\n\r\n\r\n\r\nVie\u0323\u0302t\u200b Nam  "
    once = normalize_text(messy)
    assert normalize_text(once) == once


def test_normalize_inline_joins_lines() -> None:
    assert normalize_inline("  Chủ động\n tham mưu \n\n tốt ") == "Chủ động tham mưu tốt"


def test_fold_diacritics() -> None:
    assert fold_diacritics("Đảng viên") == "dang vien"
    assert fold_diacritics("Tổng số ĐẢNG VIÊN: 27.350") == "tong so dang vien: 27.350"


def test_fold_diacritics_of_eth_matches_d_with_stroke() -> None:
    assert fold_diacritics("\u00d0ảng") == fold_diacritics("\u0110ảng") == "dang"
    assert fold_diacritics("\u00f0ảng") == "dang"


def test_fold_diacritics_accepts_nfd() -> None:
    assert fold_diacritics(nfd("Việt Nam")) == "viet nam"


def test_fold_diacritics_keeps_length_of_nfc_vietnamese() -> None:
    # Offsets found in the folded text are used to cut the original: lengths must agree.
    letters = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    sample = letters + letters.upper() + " " + VIETNAMESE
    folded = fold_diacritics(sample)
    assert len(folded) == len(sample)
    assert folded.isascii()


def test_without_marks_drops_exactly_the_combining_marks() -> None:
    # Its table is filled lazily; every character of the Basic Multilingual Plane must come
    # out as a per-character category test says, asked twice (filling, then from the table).
    every = "".join(chr(code) for code in range(0x20, 0xD800))
    expected = "".join(char for char in every if unicodedata.category(char) != "Mn")
    assert without_marks(every) == expected
    assert without_marks(every) == expected
    assert without_marks(nfd("Trợ lý ảo: שָׁלוֹם")) == "Tro ly ao: שלום"
