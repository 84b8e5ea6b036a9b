"""Figures as a sentence states them, valued so that two ways of writing one fact compare equal.

A figure is a number written in digits (`27.350`, `1,6`), in words ("hai mươi nghìn", "ba
trăm") or as a Roman numeral ("khóa XIII"), times the magnitude words after it ("1,6 triệu"
is 1600000, "27.350 nghìn" is 27350000), with the unit that follows ("ha", "tấn", "USD"); a
percent; a date (`23/3/2022`, "tháng 5/2019", "ngày 15/3", "năm 2022"); or a vague amount
("hàng trăm", "vài nghìn"), which only the same words state. So "hai mươi nghìn người" and
"20.000 người" are one figure, and "27.350 nghìn người" is not "27.350 người".

Written by hand on top of `quantities.py`: no maintained library reads Vietnamese number
words, magnitudes and units. Not here: whether a figure answers or supports anything
(`assistant.answering.claims`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from assistant.text.lexicon import MAGNITUDES, MEASURE_UNITS
from assistant.text.normalize import fold_diacritics
from assistant.text.quantities import find_quantities

Kind = Literal["number", "ordinal", "percent", "date", "roman", "vague"]

_SCALE = {"nghìn": 10**3, "ngàn": 10**3, "vạn": 10**4, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9}
_DIGIT_WORDS = {
    "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "nhăm": 5,
    "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9,
}  # fmt: skip
# Alone, these words mean something else too often ("một số", "năm nay", "tư nhân").
_NOT_ALONE = frozenset({"một", "mốt", "năm", "lăm", "nhăm", "tư", "mươi", "linh", "lẻ", "trăm"})
_NUMBER_WORD = "|".join(
    sorted([*_DIGIT_WORDS, "mười", "mươi", "trăm", "linh", "lẻ", *_SCALE], key=len, reverse=True)
)
_WORD_RUN = re.compile(rf"(?<!\w)(?:(?:{_NUMBER_WORD})(?:\s+|(?!\w)))+", re.IGNORECASE)
_MAGNITUDE_AFTER = re.compile(
    r"\s+(" + "|".join(sorted(MAGNITUDES, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE
)
_UNITS = {"%": "%", "phần trăm": "%", "héc ta": "ha", "hecta": "ha", "héc-ta": "ha",
          "đô la": "usd", "đô": "usd", "vnđ": "đồng", "vnd": "đồng", "đ": "đồng"}  # fmt: skip
_UNIT_AFTER = re.compile(
    r"\s*("
    + "|".join(re.escape(u) for u in sorted({*MEASURE_UNITS, *_UNITS}, key=len, reverse=True))
    + r")(?!\w)",
    re.IGNORECASE,
)
_ROMAN = re.compile(
    r"(?<![\w-])(M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))(?![\w-])"
)
# A single letter is a numeral only where Roman numerals are written: "khóa I", "quý IV".
_ROMAN_CONTEXT = re.compile(
    r"(?:khóa|khoá|lần|thứ|kỳ|kì|quý|phần|chương|mục|thế kỷ|thế kỉ|giai đoạn|đại hội|"
    r"hội nghị|trung ương|hạng|loại|cấp|độ)\s*\(?$",
    re.IGNORECASE,
)
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
_VAGUE = re.compile(
    r"(?<!\w)(?:hàng|vài|mấy|dăm|hàng chục|vài chục)\s+(?:chục|trăm|nghìn|ngàn|vạn|triệu|tỷ|tỉ)"
    r"(?:\s+(?:nghìn|ngàn|triệu|tỷ|tỉ))?(?!\w)",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(r"(?<![\d/.,])(\d{1,2})\s?/\s?(\d{1,2})(?![\d/]|[.,]\d)")
_YEAR_FROM = re.compile(r"(?<![\d.,])((?:19|20)\d\d)(?=\s?[-–]\s?(?:19|20)\d\d(?!\d))")
_YEAR_TO = re.compile(r"(?<![\d.,])(?:19|20)\d\d\s?[-–]\s?((?:19|20)\d\d)(?!\d)")
_ORDINAL_BEFORE = re.compile(r"(?:\bsố|\bthứ|\bNo\.|#)\s*$", re.IGNORECASE)
# After "năm", these make it a year ("năm nay"); after these, "năm" counts ("gồm năm xã").
_YEAR_WORDS = frozenset("nay qua trước sau học tới ngoái tài đó này ấy rồi mới kế nữa sinh".split())
_COUNTING = frozenset("có gồm với cả thêm tới lên mất là được hơn gần khoảng chỉ còn".split())
_MARKER = re.compile(r"\[\d+\]")
_YEAR = re.compile(r"(?<!\w)năm\s+((?:18|19|20|21)\d\d)(?![\d/.,]\d)", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    """One figure: `text[start:end]` as written (magnitude and unit included), its `kind`,
    its canonical `value` and its unit (canonical, lower case) if one follows."""

    kind: Kind
    text: str
    start: int
    end: int
    value: str
    unit: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


def find_figures(text: str) -> list[Figure]:
    """Every figure of `text`, in order, none overlapping another."""
    found: list[Figure] = []

    def free(start: int, end: int) -> bool:
        return all(end <= f.start or f.end <= start for f in found)

    for match in _VAGUE.finditer(text):
        phrase = " ".join(fold_diacritics(match.group()).split())
        found.append(Figure("vague", match.group(), match.start(), match.end(), phrase))
    for quantity in find_quantities(text):
        if not free(quantity.start, quantity.end) or _MARKER.fullmatch(
            text, max(0, quantity.start - 1), quantity.end + 1
        ):
            continue  # "[7]" marks a reference, it states no figure
        if quantity.kind != "number":
            unit = "%" if quantity.kind == "percent" else None
            figure = Figure(quantity.kind, quantity.text, quantity.start, quantity.end,
                            quantity.value, unit)  # fmt: skip
            found.append(figure)
            continue
        figure = _scaled(text, quantity.start, quantity.end, Decimal(quantity.value))
        if _ORDINAL_BEFORE.search(text, 0, quantity.start):
            # "kỳ họp thứ 21", "Kế hoạch số 43": names a thing, counts nothing
            figure = Figure("ordinal", figure.text, figure.start, figure.end, figure.value)
        found.append(figure)
    _add_years_and_days(text, found)
    for match in _WORD_RUN.finditer(text):
        for start, end, value in _word_numbers(text, match.start(), match.end()):
            if free(start, end):
                found.append(_scaled(text, start, end, Decimal(value), scaled=True))
    for match in _ROMAN.finditer(text):
        numeral = match.group(1)
        if not numeral or not free(match.start(1), match.end(1)):
            continue
        if len(numeral) == 1 and not _ROMAN_CONTEXT.search(text[: match.start(1)].rstrip()):
            continue
        found.append(Figure("roman", numeral, match.start(1), match.end(1),
                            str(_roman_value(numeral))))  # fmt: skip
    found.sort(key=lambda figure: figure.start)
    return found


def _add_years_and_days(text: str, found: list[Figure]) -> None:
    """ "năm 2022" and "nhiệm kỳ 2021 - 2026" are dates (years), "15/3" a day of a month:
    not numbers."""
    years = [*_YEAR.finditer(text), *_YEAR_FROM.finditer(text), *_YEAR_TO.finditer(text)]
    for match in years:
        for index, figure in enumerate(found):
            if figure.kind == "number" and figure.start == match.start(1):
                found[index] = Figure("date", figure.text, figure.start, figure.end,
                                      match.group(1))  # fmt: skip
    for match in _DAY_MONTH.finditer(text):
        day, month = int(match.group(1)), int(match.group(2))
        if not (1 <= day <= 31 and 1 <= month <= 12):
            continue
        inside = [f for f in found if match.start() <= f.start and f.end <= match.end()]
        if inside and all(f.kind == "number" for f in inside):
            for figure in inside:
                found.remove(figure)
            found.append(Figure("date", match.group(), match.start(), match.end(),
                                f"--{month:02d}-{day:02d}"))  # fmt: skip


def _scaled(text: str, start: int, end: int, value: Decimal, scaled: bool = False) -> Figure:
    """The figure from `start`, with the magnitude words and the unit that follow it."""
    position = end
    while not scaled and (match := _MAGNITUDE_AFTER.match(text, position)):
        value *= _SCALE[match.group(1).lower()]
        position = match.end()
    unit = None
    if match := _UNIT_AFTER.match(text, position):
        written = match.group(1).lower()
        unit = _UNITS.get(written, written)
        if unit == "%":
            kind: Kind = "percent"
            return Figure(kind, text[start : match.end()], start, match.end(), _plain(value), "%")
        position = match.end()
    return Figure("number", text[start:position], start, position, _plain(value), unit)


def _plain(value: Decimal) -> str:
    """`value` as `number_value` writes numbers: no exponent, no trailing zeros."""
    try:
        text = format(value.normalize(), "f")
    except InvalidOperation:
        return str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _word_numbers(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """(start, end, value) of each number written in words in `text[start:end]`.

    Vietnamese reads digit by digit ("hai mươi mốt" = 21, "một trăm linh năm" = 105,
    "hai nghìn rưỡi" aside); two digits in a row start a new number ("một năm" is "one
    year", and "năm" alone is a year or the number five, so it is not read at all).
    """
    words = list(re.finditer(r"\S+", text[start:end]))
    numbers, group = [], []
    for word in words:
        lower = word.group().lower()
        if group and lower in _DIGIT_WORDS and group[-1][1] in _DIGIT_WORDS:
            numbers.append(group)
            group = []
        group.append((word, lower))
    if group:
        numbers.append(group)
    result = []
    for number in numbers:
        alone = len(number) == 1 and number[0][1] in _NOT_ALONE | set(_SCALE)
        if alone and not _five(text, number[0][0], start):
            continue
        value = _words_value([lower for _, lower in number])
        if value:
            first, last = number[0][0], number[-1][0]
            result.append((start + first.start(), start + last.end(), value))
    return result


def _five(text: str, word: re.Match, offset: int) -> bool:
    """Whether a lone "năm" is the number five: "có năm Phó Chủ tịch", not "năm nay"."""
    if word.group().lower() != "năm":
        return False
    before = text[: offset + word.start()].split()[-1:]
    after = text[offset + word.end() :].split()[:1]
    if not after or not after[0][:1].isalpha() or after[0].lower() in _YEAR_WORDS:
        return False
    return after[0][:1].isupper() or (bool(before) and before[0].lower() in _COUNTING)


def _words_value(words: list[str]) -> int:
    total = group = digit = 0
    for word in words:
        if word in _DIGIT_WORDS:
            digit = _DIGIT_WORDS[word]
        elif word == "mười":
            group += 10
        elif word == "mươi":
            group += (digit or 1) * 10
            digit = 0
        elif word == "trăm":
            group += (digit or 1) * 100
            digit = 0
        elif word in _SCALE:
            total += (group + digit or 1) * _SCALE[word]
            group = digit = 0
    return total + group + digit


def _roman_value(numeral: str) -> int:
    values = [_ROMAN_VALUES[char] for char in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def figure_supported(claimed: Figure, stated: Figure) -> bool:
    """Whether the `stated` figure of a source says what the `claimed` one says: the same
    value, the same unit when the claim gives one, and for dates the same day, or a claim of
    a month, a year or a day of a month that the full date falls in."""
    if claimed.kind == "date" and stated.kind == "date":
        return _date_within(claimed.value, stated.value)
    if claimed.value != stated.value:
        return False
    if claimed.kind != stated.kind and {claimed.kind, stated.kind} != {"number", "ordinal"}:
        return False
    return claimed.unit is None or claimed.unit == stated.unit


def _date_within(claimed: str, stated: str) -> bool:
    if claimed == stated:
        return True
    if claimed.startswith("--"):  # a day of a month, any year
        return len(stated) == 10 and stated[4:] == claimed[1:]
    return len(claimed) < len(stated) and stated.startswith(claimed)
