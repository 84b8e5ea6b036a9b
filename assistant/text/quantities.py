"""Numbers, percents and dates in Vietnamese text: where they are and what they mean.

Written by hand because no maintained library reads Vietnamese report figures: `27.350`
is twenty-seven thousand (dot groups thousands), `78,56%` is a decimal percent (comma is the
decimal mark), `23/3/2022` is day/month/year, and so is "ngày 23 tháng 3 năm 2022". Every
mention comes with its offsets and a canonical value, so that `27.350`, `27,350` and `27350`
compare equal, and `23/3/2022` equals `23/03/2022` and `2022-03-23`.

A separator followed by exactly three digits groups thousands; otherwise it is a decimal
mark. That reads `27,350` (English style) as 27350 too, which is what a reader means.
A fraction like `344/629` is two numbers. A year range `2022-2025` is two numbers.

Not here: number words ("hai", "ba mươi"), units and multipliers ("triệu", "tỷ đồng"),
deciding which number answers a question (see `assistant.answering`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["number", "percent", "date"]

_NOT_AFTER_DIGIT = r"(?<![\d.,/\w])"
_NOT_INSIDE_NUMBER = r"(?<![\d.,\w])"
_NOT_BEFORE_DIGIT = r"(?![.,]?\d)(?!/\d)"
# A number as written: thousands groups (27.350, 27,350, 1.000.000) or a plain number with
# an optional decimal part (78,56 or 78.56, 2022, 03).
_NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
_PERCENT_SIGN = r"\s?(?:%|phần\s+trăm|percent\b)"

_ISO_DATE = re.compile(_NOT_AFTER_DIGIT + r"(\d{4})-(\d{1,2})-(\d{1,2})" + _NOT_BEFORE_DIGIT)
_DMY_DATE = re.compile(
    _NOT_AFTER_DIGIT + r"(\d{1,2})\s?[/.-]\s?(\d{1,2})\s?[/.-]\s?(\d{4})" + _NOT_BEFORE_DIGIT
)
_WORDY_DATE = re.compile(
    r"(?:ngày\s+)?(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s*(?:,\s*)?năm\s+|\s*/\s*)(\d{4})(?!\d)",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(r"(?:tháng\s+)(\d{1,2})\s*(?:/|\s+năm\s+)\s*(\d{4})(?!\d)", re.IGNORECASE)
_PERCENT = re.compile(_NOT_INSIDE_NUMBER + r"(" + _NUMBER + r")" + _PERCENT_SIGN, re.IGNORECASE)
_PLAIN_NUMBER = re.compile(_NOT_INSIDE_NUMBER + r"(" + _NUMBER + r")" + r"(?![\d]|[.,]\d)")


@dataclass(frozen=True)
class Quantity:
    """One mention: `text[start:end]` as written, and its canonical `value`."""

    kind: Kind
    text: str
    start: int
    end: int
    value: str

    @property
    def key(self) -> str:
        """Kind and value in one string: what two mentions must share to be the same fact."""
        return f"{self.kind}:{self.value}"


def number_value(written: str) -> str:
    """Canonical decimal string of a number as written: `27.350` -> `27350`, `78,56` -> `78.56`."""
    digits = written.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", digits):
        digits = digits.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "")
    else:
        digits = digits.replace(",", ".")
    whole, _, fraction = digits.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _date_value(day: str, month: str, year: str) -> str | None:
    d, m, y = int(day), int(month), int(year)
    if not (1 <= d <= 31 and 1 <= m <= 12 and 1800 <= y <= 2200):
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


def find_quantities(text: str) -> list[Quantity]:
    """Every date, percent and number in `text`, in order; a date's parts are not numbers."""
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []

    def add(kind: Kind, start: int, end: int, value: str | None) -> None:
        if value is None or _overlaps(taken, start, end):
            return
        taken.append((start, end))
        found.append(Quantity(kind, text[start:end], start, end, value))

    for match in _WORDY_DATE.finditer(text):
        add("date", match.start(), match.end(), _date_value(*match.groups()))
    for match in _ISO_DATE.finditer(text):
        year, month, day = match.groups()
        add("date", match.start(), match.end(), _date_value(day, month, year))
    for match in _DMY_DATE.finditer(text):
        add("date", match.start(), match.end(), _date_value(*match.groups()))
    for match in _MONTH_YEAR.finditer(text):
        month, year = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            add("date", match.start(1), match.end(), f"{year:04d}-{month:02d}")
    for match in _PERCENT.finditer(text):
        add("percent", match.start(), match.end(), number_value(match.group(1)))
    for match in _PLAIN_NUMBER.finditer(text):
        add("number", match.start(), match.end(), number_value(match.group(1)))
    found.sort(key=lambda q: q.start)
    return found


def quantity_keys(text: str) -> set[str]:
    """The canonical keys of every quantity in `text` (for support checks)."""
    return {q.key for q in find_quantities(text)}


def supports(quantity: Quantity, evidence_keys: set[str]) -> bool:
    """Whether `evidence_keys` (from `quantity_keys`) state `quantity`.

    Equal kind and value is support; a month-precision date (`tháng 9/2022`) is also
    supported by any full date in that month. A day inside a date never supports a count.
    """
    if quantity.key in evidence_keys:
        return True
    if quantity.kind == "date" and len(quantity.value) == 7:
        return any(key.startswith(f"date:{quantity.value}-") for key in evidence_keys)
    return False
