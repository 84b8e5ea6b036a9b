"""The support decision: how much of the question the chosen evidence backs.

Support is the weighted share of the question's terms found in the cited sentence, the
sentence before it and the article title. A condition the question sets is more than a
word: a figure it names ("Kế hoạch số 50", "năm 2022") or a name it gives ("xã Tứ Cường",
"tỉnh Bình Định") that the evidence lacks halves the support, because evidence about
another document, place or person is about something near the question, not its answer.
The extractive reader abstains below `answer.min_support` (docs/answering.md).

Lexical support cannot tell a paraphrase from a question about something else; the
embedding model can, so its question-sentence similarity (from the sentence vectors stored
at indexing) is blended in (`SimilarityScale`, `answer.similarity_weight`): measured on
Party news, it separates right answers from absent and unanswerable questions far better
than words alone (docs/answering.md). The reader can also abstain when the cited passage
(or, if dense retrieval did not return it, the best passage) is less similar to the question
than `answer.min_dense` (off by default). Both are cosines, so they hold for one embedding
model only: chosen for EmbeddingGemma on `python -m bench reader`, off for any other.

Not here: choosing the evidence (`evidence.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from assistant.answering.candidates import Candidate
from assistant.answering.question import Question
from assistant.answering.terms import Term, keyed_positions
from assistant.retrieval.passage import Passage


@dataclass(frozen=True)
class Evidence:
    """The best candidate found: where it is and how well it fits."""

    passage: Passage
    sentence: tuple[int, int]
    candidate: Candidate | None
    score: float
    support: float
    similarity: float | None = None  # the sentence's cosine to the question, if stored


@dataclass(frozen=True)
class SimilarityScale:
    """How the embedding model's sentence similarity enters the support: cosines from `low`
    (nothing) to `high` (full) map onto 0..1 and take `weight` of the blend, which must
    reach `min_support` (a blend has its own threshold; words alone keep theirs)."""

    weight: float
    low: float
    high: float
    min_support: float

    def blend(self, share: float, cosine: float) -> float:
        span = max(self.high - self.low, 1e-9)
        similar = min(1.0, max(0.0, (cosine - self.low) / span))
        return (1 - self.weight) * share + self.weight * similar


def blended_support(
    question: Question, evidence: Evidence, scale: SimilarityScale | None
) -> float | None:
    """The support of `evidence` with the model's similarity blended in, or None when the
    similarity cannot be trusted: no sentence vector, or a question not typed in Vietnamese
    with diacritics. Unaccented text embeds far from its accented form (measured: cosine
    0.40 against 0.70 for the same question), and English questions meet Vietnamese
    sentences at lower cosines than Vietnamese ones."""
    if scale is None or evidence.similarity is None:
        return None
    if not question.accented or question.english:
        return None
    return scale.blend(evidence.support, evidence.similarity)


def supported(
    evidence: Evidence, passages: list[Passage], min_support: float, min_dense: float
) -> bool:
    """Whether `evidence` backs enough of the question to be given as its answer."""
    if evidence.support < min_support:
        return False
    if min_dense <= 0:
        return True
    dense = evidence.passage.scores.get("dense")
    if dense is None:
        dense = max((p.scores.get("dense", 0.0) for p in passages), default=0.0)
    return dense >= min_dense


def support(
    question: Question,
    terms: list[Term],
    title_terms: list[Term],
    passage_terms: list[Term] | None = None,
) -> float:
    """Weighted share of the question's terms present in `terms` or the title.

    A figure the question names ("Kế hoạch số 50", "năm 2022") is a condition, not a
    word: evidence that lacks it supports at most half the question. So is a name it gives,
    looked for in the whole passage (`passage_terms`) and the title, since a report names
    its place once and gives its figures sentences later.
    """
    total = sum(question.terms.values())
    if not total:
        return 0.0
    keys = {key for key, _ in keyed_positions(terms, question.exact)}
    keys |= {key for key, _ in keyed_positions(title_terms, question.exact)}
    dates = [key for key in keys if key.startswith("date:")]
    keys |= {f"number:{key[5:9]}" for key in dates}  # a date states its year
    keys |= {key[:12] for key in dates}  # and its month ("tháng 9/2022" by "15/9/2022")
    found = sum(weight for key, weight in question.terms.items() if key in keys)
    share = found / total
    named = [key for key, weight in question.terms.items() if ":" in key and weight >= 3.0]
    around = passage_terms if passage_terms is not None else terms
    if any(key not in keys for key in named) or not _names_found(question, around, title_terms):
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
