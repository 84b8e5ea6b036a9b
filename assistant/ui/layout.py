"""The web app's page: the Gradio Blocks layout and which callback each control runs.

Four tabs: Hỏi đáp (chat with a sources panel and example questions taken from the eval
suites, `chat.py`), Bài viết (the indexed articles; upload, and delete by choosing a row
then confirming, `articles.py`), Đánh giá (run an eval suite, `evals.py`) and Cài đặt.
Callbacks here only hand Gradio's values to those modules and their results back. `CSS`
sets tables in the text font: Gradio's monospace one breaks Vietnamese combining marks.

Not here: answering, indexing or corpus files (the `assistant` package), HTML (`render.py`),
serving (`server.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answering.service import Assistant, Turn
from assistant.config import Settings
from assistant.indexing.index_service import IndexService
from assistant.ui.articles import article_rows, pending_summary, remove_article, upload_articles
from assistant.ui.chat import EMPTY_SOURCES, respond
from assistant.ui.evals import example_questions, run_suite_html, suite_choices
from assistant.ui.render import escape_markdown

EVALS = Path(__file__).resolve().parents[2] / "evals"  # the project's suites, beside app.py
ARTICLE_COLUMNS = ["Tiêu đề", "Ngày", "Số đoạn", "Lập chỉ mục lúc", "Tệp"]
NOTHING_CHOSEN = "Bấm vào một dòng của bảng để chọn bài cần xóa."
CSS = """
.gradio-container table, .gradio-container table *,
.gradio-container [role=grid], .gradio-container [role=grid] *,
.gradio-container [role=row], .gradio-container [role=row] * {
    font-family: var(--font) !important;
}
"""


def chosen_article(row: list[Any] | None) -> tuple[str | None, str]:
    """(article id, what the page says) for a row of the articles table (id last)."""
    if not row or not row[-1]:
        return None, NOTHING_CHOSEN
    title, article_id = str(row[0]), str(row[-1])
    return article_id, f"Đã chọn: **{escape_markdown(title)}** ({escape_markdown(article_id)})"


def delete_question(article_id: str | None) -> str:
    """The confirmation step's question."""
    return f"Xóa hẳn bài **{escape_markdown(article_id or '')}** khỏi thư mục bài viết và chỉ mục?"


def settings_markdown(settings: Settings, assistant: Assistant) -> str:
    """The Cài đặt tab: how answers are made and from where."""
    backend = "trích xuất (mặc định)" if assistant.llm is None else settings.llm.backend
    return (
        f"- Cách trả lời: **{backend}**\n"
        f"- Số đoạn đưa vào câu trả lời: **{settings.retrieval.k}**\n"
        f"- Mô hình nhúng: `{settings.embedding.model}`\n"
        f"- Ngưỡng từ chối trả lời: **{settings.answer.min_support}**\n"
        f"- Thư mục bài viết: `{settings.corpus}`"
    )


