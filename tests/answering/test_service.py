"""The answering service: extractive by default, LLM replies verified, follow-ups resolved."""

import dataclasses

import pytest

import assistant.answering.question as question_module
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm import LLMAnswerer
from assistant.answering.question import analyse
from assistant.answering.service import REPLACED_NOTE, Assistant, ChatSession
from assistant.errors import QuestionError
from assistant.text.normalize import normalize_inline as normalize
from tests.answering.passages import article_from_file, best_passages, passages_of
from tests.conftest import SEED
from tests.fakes import ScriptedLLM


class TermRetriever:
    """A real fake retriever: ranks the seed passages by shared terms; records queries."""

    def __init__(self):
        self.passages = passages_of(article_from_file(SEED))
        self.queries = []

    def retrieve(self, question, k=5):
        self.queries.append(question)
        return best_passages(analyse(question), self.passages, k)


@pytest.fixture
def retriever():
    return TermRetriever()


def test_extractive_by_default_with_timings(retriever):
    answer = Assistant(retriever).ask("Tổng số đảng viên toàn tỉnh là bao nhiêu?")
    assert answer.backend == "extractive"
    assert answer.short_answer == "27.350 người"
    assert set(answer.timings_ms) == {"retrieve", "answer", "total"}
    data = answer.to_dict()
    assert {"question", "answer", "short_answer", "abstained", "citations", "timings_ms"} <= set(
        data
    )
    assert set(data["citations"][0]) >= {"n", "article_id", "title", "date", "quote", "start",
                                          "end", "score"}  # fmt: skip


def test_a_hallucinating_llm_is_caught_and_replaced(retriever):
    llm = ScriptedLLM(["Tổng số đảng viên toàn tỉnh là 10.000 người [7]."])
    answer = Assistant(retriever, llm=LLMAnswerer(llm)).ask(
        "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
    )
    assert "10.000" not in answer.text
    assert "[7]" not in answer.text
    assert answer.short_answer == "27.350 người"
    assert answer.backend == "extractive"
    assert REPLACED_NOTE in answer.notes


def test_a_partly_wrong_llm_reply_keeps_what_is_verified_and_says_so(retriever):
    llm = ScriptedLLM([
        "Toàn tỉnh có 27.350 đảng viên [1]. Trong đó 10.000 người là nữ [1]. Xem thêm [7]."
    ])  # fmt: skip
    answer = Assistant(retriever, llm=LLMAnswerer(llm)).ask(
        "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
    )
    assert answer.backend == "llm"
    assert "27.350" in answer.text and "10.000" not in answer.text
    assert answer.notes and "Đã bỏ" in answer.text
    assert all(1 <= c.n <= len(answer.citations) for c in answer.citations)


def test_a_grounded_llm_reply_streams_then_arrives_verified(retriever):
    reply = "Toàn tỉnh có 27.350 đảng viên [1]."
    events = list(
        Assistant(retriever, llm=LLMAnswerer(ScriptedLLM([reply]))).stream(
            "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
        )
    )
    *deltas, answer = events
    assert "".join(deltas) == reply
    assert answer.text == reply and answer.backend == "llm" and not answer.notes
    assert "27.350" in answer.citations[0].quote


def test_follow_ups_carry_the_previous_question_without_an_llm(retriever):
    chat = ChatSession(Assistant(retriever))
    first = chat.ask("Tính đến 15/9/2022 tỉnh kết nạp được bao nhiêu đảng viên mới?")
    assert first.short_answer == "344"
    second = chat.ask("Con số đó đạt bao nhiêu phần trăm chỉ tiêu?")
    assert second.short_answer == "khoảng 55%"
    assert "kết nạp" in retriever.queries[-1]
    chat.reset()
    assert chat.turns == []


def test_follow_ups_are_condensed_by_the_llm(retriever):
    llm = ScriptedLLM([
        "Toàn tỉnh kết nạp được 344 đảng viên mới [1].",
        "Việc kết nạp đảng viên mới đạt bao nhiêu phần trăm chỉ tiêu?",
        "Việc kết nạp đạt khoảng 55% chỉ tiêu [1].",
    ])  # fmt: skip
    chat = ChatSession(Assistant(retriever, llm=LLMAnswerer(llm)))
    chat.ask("Tính đến 15/9/2022 tỉnh kết nạp được bao nhiêu đảng viên mới?")
    second = chat.ask("Con số đó đạt bao nhiêu phần trăm chỉ tiêu?")
    assert retriever.queries[-1].startswith("Việc kết nạp đảng viên mới")
    assert retriever.queries[-1].endswith("Con số đó đạt bao nhiêu phần trăm chỉ tiêu?")
    assert "55%" in second.text and second.backend == "llm"


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000])
def test_bad_questions_get_a_clear_error(retriever, question):
    with pytest.raises(QuestionError):
        Assistant(retriever).ask(question)


def test_an_unreachable_llm_falls_back_to_the_extractive_answer(retriever):
    llm = ScriptedLLM([ConnectionError("connection refused")])
    answer = Assistant(retriever, llm=LLMAnswerer(llm)).ask(
        "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
    )
    assert answer.short_answer == "27.350 người" and answer.backend == "extractive"
    assert answer.notes and "Không dùng được mô hình ngôn ngữ" in answer.notes[0]


class FixedRetriever:
    """Retrieval that reads nothing: the seed passages in order; records queries."""

    def __init__(self):
        self.passages = passages_of(article_from_file(SEED))
        self.queries = []

    def retrieve(self, question, k=5):
        self.queries.append(question)
        return self.passages[:k]


class RecordingReader(ExtractiveAnswerer):
    """The extractive reader, remembering each `Question` it was handed."""

    def __init__(self):
        super().__init__()
        self.read = []

    def answer(self, question, passages):
        self.read.append(question)
        return super().answer(question, passages)


def test_each_turn_reads_the_question_once(monkeypatch):
    # Every reading of a question, wherever it happens, normalises it in `question.py`.
    seen = []
    monkeypatch.setattr(
        question_module, "normalize_inline", lambda text: seen.append(text) or normalize(text)
    )
    retriever, reader = FixedRetriever(), RecordingReader()
    chat = ChatSession(Assistant(retriever, extractive=reader))
    first = "Tính đến 15/9/2022 tỉnh kết nạp được bao nhiêu đảng viên mới?"
    follow_up = "Con số đó đạt bao nhiêu phần trăm chỉ tiêu?"
    answers = [chat.ask(first)]
    assert seen == [first]
    answers.append(chat.ask(follow_up))
    assert seen == [first, follow_up]  # the previous turn's terms are carried, not re-read
    # The one reading is what the retriever, the reader, the answer and the turn all got.
    for turn, answer, read in zip(chat.turns, answers, reader.read, strict=True):
        assert answer.analysis is read and turn.analysis is read
    assert retriever.queries[0] == reader.read[0].search_text
    assert "kết nạp" in retriever.queries[1] and set(reader.read[0].terms) <= set(
        reader.read[1].terms
    )


def test_an_answer_is_frozen_and_the_service_returns_a_new_one(retriever):
    answer = Assistant(retriever).ask("Tổng số đảng viên toàn tỉnh là bao nhiêu?")
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.text = "khác"
    assert isinstance(answer.citations, tuple) and isinstance(answer.passages, tuple)
    assert isinstance(answer.notes, tuple)
