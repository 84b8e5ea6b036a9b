"""The short answer to a question that asks for no figure or name: a clause of the sentence.

A "why", "how" or "what" question is answered by part of a sentence, not all of it. The
sentence is cut into clauses at commas, semicolons, colons and dashes; the clause that
shares most of the question's words anchors the answer (ties: the earlier one). An anchor
that brings almost nothing new, because it only restates the question ("Nguyên nhân là",
"Theo bác sĩ Hoàng"), gives way to the clause after it, where the answer then is. The answer
runs from there to the end of the sentence: lists and reasons span clauses, and cutting
them shorter lost more gold answers on the dev sets than it saved words.

The result is always an exact slice of the article. Not here: choosing the sentence
(`evidence.py`).
"""

from __future__ import annotations

import re

from assistant.text.normalize import fold_diacritics, same_spelling

_BREAK = re.compile(r"[,;:]\s+|\s[-–—]\s")
_WORD = re.compile(r"[^\W_]+")
_NEW_WORDS = 3  # an anchor with fewer words the question lacks is only a restatement


def _words(text: str) -> list[str]:
    return [same_spelling(word) for word in _WORD.findall(fold_diacritics(text))]


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each clause of `text[start:end]`, trimmed of spaces."""
    found, position = [], start
    for match in _BREAK.finditer(text, start, end):
        found.append((position, match.start()))
        position = match.end()
    found.append((position, end))
    trimmed = []
    for a, b in found:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1] in " .!?…":
            b -= 1
        if a < b:
            trimmed.append((a, b))
    return trimmed


def answer_clause(text: str, sentence: tuple[int, int], asked: str) -> tuple[int, int]:
    """The span of `text` (inside `sentence`) that answers a question asking `asked`."""
    parts = clauses(text, *sentence)
    if len(parts) <= 1:
        return parts[0] if parts else sentence
    question = set(_words(asked))
    shared = [len(set(_words(text[a:b])) & question) for a, b in parts]
    anchor = max(range(len(parts)), key=lambda i: (shared[i], -i))
    start, end = parts[anchor]
    new = [word for word in _words(text[start:end]) if word not in question]
    # The answer runs from there to the sentence's end: lists and reasons span clauses.
    if len(new) < _NEW_WORDS and anchor + 1 < len(parts):
        start = parts[anchor + 1][0]  # the anchor only restates the question
    return start, parts[-1][1]
