"""Article text, titles, file names and messages are printed as text, never as markup
(issue 16): `[b]`, `[/i]`, `:x:`, ANSI escapes and control characters in an article or a
file name go through `index update`, `index status`, `search`, `ask` and `chat` unchanged
in meaning, never crash rich's markup parser and never reach the terminal as codes."""

from __future__ import annotations

from pathlib import Path

import pytest

HOSTILE_TITLE = "Giá lúa [b]vụ mùa[/b] :x: tăng"
HOSTILE_BODY = (
    "Nguyễn Văn An| 02/03/2024 07:15\n\n"
    "Giá lúa [/i] vụ mùa hôm nay tăng 300 đồng mỗi ký :x: theo thương lái \x1b[31mở Cần Thơ.\n\n"
    "Nông dân [red]vui mừng[/red] vì giá lúa vụ mùa cao \x07 hơn năm trước.\n"
)


@pytest.fixture
def hostile(corpus_dir: Path) -> Path:
    (corpus_dir / "[i]giá lúa.txt").write_text(f"{HOSTILE_TITLE}\n\n{HOSTILE_BODY}", "utf-8")
    # A folder "[" holding "i]hỏng.md": the file's corpus name is "[/i]hỏng.md".
    (corpus_dir / "[").mkdir()
    (corpus_dir / "[" / "i]hỏng.md").write_text("---\ntitle: [/b\n---\nThân bài.\n", "utf-8")
    return corpus_dir


def assert_text_not_codes(output: str) -> None:
    assert "\x1b" not in output and "\x07" not in output
    assert "❌" not in output  # ":x:" stays text, not an emoji
    assert "Traceback" not in output and "MarkupError" not in output


def test_update_and_status_print_odd_names_as_text(run, hostile: Path) -> None:
    update = run("index", "update")
    assert update.exit_code == 0, update.output
    assert "rejected [/i]hỏng.md: the YAML front matter is not valid" in update.output
    status = run("index", "status")
    assert status.exit_code == 0, status.output
    assert "unreadable [/i]hỏng.md: the YAML front matter is not valid" in status.output
    assert_text_not_codes(update.output + status.output)


def test_search_prints_article_markup_as_text(run, hostile: Path) -> None:
    run("index", "update")
    result = run("search", "giá lúa vụ mùa tăng bao nhiêu", "--k", "2")
    assert result.exit_code == 0, result.output
    assert f"1. {HOSTILE_TITLE}" in result.output
    assert "([i]giá lúa.txt," in result.output
    assert "Giá lúa [/i] vụ mùa hôm nay tăng 300 đồng mỗi ký :x:" in result.output
    assert_text_not_codes(result.output)


def test_ask_and_chat_print_quotes_and_titles_as_text(run, hostile: Path) -> None:
    run("index", "update")
    question = "Giá lúa vụ mùa hôm nay tăng bao nhiêu?"
    for result in (run("ask", question), run("chat", stdin=f"{question}\n/thoat\n")):
        assert result.exit_code == 0, result.output
        assert "300 đồng" in result.output
        assert f"[1] {HOSTILE_TITLE}" in result.output
        assert "[i]giá lúa.txt, ký tự" in result.output
        assert ":x:" in result.output or "[/i]" in result.output  # the quoted sentence
        assert_text_not_codes(result.output)
