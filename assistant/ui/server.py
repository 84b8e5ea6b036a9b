"""Serving the web app: Gradio mounted behind `HttpGuard` in an app of ours, run by uvicorn.

The queue's limits, the options Gradio is mounted with (system fonts, no analytics, no SSR,
the upload size limit, Vietnamese texts, CSS), the ASGI app, a uvicorn server that
`Blocks.close()` stops, and the check that refuses to serve beyond this machine without a login.

Not here: the page itself (`layout.py`), reading flags or settings (`app.py`, `config.py`).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI
from starlette.routing import Mount

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.ui.gradio_texts import GRADIO_TEXTS
from assistant.ui.http_guard import HttpGuard
from assistant.ui.layout import CSS

QUEUE_SIZE = 20  # events waiting at most; one more is refused at once ("busy")
CONCURRENCY = 2  # events (questions, uploads) running at once
SHUTDOWN_GRACE_S = 5  # seconds running answers get to finish when the server stops


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
        "css": CSS,  # tables in the text font: monospace breaks Vietnamese combining marks
        "i18n": GRADIO_TEXTS,  # Gradio's own texts (upload box, queue, login) in Vietnamese
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
