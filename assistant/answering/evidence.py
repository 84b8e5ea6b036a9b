"""Evidence selection: which sentence of the retrieved passages answers the question.

Every sentence of the k passages is a place the answer may be. Each gets a relevance score
from signals that carry to new wording, not from the question set the weights were chosen
on:

- lexical overlap with diacritic folding: the share of the question's syllables and
  syllable pairs found in the sentence, each weighted by how rare it is among the candidate
  sentences (IDF), so "đảng viên" in a Party report counts less than the name of a commune;
  the sentence before counts at half weight (reports name the subject once, then give the
  figure), the article title at a quarter;
- the embedding model's question-sentence cosine, from the sentence vectors stored at
  indexing (`Passage.sentences`), z-scored with the overlap and mixed half and half
  (`blend_similarity`);
- the passage's retrieval rank, as a small prior.

Measured on ViNewsQA, ViQuAD and Party news (docs/answering.md): IDF-weighted overlap
picks the sentence holding the answer more often than the raw share of question terms, and
the mix with the model's similarity more often than either.

Not here: spans inside the sentence (`candidates.py`), abstaining (`support.py`).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from itertools import pairwise

from assistant.answering.candidates import candidates
from assistant.answering.injection import without_instructions
from assistant.answering.question import Question
from assistant.answering.support import Evidence, support
from assistant.answering.terms import Term, text_terms
from assistant.retrieval.passage import Passage
from assistant.text.normalize import fold_diacritics, same_spelling
from assistant.text.sentences import sentence_spans

_WORD = re.compile(r"[^\W_]+")
_PAIR = 0.5
_BEFORE = 0.5
_TITLE = 0.25
_RANK_PRIOR = 0.15
_RELEVANCE = 0.3
_UNTYPED_MARGIN = 0.3
_SIMILARITY = 0.5
_TYPED = frozenset({"number", "percent", "date", "named", "person", "place", "org"})


@dataclass(frozen=True)
class Sentence:
    """One candidate sentence: its passage (rank from 0), its span in the passage text
    (with instructions planted in the article blanked), and its lexical relevance."""

    passage: Passage
    rank: int
    text: str  # the passage text the offsets index, planted instructions blanked
    span: tuple[int, int]
    context_start: int  # where the sentence before it starts (or the sentence itself)
    relevance: float = 0.0
    similarity: float | None = None  # the embedding model's cosine to the question, if stored


@functools.lru_cache(maxsize=16384)  # sentences recur across the questions that retrieve them
def _grams(text: str) -> frozenset[str]:
    words = [same_spelling(word) for word in _WORD.findall(fold_diacritics(text))]
    return frozenset(words) | {f"{a} {b}" for a, b in pairwise(words)}


def candidate_sentences(passages: list[Passage]) -> list[Sentence]:
    """The sentences of `passages`, best passage first."""
    found = []
    for rank, passage in enumerate(passages):
        # A planted instruction is not evidence: blanked, it is neither answer nor context.
        text = without_instructions(passage.text)
        spans = sentence_spans(text)
        for number, span in enumerate(spans):
            before = spans[number - 1][0] if number else span[0]
            similarity = _similarity(passage, span)
            found.append(Sentence(passage, rank, text, span, before, similarity=similarity))
    return found


def _similarity(passage: Passage, span: tuple[int, int]) -> float | None:
    """The stored sentence vector's cosine for `span`: of the stored sentence it overlaps most
    (the reader splits text with planted instructions blanked, so spans may differ)."""
    best, overlap = None, 0
    for start, end, cosine in passage.sentences:
        shared = min(end, span[1]) - max(start, span[0])
        if shared > overlap:
            best, overlap = cosine, shared
    return best


def blend_similarity(sentences: list[Sentence], weight: float = _SIMILARITY) -> list[Sentence]:
    """Relevance from word overlap and embedding similarity together.

    Both are z-scored over the candidates and mixed (`weight` on similarity), then mapped
    back onto the overlap's own scale (its mean and spread), so the margins below keep
    their meaning. Without stored similarities the overlap stands alone.
    """
    if weight <= 0 or not sentences or any(s.similarity is None for s in sentences):
        return sentences
    overlap = [s.relevance for s in sentences]
    similarity = [s.similarity or 0.0 for s in sentences]
    mean_o, spread_o = _mean_spread(overlap)
    mean_s, spread_s = _mean_spread(similarity)
    if spread_s == 0:
        return sentences
    scale = spread_o or 1.0
    blended = []
    for sentence, o, c in zip(sentences, overlap, similarity, strict=True):
        z_o = (o - mean_o) / spread_o if spread_o else 0.0
        z_c = (c - mean_s) / spread_s
        relevance = mean_o + scale * ((1 - weight) * z_o + weight * z_c)
        blended.append(replace(sentence, relevance=relevance))
    return blended


def _mean_spread(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def rank_by_overlap(question: str, sentences: list[Sentence]) -> list[Sentence]:
    """`sentences` with their lexical relevance to `question` set (order kept)."""
    if not sentences:
        return []
    own = [_grams(s.text[s.span[0] : s.span[1]]) for s in sentences]
    before = [_grams(s.text[s.context_start : s.span[0]]) for s in sentences]
    titles = {s.passage.title: _grams(s.passage.title) for s in sentences}
    frequency = Counter(gram for grams in own for gram in grams)
    count = len(sentences)
    asked = _grams(question)

    def weight(gram: str) -> float:
        # A question word in no candidate sentence is as rare as a word can be.
        idf = math.log((count + 1) / (frequency.get(gram, 0) + 0.5))
        return idf * (_PAIR if " " in gram else 1.0)

    weights = {gram: weight(gram) for gram in asked}
    total = sum(weights.values()) or 1.0
    scored = []
    for sentence, grams, earlier in zip(sentences, own, before, strict=True):
        title = titles[sentence.passage.title]
        found = 0.0
        for gram, value in weights.items():
            if gram in grams:
                found += value
            elif gram in earlier:
                found += _BEFORE * value
            elif gram in title:
                found += _TITLE * value
        scored.append(replace(sentence, relevance=found / total))
    return scored


def asked_words(question: Question) -> str:
    """The words of the question evidence should contain: without its question word, and
    for an English question the Vietnamese terms it names."""
    if question.english:
        return question.expansion
    text = question.text
    if question.wh_span:
        text = f"{text[: question.wh_span[0]]} {text[question.wh_span[1] :]}"
    return text


def find_evidence(question: Question, passages: list[Passage]) -> Evidence | None:
    """The best-scoring sentence (and candidate, for typed questions) in `passages`."""
    best: Evidence | None = None
    best_relevance = 0.0
    clause: Evidence | None = None  # the best sentence regardless of type
    clause_relevance = 0.0
    typed = question.kind in _TYPED
    sentences = blend_similarity(
        rank_by_overlap(asked_words(question), candidate_sentences(passages))
    )
    terms_of: dict[int, tuple[list[Term], list[Term]]] = {}
    for sentence in sentences:
        if sentence.rank not in terms_of:
            terms_of[sentence.rank] = (
                text_terms(sentence.text),
                text_terms(sentence.passage.title),
            )
        terms, title_terms = terms_of[sentence.rank]
        span = sentence.span
        context = [term for term in terms if sentence.context_start <= term.start < span[1]]
        covered = support(question, context, title_terms, terms)
        prior = _RANK_PRIOR / (1 + sentence.rank)
        similarity = sentence.similarity
        plain = Evidence(
            sentence.passage, span, None, sentence.relevance + prior, covered, similarity
        )
        if clause is None or plain.score > clause.score:
            clause, clause_relevance = plain, sentence.relevance
        if not typed:
            continue
        found = candidates(question, sentence.text, terms, span)
        if not found:
            continue
        top = found[0]
        score = top.score + _RELEVANCE * sentence.relevance + prior
        if best is None or score > best.score:
            best = Evidence(sentence.passage, span, top, score, covered, similarity)
            best_relevance = sentence.relevance
    if not typed:
        return clause
    # Not every "ai" or "khi nào" is answered by a name or a date ("các bác sĩ trực",
    # "khi trẻ bị sốt"): a sentence far more relevant than any holding a span of the
    # asked type answers by a clause.
    if clause is not None and (best is None or clause_relevance - best_relevance > _UNTYPED_MARGIN):
        return clause
    return best
