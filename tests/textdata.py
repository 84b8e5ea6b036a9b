"""Test helpers that build Vietnamese text in the encodings article files arrive in.

Kept apart from the tests so the encoders are written once and read as a spec.
"""

from __future__ import annotations

import codecs
import unicodedata

# Windows-1258 has letters like ê, ơ, ư, ă, đ precomposed but gives the five tones only
# as combining marks, which is how legacy Vietnamese files store them.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def encode_windows_1258(text: str) -> bytes:
    """`text` as Windows-1258 bytes: base letters precomposed, tone marks combining."""
    pieces = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(mark for mark in decomposed if mark in TONE_MARKS)
        base = "".join(part for part in decomposed if part not in TONE_MARKS)
        pieces.append(unicodedata.normalize("NFC", base) + tones)
    return "".join(pieces).encode("cp1258")


def encode_utf16(text: str, byteorder: str) -> bytes:
    """`text` as UTF-16 with a byte-order mark, `byteorder` "le" or "be" (as Notepad saves)."""
    if byteorder == "le":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return codecs.BOM_UTF16_BE + text.encode("utf-16-be")


def nfd(text: str) -> str:
    """`text` fully decomposed, as macOS file names and some editors produce it."""
    return unicodedata.normalize("NFD", text)
