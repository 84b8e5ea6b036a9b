"""Whether one sentence of a source states a claim's figure and what the claim says it counts.

A figure found in the source is not yet support: "Tổng số đảng viên là 344" is false against
"toàn tỉnh kết nạp được 344/629 đảng viên mới, …, nâng tổng số đảng viên lên 27.350 người",
which holds 344. So each figure, on the claim's side and on the source's, has the content
words near it (`_NEAR` each side, with adjacent pairs; a window stops at a semicolon or a
figure of its kind; the words before a sentence's first figure are every figure's subject).
A claim took the wrong figure when another figure of the sentence, of the same kind and
unit and not stated by the claim, shares more of the claim's near words than the one it
matched, or when the noun the claim's figure counts is the noun right after such another
figure ("9 bệnh nhân" against "126 bệnh nhân …, trong đó 9 ca"). Figures a claim states
together (one clause: "Kế hoạch số 43 ban hành ngày 23/3/2022") must stand together in the
source too: no other figure of the same kind between them ("Kế hoạch số 43 ngày 23/3/2022
để thực hiện Kết luận số 21 ngày 25/10/2021" does not date plan 43 on 25/10/2021). Whether
the claim's words are in the source at all is the whole claim's support (`verify.py`).

Hand-written: no library checks Vietnamese figures against a source. Not here: citations,
markers and what a failed claim becomes (`verify.py`), reading figures (`text/figures.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from assistant.answering.terms import CLAUSE_BREAK, Term, text_terms
from assistant.text.figures import Figure, figure_supported, find_figures
from assistant.text.lexicon import FUNCTION_WORDS, GENERIC_COUNTERS

_NEAR = 8  # content words each side that say what a figure counts
_FRACTION = re.compile(r"\s?/\s?")
_BREAK = CLAUSE_BREAK


@dataclass(frozen=True)
class Sentence:
    """A source sentence: its text, offsets in the passage, figures and their words."""

    text: str
    start: int
    end: int
    figures: tuple[Figure, ...]
    near: tuple[frozenset[str], ...]  # per figure: the content words around it
    counted: tuple[str | None, ...]  # per figure: the noun right after it, unless generic


@lru_cache(maxsize=4096)
def read_sentence(text: str, start: int = 0, end: int | None = None) -> Sentence:
    """`text[start:end]` read for checking claims against it."""
    end = len(text) if end is None else end
    sentence = text[start:end]
    figures = tuple(find_figures(sentence))
    terms = text_terms(sentence)
    near, counted = _near(sentence, terms, figures), _counted(sentence, terms, figures)
    return Sentence(sentence, start, end, figures, near, counted)


def _near(text: str, terms: list[Term], figures: tuple[Figure, ...]) -> tuple[frozenset[str], ...]:
    """Per figure, the `_NEAR` content words before and after it (with diacritics, pairs
    too), not across a semicolon or another figure of its kind, plus what the sentence says
    before its first figure (its subject is every figure's: "Trường X có 100% học sinh tốt nghiệp và
    86,5% trúng tuyển"). The part of a fraction ("344/629") reaches past its whole, and the
    whole keeps only what follows it."""
    words = [
        t
        for t in terms
        if t.quantity is None
        and text[t.start : t.end].lower() not in FUNCTION_WORDS
        and not any(f.start <= t.start < f.end for f in figures)
    ]
    if not figures:
        return ()
    first = figures[0].start
    subject = _with_pairs([t for t in words if t.end <= first and _open(text, t.end, first, [])])
    near = []
    for index, figure in enumerate(figures):
        start, end = figure.start, figure.end
        if index + 1 < len(figures) and _FRACTION.fullmatch(text[end : figures[index + 1].start]):
            end = figures[index + 1].end
        # A window runs past figures of other kinds: in "cà phê đạt 410 triệu USD, tăng
        # 8,2%" the percent is coffee's too.
        others = [
            f for f in figures if (f.end <= start or f.start >= end) and f.kind == figure.kind
        ]
        before = [t for t in words if t.end <= start and _open(text, t.end, start, others)]
        after = [t for t in words if t.start >= end and _open(text, end, t.start, others)]
        near.append(subject | _with_pairs(before[-_NEAR:]) | _with_pairs(after[:_NEAR]))
    return tuple(near)


def _counted(text: str, terms: list[Term], figures: tuple[Figure, ...]) -> tuple[str | None, ...]:
    """Per figure, the word right after it ("126 bệnh nhân" -> "bệnh"), if it is not a
    generic counter ("người", "trường hợp"), which stands for whatever was counted."""
    counted = []
    for figure in figures:
        following = next((t for t in terms if t.start >= figure.end), None)
        if following is None or text[figure.end : following.start].strip():
            counted.append(None)
            continue
        word = text[following.start : following.end].lower()
        generic = word in GENERIC_COUNTERS or word in FUNCTION_WORDS or following.quantity
        counted.append(None if generic else following.exact)
    return tuple(counted)


def _with_pairs(words: list[Term]) -> frozenset[str]:
    """The words' keys and a key per two adjacent words ("tổng số" is more than "số")."""
    keys = {t.exact for t in words}
    keys |= {f"{a.exact} {b.exact}" for a, b in pairwise(words) if b.start - a.end == 1}
    return frozenset(keys)


def _open(text: str, left: int, right: int, others: list[Figure]) -> bool:
    """Whether nothing closes the way between `left` and `right`: a semicolon or a figure."""
    return ";" not in text[left:right] and not any(left <= f.start < right for f in others)


@dataclass(frozen=True)
class Claim:
    """A claim sentence read for checking: its figures and the words near each."""

    read: Sentence

    @property
    def figures(self) -> tuple[Figure, ...]:
        return self.read.figures


def read_claim(text: str) -> Claim:
    return Claim(read_sentence(text))


def backs(claim: Claim, index: int, sentence: Sentence) -> int | None:
    """The figure of `sentence` that states the claim's figure `index` and counts what the
    claim says it counts, or None (see the module docstring: "… là 344 người" against
    "344/629 đảng viên mới, …, lên 27.350 người" is 27.350's, not 344's)."""
    wanted = claim.figures[index]
    claimed = {
        i
        for i, stated in enumerate(sentence.figures)
        if any(figure_supported(mine, stated) for mine in claim.figures)
    }
    close = claim.read.near[index]
    counts = claim.read.counted[index]
    for position, stated in enumerate(sentence.figures):
        if not figure_supported(wanted, stated):
            continue
        # A misattributed figure takes the place of one of its kind and unit.
        rivals = [
            i
            for i, other in enumerate(sentence.figures)
            if i not in claimed and other.kind == stated.kind and other.unit == stated.unit
        ]
        own = len(close & sentence.near[position])
        if any(len(close & sentence.near[i]) > own for i in rivals):
            continue
        # "9 bệnh nhân" against "126 bệnh nhân …, trong đó 9 ca": the noun it counts.
        said = sentence.counted[position]
        taken = any(sentence.counted[i] == counts for i in rivals)
        if counts and said and counts != said and taken:
            continue
        return position
    return None


def together(claim: Claim, sentence: Sentence, placed: dict[int, int]) -> bool:
    """Whether figures the claim states in one clause stand together in `sentence`: between
    two of them no other figure of the same kind as either (`placed` maps a claim figure to
    the sentence figure that backs it)."""
    text = claim.read.text
    order = sorted(placed)
    for left, right in pairwise(order):
        a, b = claim.figures[left], claim.figures[right]
        if _BREAK.search(text[a.end : b.start]):
            continue  # separate clauses of the claim say separate things
        low, high = sorted((placed[left], placed[right]))
        used = set(placed.values())
        if any(
            i not in used and sentence.figures[i].kind in {a.kind, b.kind}
            for i in range(low + 1, high)
        ):
            return False
    return True


def clause_groups(claim: Claim) -> list[set[int]]:
    """The claim's figures grouped by the clause (between commas, semicolons…) they are in."""
    groups: list[set[int]] = []
    text, figures = claim.read.text, claim.figures
    for index, figure in enumerate(figures):
        if index and not _BREAK.search(text[figures[index - 1].end : figure.start]):
            groups[-1].add(index)
        else:
            groups.append({index})
    return groups
