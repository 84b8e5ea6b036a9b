"""Sentence and paragraph spans in normalised Vietnamese text, as character offsets.

Written by hand because the general-purpose splitters (NLTK punkt, llama-index's regex
fallback) either do not know Vietnamese abbreviations or cut `27.350`, `78,56%` and
`23/3/2022` apart. Here a sentence ends only at `.`, `!`, `?` or `…` (optionally followed
by closing quotes or brackets) that is followed by whitespace, or at a line break; so a
dot or comma between digits never ends anything.

Offsets are the product: every span slices the input exactly. No word segmentation here.
"""

from __future__ import annotations

import re

# Words after which a dot does not end a sentence ("TP. Hồ Chí Minh", "PGS.TS. Nguyễn").
# Not "ông"/"bà": they are whole words and often end a sentence ("gặp ông.").
_ABBREVIATIONS = frozenset({
    "tp", "tx", "q", "p", "h", "tt", "ts", "ths", "pgs", "gs", "bs", "ks", "cn", "ncs",
    "ubnd", "hđnd", "st", "tr", "kt", "th.s", "pgs.ts", "gs.ts", "tr.",
    "mr", "mrs", "ms", "dr", "no", "vs", "v.v",
})  # fmt: skip

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _is_abbreviation(text: str, dot_at: int) -> bool:
    start = dot_at
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:dot_at].strip("(\"'“")
    # A lone capital is an initial ("Nguyễn Văn A."); a lone lower-case letter is a word
    # that can end a sentence ("đồng ý.", "vâng ạ.").
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: blocks separated by a blank line."""
    spans, position = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        span = _trimmed(text, position, match.start())
        if span:
            spans.append(span)
        position = match.end()
    span = _trimmed(text, position, len(text))
    if span:
        spans.append(span)
    return spans


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text[start:end]`, in absolute offsets.

    Lines inside a paragraph (headings, captions, list items) count as sentences too.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    line_start = start
    while line_start < end:
        newline = text.find("\n", line_start, end)
        line_end = end if newline == -1 else newline
        sentence_start = line_start
        for match in _SENTENCE_END.finditer(text, line_start, line_end):
            if match.group() == "." and _is_abbreviation(text, match.start()):
                continue
            span = _trimmed(text, sentence_start, match.end())
            if span:
                spans.append(span)
            sentence_start = match.end()
        span = _trimmed(text, sentence_start, line_end)
        if span:
            spans.append(span)
        line_start = line_end + 1
    return spans
