"""The Gradio web app: chat with the articles, with citations a reader can check.

    python app.py [--host 127.0.0.1] [--port 7860] [--allow-remote]      (or `make run`)

The app only renders what `assistant/` returns; this file only reads the flags into the
typed settings (`Settings.server`), builds the page and serves it. It binds to 127.0.0.1 by
default; `ASSISTANT_AUTH=user:password` turns on a login, and a non-loopback address is
refused without one unless `--allow-remote` is given. The theme uses system fonts, so the
page needs nothing from the internet. uvicorn serves Gradio mounted inside an app of ours,
behind `assistant.ui.http_guard.HttpGuard` (no CORS for other origins, no request header
echoed back).

Not here: the page (`assistant/ui/layout.py`), serving (`assistant/ui/server.py`),
answering, indexing or parsing (the `assistant` package does all of that).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from assistant.config import load_settings
from assistant.errors import AssistantError
from assistant.ui.layout import build_app
from assistant.ui.server import check_binding, configure_queue, serve

EVALS = Path(__file__).resolve().parent / "evals"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Trợ lý báo cáo: web app")
    parser.add_argument("--host", help="address to bind [127.0.0.1]")
    parser.add_argument("--port", type=int, help="port to listen on [7860]")
    parser.add_argument("--allow-remote", action="store_true", default=None)
    args = parser.parse_args(argv)
    flags = {"host": args.host, "port": args.port, "allow_remote": args.allow_remote}
    try:
        from assistant.wiring import build_assistant, build_index_service

        settings = load_settings(server={k: v for k, v in flags.items() if v is not None})
        server = settings.server
        check_binding(server.host, server.login(), server.allow_remote)
        service = build_index_service(settings)
        app = build_app(settings, build_assistant(settings, service), service, EVALS)
    except AssistantError as error:
        sys.exit(f"error: {error}")
    configure_queue(app)
    http = serve(app, settings, server.login(), server.host, server.port)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once shut down
        http.run()


if __name__ == "__main__":
    main()
