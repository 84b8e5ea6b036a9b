"""Tokens for lexical (BM25) retrieval of Vietnamese text: one function for articles and questions.

Written by hand because the ready-made tokenisers break exactly what report questions turn
on. bm25s's default (which llama-index's `BM25Retriever` calls) and llama-index's keyword
extractor split `27.350` into `27` and `350`, drop one-character tokens such as the `3` of
`23/3/2022`, and cut NFD text (letters and combining marks stored apart) into fragments:
"Tổng" becomes `ng`. `tests/text/test_tokens.py` shows both.

`lexical_tokens(text)` normalises the text (NFC, `Ð`→`Đ`), then emits:

- one token per number, percent and date, by canonical value (`quantities.py`): `27.350`,
  `27,350` and `27350` are `27350`; `78,56%` is `78.56%`; `23/3/2022` and "ngày 23 tháng 3
  năm 2022" are `2022-03-23` (plus `2022-03`, so a question about a month finds its days);
  "tháng 9/2022" is `2022-09`;
- every syllable, lower-cased, and its diacritic-folded form when that differs (`đảng`,
  `dang`), so `tong so dang vien` matches "Tổng số đảng viên";
- word units: adjacent syllables inside a phrase joined by `_` (`đảng_viên`, `dang_vien`).
  Vietnamese words are mostly one or two syllables, so pairs capture them without a word
  segmenter. `bench/retrieval_quality.py` compared them over the seed questions with 300
  news articles as distractors (5,213 chunks): pairs retrieve as well as underthesea's
  segmentation, which costs 5x the CPU to tokenise (25 s against 5 s) plus 6 s to import,
  and better than pyvi's (one question fewer at rank 1); so no segmenter is a dependency.
  A segmenter can still be passed in as `word_units`.

Punctuation is dropped. No stopwords are removed by default: the list below changed no
result in that benchmark (`stopwords=True` keeps it measurable). Not here: ranking
(`assistant.retrieval.lexical`), stemming (Vietnamese syllables do not inflect), number words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise
from typing import Literal

from assistant.text.normalize import fold_diacritics, normalize_inline
from assistant.text.quantities import Quantity, find_quantities

# Segmenter: given a phrase (original case), its words, syllables joined by " " or "_".
Segmenter = Callable[[str], list[str]]
WordUnits = Literal["bigrams", "none"] | Segmenter

# Bump when the tokens change: a persisted lexical index of another version is stale.
TOKENIZER_VERSION = "vi-syllable-fold-bigram-1"

_SYLLABLE = re.compile(r"[^\W_]+")
_PHRASE_BREAK = re.compile(r"[^\w\s]|_")  # punctuation ends a phrase: no pair across it

# Function words and question words; only used with stopwords=True (measured, not default).
STOPWORDS = frozenset(
    "là của và các những được có trong cho với để đã này đó một thì mà ở từ theo về "
    "bao nhiêu nào gì mấy ai sao không".split()
)
_FOLDED_STOPWORDS = frozenset(fold_diacritics(word) for word in STOPWORDS)


@lru_cache(maxsize=200_000)
def _fold(token: str) -> str:
    # Vocabulary is small and folding is per character: cache it, it is most of the cost.
    return fold_diacritics(token)


def quantity_tokens(quantities: list[Quantity]) -> list[str]:
    """Canonical tokens of quantities found by `find_quantities`."""
    tokens = []
    for quantity in quantities:
        if quantity.kind == "percent":
            tokens.append(f"{quantity.value}%")
        elif quantity.kind == "date" and len(quantity.value) == 10:
            tokens += [quantity.value, quantity.value[:7]]
        else:
            tokens.append(quantity.value)
    return tokens


def phrases(text: str, quantities: list[Quantity]) -> list[str]:
    """The runs of words between punctuation and `quantities` (found in `text`), as written."""
    pieces, last = [], 0
    for quantity in quantities:
        pieces.append(text[last : quantity.start])
        last = quantity.end
    pieces.append(text[last:])
    runs = []
    for piece in pieces:
        runs.extend(run.strip() for run in _PHRASE_BREAK.split(piece) if _SYLLABLE.search(run))
    return runs


def _is_stopword(syllable: str) -> bool:
    return syllable in STOPWORDS or (syllable == _fold(syllable) and syllable in _FOLDED_STOPWORDS)


def _with_folded(tokens: list[str], folded: list[str]) -> list[str]:
    out = []
    for token, plain in zip(tokens, folded, strict=True):
        out.append(token)
        if plain != token:
            out.append(plain)
    return out


def _syllables(phrase: str) -> tuple[list[str], list[str]]:
    """Lower-cased syllables of `phrase` and their folded forms, folding the phrase once."""
    syllables = _SYLLABLE.findall(phrase.lower())
    folded = _SYLLABLE.findall(fold_diacritics(phrase))
    if len(folded) != len(syllables):  # a stray combining mark: fold one by one
        folded = [_fold(syllable) for syllable in syllables]
    return syllables, folded


def _pairs(items: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in pairwise(items)]


def _segmented(phrase: str, segment: Segmenter) -> list[str]:
    """Multi-syllable words of `phrase` by a segmenter, lower-cased, syllables joined by `_`."""
    words = []
    for word in segment(phrase):
        syllables = _SYLLABLE.findall(word.lower())
        if len(syllables) > 1:
            words.append("_".join(syllables))
    return words


def lexical_tokens(
    text: str, *, word_units: WordUnits = "bigrams", stopwords: bool = False
) -> list[str]:
    """BM25 tokens of `text` (see the module docstring); the same for articles and questions."""
    text = normalize_inline(text)
    quantities = find_quantities(text)
    tokens = quantity_tokens(quantities)
    for phrase in phrases(text, quantities):
        syllables, folded = _syllables(phrase)
        if word_units == "bigrams":
            words, folded_words = _pairs(syllables), _pairs(folded)
        elif word_units == "none":
            words, folded_words = [], []
        else:
            words = _segmented(phrase, word_units)
            folded_words = [_fold(word) for word in words]
        if stopwords:
            keep = [not _is_stopword(syllable) for syllable in syllables]
            syllables, folded = _kept(syllables, keep), _kept(folded, keep)
            keep = [not all(map(_is_stopword, word.split("_"))) for word in words]
            words, folded_words = _kept(words, keep), _kept(folded_words, keep)
        tokens += _with_folded(syllables, folded) + _with_folded(words, folded_words)
    return tokens


def _kept(items: list[str], keep: list[bool]) -> list[str]:
    return [item for item, flag in zip(items, keep, strict=True) if flag]
