"""`Answer` and `Citation`: what every answerer returns and every front end renders.

Citations are data. A body citation's `quote` is the exact text `article.body[start:end]`;
a metadata citation (`field` "author" or "date") quotes the article's byline value and has
no offsets. The JSON form (`Answer.to_dict`) is a contract for scripts and the evals:
`{question, answer, short_answer, abstained, citations: [{n, article_id, title, date,
quote, start, end, score, field}], timings_ms: {retrieve, answer, total}, backend, notes}`.

Not here: how answers are found, verified or printed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.retrieval.passage import Passage

NOT_FOUND = "Không tìm thấy thông tin này trong các bài viết đã lập chỉ mục."


@dataclass(frozen=True)
class Citation:
    """Source `[n]` of an answer."""

    n: int
    article_id: str
    title: str
    date: str | None
    quote: str
    start: int | None
    end: int | None
    score: float
    field: str = "body"
    author: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def quoting(cls, n: int, passage: Passage, start: int, end: int) -> Citation:
        """Cite `passage.text[start:end]` (offsets within the passage) as source `[n]`."""
        return cls(
            n=n,
            article_id=passage.article_id,
            title=passage.title,
            date=passage.date,
            quote=passage.text[start:end],
            start=passage.start + start,
            end=passage.start + end,
            score=passage.score,
            author=passage.author,
        )


@dataclass
class Answer:
    """A reply: `text` carries `[n]` markers that index `citations`."""

    question: str
    text: str
    short_answer: str | None
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    kind: str = "sentence"
    backend: str = "extractive"
    notes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    support: float = 0.0
    # The question as the answerer read it (terms carried into a follow-up); not output.
    analysis: Any = field(default=None, repr=False, compare=False)
    # The passages retrieved for it, best first (the evals score retrieval); not output.
    passages: list[Passage] = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "citations": [citation.to_dict() for citation in self.citations],
            "timings_ms": {key: round(value, 1) for key, value in self.timings_ms.items()},
            "kind": self.kind,
            "backend": self.backend,
            "notes": list(self.notes),
            "support": round(self.support, 3),
        }


def abstention(question: str, kind: str = "sentence", support: float = 0.0) -> Answer:
    """The reply when the articles do not answer: no citation, nothing guessed."""
    return Answer(question, NOT_FOUND, None, True, [], kind=kind, support=support)
