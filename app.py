"""The Gradio web app: chat with the articles, with citations a reader can check.

    python app.py [--host 127.0.0.1] [--port 7860]      (or `make run`)

The app only renders what `assistant/` returns (`assistant.ui.render` turns answers into
escaped HTML). It binds to 127.0.0.1 by default; `ASSISTANT_AUTH=user:password` turns on a
login, and a non-loopback address is refused without one unless `--allow-remote` is given.
The theme uses system fonts, so the page needs nothing from the internet.

Not here: answering, indexing or parsing (the `assistant` package does all of that).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answering.service import Assistant, ChatSession, Turn
from assistant.answering.types import Answer
from assistant.config import Settings, load_settings
from assistant.corpus.reader import read_article
from assistant.errors import AssistantError, ConfigError
from assistant.indexing.index_service import IndexService
from assistant.ui.articles import (
    article_rows,
    delete_article,
    pending_summary,
    save_uploads,
    update_index,
)
from assistant.ui.evals import run_suite_html, suite_choices
from assistant.ui.render import escape_markdown, reply_markdown, sources_html

EXAMPLES = [
    "Tổng số đảng viên toàn tỉnh là bao nhiêu?",
    "Tỷ lệ chi bộ đã tổ chức đại hội là bao nhiêu?",
    "Kế hoạch số 43 của Ban Thường vụ Tỉnh ủy được ban hành ngày nào?",
    "Phát triển đảng viên mới được chú trọng ở những vùng, khu vực nào?",
]
QUEUE_SIZE = 20  # events waiting at most; one more is refused at once ("busy")
CONCURRENCY = 2  # events (questions, uploads) running at once
EMPTY_SOURCES = "<p><i>Nguồn của câu trả lời sẽ hiện ở đây.</i></p>"
EVALS = Path(__file__).resolve().parent / "evals"
ARTICLE_COLUMNS = ["Tiêu đề", "Ngày", "Số đoạn", "Lập chỉ mục lúc", "Tệp"]


def article_bodies(settings: Settings, answer: Answer) -> dict[str, str]:
    """The current text of each cited article (missing or unreadable ones are left out)."""
    bodies = {}
    corpus = settings.corpus.resolve()
    for citation in answer.citations:
        path = (corpus / citation.article_id).resolve()
        if not path.is_relative_to(corpus):
            continue  # ids come from our own metadata, but never read outside the corpus
        try:
            bodies[citation.article_id] = read_article(path, corpus, settings.max_file_bytes).body
        except (AssistantError, OSError):
            continue
    return bodies


def respond(
    assistant: Assistant,
    settings: Settings,
    message: str,
    history: list[dict],
    turns: list[Turn] | None,
) -> Iterator[tuple[list[dict], str, list[Turn], str]]:
    """One chat turn: yields (chat messages, sources panel, turns, cleared input box)."""
    message = (message or "").strip()
    if not message:
        yield history, EMPTY_SOURCES, turns or [], ""
        return
    session = ChatSession(assistant)
    session.turns = list(turns or [])
    history = [*history, {"role": "user", "content": message}]
    draft = ""
    try:
        for event in session.stream(message):
            if isinstance(event, Answer):
                reply = {"role": "assistant", "content": reply_markdown(event)}
                sources = sources_html(event, article_bodies(settings, event))
                yield [*history, reply], sources, session.turns, ""
            else:
                draft += event
                partial = {"role": "assistant", "content": escape_markdown(draft) + " …"}
                yield [*history, partial], EMPTY_SOURCES, session.turns, ""
    except AssistantError as error:
        raise gr.Error(str(error)) from error


def upload_articles(
    service: IndexService, settings: Settings, files: list[Any] | None, progress: Any = None
) -> tuple[list[list], str, str]:
    """Save uploaded files into the corpus and index them: (table, status, message)."""
    # Gradio hands over file paths (strings); older versions passed objects with `.name`.
    paths = [Path(f) if isinstance(f, str | Path) else Path(f.name) for f in files or []]
    result = save_uploads(paths, settings.corpus, settings.max_file_bytes)
    lines = [f"Đã lưu: {article_id}" for article_id in result.saved]
    lines += [f"Không nhận {name}: {why}" for name, why in result.rejected]
    if result.saved:
        lines.append(_update(service, progress))
    return article_rows(service), pending_summary(service), "\n".join(lines) or "Chưa chọn tệp."


def remove_article(
    service: IndexService, settings: Settings, article_id: str | None, progress: Any = None
) -> tuple[list[list], str, str]:
    """Delete an article file and drop its chunks from the index."""
    if not article_id:
        return article_rows(service), pending_summary(service), "Chưa chọn bài."
    try:
        delete_article(article_id, settings.corpus)
    except AssistantError as error:
        return article_rows(service), pending_summary(service), str(error)
    message = f"Đã xóa {article_id}. {_update(service, progress)}"
    return article_rows(service), pending_summary(service), message


def _update(service: IndexService, progress: Any) -> str:
    try:
        return update_index(service, (lambda f, what: progress(f, desc=what)) if progress else None)
    except AssistantError as error:  # another writer holds the index: say so, lose nothing
        return str(error)


def settings_markdown(settings: Settings, assistant: Assistant) -> str:
    backend = "trích xuất (mặc định)" if assistant.llm is None else settings.llm.backend
    return (
        f"- Cách trả lời: **{backend}**\n"
        f"- Số đoạn đưa vào câu trả lời: **{settings.retrieval.k}**\n"
        f"- Mô hình nhúng: `{settings.embedding.model}`\n"
        f"- Ngưỡng từ chối trả lời: **{settings.answer.min_support}**\n"
        f"- Thư mục bài viết: `{settings.corpus}`"
    )


def build_app(settings: Settings, assistant: Assistant, service: IndexService) -> gr.Blocks:
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
                choices = suite_choices(EVALS)  # each suite file read and checked once
                suite = gr.Dropdown(choices, label="Bộ câu hỏi", value=_first(choices))
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


def configure_queue(app: gr.Blocks) -> gr.Blocks:
    """The app's queue: `CONCURRENCY` events at once, `QUEUE_SIZE` waiting, the rest refused."""
    return app.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)


