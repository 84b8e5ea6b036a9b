"""The default answerer: extractive, offline, instant.

Reads the question (`question.py`), looks through the retrieved passages sentence by
sentence for the best candidate of the asked type (`candidates.py`), and writes a short
Vietnamese reply that cites the sentence it came from. A question about the article itself
(its author, its publication date) is answered from the article's metadata.

It abstains, with no citation, when the best evidence covers too little of the question
(`min_support`, the weighted share of the question's terms found in the cited sentence and
the article title; calibrated in bench/abstention.py, see docs/answering.md), or when no
candidate of the asked type exists.

Not here: retrieval, LLM answers, verification of the reply (`verify.py` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from assistant.answering.candidates import Candidate, candidates
from assistant.answering.clause import answer_clause
from assistant.answering.compose import compose_reply, display_date
from assistant.answering.evidence import candidate_sentences, rank_by_overlap
from assistant.answering.question import Question
from assistant.answering.terms import Term, keyed_positions, text_terms
from assistant.answering.types import Answer, Citation, abstention
from assistant.retrieval.passage import Passage

DEFAULT_MIN_SUPPORT = 0.75
_RANK_PRIOR = 0.15
_RELEVANCE = 0.3
_TYPED = frozenset({"number", "percent", "date", "named", "person", "place", "org"})


@dataclass(frozen=True)
class Evidence:
    """The best candidate found: where it is and how well it fits."""

    passage: Passage
    sentence: tuple[int, int]
    candidate: Candidate | None
    score: float
    support: float


def support(question: Question, terms: list[Term], title_terms: list[Term]) -> float:
    """Weighted share of the question's terms present in `terms` or the title.

    A figure the question names ("Kế hoạch số 50", "năm 2022") is a condition, not a
    word: evidence that lacks it supports at most half the question.
    """
    total = sum(question.terms.values())
    if not total:
        return 0.0
    keys = {key for key, _ in keyed_positions(terms, question.exact)}
    keys |= {key for key, _ in keyed_positions(title_terms, question.exact)}
    keys |= {f"number:{key[5:9]}" for key in keys if key.startswith("date:")}  # its year
    found = sum(weight for key, weight in question.terms.items() if key in keys)
    share = found / total
    named = [key for key, weight in question.terms.items() if ":" in key and weight >= 3.0]
    if any(key not in keys for key in named) or not _names_found(question, terms, title_terms):
        return share / 2
    return share


def _names_found(question: Question, terms: list[Term], title_terms: list[Term]) -> bool:
    """Whether every name the question gives ("xã Tứ Cường") is in the evidence or title."""
    if not question.names:
        return True
    folded = {key for key, _ in keyed_positions(terms)} | {
        key for key, _ in keyed_positions(title_terms)
    }
    for name in question.names:
        parts = [" ".join(pair) for pair in pairwise(name)] or list(name)
        if not all(part in folded for part in parts):
            return False
    return True


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
        covered = support(question, context, title_terms)
        prior = _RANK_PRIOR / (1 + sentence.rank)
        if typed:
            found = candidates(question, sentence.text, terms, span)
            if not found:
                continue
            top = found[0]
            score = top.score + _RELEVANCE * sentence.relevance + prior
            evidence = Evidence(sentence.passage, span, top, score, covered)
        else:
            evidence = Evidence(sentence.passage, span, None, sentence.relevance + prior, covered)
        if best is None or evidence.score > best.score:
            best = evidence
    return best


class ExtractiveAnswerer:
    """Answers from the passages by extraction; never invents a figure."""

    name = "extractive"

    def __init__(self, min_support: float = DEFAULT_MIN_SUPPORT) -> None:
        self.min_support = min_support

    def answer(self, question: Question, passages: list[Passage]) -> Answer:
        if question.kind in ("author", "published"):
            return self._from_metadata(question, passages)
        evidence = find_evidence(question, passages)
        if evidence is None or evidence.support < self.min_support:
            return abstention(question.text, question.kind, evidence.support if evidence else 0)
        passage, (start, end) = evidence.passage, evidence.sentence
        citation = Citation.quoting(1, passage, start, end)
        candidate = evidence.candidate
        if candidate is not None:
            short = candidate.text
        else:
            whole_list = question.kind == "list"
            a, b = answer_clause(
                passage.text, (start, end), asked_words(question), whole_list=whole_list
            )
            short = passage.text[a:b]
        text = compose_reply(
            question,
            evidence_text=passage.text,
            sentence=(start, end),
            candidate=candidate,
            title=passage.title,
        )
        return Answer(
            question.text,
            text,
            short,
            False,
            [citation],
            kind=question.kind,
            support=evidence.support,
        )

    def _from_metadata(self, question: Question, passages: list[Passage]) -> Answer:
        """Author or publication date of the article the question is about."""
        if not passages:
            return abstention(question.text, question.kind)
        scored = [(support(question, text_terms(p.text), text_terms(p.title)), p) for p in passages]
        covered, passage = max(scored, key=lambda pair: pair[0])  # the first of equals wins
        value = passage.author if question.kind == "author" else display_date(passage.date)
        if covered < self.min_support or not value:
            return abstention(question.text, question.kind, covered)
        field = "author" if question.kind == "author" else "date"
        citation = Citation(
            1,
            passage.article_id,
            passage.title,
            passage.date,
            value,
            None,
            None,
            passage.score,
            field=field,
            author=passage.author,
        )
        text = compose_reply(
            question,
            evidence_text=value,
            sentence=(0, len(value)),
            candidate=Candidate(0, len(value), value, 1.0),
            title=passage.title,
        )
        return Answer(
            question.text, text, value, False, [citation], kind=question.kind, support=covered
        )
