"""Vietnamese text normalisation and diacritic folding.

Written by hand because no maintained library does exactly this: Unicode NFC plus the
Vietnamese-specific repairs (`Ð` U+00D0, the Icelandic eth, typed for `Đ` U+0110), removal
of invisible characters, and whitespace tidying that keeps paragraph breaks.

It does not segment words, parse numbers or decode bytes (see `sentences.py`,
`decoding.py`). Every function is pure and keeps text readable: nothing is dropped except
characters that are invisible by definition.
"""

from __future__ import annotations

import re
import unicodedata

# Eth looks identical to Đ in most fonts and shows up in copy-pasted Vietnamese.
_ETH_TO_D = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})

# Invisible format characters that break matching but carry no text.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"),
    None,
)

_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\u0085|\x0b|\x0c")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


# Cc (control) characters are exactly U+0000-U+001F and U+007F-U+009F; newline and tab stay.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _drop_control(text: str) -> str:
    # Control characters are noise (e.g. stray \x07 from bad exports); a regex, because a
    # per-character loop made this the slowest step of tokenising chunks for BM25.
    return _CONTROL.sub("", text)


def escape_controls(text: str, keep: str = "") -> str:
    """`text` with each control character (ANSI escapes, a newline in a file name) shown as
    `\\xNN`, so it prints as one harmless line; characters in `keep` stay as they are."""
    return "".join(
        char if char in keep or unicodedata.category(char) != "Cc" else f"\\x{ord(char):02x}"
        for char in text
    )


def normalize_text(text: str) -> str:
    """Return `text` as clean NFC: Ð→Đ, invisible and control characters removed,
    spaces collapsed within lines, at most one blank line between paragraphs."""
    text = _LINE_BREAKS.sub("\n", text)
    # Invisible and control characters go before NFC: one sitting between a letter and its
    # combining marks would otherwise stop them composing ("Việt" left decomposed).
    text = _drop_control(text.translate(_INVISIBLE))
    text = unicodedata.normalize("NFC", text).translate(_ETH_TO_D)
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip()


def normalize_inline(text: str) -> str:
    """Like `normalize_text` but for one-line values (titles, names): whitespace to one space."""
    return " ".join(normalize_text(text).split())


def fold_diacritics(text: str) -> str:
    """Lower-case ASCII-like form for matching text typed without diacritics.

    `fold_diacritics("Đảng viên") == "dang vien"`. On NFC Vietnamese input every
    character maps to exactly one character, so offsets stay valid.
    """
    text = unicodedata.normalize("NFC", text).translate(_ETH_TO_D).lower()
    text = text.replace("\u0111", "d")
    return unicodedata.normalize("NFC", without_marks(unicodedata.normalize("NFD", text)))


class _MarkTable(dict):
    """`str.translate` table deleting combining marks (category Mn), filled as characters
    are first seen: a per-character category test cost ~5 ms of every question's answer."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Mn" else code
        self[code] = kept
        return kept


_MARKS = _MarkTable()


def without_marks(text: str) -> str:
    """`text` without its combining marks; NFD text thus loses its diacritics."""
    return text.translate(_MARKS)


# A syllable whose only vowel is `y` after a consonant is written with `i` as well: the
# older and newer spellings of one word ("tỷ"/"tỉ", "lý"/"lí", "kỹ"/"kĩ", "quy"/"qui").
# Not after a vowel: "tay" and "tai" are different words.
_Y_SYLLABLE = re.compile(
    r"(b|ch|c|d|đ|gh|g|h|kh|k|l|m|ngh|ng|nh|n|ph|p|qu|r|s|th|tr|t|v|x)([yýỳỷỹỵ])"
)
_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


def same_spelling(syllable: str) -> str:
    """One spelling for a lower-case NFC syllable written either way: `tỷ` -> `tỉ`."""
    match = _Y_SYLLABLE.fullmatch(syllable)
    return match.group(1) + match.group(2).translate(_Y_TO_I) if match else syllable
