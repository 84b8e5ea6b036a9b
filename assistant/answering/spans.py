"""Complete answer spans inside one sentence: figures, time expressions, names.

A span is always an exact slice of the article text. What makes it complete is what news
write around the bare value:

- a figure: its qualifier ("hơn", "khoảng", "chưa đến"), a range ("5-10", "từ 3 đến 5"),
  its magnitude word ("1,6 triệu"), and its unit or counted noun, up to two syllables
  ("800 triệu USD", "40 công ty", "6 đồng chí"); a percent stops at `%`;
- a time expression: "23/3/2022", "ngày 11/10", "chiều 11/10", "tháng 5/2019", "cuối tháng
  1", "đầu năm 2020", "năm 2019", "quý II/2022", "thế kỷ XVI";
- a name: a run of capitalised syllables, without a leading honorific ("Ông Bình" gives
  "Bình" after "ông"), never the start of a title ("Phó Bí" of "Phó Bí thư"); an
  organisation from its head noun ("Ủy ban Kiểm tra Huyện ủy Đắk Song"); a place with its
  head ("huyện Ia H'Drai").

Hand rules, measured against underthesea's CRF NER and chunker on the dev sets: on name
spans the capitalised run matched gold spans more often (88% against 69% for NER of any
type) at microseconds instead of 30 ms a sentence, and the chunker returns single words;
see docs/answering.md. Not here: which span answers a question (`extractive.py`).

Longer than 300 lines because figures, dates and names are cut from one syllable walk and
must agree where one span ends and the next begins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from assistant.text.lexicon import (
    FUNCTION_WORDS,
    MAGNITUDES,
    MEASURE_UNITS,
    NUMBER_WORDS,
    ORG_HEADS,
    PLACE_HEADS,
    QUALIFIERS,
    SURNAMES,
    TIME_OF,
    TITLES,
)
from assistant.text.quantities import Quantity, find_quantities

_SYLLABLE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_ROMAN = r"[IVXLC]{1,6}\b"


@dataclass(frozen=True)
class Span:
    """`text[start:end]`, what kind of answer it is, and the value at its core."""

    start: int
    end: int
    text: str
    kind: str  # number, percent, date, person, org, place, named
    core: tuple[int, int]  # the bare value inside it ("1,6" of "hơn 1,6 triệu người")
    unit: str | None = None  # the unit or counted noun after a figure, lower-case


def _syllables(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _SYLLABLE.finditer(text, start, end)]


def _phrase_before(text: str, position: int, phrases: frozenset[str], floor: int) -> int:
    """Start of the longest phrase of `phrases` (1-3 syllables) ending just before `position`."""
    words = _syllables(text, max(floor, position - 40), position)
    best = position
    for size in (1, 2, 3):
        if len(words) < size:
            break
        chosen = words[-size:]
        if text[chosen[-1][1] : position].strip():
            break  # something other than space sits between
        gap_free = all(not text[a[1] : b[0]].strip() for a, b in pairwise(chosen))
        if gap_free and " ".join(w[2].lower() for w in chosen) in phrases:
            best = chosen[0][0]
    return best


def figure_spans(text: str, start: int, end: int) -> list[Span]:
    """Numbers and percents of `text[start:end]`, each with what completes it."""
    spans = []
    quantities = [q for q in find_quantities(text[start:end]) if q.kind != "date"]
    quantities = [_shifted(q, start) for q in quantities]
    dates = [(d.core[0], d.core[1]) for d in date_spans(text, start, end) if not d.text.isdigit()]
    quantities = [q for q in quantities if not any(a <= q.start < b for a, b in dates)]
    skip_next = False
    for index, quantity in enumerate(quantities):
        if skip_next:
            skip_next = False
            continue
        left, right = quantity.start, quantity.end
        following = quantities[index + 1] if index + 1 < len(quantities) else None
        if following and re.fullmatch(
            r"\s?[-–]\s?|\s+(?:đến|tới)\s+", text[right : following.start]
        ):
            right, skip_next = following.end, True  # a range: "5-10", "3 đến 5"
        left = _phrase_before(text, left, QUALIFIERS, start)
        unit = None
        if quantity.kind == "number":
            right = _magnitude_after(text, right, end)
            right, unit = _unit_after(text, right, end)
        spans.append(
            Span(left, right, text[left:right], quantity.kind, (quantity.start, quantity.end), unit)
        )
    return spans


def _shifted(quantity: Quantity, offset: int) -> Quantity:
    return Quantity(quantity.kind, quantity.text, quantity.start + offset,
                    quantity.end + offset, quantity.value)  # fmt: skip


def _magnitude_after(text: str, position: int, end: int) -> int:
    match = re.compile(r"\s+(\w+)").match(text, position, end)
    if match and match.group(1).lower() in MAGNITUDES:
        return match.end()
    return position


def _unit_after(text: str, position: int, end: int) -> tuple[int, str | None]:
    """Up to two syllables of unit or counted noun after a figure, stopping at a function
    word, a figure or punctuation: "40 công ty", "800 triệu USD", "6 đồng chí"."""
    taken = []
    cursor = position
    for _ in range(2):
        match = re.compile(r"[ \u00a0]+([^\W\d_]+)").match(text, cursor, end)
        if not match:
            break
        word = match.group(1).lower()
        if word in FUNCTION_WORDS or word in MAGNITUDES or (word in NUMBER_WORDS and taken):
            break
        taken.append(word)
        cursor = match.end()
        if word in MEASURE_UNITS and not re.match(r"[ \u00a0]+tuổi\b", text[cursor:end]):
            break  # "24,6 km": the unit ends the figure ("2-3 tháng tuổi" goes on)
    return cursor, (" ".join(taken) or None)


_DATE_CORE = re.compile(
    r"(?:(?:ngày|hôm)\s+)?\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{4}(?!\d)"
    r"|(?:ngày|hôm)\s+\d{1,2}\s?[/.-]\s?\d{1,2}(?![\d/.-])"
    r"|(?<![\d.,/-])\d{1,2}/\d{1,2}(?![\d/]|[.,-]\d)"
    r"|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}(?:\s*(?:,\s*)?năm\s+\d{4})?"
    r"|tháng\s+(?:\d{1,2}|" + _ROMAN + r"|giêng|chạp)(?:\s?[/-]\s?\d{4}|\s+năm\s+\d{4})?"
    r"|quý\s+(?:" + _ROMAN + r"|\d)(?:\s?[/-]\s?\d{4}|\s+năm\s+\d{4})?"
    r"|năm\s+\d{4}(?:\s?[-–]\s?\d{4})?"
    r"|thế\s+k[ỷỉ]\s+(?:" + _ROMAN + r"|\d{1,2})"
    r"|(?<![\d.,])(?:1[5-9]|20)\d\d(?![\d.,%])",
    re.IGNORECASE,
)


def date_spans(text: str, start: int, end: int) -> list[Span]:
    """Time expressions of `text[start:end]`, with the part of the day or period before."""
    spans = []
    for match in _DATE_CORE.finditer(text, start, end):
        left = _phrase_before(text, match.start(), TIME_OF, start)
        if left < match.start() and text[left : match.start()].strip().lower() in (
            "từ",
            "đến",
            "trong",
        ):
            left = match.start()  # "từ 23/3": the date is "23/3"
        spans.append(Span(left, match.end(), text[left : match.end()], "date", match.span()))
    return spans


def _capitalised_runs(text: str, start: int, end: int) -> list[list[tuple[int, int, str]]]:
    runs, current = [], []
    for word in _syllables(text, start, end):
        joined = current and not text[current[-1][1] : word[0]].strip()
        if word[2][0].isupper() and (not current or joined):
            current.append(word)
            continue
        if current:
            runs.append(current)
        current = [word] if word[2][0].isupper() else []
    if current:
        runs.append(current)
    return runs


def _starts_title(words: list[str]) -> int:
    """How many of `words` (lower-case) a title or honorific at their start takes."""
    for size in (3, 2, 1):
        if len(words) >= size and " ".join(words[:size]) in TITLES:
            return size
    return 0


def _ends_head(words: list[str]) -> bool:
    """Whether the last word of `words` ends a title or head noun begun before it ("Phó
    Bí" + "thư", "Tỉnh" + "ủy")."""
    heads = TITLES | ORG_HEADS
    return any(" ".join(words[-size:]) in heads for size in (2, 3) if len(words) >= size)


def _opens_with_head(words: list[str]) -> bool:
    heads = ORG_HEADS | PLACE_HEADS
    return any(" ".join(words[:size]) in heads for size in (1, 2, 3) if len(words) >= size)


def name_spans(text: str, start: int, end: int) -> list[Span]:
    """Person names: capitalised runs, honorifics and titles left out."""
    spans = []
    for run in _capitalised_runs(text, start, end):
        words = [w[2].lower() for w in run]
        after = text[run[-1][1] : run[-1][1] + 12]
        # "Phó Bí thư": the run stops because "thư" is lower-case; it is a title, not a name.
        following = re.match(r"\s+([^\W\d_]+)", after)
        if following and _ends_head([*words, following.group(1).lower()]):
            continue
        cut = _starts_title(words)
        run = run[cut:]
        if not run or _opens_with_head([w[2].lower() for w in run]):
            continue  # "Khoa Xạ", "TP HCM": an organisation or a place, not a person
        headed = _phrase_before(text, run[0][0], ORG_HEADS | PLACE_HEADS, start) < run[0][0]
        if headed and not (run[0][2].lower() in SURNAMES and len(run) >= 3):
            continue  # "huyện Ia H'Drai", but "Tỉnh ủy Nguyễn Văn Hải" is a person
        if not run or (run[0][0] == start and len(run) == 1 and not cut):
            continue  # one capitalised word opening the sentence is just its first word
        # Abbreviations are never part of a name ("HĐQT", "UBMTTQ"); after one, a name
        # opens with a surname ("HĐQT Lê Minh Tuấn", but "PV Thanh Niên" is a newspaper).
        acronyms = 0
        while acronyms < len(run) and _is_acronym(run[acronyms][2]):
            acronyms += 1
        if acronyms:
            run = run[acronyms:]
            if not run or run[0][2].lower() not in SURNAMES:
                continue
        if any(_is_acronym(w[2]) for w in run):
            continue
        if run[0][2].lower() in FUNCTION_WORDS | TIME_OF:
            continue
        honorific_before = cut or _phrase_before(text, run[0][0], TITLES, start) < run[0][0]
        if len(run) == 1 and not honorific_before:
            continue
        left, right = run[0][0], run[-1][1]
        spans.append(Span(left, right, text[left:right], "person", (left, right)))
    return spans


def _is_acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def org_spans(text: str, start: int, end: int) -> list[Span]:
    """Organisations from a capitalised head noun: "Bệnh viện Ung bướu TP HCM"."""
    return _headed(text, start, end, ORG_HEADS, "org", capital_head=True)


def place_spans(text: str, start: int, end: int) -> list[Span]:
    """Places from a head noun and a capitalised name: "tỉnh Gia Lai", "huyện Ia H'Drai"."""
    return _headed(text, start, end, PLACE_HEADS, "place", capital_head=False)


def _person_from(words: list[tuple[int, int, str]], index: int, text: str) -> bool:
    """A surname opening a run of three or more capitalised syllables ("Hà Nội" is two)."""
    if words[index][2].lower() not in SURNAMES:
        return False
    run = 1
    while index + run < len(words) and words[index + run][2][0].isupper():
        if text[words[index + run - 1][1] : words[index + run][0]].strip():
            break
        run += 1
    return run >= 3


def _headed(
    text: str, start: int, end: int, heads: frozenset[str], kind: str, *, capital_head: bool
) -> list[Span]:
    words = _syllables(text, start, end)
    spans = []
    index = 0
    while index < len(words):
        size = next(
            (
                n
                for n in (3, 2, 1)
                if " ".join(w[2].lower() for w in words[index : index + n]) in heads
            ),
            0,
        )
        if not size or (capital_head and not words[index][2][0].isupper()):
            index += 1
            continue
        last = index + size - 1
        cursor = last + 1
        lower_run = 0
        while cursor < len(words) and not text[words[cursor - 1][1] : words[cursor][0]].strip():
            word = words[cursor][2]
            if word[0].isupper():
                if kind == "org" and _person_from(words, cursor, text):
                    break  # "Tỉnh ủy Nguyễn Văn Hải": a person's name begins
                last, lower_run = cursor, 0
            elif kind == "org" and lower_run < 1 and word.lower() not in FUNCTION_WORDS:
                lower_run += 1  # "Ung bướu": a name part written in lower case, kept only
            else:  # if a capitalised word follows it
                break
            cursor += 1
        if last > index + size - 1:
            left, right = words[index][0], words[last][1]
            spans.append(Span(left, right, text[left:right], kind, (left, right)))
        index = max(last, index) + 1
    return spans
