"""Tests of decoding article bytes: BOMs, UTF-8, Windows-1258, and binary files refused."""

from __future__ import annotations

import codecs
import random

import pytest

from assistant.errors import ArticleError
from assistant.text.decoding import decode_article_bytes
from assistant.text.normalize import normalize_text
from tests.textdata import encode_utf16, encode_windows_1258

SENTENCE = "Tổng số đảng viên toàn tỉnh là 27.350 người; Việt Nam"
NAME = "bài viết số 1.txt"


def test_utf8_without_bom() -> None:
    assert decode_article_bytes(SENTENCE.encode("utf-8"), NAME) == SENTENCE


def test_utf8_bom_is_dropped() -> None:
    assert decode_article_bytes(codecs.BOM_UTF8 + SENTENCE.encode("utf-8"), NAME) == SENTENCE


@pytest.mark.parametrize("byteorder", ["le", "be"])
def test_utf16_with_bom(byteorder: str) -> None:
    assert decode_article_bytes(encode_utf16(SENTENCE, byteorder), NAME) == SENTENCE


def test_windows_1258_helper_stores_tones_as_combining_marks() -> None:
    # Guards the helper itself: "ệ" must be "ê" (0xEA) then a combining dot below (0xF2).
    assert encode_windows_1258("Việt") == b"Vi\xea\xf2t"
    assert encode_windows_1258("đảng") == b"\xf0a\xd2ng"


def test_windows_1258_decodes_to_the_nfc_original() -> None:
    data = encode_windows_1258(SENTENCE)
    assert normalize_text(decode_article_bytes(data, NAME)) == SENTENCE


def test_windows_1258_never_drops_letters() -> None:
    decoded = normalize_text(decode_article_bytes(encode_windows_1258("Việt Nam"), NAME))
    assert decoded == "Việt Nam"
    assert "Vit" not in decoded


def test_png_rejected_with_file_name() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
    with pytest.raises(ArticleError, match="PNG") as caught:
        decode_article_bytes(png, NAME)
    assert NAME in str(caught.value)


def test_nul_bytes_rejected_with_file_name() -> None:
    data = SENTENCE.encode("utf-8") + b"\x00\x00" + SENTENCE.encode("utf-8")
    with pytest.raises(ArticleError, match="NUL") as caught:
        decode_article_bytes(data, NAME)
    assert NAME in str(caught.value)


def test_random_binary_rejected_with_file_name() -> None:
    data = random.Random(1258).randbytes(4096)
    with pytest.raises(ArticleError) as caught:
        decode_article_bytes(data, NAME)
    assert NAME in str(caught.value)


def test_binary_without_nul_rejected_for_its_control_bytes() -> None:
    # Random bytes with the NULs taken out must still be caught, by the control-byte share.
    data = random.Random(1258).randbytes(4096).replace(b"\x00", b"")
    assert not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    with pytest.raises(ArticleError, match="control bytes") as caught:
        decode_article_bytes(data, NAME)
    assert NAME in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + "Việt".encode("utf-16-le") + b"\x00\xd8",  # lone high surrogate
        codecs.BOM_UTF16_BE + "Việt".encode("utf-16-be") + b"\xdc\x00",  # lone low surrogate
        codecs.BOM_UTF16_LE + "Việt".encode("utf-16-le") + b"\x41",  # odd byte count
    ],
)
def test_invalid_utf16_after_bom_rejected(data: bytes) -> None:
    with pytest.raises(ArticleError, match="UTF-16") as caught:
        decode_article_bytes(data, NAME)
    assert NAME in str(caught.value)


def test_invalid_utf8_after_bom_rejected() -> None:
    with pytest.raises(ArticleError, match="UTF-8") as caught:
        decode_article_bytes(codecs.BOM_UTF8 + b"Vi\xe1\xbbt", NAME)
    assert NAME in str(caught.value)


def test_tabs_and_form_feeds_are_text() -> None:
    # Control bytes that text files do contain must not trip the binary check.
    data = "Cột 1\tCột 2\r\n\x0cTrang 2\n".encode()
    assert decode_article_bytes(data, NAME) == "Cột 1\tCột 2\r\n\x0cTrang 2\n"


def test_mostly_utf8_with_one_bad_byte_is_rejected_not_garbled() -> None:
    data = "Tổng số đảng viên toàn tỉnh là 27.350 người. Việt Nam.".encode() + b"\xff"
    with pytest.raises(ArticleError, match=r"bai\.txt: UTF-8 text with an invalid byte"):
        decode_article_bytes(data, "bai.txt")
