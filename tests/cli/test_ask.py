"""`assistant ask` and `assistant chat`, driven for real with the hashing embedder."""

from __future__ import annotations

import json

import pytest

from tests.answering.passages import article_from_file
from tests.conftest import SEED


@pytest.fixture
def indexed(run):
    assert run("index", "update").exit_code == 0
    return run


def test_ask_json_is_the_contract(indexed):
    result = indexed("ask", "Tổng số đảng viên toàn tỉnh là bao nhiêu?", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["short_answer"] == "27.350 người"
    assert answer["abstained"] is False
    assert set(answer["timings_ms"]) == {"retrieve", "answer", "total"}
    body = article_from_file(SEED).body
    for citation in answer["citations"]:
        assert body[citation["start"] : citation["end"]] == citation["quote"]
        assert citation["article_id"] == SEED.name


def test_ask_prints_the_answer_and_its_sources(indexed):
    result = indexed("ask", "Tỷ lệ chi bộ đã tổ chức đại hội là bao nhiêu?")
    assert result.exit_code == 0, result.output
    assert "78,56% [1]" in result.stdout
    assert "Nguồn" in result.stdout and "Hoàng Hoài" in result.stdout


def test_ask_abstains_with_no_citation(indexed):
    result = indexed("ask", "Tổng thu ngân sách của tỉnh năm 2022 là bao nhiêu?", "--json")
    answer = json.loads(result.stdout)
    assert answer["abstained"] and answer["citations"] == []


def test_batch_answers_every_line_and_reports_bad_ones(indexed):
    lines = "\n".join([
        "Có bao nhiêu chi bộ đã tổ chức đại hội?",
        json.dumps({"id": "f1", "turns": ["Có bao nhiêu chi bộ đã tổ chức đại hội?",
                                          "Còn tỷ lệ thì sao?"]}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "no-question"}),
        "",
        json.dumps({"id": "q9", "question": "Kế hoạch số 03 của Bộ Chính trị ban hành ngày nào?"},
                   ensure_ascii=False),
    ])  # fmt: skip
    result = indexed("ask", "--batch", "-", stdin=lines)
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == [1, "f1", 3, "no-question", "q9"]
    assert rows[0]["short_answer"] == "1.352"
    assert rows[1]["short_answer"] == "78,56%" and len(rows[1]["turns"]) == 2
    assert "not valid JSON" in rows[2]["error"]
    assert "question" in rows[3]["error"]
    assert rows[4]["short_answer"] == "ngày 1/12/2021"
    assert "2 line(s)" in result.stderr


def test_a_batch_with_odd_lines_answers_the_rest_in_valid_json(indexed):
    # Issue 16: a non-UTF-8 line was a traceback, "turns": "abc" was asked letter by
    # letter, and "id": NaN was echoed as a line no JSON reader accepts.
    lines = b"\n".join([
        "Có bao nhiêu chi bộ đã tổ chức đại hội?".encode(),
        "Giá lúa hôm nay?".encode("latin-1", "replace").replace(b"?", b"\xe1?"),
        b'{"id": "t", "turns": "abc"}',
        b'{"id": NaN, "question": "x"}',
        b'{"id": "e", "turns": []}',
    ])  # fmt: skip
    result = indexed("ask", "--batch", "-", stdin=lines)
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]  # every line is JSON
    assert '"id": NaN' not in result.stdout
    assert [row["id"] for row in rows] == [1, 2, "t", 4, "e"]
    assert rows[0]["short_answer"] == "1.352"
    assert rows[1]["error"] == "line 2: not valid UTF-8 text"
    assert rows[2]["error"] == "line 3: `turns` must be a non-empty list of strings"
    assert rows[3]["error"] == "line 4: not valid JSON (NaN is not a JSON value)"
    assert rows[4]["error"] == "line 5: `turns` must be a non-empty list of strings"
    assert "4 line(s)" in result.stderr and "Traceback" not in result.output


def test_ask_needs_a_question_or_a_batch(indexed):
    assert indexed("ask").exit_code == 2


def test_ask_before_indexing_says_what_to_do(run):
    result = run("ask", "Tổng số đảng viên là bao nhiêu?")
    assert result.exit_code == 1
    assert "assistant index update" in result.stderr


def test_chat_follows_up_and_resets(indexed):
    session = "\n".join([
        "Tính đến 15/9/2022 tỉnh kết nạp được bao nhiêu đảng viên mới?",
        "Con số đó đạt bao nhiêu phần trăm chỉ tiêu?",
        "/moi",
        "",
        "/thoat",
    ])  # fmt: skip
    result = indexed("chat", stdin=session)
    assert result.exit_code == 0, result.output
    assert "344 đảng viên mới [1]" in result.stdout
    assert "55%" in result.stdout
    assert "Đã bắt đầu hội thoại mới" in result.stderr


def test_a_bad_turn_does_not_end_the_chat(indexed):
    result = indexed("chat", stdin="x" * 3000 + "\nCó bao nhiêu chi bộ đã tổ chức đại hội?\n")
    assert result.exit_code == 0, result.output
    assert "the limit is" in result.stderr
    assert "1.352" in result.stdout


def test_llm_and_k_flags_are_applied_to_the_settings(indexed):
    result = indexed("ask", "Tổng số đảng viên toàn tỉnh là bao nhiêu?", "--k", "1", "--json")
    assert result.exit_code == 0, result.output
    assert {citation["n"] for citation in json.loads(result.stdout)["citations"]} == {1}
    result = indexed("ask", "Tổng số đảng viên?", "--llm", "openai-compatible")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "invalid settings: llm: " in result.output and "api_model" in result.output


def test_backend_choices_are_the_settings_own():
    from typing import get_args

    from assistant.cli.options import EMBEDDING_BACKENDS, LLM_BACKENDS
    from assistant.config import EmbeddingSettings, LLMSettings

    assert tuple(LLM_BACKENDS.choices) == get_args(LLMSettings.model_fields["backend"].annotation)
    assert "hashing" in EMBEDDING_BACKENDS.choices
    assert tuple(EMBEDDING_BACKENDS.choices) == get_args(
        EmbeddingSettings.model_fields["backend"].annotation
    )