def build_app(
    settings: Settings, assistant: Assistant, service: IndexService, evals_dir: Path = EVALS
) -> gr.Blocks:
    """The app's page; `assistant` answers every session's questions over `service`'s index."""
    # No analytics: Gradio would report every start to api.gradio.app and check its version.
    with gr.Blocks(title="Trợ lý báo cáo", analytics_enabled=False) as app:
        gr.Markdown("## Trợ lý báo cáo\nHỏi về các bài viết đã lập chỉ mục; mỗi ý có nguồn.")
        turns = gr.State([])
        with gr.Tab("Hỏi đáp"), gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Hội thoại", height=480, sanitize_html=True)
                question = gr.Textbox(
                    label="Câu hỏi", placeholder="Ví dụ: Tổng số đảng viên toàn tỉnh là bao nhiêu?"
                )
                with gr.Row():
                    ask = gr.Button("Hỏi", variant="primary")
                    clear = gr.Button("Hội thoại mới")
                examples = example_questions(evals_dir)  # questions the evals check
                asked = gr.Dataset(
                    components=[question],
                    samples=[[text] for text in examples],
                    label="Câu hỏi mẫu (bấm để hỏi)",
                    visible=bool(examples),
                )
            with gr.Column(scale=2):
                gr.Markdown("### Nguồn")
                sources = gr.HTML(EMPTY_SOURCES)
        with gr.Tab("Bài viết"):
            status = gr.Markdown(pending_summary(service))
            table = gr.Dataframe(
                article_rows(service),
                headers=ARTICLE_COLUMNS,
                interactive=False,
                wrap=True,
                label="Các bài đã lập chỉ mục",
                elem_id="bang-bai-viet",
            )
            chosen = gr.State(None)  # the article id of the chosen row
            with gr.Row(equal_height=True):
                chosen_text = gr.Markdown(NOTHING_CHOSEN)
                delete = gr.Button("Xóa bài đã chọn", variant="stop", interactive=False)
            with gr.Row(visible=False, equal_height=True) as confirm_row:
                confirm_text = gr.Markdown()
                confirm = gr.Button("Xóa hẳn", variant="stop")
                cancel = gr.Button("Không xóa")
            files = gr.File(
                label="Tải bài viết lên (.txt, .md, .html)",
                file_count="multiple",
                file_types=[".txt", ".md", ".html"],
            )
            upload = gr.Button("Lưu và lập chỉ mục", variant="primary")
            message = gr.Textbox(label="Kết quả", interactive=False, lines=3)

            # Gradio finds its progress bar by this default argument (hence B008).
            def on_upload(chosen_files: list[Any], progress: Any = gr.Progress()) -> Any:  # noqa: B008
                return (*upload_articles(service, settings, chosen_files, progress), None)

            def on_select(event: gr.SelectData) -> Any:
                article_id, text = chosen_article(event.row_value)
                return (
                    article_id,
                    text,
                    gr.Button(interactive=bool(article_id)),
                    gr.Row(visible=False),
                )

            def on_delete(article_id: str | None, progress: Any = gr.Progress()) -> Any:  # noqa: B008
                done = remove_article(service, settings, article_id, progress)
                return (
                    *done,
                    None,
                    NOTHING_CHOSEN,
                    gr.Button(interactive=False),
                    gr.Row(visible=False),
                )

            choice = [chosen, chosen_text, delete, confirm_row]
            upload.click(on_upload, files, [table, status, message, files])
            table.select(on_select, None, choice)
            delete.click(
                lambda a: (gr.Row(visible=True), delete_question(a)),
                chosen,
                [confirm_row, confirm_text],
            )
            cancel.click(lambda: gr.Row(visible=False), None, confirm_row)
            confirm.click(on_delete, chosen, [table, status, message, *choice])
        with gr.Tab("Đánh giá"):
            gr.Markdown(
                "Chạy một bộ câu hỏi kiểm tra trong `evals/` (như `assistant eval run`): "
                "mỗi câu hỏi được trả lời như ở tab Hỏi đáp rồi so với đáp án mong đợi."
            )
            with gr.Row():
                choices = suite_choices(evals_dir)  # each suite file read and checked once
                first = choices[0][1] if choices else None
                suite = gr.Dropdown(choices, label="Bộ câu hỏi", value=first)
                run_eval = gr.Button("Chạy", variant="primary")
            eval_status = gr.Textbox(label="Kết quả đánh giá", interactive=False)
            eval_report = gr.HTML()

            def on_eval(path: str, progress: Any = gr.Progress()) -> Any:  # noqa: B008
                return run_suite_html(
                    path, settings, assistant, lambda f, what: progress(f, desc=what)
                )

            run_eval.click(on_eval, suite, [eval_status, eval_report])
        with gr.Tab("Cài đặt"):
            gr.Markdown(settings_markdown(settings, assistant))

        def on_ask(message: str, history: list[dict], state: list[Turn]) -> Iterator[Any]:
            yield from respond(assistant, settings, message, history, state)

        def on_example(sample: list[str], history: list[dict], state: list[Turn]) -> Iterator[Any]:
            yield from respond(assistant, settings, sample[0] if sample else "", history, state)

        outputs = [chat, sources, turns, question]
        question.submit(on_ask, [question, chat, turns], outputs)
        ask.click(on_ask, [question, chat, turns], outputs)
        asked.click(on_example, [asked, chat, turns], outputs)
        clear.click(lambda: ([], EMPTY_SOURCES, [], ""), None, outputs)
        # The table as the index is now, not as it was when the app started.
        app.load(lambda: (article_rows(service), pending_summary(service)), None, [table, status])
    return app
