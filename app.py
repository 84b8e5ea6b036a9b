"""The Gradio web app: chat with the articles, with citations a reader can check.

    python app.py [--host 127.0.0.1] [--port 7860]      (or `make run`)

The app only renders what `assistant/` returns (`assistant.ui.render` turns answers into
escaped HTML). It binds to 127.0.0.1 by default; `ASSISTANT_AUTH=user:password` turns on a
login, and a non-loopback address is refused without one unless `--allow-remote` is given.
The theme uses system fonts, so the page needs nothing from the internet. uvicorn serves
Gradio mounted inside an app of ours, behind `assistant.ui.http_guard.HttpGuard` (no CORS
for other origins, no request header echoed back).

Not here: answering, indexing or parsing (the `assistant` package does all of that).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI
from starlette.routing import Mount

from assistant.answering.service import Assistant, ChatSession, Turn
from assistant.answering.types import Answer
from assistant.config import Settings, load_settings
from assistant.corpus.reader import find_article_file, read_article
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
from assistant.ui.http_guard import HttpGuard
from assistant.ui.render import draft_markdown, reply_markdown, sources_html

EXAMPLES = [
    "Tổng số đảng viên toàn tỉnh là bao nhiêu?",
    "Tỷ lệ chi bộ đã tổ chức đại hội là bao nhiêu?",
    "Kế hoạch số 43 của Ban Thường vụ Tỉnh ủy được ban hành ngày nào?",
    "Phát triển đảng viên mới được chú trọng ở những vùng, khu vực nào?",
]
QUEUE_SIZE = 20  # events waiting at most; one more is refused at once ("busy")
CONCURRENCY = 2  # events (questions, uploads) running at once
SHUTDOWN_GRACE_S = 5  # seconds running answers get to finish when the server stops
EMPTY_SOURCES = "<p><i>Nguồn của câu trả lời sẽ hiện ở đây.</i></p>"
EVALS = Path(__file__).resolve().parent / "evals"
ARTICLE_COLUMNS = ["Tiêu đề", "Ngày", "Số đoạn", "Lập chỉ mục lúc", "Tệp"]


def article_bodies(settings: Settings, answer: Answer) -> dict[str, str]:
    """The current text of each cited article (missing or unreadable ones are left out)."""
    bodies = {}
    corpus = settings.corpus.resolve()
    for citation in answer.citations:
        # Never outside the corpus; found under an NFD name too (files copied from macOS).
        path = find_article_file(corpus, citation.article_id)
        if path is None:
            continue
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
                partial = {"role": "assistant", "content": draft_markdown(draft)}
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


def gradio_options(settings: Settings, auth: tuple[str, str] | None) -> dict[str, Any]:
    """What `serve` passes to `gr.mount_gradio_app` besides the app, path, host and port."""
    return {
        "auth": auth,
        "show_error": True,
        # System fonts only: the default theme would fetch fonts from the internet.
        "theme": gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"]),
        # Gradio keeps uploads in its temp folder, unlimited by default; no article is larger.
        "max_file_size": settings.max_file_bytes,
        "ssr_mode": False,  # no Node server in front of the guard
        "enable_monitoring": False,  # no analytics dashboard behind a key printed to the console
    }


def http_app(app: gr.Blocks, options: dict[str, Any], host: str, port: int) -> FastAPI:
    """Gradio's routes mounted at / inside an app of ours, behind `HttpGuard`.

    Gradio 6.31 grants CORS to any origin behind a non-loopback `Host` and echoes a `Range`
    request's headers, login cookie included; it has no option against either, and `launch`
    offers no way to put a middleware in front of its own. Mounting does.
    """
    outer = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)  # no routes of its own
    outer.add_middleware(HttpGuard)
    gr.mount_gradio_app(outer, app, "/", server_name=host, server_port=port, **options)
    # `launch` runs the queue's events in the App it serves; a mount leaves the queue with the
    # App `queue()` made, so cancelled runs, ended sessions and `close()` would reach the
    # wrong one. Make them one, as `launch` does.
    [served] = [route.app for route in outer.routes if isinstance(route, Mount)]
    app.app = served
    return outer


class AppServer(uvicorn.Server):
    """uvicorn serving `http_app`; `Blocks.close()` stops it as it stops `launch`'s server."""

    def __init__(self, app: gr.Blocks, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.blocks = app
        self.thread: threading.Thread | None = None
        app.server = self  # what `Blocks.close()` closes, as `launch` sets it

    def start(self) -> None:
        """Serve from a background thread; return once the app answers."""
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        while not self.started:
            if not self.thread.is_alive():  # uvicorn logged why (port taken...)
                self.blocks.close(verbose=False)
                raise OSError(f"cannot serve on {self.config.host}:{self.config.port}")
            time.sleep(0.01)

    def close(self) -> None:
        self.should_exit = True
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=SHUTDOWN_GRACE_S + 5)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # End Gradio's queue and its endless heartbeat streams first: uvicorn waits on them.
        self.blocks.close(verbose=False)
        await super().shutdown(sockets)


def serve(
    app: gr.Blocks,
    settings: Settings,
    auth: tuple[str, str] | None,
    host: str,
    port: int,
    log_level: str = "info",
) -> AppServer:
    """The app's HTTP server, not yet started: `run()` blocks, `start()` runs it in a thread."""
    config = uvicorn.Config(
        http_app(app, gradio_options(settings, auth), host, port),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
    return AppServer(app, config)


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
    server = serve(app, settings, auth, args.host, args.port)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once shut down
        server.run()


if __name__ == "__main__":
    main()
