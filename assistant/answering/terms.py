"""Positional terms of Vietnamese text, for scoring evidence against a question.

A term is a diacritic-folded, lower-case syllable (`đảng` -> `dang`), or a whole quantity
keyed by its canonical value (`27.350` -> `number:27350`, `23/3/2022` -> `date:2022-03-23`).
Each term keeps its character offsets and its clause number, so the answerer can measure
how close a question word sits to a candidate answer and whether a comma or semicolon lies
between them.

Written by hand because it serves the answerer's proximity scoring, which needs offsets and
clauses; the BM25 tokeniser (`assistant.text.tokens`) serves ranking and keeps no positions.
Not here: stopwords and weights (see `question.py`).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from assistant.text.normalize import fold_diacritics
from assistant.text.quantities import Quantity, find_quantities

_SYLLABLE = re.compile(r"\w+")
# A comma, semicolon, colon, bracket, quote, dash or full stop between two words.
CLAUSE_BREAK = re.compile(r"[,;:()\[\]“”\"–—]|\.\s|\.$|\s-\s")


@dataclass(frozen=True)
class Term:
    """One term of a text: `key` (folded syllable or quantity key), offsets, clause."""

    key: str
    start: int
    end: int
    clause: int
    quantity: Quantity | None = None
    exact: str = ""  # the syllable with its diacritics, tone placement normalised


def text_terms(text: str) -> list[Term]:
    """The terms of `text` in order. Offsets index `text`, which should be NFC."""
    return list(_cached_terms(text))


# The reader, the verifier and every later question that retrieves the same passage ask for
# its terms again; cut fresh, they were a fifth of a question's time after its embedding
# (bench/question_latency.py). Terms are frozen, so sharing them is safe.
@functools.lru_cache(maxsize=8192)
def _cached_terms(text: str) -> tuple[Term, ...]:
    quantities = find_quantities(text)
    folded = fold_diacritics(text)
    breaks = [match.start() for match in CLAUSE_BREAK.finditer(text)]
    terms: list[Term] = []
    position = 0
    for quantity in [*quantities, None]:
        stop = quantity.start if quantity else len(text)
        for match in _SYLLABLE.finditer(folded, position, stop):
            word = match.group()
            if not word.isdigit():
                exact = tone_key(text[match.start() : match.end()])
                terms.append(Term(word, match.start(), match.end(), 0, None, exact))
        if quantity:
            terms.append(
                Term(quantity.key, quantity.start, quantity.end, 0, quantity, quantity.key)
            )
            position = quantity.end
    return tuple(_with_clause(term, breaks) for term in terms)


def _with_clause(term: Term, breaks: list[int]) -> Term:
    clause = sum(1 for position in breaks if position < term.start)
    return Term(term.key, term.start, term.end, clause, term.quantity, term.exact)


_TONES = {"\u0300": "2", "\u0301": "1", "\u0309": "3", "\u0303": "4", "\u0323": "5"}


def tone_key(syllable: str) -> str:
    """A syllable with its tone moved to the end: `hóa` and `hoá` both give `hoa1`.

    Keeps the letters' own marks (â, ơ, ư, đ…), so `kỷ` (`ky3`) and `kỳ` (`ky2`) differ,
    as they must: "kỷ luật" is not "nhiệm kỳ". Old and new tone placement agree.
    """
    tone, letters = "", []
    for char in unicodedata.normalize("NFD", syllable.lower()):
        if char in _TONES:
            tone = _TONES[char]
        else:
            letters.append(char)
    return unicodedata.normalize("NFC", "".join(letters)) + tone


def keyed_positions(terms: list[Term], exact: bool = False) -> list[tuple[str, int]]:
    """(key, index) of every term, plus a `"a b"` key for each pair of adjacent syllables.

    Pairs stand in for Vietnamese words ("đảng viên", "tổng số"): matching them is what
    tells "tổng số đảng viên" apart from "đảng viên mới … tổng số chỉ tiêu". `exact` keys
    keep diacritics (for questions typed with them); otherwise keys are folded.
    """
    keys = [term.exact if exact else term.key for term in terms]
    keyed = [(key, index) for index, key in enumerate(keys)]
    for index, (left, right) in enumerate(itertools.pairwise(terms)):
        if left.quantity is None and right.quantity is None and right.start - left.end == 1:
            keyed.append((f"{keys[index]} {keys[index + 1]}", index))
    return keyed


def has_diacritics(text: str) -> bool:
    """Whether `text` carries any Vietnamese diacritic (or `đ`)."""
    return fold_diacritics(text) != text.lower()
