"""Does an answer state the expected one? Format-tolerant, the Vietnamese way.

A figure matches by value and kind (`27.350` = `27,350` = `27350`; `78,56%` = `78.56 %`;
`23/3/2022` = `23/03/2022` = `2022-03-23` = "ngày 23 tháng 3 năm 2022"; `27 350` with a
space or a no-break space between digit groups too), and only as a
whole figure (`27.350` is not found inside `127.350`). Text matches as whole words, NFC,
case- and Ð/Đ-insensitively, optionally ignoring diacritics.

Not here: suites, reports, retrieval metrics (the eval harness builds on this).
"""

from __future__ import annotations

import re

from assistant.text.normalize import fold_diacritics, normalize_inline
from assistant.text.quantities import find_quantities, quantity_keys, supports

# Digit groups split by spaces ("27 350", "1 234 567"), read here only: in article text a
# space between two numbers ("lớp 10 200 học sinh") is too often two numbers to join there.
_SPACED_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,]?\d)")


def _join_groups(text: str) -> str:
    return _SPACED_THOUSANDS.sub(lambda m: re.sub(r"\s", ".", m.group()), text)


def states(expected: str, got: str, *, fold: bool = False) -> bool:
    """Whether `got` states `expected`."""
    figures = find_quantities(_join_groups(normalize_inline(expected)))
    if figures:
        keys = quantity_keys(_join_groups(normalize_inline(got)))
        return all(supports(figure, keys) for figure in figures)
    want, have = normalize_inline(expected).lower(), normalize_inline(got).lower()
    if fold:
        want, have = fold_diacritics(want), fold_diacritics(have)
    # Whole words only: "XII" is not stated by "khóa XIII".
    return re.search(rf"(?<!\w){re.escape(want)}(?!\w)", have) is not None


def answer_matches(expected: list[str], got: str, *, match: str = "all") -> bool:
    """`match="all"`: every expected answer is stated; `"any"`: at least one is."""
    found = [states(answer, got) for answer in expected]
    return all(found) if match == "all" else any(found)
