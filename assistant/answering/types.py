"""`Answer` and `Citation`: what every answerer returns and every front end renders.

Citations are data. A body citation's `quote` is the exact text `article.body[start:end]`;
a metadata citation (`field` "author" or "date") quotes the article's byline value and has
no offsets. The JSON form (`Answer.to_dict`) is a contract for scripts and the evals:
`{question, answer, short_answer, abstained, citations: [{n, article_id, title, date,
quote, start, end, score, field}], timings_ms: {retrieve, answer, total}, backend, notes}`.

Both are frozen values: a step that changes an answer (the service adding timings, a note,
the passages) builds a new one with `dataclasses.replace`. Sequences are tuples; whoever
builds an answer may pass lists, they are stored as tuples. `timings_ms` stays a dict (the
JSON form and the evals read it as one); it is filled when the answer is built.

Not here: how answers are found, verified or printed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from assistant.retrieval.passage import Passage

if TYPE_CHECKING:  # a type only: the answer types do not need the question reader
    from assistant.answering.question import Question

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


@dataclass(frozen=True)
class Answer:
    """A reply: `text` carries `[n]` markers that index `citations`."""

    question: str
    text: str
    short_answer: str | None
    abstained: bool
    citations: tuple[Citation, ...] = ()
    kind: str = "sentence"
    backend: str = "extractive"
    notes: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    support: float = 0.0
    # The question as the answerer read it (terms carried into a follow-up); not output.
    analysis: Question | None = field(default=None, repr=False, compare=False)
    # The passages retrieved for it, best first (the evals score retrieval); not output.
    passages: tuple[Passage, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        # A builder may pass lists; stored as tuples, nothing can change them afterwards.
        for name in ("citations", "notes", "passages"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

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
    return Answer(question, NOT_FOUND, None, True, (), kind=kind, support=support)
