"""The web app's callbacks and server settings, driven as functions.

The seed article is answered through a real fake retriever.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.question import analyse
from assistant.answering.service import Assistant
from assistant.config import load_settings
from assistant.errors import ConfigError
from assistant.ui.articles import remove_article, upload_articles
from assistant.ui.chat import respond
from assistant.ui.layout import NOTHING_CHOSEN, build_app, chosen_article, delete_question
from assistant.ui.server import check_binding
from tests.answering.passages import article_from_file, best_passages, passages_of
from tests.conftest import SEED


class TermRetriever:
    def __init__(self):
        self.passages = passages_of(article_from_file(SEED))

    def retrieve(self, question, k=5):
        return best_passages(analyse(question), self.passages, k)


@pytest.fixture
def assistant():
    return Assistant(TermRetriever())


@pytest.fixture
def app_settings(monkeypatch):
    monkeypatch.chdir(SEED.parent.parent)  # a relative corpus path, as `make run` has
    return load_settings(corpus=Path(SEED.parent.name))


def test_a_question_gets_a_cited_reply_and_a_sources_panel(assistant, app_settings):
    *_, (history, sources, turns, box) = respond(
        assistant, app_settings, "Tổng số đảng viên toàn tỉnh là bao nhiêu?", [], []
    )
    assert history[0] == {"role": "user", "content": "Tổng số đảng viên toàn tỉnh là bao nhiêu?"}
    assert "27\\.350" in history[1]["content"] and "(#nguon-1)" in history[1]["content"]
    assert "<mark>" in sources and "27.350" in sources and SEED.name in sources
    assert len(turns) == 1 and box == ""


def test_follow_ups_use_the_conversation_state(assistant, app_settings):
    *_, (history, _, turns, _) = respond(
        assistant, app_settings, "Có bao nhiêu chi bộ đã tổ chức đại hội?", [], []
    )
    *_, (history, _, turns, _) = respond(
        assistant, app_settings, "Còn tỷ lệ thì sao?", history, turns
    )
    assert "78,56" in history[-1]["content"] and len(turns) == 2


def test_an_unanswerable_question_has_no_sources(assistant, app_settings):
    *_, (history, sources, _, _) = respond(
        assistant, app_settings, "Tổng thu ngân sách của tỉnh năm 2022 là bao nhiêu?", [], []
    )
    assert history[-1]["content"].startswith("⚠️")
    assert "Không có nguồn" in sources


def test_an_empty_question_changes_nothing(assistant, app_settings):
    [(history, _, turns, _)] = list(respond(assistant, app_settings, "  ", [], []))
    assert history == [] and turns == []


def test_the_page_builds(assistant, app_settings, service):
    assert build_app(app_settings, assistant, service) is not None


def test_upload_then_ask_then_delete(tmp_path, service):
    """An uploaded article is indexed and answerable; a bad file is refused; delete removes it."""
    from assistant.wiring import build_assistant

    settings = service.settings
    good = tmp_path / "upload" / "Huyện Đồng Xuân.txt"
    good.parent.mkdir()
    good.write_text(
        "Huyện Đồng Xuân phát triển đảng viên\n\nTrần Minh| 02/05/2023 09:15\n\n"
        "Tính đến 30/6/2023, toàn huyện kết nạp được 120/200 đảng viên mới, nâng tổng số "
        "đảng viên của huyện lên 5.432 người.\n",
        encoding="utf-8",
    )
    png = tmp_path / "upload" / "anh.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    rows, _, message = upload_articles(service, settings, [good, png])
    assert "Đã lưu: Huyện Đồng Xuân.txt" in message and "Không nhận anh.txt" in message
    assert any(row[-1] == "Huyện Đồng Xuân.txt" for row in rows)
    answer = build_assistant(settings, service).ask("Tổng số đảng viên của huyện là bao nhiêu?")
    assert answer.short_answer == "5.432 người"
    rows, _, message = remove_article(service, settings, "Huyện Đồng Xuân.txt")
    assert "Đã xóa" in message and all(row[-1] != "Huyện Đồng Xuân.txt" for row in rows)
    _, _, message = remove_article(service, settings, "../secret.txt")
    assert "không nằm trong" in message


def test_binding_beyond_loopback_needs_a_login(monkeypatch):
    check_binding("127.0.0.1", None, False)
    check_binding("localhost", None, False)
    with pytest.raises(ConfigError, match="ASSISTANT_AUTH"):
        check_binding("0.0.0.0", None, False)
    check_binding("0.0.0.0", ("u", "p"), False)
    check_binding("0.0.0.0", None, True)
    monkeypatch.setenv("ASSISTANT_AUTH", "nobody")
    with pytest.raises(ConfigError, match="ASSISTANT_AUTH must look like user:password"):
        load_settings()
    monkeypatch.setenv("ASSISTANT_AUTH", "an:mật khẩu")
    assert load_settings().server.login() == ("an", "mật khẩu")


def test_a_chosen_row_names_its_article_for_the_confirmation():
    row = ["Tiêu đề *đậm*", "11/10/2022", 15, "28/11/2026 10:00", "bài_1.txt"]
    article_id, text = chosen_article(row)
    assert article_id == "bài_1.txt"
    assert text == "Đã chọn: **Tiêu đề \\*đậm\\*** (bài\\_1\\.txt)"
    assert "bài\\_1\\.txt" in delete_question(article_id)
    assert chosen_article(None) == (None, NOTHING_CHOSEN)
    assert chosen_article(["", "", "", "", ""]) == (None, NOTHING_CHOSEN)
