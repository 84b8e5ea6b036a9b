"""Does an answer state the expected one? Format-tolerant, the Vietnamese way, and strict.

Both texts are read as a sequence of items, figures and words, and the expected answer's
items must occur in the answer as one unbroken run:

- a figure is compared by kind and value: `27.350` = `27,350` = `27350` = `27 350`;
  `78,56%` = `78.56 %`; `23/3/2022` = `23/03/2022` = `2022-03-23` = "ngày 23 tháng 3 năm
  2022". A magnitude word is part of its figure (`1,6 triệu` = `1.600.000`, and `1,6` alone
  is not `1,6 triệu`), and the words the expected answer puts around its figure (a unit, a
  counted noun, a qualifier: "hơn 800 triệu USD", "Kế hoạch số 21") must be there too;
- a citation marker (`[2]`) is not text: it never matches the figure 2;
- words match whole, NFC, case- and Ð/Đ-insensitively, with the old and new spelling of
  an `i`/`y` syllable taken as one (`tỉ` = `tỷ`, `lí` = `lý`), optionally ignoring
  diacritics; punctuation is ignored.

Not here: suites, reports, retrieval metrics (the eval harness builds on this).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from assistant.text.normalize import fold_diacritics, normalize_inline, same_spelling
from assistant.text.quantities import find_quantities

# Digit groups split by spaces ("27 350", "1 234 567"), read here only: in article text a
# space between two numbers ("lớp 10 200 học sinh") is too often two numbers to join there.
_SPACED_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,]?\d)")
_MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")
_WORD = re.compile(r"[^\W_]+")
_MAGNITUDES = {"nghìn": 3, "ngàn": 3, "triệu": 6, "tỷ": 9, "tỉ": 9}
_DATE_WORDS = frozenset({"ngày", "ngay", "tháng", "thang"})
_MAGNITUDE_AFTER = re.compile(r"\s+(nghìn|ngàn|triệu|tỷ|tỉ)(?!\w)", re.IGNORECASE)


def _join_groups(text: str) -> str:
    return _SPACED_THOUSANDS.sub(lambda m: re.sub(r"\s", ".", m.group()), text)


def _scaled(value: str, zeros: int) -> str:
    try:
        scaled = Decimal(value).scaleb(zeros).normalize()
    except InvalidOperation:
        return value
    return format(scaled, "f")


def items(text: str, *, fold: bool = False) -> list[str]:
    """The figures (as `kind:value`) and words of `text`, in order."""
    text = _join_groups(_MARKER.sub(" ", normalize_inline(text)))
    found: list[str] = []
    position = 0
    for quantity in find_quantities(text):
        found += _words(text[position : quantity.start], fold)
        key, end = quantity.key, quantity.end
        magnitude = _MAGNITUDE_AFTER.match(text, end) if quantity.kind == "number" else None
        if magnitude:
            zeros = _MAGNITUDES[magnitude.group(1).lower()]
            key, end = f"number:{_scaled(quantity.value, zeros)}", magnitude.end()
        if quantity.kind == "date" and found and found[-1] in _DATE_WORDS:
            found.pop()  # "ngày 23/3/2022" is "23/3/2022"; "tháng 9/2022" is "9/2022"
        found.append(key)
        position = end
    return found + _words(text[position:], fold)


def _words(text: str, fold: bool) -> list[str]:
    words = [same_spelling(word) for word in _WORD.findall(text.lower())]
    return [fold_diacritics(word) for word in words] if fold else words


def states(expected: str, got: str, *, fold: bool = False) -> bool:
    """Whether `got` states `expected` (see the module docstring)."""
    want, have = items(expected, fold=fold), items(got, fold=fold)
    if not want:
        return False
    return any(
        all(_same(w, h) for w, h in zip(want, have[i : i + len(want)], strict=True))
        for i in range(len(have) - len(want) + 1)
    )


def _same(want: str, have: str) -> bool:
    # A month ("tháng 9/2022") is stated by any day of it ("15/9/2022").
    if want.startswith("date:") and len(want) == 12 and have.startswith(want + "-"):
        return True
    return want == have


def answer_matches(expected: list[str], got: str, *, match: str = "all") -> bool:
    """`match="all"`: every expected answer is stated; `"any"`: at least one is."""
    found = [states(answer, got) for answer in expected]
    return all(found) if match == "all" else any(found)
