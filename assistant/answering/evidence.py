"""Evidence selection: which sentence of the retrieved passages answers the question.

Every sentence of the k passages is a place the answer may be. Each gets a relevance score
from signals that carry to new wording, not from the question set the weights were chosen
on:

- lexical overlap with diacritic folding: the share of the question's syllables and
  syllable pairs found in the sentence, each weighted by how rare it is among the candidate
  sentences (IDF), so "đảng viên" in a Party report counts less than the name of a commune;
  the sentence before counts at half weight (reports name the subject once, then give the
  figure), the article title at a quarter;
- the passage's retrieval rank, as a small prior.

Measured on ViNewsQA, ViQuAD and Party news (docs/answering.md): IDF-weighted overlap
picks the sentence holding the answer more often than the raw share of question terms.

Not here: spans inside the sentence (`candidates.py`), abstaining (`support.py`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from itertools import pairwise

from assistant.answering.candidates import Candidate, candidates
from assistant.answering.injection import without_instructions
from assistant.answering.question import Question
from assistant.answering.support import support
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
_TYPED = frozenset({"number", "percent", "date", "named", "person", "place", "org"})


@dataclass(frozen=True)
class Evidence:
    """The best candidate found: where it is and how well it fits."""

    passage: Passage
    sentence: tuple[int, int]
    candidate: Candidate | None
    score: float
    support: float


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


def _grams(text: str) -> set[str]:
    words = [same_spelling(word) for word in _WORD.findall(fold_diacritics(text))]
    return set(words) | {f"{a} {b}" for a, b in pairwise(words)}


def candidate_sentences(passages: list[Passage]) -> list[Sentence]:
    """The sentences of `passages`, best passage first."""
    found = []
    for rank, passage in enumerate(passages):
        # A planted instruction is not evidence: blanked, it is neither answer nor context.
        text = without_instructions(passage.text)
        spans = sentence_spans(text)
        for number, span in enumerate(spans):
            before = spans[number - 1][0] if number else span[0]
            found.append(Sentence(passage, rank, text, span, before))
    return found


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
    sentences = rank_by_overlap(asked_words(question), candidate_sentences(passages))
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
        plain = Evidence(sentence.passage, span, None, sentence.relevance + prior, covered)
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
            best = Evidence(sentence.passage, span, top, score, covered)
            best_relevance = sentence.relevance
    if not typed:
        return clause
    # Not every "ai" or "khi nào" is answered by a name or a date ("các bác sĩ trực",
    # "khi trẻ bị sốt"): a sentence far more relevant than any holding a span of the
    # asked type answers by a clause.
    if clause is not None and (best is None or clause_relevance - best_relevance > _UNTYPED_MARGIN):
        return clause
    return best