def launch_options(settings: Settings, auth: tuple[str, str] | None) -> dict[str, Any]:
    """What `main` passes to `launch` besides host and port (the HTTP tests launch with it)."""
    return {
        "auth": auth,
        "show_error": True,
        # System fonts only: the default theme would fetch fonts from the internet.
        "theme": gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"]),
        # Gradio keeps uploads in its temp folder, unlimited by default; no article is larger.
        "max_file_size": settings.max_file_bytes,
    }


def _first(choices: list[tuple[str, str]]) -> str | None:
    return choices[0][1] if choices else None


def check_binding(host: str, auth: tuple[str, str] | None, allow_remote: bool) -> None:
    """Refuse to serve beyond this machine without a login, unless told to."""
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback and auth is None and not allow_remote:
        raise ConfigError(
            f"refusing to serve on {host} without a login: set ASSISTANT_AUTH=user:password, "
            "or pass --allow-remote if the network is trusted"
        )


def auth_from_env() -> tuple[str, str] | None:
    value = os.environ.get("ASSISTANT_AUTH")
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("ASSISTANT_AUTH must look like user:password")
    return user, password


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Trợ lý báo cáo: web app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--allow-remote", action="store_true")
    args = parser.parse_args(argv)
    try:
        from assistant.wiring import build_assistant, build_index_service

        auth = auth_from_env()
        check_binding(args.host, auth, args.allow_remote)
        settings = load_settings()
        service = build_index_service(settings)
        app = build_app(settings, build_assistant(settings, service), service)
    except AssistantError as error:
        sys.exit(f"error: {error}")
    configure_queue(app)
    app.launch(server_name=args.host, server_port=args.port, **launch_options(settings, auth))


if __name__ == "__main__":
    main()
