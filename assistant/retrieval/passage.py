"""`Passage`: one retrieved chunk with everything a citation needs. Plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk; `text == article body[start:end]`."""

    chunk_id: str
    article_id: str
    title: str
    date: str | None
    text: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict:
        return asdict(self)
