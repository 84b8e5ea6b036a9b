"""The question-answering use case: retrieve, answer, verify, remember the conversation.

`Assistant.ask` reads the question, resolves a follow-up against the previous turn (with an
LLM by condensing it into a standalone question; without one by carrying the previous
turn's terms into retrieval and scoring), retrieves passages, and answers: extractively by
default, or with the LLM, whose reply is always verified (`verify.py`). When verification
drops claims the reply says so; when nothing verifiable is left the extractive answer
replaces it. `Assistant.stream` yields the LLM's text as it comes, then the final `Answer`.
`ChatSession` keeps the turns of one conversation.

A turn reads the question once (`question.analyse`, which normalises it) and hands that one
`Question` on: its search text to the retriever, itself to the extractive reader, its text
to the LLM; a follow-up adds the previous turn's terms to it (`carry_terms`) rather than
reading it again. Only an LLM's standalone rewrite of a follow-up is a new text to read.
Verification reads the reply's claims, not the question. Answers are frozen: the final one
is a copy of the answerer's with the question as asked, the analysis, passages and timings.

Not here: building retrievers or models (`wiring.py`), printing (`cli/`, `ui/`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm import LLMAnswerer
from assistant.answering.question import Question, analyse, carry_terms
from assistant.answering.types import Answer
from assistant.answering.verify import verify_reply
from assistant.errors import LLMError, QuestionError
from assistant.retrieval.passage import Passage

MAX_QUESTION_CHARS = 2000
DROPPED_NOTE = (
    "Đã bỏ {n} ý không kiểm chứng được với nguồn (số liệu, ngày tháng hoặc trích dẫn không "
    "khớp với câu được trích, hoặc không ghi nguồn)."
)
LLM_FAILED_NOTE = (
    "Không dùng được mô hình ngôn ngữ ({error}); đây là câu trả lời trích từ bài viết."
)
REPLACED_NOTE = (
    "Câu trả lời của mô hình không kiểm chứng được với nguồn, nên được thay bằng câu trả "
    "lời trích trực tiếp từ bài viết."
)


class Retriever(Protocol):
    """Anything that returns the `k` best passages for a question."""

    def retrieve(self, question: str, k: int = 5) -> list[Passage]: ...


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation."""

    question: str
    analysis: Question
    answer: Answer


class Assistant:
    """Answers questions from the indexed articles, with verified citations."""

    def __init__(
        self,
        retriever: Retriever,
        *,
        k: int = 5,
        extractive: ExtractiveAnswerer | None = None,
        llm: LLMAnswerer | None = None,
    ) -> None:
        self.retriever = retriever
        self.k = k
        self.extractive = extractive or ExtractiveAnswerer()
        self.llm = llm

    @property
    def backend(self) -> str:
        return "llm" if self.llm else "extractive"

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """The verified answer to `question`, given the earlier turns of the conversation."""
        answer = None
        for event in self.stream(question, history):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None  # stream always ends with the answer
        return answer

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Text deltas while an LLM writes (none when extractive), then the final `Answer`."""
        started = time.perf_counter()
        analysis, query = self._understand(question, history)
        passages = self.retriever.retrieve(query, self.k)
        retrieved = time.perf_counter()
        answer = self.extractive.answer(analysis, passages)
        if self.llm is not None:
            answer = yield from self._llm_answer(analysis, passages, history, answer)
        done = time.perf_counter()
        yield replace(
            answer,
            question=" ".join(question.split()),  # as asked (the JSON echoes it), spaced once
            analysis=analysis,
            passages=tuple(passages),
            timings_ms={
                "retrieve": (retrieved - started) * 1000,
                "answer": (done - retrieved) * 1000,
                "total": (done - started) * 1000,
            },
        )

    def _understand(self, question: str, history: Sequence[Turn]) -> tuple[Question, str]:
        """The analysed question and the retrieval query, follow-ups resolved; the question
        is read once."""
        if not question or not question.strip():
            raise QuestionError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise QuestionError(
                f"the question is {len(question)} characters long; the limit is "
                f"{MAX_QUESTION_CHARS}"
            )
        analysis = analyse(question)
        if not history or not analysis.is_follow_up:
            return analysis, analysis.search_text
        previous = history[-1]
        if self.llm is not None:
            pairs = [(turn.question, turn.answer.text) for turn in history]
            # A small model's rewrite can drift ("chỉ tiêu" became "số đảng viên đã có"), so
            # the follow-up's own words stay in the query beside it.
            standalone = analyse(self.llm.condense(question, pairs), analysis)
            return standalone, f"{standalone.search_text} {analysis.search_text}"
        carried = carry_terms(analysis, previous.analysis)
        return carried, f"{analysis.search_text} {previous.analysis.search_text}"

    def _llm_answer(
        self,
        analysis: Question,
        passages: list[Passage],
        history: Sequence[Turn],
        fallback: Answer,
    ) -> Iterator[str]:
        pairs = [(turn.question, turn.answer.text) for turn in history]
        pieces = []
        try:
            for delta in self.llm.stream(analysis.text, passages, pairs):
                pieces.append(delta)
                yield delta
        except LLMError as error:
            # The articles still answer without the model: say what failed, keep going.
            return _noted(fallback, LLM_FAILED_NOTE.format(error=error))
        checked = verify_reply("".join(pieces), passages)
        if checked.abstained and not checked.changed:
            # The model found nothing; the extractive reader may still have a grounded
            # answer, and a grounded answer beats a refusal.
            return fallback
        if not checked.citations:
            return _noted(fallback, REPLACED_NOTE)
        notes = []
        if checked.dropped or checked.bad_markers:
            notes.append(DROPPED_NOTE.format(n=len(checked.dropped) + len(checked.bad_markers)))
        text = checked.text + (f" ({notes[0]})" if notes else "")
        return Answer(
            analysis.text,
            text,
            checked.short_answer,  # the reply's own figure, never the extractive one
            False,
            checked.citations,
            kind=analysis.kind,
            backend="llm",
            notes=tuple(notes),
            support=fallback.support,
        )


def _noted(answer: Answer, note: str) -> Answer:
    """`answer` with `note` added to its notes."""
    return replace(answer, notes=(*answer.notes, note))


class ChatSession:
    """A conversation: each question is answered in the light of the ones before."""

    def __init__(self, assistant: Assistant, max_turns: int = 10) -> None:
        self.assistant = assistant
        self.max_turns = max_turns
        self.turns: list[Turn] = []

    def stream(self, question: str) -> Iterator[str | Answer]:
        for event in self.assistant.stream(question, self.turns):
            if isinstance(event, Answer):
                self._remember(question, event)
            yield event

    def ask(self, question: str) -> Answer:
        answer = self.assistant.ask(question, self.turns)
        self._remember(question, answer)
        return answer

    def reset(self) -> None:
        self.turns.clear()

    def _remember(self, question: str, answer: Answer) -> None:
        self.turns.append(Turn(question, answer.analysis or analyse(question), answer))
        del self.turns[: -self.max_turns]
