"""Candidate answers inside one sentence, and how well each fits a question.

For a typed question the candidates are the numbers, percents, dates, named items ("Kết
luận số 21", "khóa XIII", "nhiệm kỳ 2022-2025") or person names of the sentence. Each is
scored by how close the question's terms sit to it (same clause counts more), plus the cues
Vietnamese reports give: the counted noun right after a number ("344/629 đảng viên mới"),
and in a fraction `X/Y` the part X unless the question asks for the target or total Y
("chỉ tiêu", "phải").

Hand-written: this is the Vietnamese-specific reading no library offers. Not here: choosing
passages, abstaining, or writing the reply (`extractive.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering.question import Question
from assistant.answering.spans import (
    Span,
    date_spans,
    figure_spans,
    name_spans,
    org_spans,
    place_spans,
)
from assistant.answering.terms import Term, keyed_positions
from assistant.text.normalize import fold_diacritics

# A number after these is an identifier, a year or a range end, not a count: "Kế hoạch số
# 43", "năm 2022", "nhiệm kỳ 2022-2025", "khóa 13", "Điều 5" (but "tổng số 27.350" counts).
_ID_BEFORE = re.compile(r"(?:(?<!tong )\bso|\bnam|\bky|\bkhoa|\bdieu|\bkhoan|[-–])\s*$")
_IDENTIFIER = r"(?:so\s+)?(?:[ivxlc]{1,7}\b|\d{4}\s?[-–]\s?\d{4}|\d+(?:[-/][a-z0-9/]+)*)"


@dataclass(frozen=True)
class Candidate:
    """A possible short answer: `start:end` in the sentence's text, its score, a unit.

    `bare` is the text without its unit or counted noun ("hơn 1,6 triệu" of "hơn 1,6 triệu
    người"), for a reply whose question already names that noun."""

    start: int
    end: int
    text: str
    score: float
    unit: str | None = None
    bare: str | None = None


def candidates(
    question: Question, text: str, terms: list[Term], span: tuple[int, int]
) -> list[Candidate]:
    """Scored candidates of `question.kind` in `text[span[0]:span[1]]`, best first."""
    kind = question.kind
    inside = [term for term in terms if span[0] <= term.start < span[1]]
    found: list[Candidate] = []
    if kind in ("number", "percent"):
        found = _figure_candidates(question, text, inside, span)
    elif kind == "date":
        found = _spanned(question, text, inside, date_spans(text, *span))
    elif kind == "named" and question.head:
        found = _named_candidates(question, text, inside, span)
    elif kind == "person":
        found = _spanned(question, text, inside, name_spans(text, *span))
    elif kind == "place":
        places = place_spans(text, *span)
        found = _spanned(question, text, inside, places + _outside(name_spans(text, *span), places))
    elif kind == "org":
        found = _spanned(question, text, inside, org_spans(text, *span))
    return sorted(found, key=lambda c: c.score, reverse=True)


def _outside(spans: list[Span], taken: list[Span]) -> list[Span]:
    return [s for s in spans if not any(t.start <= s.start < t.end for t in taken)]


def _spanned(
    question: Question, text: str, terms: list[Term], spans: list[Span]
) -> list[Candidate]:
    """Candidates from complete spans, scored by the question's terms around them; a span
    the question itself names is not its answer."""
    asked = fold_diacritics(question.text)
    found = []
    for span in spans:
        if fold_diacritics(span.text) in asked:
            continue
        score = closeness(question, terms, span.start, span.end)
        found.append(Candidate(span.start, span.end, span.text, score))
    return found


def _figure_candidates(
    question: Question, text: str, terms: list[Term], sentence: tuple[int, int]
) -> list[Candidate]:
    """Numbers (or percents) with their qualifier, magnitude and unit, scored by the
    question's terms around them, the counted noun, and the part/whole cue of a fraction."""
    asked = set(question.terms)
    by_start = {term.start: index for index, term in enumerate(terms) if term.quantity}
    found = []
    for span in figure_spans(text, *sentence):
        if span.kind != question.kind:
            continue
        index = by_start.get(span.core[0])
        quantity = terms[index].quantity if index is not None else None
        if quantity is not None and quantity.key in asked:
            continue
        before = fold_diacritics(text[max(0, span.core[0] - 12) : span.core[0]])
        if question.kind == "number" and _ID_BEFORE.search(before):
            continue  # "Kế hoạch số 43", "năm 2022", "nhiệm kỳ 2022-2025": not counts
        score = closeness(question, terms, span.start, span.end)
        if index is not None:
            score += _fraction_bonus(question, text, terms, index)
            following = _words_after(text, _fraction_end(text, terms, index))
        else:
            following = _words_after(text, span.core[1])
        score += _counted_bonus(question.counted, following)
        bare = text[span.start : span.end]
        if span.unit:
            bare = bare[: len(bare) - len(span.unit)].rstrip()
        unit = fold_diacritics(span.unit.split()[0]) if span.unit else None
        found.append(Candidate(span.start, span.end, span.text, score, unit, bare))
    return found


def closeness(question: Question, terms: list[Term], start: int, end: int) -> float:
    """Weighted share of question terms near `start:end`, nearer and same-clause counting more."""
    total = sum(question.terms.values())
    if not total or not terms:
        return 0.0
    anchor = min(range(len(terms)), key=lambda i: abs(terms[i].start - start))
    clause = terms[anchor].clause
    positions: dict[str, list[int]] = {}
    for key, position in keyed_positions(terms, question.exact):
        if not start <= terms[position].start < end:
            positions.setdefault(key, []).append(position)
    score = 0.0
    for key, weight in question.terms.items():
        best = 0.0
        for position in positions.get(key, ()):
            # Words of the same clause describe the figure; across a comma they mostly
            # describe another one ("344/629 đảng viên mới, … nâng tổng số … lên 27.350").
            near = 1.0 / (1.0 + abs(position - anchor) / 8.0)
            best = max(best, near if terms[position].clause == clause else near * 0.3)
        score += weight * best
    return score / total


def _counted_bonus(counted: str | None, following: list[str]) -> float:
    """Up to 0.5 when the words after a number are the noun the question counts."""
    if not counted:
        return 0.0
    wanted = counted.split()
    shared = 0
    for want, got in zip(wanted, following, strict=False):
        if want != got:
            break
        shared += 1
    if shared < min(2, len(wanted)):
        return 0.0
    # "bao nhiêu người" says only that people are counted; most figures of a report are.
    full = 0.2 if wanted == ["nguoi"] else 0.5
    return full * shared / len(wanted)


def _fraction_bonus(question: Question, text: str, terms: list[Term], index: int) -> float:
    term = terms[index]
    numerator = index + 1 < len(terms) and text[term.end : terms[index + 1].start] == "/"
    denominator = index > 0 and text[terms[index - 1].end : term.start] == "/"
    # Only the part or the whole of one fraction compete on this cue; it must not outweigh
    # how well the words around a number fit the question.
    if numerator:
        return -0.2 if question.wants_whole else 0.0
    if denominator:
        return 0.1 if question.wants_whole else -0.2
    return 0.0


def _fraction_end(text: str, terms: list[Term], index: int) -> int:
    term = terms[index]
    if index + 1 < len(terms) and text[term.end : terms[index + 1].start] == "/":
        return terms[index + 1].end
    return term.end


def _words_after(text: str, position: int) -> list[str]:
    return re.findall(r"\w+", fold_diacritics(text[position : position + 40]))


def _named_candidates(
    question: Question, text: str, terms: list[Term], span: tuple[int, int]
) -> list[Candidate]:
    head = fold_diacritics(question.head or "").replace("khoa", "kho[aá]")
    folded = fold_diacritics(text)
    asked = fold_diacritics(question.text)
    found = []
    for match in re.finditer(rf"\b{head}\s+{_IDENTIFIER}", folded[span[0] : span[1]]):
        start, end = span[0] + match.start(), span[0] + match.end()
        if folded[start:end] in asked:
            continue
        score = closeness(question, terms, start, end)
        found.append(Candidate(start, end, text[start:end], score))
    return found
