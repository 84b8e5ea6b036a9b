"""The default answerer: extractive, offline, instant. A pipeline of small stages:

question analysis (`question.py`) -> evidence selection, the sentence that answers
(`evidence.py`) -> span extraction, the complete figure, date, name or clause in it
(`candidates.py`, `spans.py`, `clause.py`) -> the support decision (`support.py`) -> the
reply (`compose.py`), citing the sentence it came from. A question about the article itself
(its author, its publication date) is answered from the article's metadata.

It abstains, with no citation, when the evidence supports too little of the question
(`min_support` for words alone; with the model's sentence similarity blended in, the
`SimilarityScale`'s own threshold; both chosen on `python -m bench reader`, see
docs/answering.md), or when no candidate of the asked type exists.

Not here: retrieval, LLM answers, verification of the reply (`verify.py` checks it).
"""

from __future__ import annotations

from dataclasses import replace

from assistant.answering.candidates import Candidate
from assistant.answering.clause import answer_clause
from assistant.answering.compose import compose_reply
from assistant.answering.evidence import asked_words, find_evidence
from assistant.answering.question import Question
from assistant.answering.support import (
    SimilarityScale,
    blended_support,
    support,
    supported,
)
from assistant.answering.terms import text_terms
from assistant.answering.types import Answer, Citation, abstention
from assistant.retrieval.passage import Passage
from assistant.text.display import display_date

DEFAULT_MIN_SUPPORT = 0.65


class ExtractiveAnswerer:
    """Answers from the passages by extraction; never invents a figure."""

    name = "extractive"

    def __init__(
        self,
        min_support: float = DEFAULT_MIN_SUPPORT,
        min_dense: float = 0.0,
        similarity: SimilarityScale | None = None,
    ) -> None:
        self.min_support = min_support
        self.min_dense = min_dense
        self.similarity = similarity  # None: support from the question's words alone

    def answer(self, question: Question, passages: list[Passage]) -> Answer:
        if question.kind in ("author", "published"):
            return self._from_metadata(question, passages)
        evidence = find_evidence(question, passages)
        threshold = self.min_support
        if evidence is not None and self.similarity is not None:
            blended = blended_support(question, evidence, self.similarity)
            if blended is not None:
                evidence = replace(evidence, support=blended)
                threshold = self.similarity.min_support
        if evidence is None or not supported(evidence, passages, threshold, self.min_dense):
            return abstention(question.text, question.kind, evidence.support if evidence else 0)
        passage, (start, end) = evidence.passage, evidence.sentence
        citation = Citation.quoting(1, passage, start, end)
        candidate = evidence.candidate
        if candidate is not None:
            short = candidate.text
        else:
            a, b = answer_clause(passage.text, (start, end), asked_words(question))
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
            (citation,),
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
            question.text, text, value, False, (citation,), kind=question.kind, support=covered
        )
