"""The web app's page: the Gradio Blocks layout and which callback each control runs.

Four tabs: Hỏi đáp (chat with a sources panel, `chat.py`), Bài viết (the indexed articles,
upload and delete, `articles.py`), Đánh giá (run an eval suite, `evals.py`) and Cài đặt.
Callbacks here only hand Gradio's values to those modules and their results back.

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
from assistant.ui.evals import run_suite_html, suite_choices

EXAMPLES = [
    "Tổng số đảng viên toàn tỉnh là bao nhiêu?",
    "Tỷ lệ chi bộ đã tổ chức đại hội là bao nhiêu?",
    "Kế hoạch số 43 của Ban Thường vụ Tỉnh ủy được ban hành ngày nào?",
    "Phát triển đảng viên mới được chú trọng ở những vùng, khu vực nào?",
]
EVALS = Path(__file__).resolve().parents[2] / "evals"  # the project's suites, beside app.py
ARTICLE_COLUMNS = ["Tiêu đề", "Ngày", "Số đoạn", "Lập chỉ mục lúc", "Tệp"]


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
                gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
            with gr.Column(scale=2):
                gr.Markdown("### Nguồn")
                sources = gr.HTML(EMPTY_SOURCES)
        with gr.Tab("Bài viết"):
            status = gr.Markdown(pending_summary(service))
            table = gr.Dataframe(
                article_rows(service), headers=ARTICLE_COLUMNS, interactive=False, wrap=True
            )
            files = gr.File(
                label="Tải bài viết lên (.txt, .md, .html)",
                file_count="multiple",
                file_types=[".txt", ".md", ".html"],
            )
            upload = gr.Button("Lưu và lập chỉ mục", variant="primary")
            with gr.Row():
                chosen = gr.Textbox(label="Tệp cần xóa (cột “Tệp”)")
                delete = gr.Button("Xóa bài", variant="stop")
            message = gr.Textbox(label="Kết quả", interactive=False, lines=3)

            # Gradio finds its progress bar by this default argument (hence B008).
            def on_upload(chosen_files: list[Any], progress: Any = gr.Progress()) -> Any:  # noqa: B008
                return (*upload_articles(service, settings, chosen_files, progress), None)

            def on_delete(article_id: str, progress: Any = gr.Progress()) -> Any:  # noqa: B008
                return remove_article(service, settings, article_id.strip(), progress)

            upload.click(on_upload, files, [table, status, message, files])
            delete.click(on_delete, chosen, [table, status, message])
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

        outputs = [chat, sources, turns, question]
        question.submit(on_ask, [question, chat, turns], outputs)
        ask.click(on_ask, [question, chat, turns], outputs)
        clear.click(lambda: ([], EMPTY_SOURCES, [], ""), None, outputs)
    return app
