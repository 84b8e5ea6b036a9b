"""The citations of a verified reply: numbered in order of use, each quoting its source.

Each kept claim names the passage sentences that back it (`verify.py` found them). Here
they become `[n]` markers and `Citation`s: one citation per passage, quoting verbatim the
span from its first backing sentence to its last (so every figure a reader is shown is in
the quote); a claim backed only by a byline or title quotes the passage's first sentence.

Not here: deciding which claims stand (`verify.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.injection import without_instructions
from assistant.answering.types import Citation
from assistant.retrieval.passage import Passage
from assistant.text.sentences import sentence_spans

Quote = tuple[int, int, int]  # (passage number from 1, start, end); start -1: byline/title


@dataclass(frozen=True)
class KeptClaim:
    """A claim that passed verification, the sentences backing it, and its short answer."""

    claim: str
    quotes: tuple[Quote, ...]
    short: str


def cite(
    kept: Sequence[KeptClaim], passages: Sequence[Passage]
) -> tuple[str, tuple[Citation, ...]]:
    """The reply text with each claim's markers, and its citations numbered in order of use."""
    numbers: dict[Quote, int] = {}
    parts = []
    for claim in kept:
        marks = []
        for quote in _merged(claim.quotes):
            numbers.setdefault(quote, len(numbers) + 1)
            marks.append(f"[{numbers[quote]}]")
        said = claim.claim
        body, stop = (said[:-1], said[-1]) if said[-1] in ".!?…" else (said, ".")
        parts.append(f"{body.rstrip()} {''.join(dict.fromkeys(marks))}{stop}")
    citations = []
    for (number, start, end), n in numbers.items():
        passage = passages[number - 1]
        if start < 0:  # the byline or title: quote the passage's first sentence
            start, end = (sentence_spans(without_instructions(passage.text)) or [(0, 0)])[0]
        citations.append(Citation.quoting(n, passage, start, end))
    return " ".join(parts), tuple(citations)


def _merged(quotes: Sequence[Quote]) -> list[Quote]:
    """One span per passage, from its first backing sentence to its last."""
    spans: dict[int, tuple[int, int]] = {}
    bylines = []
    for number, start, end in quotes:
        if start < 0:
            bylines.append(number)
            continue
        low, high = spans.get(number, (start, end))
        spans[number] = (min(low, start), max(high, end))
    merged = [(number, *span) for number, span in spans.items()]
    merged += [(number, -1, -1) for number in dict.fromkeys(bylines) if number not in spans]
    return merged
