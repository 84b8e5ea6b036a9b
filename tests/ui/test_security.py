"""The web app over real HTTP: files, login, CORS, uploads, the queue, offline page, fresh index.

The real app (`build_app`, `configure_queue`, `serve`, as `main` uses them: Gradio mounted
behind our `HttpGuard`, served by uvicorn) runs in this process on a free loopback port, over
a temporary index of the seed article built with the hashing embedder (no model), and is
driven as a browser or `gradio_client` would drive it. What Gradio 6.31 does, read in its
`routes.py` and `route_utils.py` and pinned here:

- `/gradio_api/file=` serves only Gradio's upload folder and cache (`is_allowed_file`), with
  403 for anything else; an upload whose type is not in `XSS_SAFE_MIMETYPES` (HTML, SVG,
  XML...) comes back as `application/octet-stream` with `Content-Disposition: attachment`.
- With `auth`, routes carry a `login_check` dependency (401) except the login page and its
  assets, and a few that act only on an unguessable event or session id (`OWN_CHECK`).
- CORS: with a loopback `Host`, only a loopback `Origin` is granted; with any other `Host`
  every origin is, and a `Range` request is answered with the request's own headers, login
  cookie included. `HttpGuard` takes both away (sections 3, 4 and 8 check it).
- A full queue answers `503 Queue is full. Max size is 20 and size is 20.` at once; the
  browser shows "This application is currently busy. Please try again.", and
  `gradio_client` raises `QueueError("Queue is full! Please try again.")`.

Not here: what the page looks like in a browser (`test_browser.py`), the Articles tab's
functions on their own (`test_articles.py`).
"""

from __future__ import annotations

import html.parser
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import gradio as gr
import httpx
import pytest

from assistant.answering.service import MAX_QUESTION_CHARS
from assistant.config import Settings, load_settings
from assistant.ui.articles import LOCKED_MESSAGE, update_index, upload_articles
from assistant.ui.chat import respond
from assistant.ui.http_guard import HttpGuard
from assistant.ui.layout import build_app
from assistant.ui.server import QUEUE_SIZE, SHUTDOWN_GRACE_S, configure_queue, serve
from assistant.wiring import build_assistant, build_index_service
from tests.conftest import PROJECT, SEED

AUTH = ("user", "pw")
QUESTION = "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
SEED_TITLE = "Chủ động tham mưu tốt công tác tổ chức"
EVIL = "http://evil.example"
# A new article with a figure found nowhere else.
NEW_NAME = "song-cau.txt"
NEW_ARTICLE = """Hợp tác xã Sông Cầu mở rộng nghề nuôi tôm hùm

Trần Minh| 02/05/2023 09:15

Năm 2023, hợp tác xã Sông Cầu có 7.919 lồng nuôi tôm hùm trên vịnh Xuân Đài.
"""
NEW_QUESTION = "Hợp tác xã Sông Cầu có bao nhiêu lồng nuôi tôm hùm?"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _settings(root: Path) -> Settings:
    """Hashing embedder, a persistent Chroma index in `root`, a corpus of the seed article."""
    (root / "corpus").mkdir(parents=True)
    shutil.copy(SEED, root / "corpus" / SEED.name)
    return load_settings(
        corpus=root / "corpus",
        index=root / "index",
        models_dir=root / "models",
        embedding={"backend": "hashing"},
        max_file_bytes=200_000,
    )


@contextmanager
def _served(
    app: gr.Blocks, settings: Settings, auth: tuple[str, str] | None
) -> Iterator[SimpleNamespace]:
    """The app served as `main` serves it: (url, the ASGI app uvicorn runs)."""
    configure_queue(app)
    port = _free_port()
    server = serve(app, settings, auth, "127.0.0.1", port, log_level="warning")
    server.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", http=server.config.app)
    finally:
        app.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app with a login, over an index of the seed article."""
    settings = _settings(tmp_path_factory.mktemp("site"))
    service = build_index_service(settings)
    service.update()
    app = build_app(settings, build_assistant(settings, service), service)
    with _served(app, settings, AUTH) as served:
        yield SimpleNamespace(
            url=served.url, http=served.http, app=app, settings=settings, service=service
        )


@pytest.fixture(scope="module")
def session(site) -> Iterator[httpx.Client]:
    """An HTTP client logged in as a browser would be (the login cookie)."""
    with httpx.Client(base_url=site.url, timeout=20) as client:
        response = client.post("/login", data={"username": AUTH[0], "password": AUTH[1]})
        assert response.json() == {"success": True}
        yield client


@pytest.fixture
def anonymous(site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=20) as client:
        yield client


def raw_get(base: str, target: str, cookies: httpx.Cookies | None = None) -> tuple[int, bytes]:
    """GET `target` exactly as written: no client normalises dots or escapes on the way."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# 1. Files outside Gradio's upload folder are never served -------------------------------

TRAVERSALS = [
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=//etc/passwd",
    "/gradio_api/file=/etc/./passwd",
    "/gradio_api/file=%2Fetc%2Fpasswd",
    "/gradio_api/file=%2FETC%2Fpasswd",
    "/gradio_api/file=%2fetc%2fpasswd",
    "/gradio_api/file=..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/gradio_api/file=../../../../../../etc/passwd",
    "/gradio_api/file=%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/gradio_api/file=%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/gradio_api/file=%252e%252e%252f%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/gradio_api/file=%252Fetc%252Fpasswd",
    "/gradio_api/file=..%5c..%5c..%5c..%5c..%5c..%5cetc%5cpasswd",
    "/gradio_api/file=/tmp/gradio/../../etc/passwd",
    "/gradio_api/file=/tmp/gradio/%2e%2e/%2e%2e/etc/passwd",
    "/gradio_api/file=file:///etc/passwd",
    "/gradio_api/file=/proc/self/environ",
    "/gradio_api/file/etc/passwd",
    "/gradio_api/file/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/GRADIO_API/FILE=/etc/passwd",
    "/Gradio_Api/file=/etc/passwd",
    "/file=/etc/passwd",
    "/file=..%2f..%2f..%2fetc%2fpasswd",
    "/file/etc/passwd",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_system_files_are_refused(site, session, target) -> None:
    status, body = raw_get(site.url, target, session.cookies)
    assert 400 <= status < 500, (target, status)
    assert b"root:" not in body and b"PATH=" not in body


def _project_files(site) -> list[Path]:
    settings = site.settings
    return [
        PROJECT / "app.py",
        PROJECT / "pyproject.toml",
        SEED,  # the repository's corpus
        settings.corpus / SEED.name,  # the served corpus
        settings.index / "manifest.sqlite",
        settings.index / "chroma" / "chroma.sqlite3",
    ]


def test_project_corpus_and_index_files_are_refused(site, session) -> None:
    for path in _project_files(site):
        assert path.is_file(), path
        start = path.read_bytes()[:64]
        for target in (f"/gradio_api/file={path}", f"/gradio_api/file/{path}"):
            status, body = raw_get(site.url, target, session.cookies)
            assert status == 403, (target, status)
            assert start not in body
    # Relative to the working directory (where `make run` starts the app) too.
    for name in ("app.py", "pyproject.toml", "corpus/" + SEED.name):
        status, _ = raw_get(site.url, f"/gradio_api/file={name}", session.cookies)
        assert status == 403, name


def test_remote_urls_are_not_fetched_for_a_client(site, session) -> None:
    """`file=<url>` and `proxy=<url>` never reach this machine's or the cloud's internals."""
    for target in (
        f"/gradio_api/file={site.url}/config",
        "/gradio_api/file=http://169.254.169.254/latest/meta-data/",
        "/gradio_api/file=http://localhost:22/",
        "/gradio_api/proxy=http://169.254.169.254/latest/meta-data/",
        f"/gradio_api/proxy={site.url}/config",
    ):
        status, body = raw_get(site.url, target, session.cookies)
        assert status in (400, 403), (target, status)
        assert b"Tr\xe1\xbb\xa3 l\xc3\xbd" not in body  # "Trợ lý": not our own config either


# 2. A login guards everything but the login page ------------------------------------------

# Served without a login by design: the login page, what it loads, and nothing of the app's.
PUBLIC = {
    "/",
    "/favicon.ico",
    "/robots.txt",
    "/manifest.json",
    "/theme.css",
    "/gradio_api/theme.css",
    "/static/{path:path}",
    "/assets/{path:path}",
    "/svelte/{path:path}",
    "/pwa_icon",
    "/pwa_icon/{size}",
    "/login",
    "/login/",
    "/logout",
    "/gradio_api/user",
    "/gradio_api/user/",
    "/gradio_api/token",
    "/gradio_api/token/",
    "/gradio_api/app_id",
    "/gradio_api/app_id/",
    "/gradio_api/startup-events",
    "/gradio_api/runs",  # the run-history page shell; its records need a login (below)
    "/gradio_api/runs/",
    "/openapi.json",  # FastAPI's list of routes
}
# No login check, but each acts only on an id, key or flag a stranger does not have:
# (method, route) -> (status with a made-up one, JSON body or None).
OWN_CHECK = {
    ("POST", "/gradio_api/stream/{event_id}"): (404, None),
    ("POST", "/gradio_api/stream/{event_id}/close"): (404, None),
    ("GET", "/gradio_api/stream/{session_hash}/{run}/{component_id}/playlist.m3u8"): (404, None),
    ("GET", "/gradio_api/stream/{session_hash}/{run}/{component_id}/{segment_id}.{ext}"): (
        404,
        None,
    ),
    ("GET", "/gradio_api/stream/{session_hash}/{run}/{component_id}/playlist-file"): (404, None),
    ("GET", "/gradio_api/heartbeat/{session_hash}"): (200, None),  # a keep-alive stream
    ("POST", "/gradio_api/cancel"): (200, {"success": True}),  # a no-op for unknown ids
    ("POST", "/gradio_api/reset"): (200, {"success": True}),
    ("POST", "/gradio_api/reset/"): (200, {"success": True}),
    ("GET", "/monitoring/{key}"): (403, {"detail": "Monitoring is not enabled."}),
    ("GET", "/gradio_api/custom_component/{id}/{environment}/{type}/{file_name}"): (404, None),
    ("POST", "/gradio_api/run-history/connect"): (401, None),
    ("GET", "/gradio_api/run-history/buckets"): (401, None),
    ("GET", "/gradio_api/run-history/records"): (401, None),
    ("GET", "/gradio_api/run-history/records/{endpoint}/{record_id}/assets/{asset_id}"): (
        401,
        None,
    ),
    ("POST", "/gradio_api/vibe-edit"): (403, None),  # only with `gradio --vibe`
    ("POST", "/gradio_api/vibe-edit/"): (403, None),
    ("POST", "/gradio_api/undo-vibe-edit"): (403, None),
    ("POST", "/gradio_api/undo-vibe-edit/"): (403, None),
    ("GET", "/gradio_api/vibe-code"): (403, None),
    ("GET", "/gradio_api/vibe-code/"): (403, None),
    ("POST", "/gradio_api/vibe-code"): (403, None),
    ("POST", "/gradio_api/vibe-code/"): (403, None),
    ("POST", "/gradio_api/vibe-starter-queries"): (403, None),
    ("POST", "/gradio_api/vibe-starter-queries/"): (403, None),
}
NOT_AUTHENTICATED = {"detail": {"error": "Not authenticated", "auth_message": None}}
PARAMS = {
    "path": "index.html",
    "path_or_url": "/etc/hostname",
    "url_path": "https://example.com/a.png",
    "api_name": "on_ask",
    "environment": "client",
    "type": "js",
    "file_name": "index.js",
    "ext": "ts",
    "size": "192",
    "run": "0",
    "component_id": "1",
    "segment_id": "1",
    "id": "1",
}
BODIES = {
    "/gradio_api/stream/{event_id}": {"data": [None], "fn_index": 0, "session_hash": "x"},
    "/gradio_api/cancel": {"session_hash": "x", "fn_index": 0, "event_id": "x"},
    "/gradio_api/reset": {"event_id": "x"},
    "/gradio_api/vibe-edit": {"prompt": "x"},
    "/gradio_api/undo-vibe-edit": {"hash": "x"},
    "/gradio_api/vibe-code": {"code": "x"},
    "/gradio_api/queue/join": {"data": [QUESTION, [], []], "fn_index": 1, "session_hash": "x"},
    "/gradio_api/call/{api_name}": {"data": [QUESTION, [], []]},
}


def app_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route of the served ASGI app, mounted apps and routers too."""

    def walk(routes, prefix: str):
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI's include_router
            if included is not None:
                yield from walk(included.routes, prefix + route.include_context.prefix)
            elif hasattr(route, "routes"):  # a mounted app
                yield from walk(route.routes, prefix + route.path)
            else:
                for method in sorted(getattr(route, "methods", None) or {"GET"}):
                    if method != "HEAD":
                        yield method, prefix + route.path

    return sorted(set(walk(app.routes, "")))


def _request(client: httpx.Client, method: str, route: str) -> httpx.Response:
    url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PARAMS.get(m.group(1), "x1"), route)
    body = BODIES.get(route.rstrip("/")) if method == "POST" else None
    if route.startswith("/gradio_api/heartbeat/"):
        with client.stream(method, url) as response:  # it never ends: read the status only
            return response
    return client.request(method, url, json=body)


def test_every_route_but_the_login_page_needs_the_login(site, anonymous) -> None:
    routes = app_routes(site.http)
    assert ("POST", "/gradio_api/queue/join") in routes  # the walk reached the API router
    assert ("GET", "/docs") not in routes  # our outer app adds no FastAPI docs pages
    assert len(routes) > 60
    unexpected = []
    for method, route in routes:
        if route in PUBLIC:
            continue
        response = _request(anonymous, method, route)
        status, body = OWN_CHECK.get((method, route), (401, NOT_AUTHENTICATED))
        if response.status_code != status or (body is not None and response.json() != body):
            unexpected.append((method, route, response.status_code, response.text[:80]))
    assert unexpected == []
    # A new Gradio's new routes are checked too (401 unless classified); stale entries go.
    assert {key for key in OWN_CHECK if key not in routes} == set()


def test_what_answers_without_a_login_holds_nothing_of_the_app(site, anonymous) -> None:
    secrets = [SEED_TITLE, "27.350", str(site.settings.corpus), str(site.settings.index)]
    for route in sorted(PUBLIC):
        if "{" in route or route.startswith(("/login", "/logout")):
            continue
        text = anonymous.get(route).text
        assert not [secret for secret in secrets if secret in text], route
    page = anonymous.get("/").text
    assert '"auth_required":true' in page and '"components":[]' in page


def test_a_client_needs_the_login(site) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    with pytest.raises(AuthenticationError):
        Client(site.url, verbose=False)
    with pytest.raises(ValueError, match="Could not login"):  # Gradio answers 400, not 401
        Client(site.url, auth=(AUTH[0], "wrong"), verbose=False)
    client = Client(site.url, auth=AUTH, verbose=False)
    history, sources, box = client.predict(QUESTION, [], [], api_name="/on_ask")  # no State
    reply = history[-1]["content"]
    reply = reply if isinstance(reply, str) else " ".join(part["text"] for part in reply)
    assert "27\\.350" in reply and "[[1]](#nguon-1)" in reply
    assert "<mark>" in sources and "27.350" in sources and box == ""


# 3. Other sites get no CORS grant ---------------------------------------------------------

CORS_PATHS = ["/config", "/gradio_api/info", "/gradio_api/queue/join", "/gradio_api/upload"]


def _preflight(client: httpx.Client, path: str, origin: str, host: str | None = None):
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    return client.options(path, headers={**headers, **({"Host": host} if host else {})})


def _simple(client: httpx.Client, path: str, origin: str, host: str | None = None):
    headers = {"Origin": origin, **({"Host": host} if host else {})}
    if path in ("/config", "/gradio_api/info"):
        return client.get(path, headers=headers)
    # What a page may send cross-site without a preflight: a text/plain POST.
    return client.post(path, content=b"{}", headers={**headers, "Content-Type": "text/plain"})


def _cors_headers(response: httpx.Response) -> list[str]:
    return [name for name in response.headers if name.startswith("access-control-")]


def _origin_of(host: str, port: int | None = None) -> str:
    name = host.split(":")[0]
    return f"http://{name}:{port}" if port else f"http://{host}"


# Gradio itself would grant the last one: any loopback page, whatever its port.
FOREIGN = [EVIL, "null", "http://127.0.0.1.evil.example", "http://127.0.0.1:1"]


@pytest.mark.parametrize("path", CORS_PATHS)
@pytest.mark.parametrize("origin", FOREIGN)
def test_another_origin_gets_no_cors_grant(session, path, origin) -> None:
    for response in (_preflight(session, path, origin), _simple(session, path, origin)):
        assert _cors_headers(response) == [], response.headers


def test_the_apps_own_origin_is_granted(site, session) -> None:
    """The check above can see a grant: the page's own origin keeps Gradio's."""
    response = _simple(session, "/config", site.url)
    assert response.status_code == 200 and response.json()["title"] == "Trợ lý báo cáo"
    assert response.headers["access-control-allow-origin"] == site.url
    assert response.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("host", ["192.168.1.20:7860", "assistant.example.org"])
def test_another_origin_gets_no_grant_beyond_loopback(session, host) -> None:
    """Gradio 6.31 grants every origin, with credentials, behind a non-loopback `Host`
    (`CustomCORSMiddleware.is_valid_origin`): a LAN address or a proxy forwarding `Host`."""
    for origin in (EVIL, "null", f"https://{host}", _origin_of(host, port=8443)):
        for response in (
            _preflight(session, "/gradio_api/queue/join", origin, host),
            _simple(session, "/config", origin, host),
        ):
            assert _cors_headers(response) == [], (origin, response.headers)


@pytest.mark.parametrize("host", ["192.168.1.20:7860", "assistant.example.org"])
def test_a_same_origin_request_beyond_loopback_still_works(session, host) -> None:
    """The page as a proxy or LAN address serves it: its own origin, its own `Host`."""
    origin = _origin_of(host)
    response = _simple(session, "/config", origin, host)
    assert response.status_code == 200 and response.json()["title"] == "Trợ lý báo cáo"
    assert response.headers["access-control-allow-origin"] == origin
    preflight = _preflight(session, "/gradio_api/queue/join", origin, host)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    asked = session.post(
        "/gradio_api/call/on_ask",
        json={"data": [QUESTION, [], []]},
        headers={"Origin": origin, "Host": host},
    )
    assert asked.status_code == 200, asked.text
    kind, data = _outcome(session, asked.json()["event_id"])
    assert kind == "complete" and "27\\\\.350" in data


# 4. Uploaded pages come back as downloads, never as pages ---------------------------------

ACTIVE = {
    "trang.html": (
        "text/html",
        b"<html><body><script>alert(document.cookie)</script></body></html>",
    ),
    "trang.htm": ("text/html", b"<script>alert(1)</script>"),
    "hinh.svg": (
        "image/svg+xml",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    "trang.xhtml": (
        "application/xhtml+xml",
        b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    ),
    "du-lieu.xml": ("text/xml", b"<?xml version='1.0'?><a><script>alert(1)</script></a>"),
}


def _upload(client: httpx.Client, files: dict[str, tuple[str, bytes]]) -> list[str]:
    parts = [("files", (name, data, kind)) for name, (kind, data) in files.items()]
    response = client.post("/gradio_api/upload", files=parts)
    assert response.status_code == 200, response.text
    return response.json()


def test_uploaded_html_and_svg_are_served_as_downloads(session) -> None:
    paths = _upload(session, ACTIVE)
    assert [Path(path).name for path in paths] == list(ACTIVE)
    for path in paths:
        for target, headers in (
            (f"/gradio_api/file={path}", {}),
            (f"/gradio_api/file/{path}", {}),
            (f"/gradio_api/file={path}", {"Range": "bytes=0-10"}),
        ):
            response = session.get(target, headers=headers)
            assert response.status_code in (200, 206), (target, response.status_code)
            assert response.headers["content-type"] == "application/octet-stream", target
            assert response.headers["content-disposition"].startswith("attachment"), target


def test_a_range_request_does_not_echo_the_login_cookie(session) -> None:
    """Gradio 6.31 (`route_utils.file_fetch`) answers a `Range` request with the request's
    own headers, the HttpOnly login cookie among them, where a script could read it."""
    [path] = _upload(session, {"bai.txt": ("text/plain", b"0123456789")})
    response = session.get(
        f"/gradio_api/file={path}",
        headers={"Range": "bytes=0-3", "Authorization": "Bearer x", "X-Secret": "s3cret"},
    )
    assert response.status_code == 206 and response.content == b"0123"
    assert response.headers["content-range"] == "bytes 0-3/10"
    echoed = {"cookie", "authorization", "x-secret", "host", "user-agent", "range", "accept"}
    assert echoed & set(response.headers) == set(), response.headers
    assert "s3cret" not in str(response.headers.raw)


def test_uploaded_text_is_served_as_plain_text(session) -> None:
    [path] = _upload(session, {"bai.txt": ("text/html", b"<script>alert(1)</script>")})
    response = session.get(f"/gradio_api/file={path}")
    assert response.headers["content-type"].startswith("text/plain")  # never rendered as HTML


def test_an_upload_larger_than_any_article_is_refused(site, session) -> None:
    limit = site.settings.max_file_bytes
    response = session.post(
        "/gradio_api/upload", files=[("files", ("lon.txt", b"x" * (limit + 1), "text/plain"))]
    )
    assert response.status_code == 413
    assert len(_upload(session, {"vua.txt": ("text/plain", b"x" * limit)})) == 1


# 5. A full queue answers "busy" at once; admitted questions and failures complete ---------


class GatedRetriever:
    """The real retriever, held at a gate so that questions pile up in the queue."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)

    def retrieve(self, question: str, k: int = 5):
        self.entered.release()
        self.gate.wait(timeout=60)
        return self.inner.retrieve(question, k)


@pytest.fixture
def busy_site(site):
    """The app (the real page and queue settings) whose questions wait at a gate."""
    assistant = build_assistant(site.settings, site.service)
    gated = assistant.retriever = GatedRetriever(assistant.retriever)
    app = build_app(site.settings, assistant, site.service)
    with _served(app, site.settings, None) as served:
        try:
            yield served.url, gated
        finally:
            gated.gate.set()  # before closing: no worker is left waiting


def _ask(client: httpx.Client, question: str) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = client.post("/gradio_api/call/on_ask", json={"data": [question, [], []]})
    return time.monotonic() - started, response


def _outcome(client: httpx.Client, event_id: str) -> tuple[str, str]:
    """('complete' or 'error', its data) of a queued call, read from its event stream."""
    with client.stream("GET", f"/gradio_api/call/on_ask/{event_id}") as response:
        text = "".join(response.iter_text())
    events = re.findall(r"^event: (\w+)\ndata: (.*)$", text, re.MULTILINE)
    return events[-1]


def test_a_full_queue_answers_busy_at_once_and_the_rest_complete(busy_site) -> None:
    url, gated = busy_site
    limits = httpx.Limits(max_connections=100)
    with httpx.Client(base_url=url, timeout=30, limits=limits) as client:
        # A failing question (too long: gr.Error) frees its worker at once...
        _, failing = _ask(client, "x" * (MAX_QUESTION_CHARS + 1))
        kind, data = _outcome(client, failing.json()["event_id"])
        assert kind == "error" and "limit is 2000" in json.loads(data)["error"]
        # ...so both workers take the next two questions, which wait at the gate.
        running = [_ask(client, QUESTION)[1] for _ in range(2)]
        assert all(gated.entered.acquire(timeout=10) for _ in running)

        with ThreadPoolExecutor(48) as pool:
            burst = list(pool.map(lambda _: _ask(client, QUESTION), range(48)))
        admitted = [response for _, response in burst if response.status_code == 200]
        refused = [(took, response) for took, response in burst if response.status_code != 200]
        assert len(admitted) == QUEUE_SIZE and len(refused) == 48 - QUEUE_SIZE
        for took, response in refused:
            assert response.status_code == 503 and took < 2.0
            assert response.json() == {
                "detail": f"Queue is full. Max size is {QUEUE_SIZE} and size is {QUEUE_SIZE}."
            }

        gated.gate.set()
        outcomes = [_outcome(client, r.json()["event_id"]) for r in running + admitted]
        assert [kind for kind, _ in outcomes] == ["complete"] * (2 + QUEUE_SIZE)
        assert all("27\\\\.350" in data for _, data in outcomes)  # JSON-escaped "27\.350"
        assert _ask(client, QUESTION)[1].status_code == 200  # the queue has room again


def test_gradio_client_reports_a_full_queue(busy_site) -> None:
    from gradio_client import Client
    from gradio_client.utils import QueueError

    url, gated = busy_site
    with httpx.Client(base_url=url, timeout=30) as client:
        assert all(_ask(client, QUESTION)[1].status_code == 200 for _ in range(2))
        assert all(gated.entered.acquire(timeout=10) for _ in range(2))
        assert all(_ask(client, QUESTION)[1].status_code == 200 for _ in range(QUEUE_SIZE))
        job = Client(url, verbose=False).submit(QUESTION, [], [], api_name="/on_ask")
        with pytest.raises(QueueError, match="Queue is full"):
            job.result(timeout=10)


# 6. The page needs nothing from the internet ----------------------------------------------


class _Resources(html.parser.HTMLParser):
    """What a browser fetches for a page: src and href of scripts, styles, images, frames."""

    FETCHED = frozenset({"script", "img", "iframe", "source", "audio", "video", "embed", "track"})
    LINKS = frozenset({"stylesheet", "preload", "modulepreload", "icon", "manifest", "prefetch"})

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.FETCHED and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and set((attrs.get("rel") or "").split()) & self.LINKS:
            self.urls.append(attrs["href"])
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)

    def handle_endtag(self, tag):
        self._in_style = False


def _external_in_css(css: str) -> list[str]:
    urls = re.findall(r"url\(\s*['\"]?([^'\")\s]+)", css)
    urls += re.findall(r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)", css)
    return [url for url in urls if re.match(r"(https?:)?//", url)]


def test_the_page_fetches_nothing_from_the_internet(site, session) -> None:
    page = session.get("/").text
    parser = _Resources()
    parser.feed(page)
    assert any("/assets/" in url for url in parser.urls)  # the parser saw the app's bundle
    assert [url for url in parser.urls if re.match(r"(https?:)?//", url)] == []
    assert _external_in_css("\n".join(parser.styles)) == []
    for url in parser.urls:
        if url.endswith(".css"):
            css = session.get(url if url.startswith("/") else "/" + url.lstrip("./")).text
            assert css and _external_in_css(css) == [], url
    assert _external_in_css(session.get("/theme.css").text) == []
    config = session.get("/config").json()
    assert config["stylesheets"] == []  # the default theme lists Google Fonts here
    for text in (page, json.dumps(config), session.get("/theme.css").text):
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text


def test_the_server_reports_nothing_to_gradio(site, session) -> None:
    assert site.app.analytics_enabled is False
    assert session.get("/config").json()["analytics_enabled"] is False


# 7. A running app follows an index update made by another process ------------------------


def _reply(assistant, settings: Settings, question: str) -> str:
    *_, (history, _, _, _) = respond(assistant, settings, question, [], [])
    return history[-1]["content"]


def _cli_update(settings: Settings) -> None:
    env = {
        **os.environ,
        "ASSISTANT_CORPUS": str(settings.corpus),
        "ASSISTANT_INDEX": str(settings.index),
        "ASSISTANT_MODELS_DIR": str(settings.models_dir),
        "ASSISTANT_EMBEDDING__BACKEND": "hashing",
    }
    cli = Path(sys.executable).with_name("assistant")
    done = subprocess.run(
        [str(cli), "index", "update"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


@contextmanager
def _writer_lock_held_elsewhere(settings: Settings) -> Iterator[None]:
    """The index's writer lock, held by another process as `assistant index update` holds it."""
    code = (
        "import sys; from filelock import FileLock; lock = FileLock(sys.argv[1]); "
        "lock.acquire(); print('held', flush=True); sys.stdin.read()"
    )
    lock = settings.index / ".writer.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(lock)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_the_running_app_answers_from_an_update_made_by_the_cli(tmp_path) -> None:
    settings = _settings(tmp_path)
    service = build_index_service(settings)  # a persistent Chroma store, as `main` has
    service.update()
    assistant = build_assistant(settings, service)
    assert "27\\.350" in _reply(assistant, settings, QUESTION)
    assert "7\\.919" not in _reply(assistant, settings, NEW_QUESTION)

    (settings.corpus / NEW_NAME).write_text(NEW_ARTICLE, encoding="utf-8")
    _cli_update(settings)
    # The first question after the update already sees it, by both retrievers.
    assert "7\\.919" in _reply(assistant, settings, NEW_QUESTION)
    passages = assistant.retriever.retrieve(NEW_QUESTION, 3)
    assert passages[0].article_id == NEW_NAME
    assert {"dense_rank", "lexical_rank"} <= set(passages[0].scores)
    assert "27\\.350" in _reply(assistant, settings, QUESTION)

    # While a writer holds the lock the app keeps what it has, and follows once it is free.
    second = NEW_ARTICLE.replace("Sông Cầu", "Tuy An").replace("7.919", "6.808")
    (settings.corpus / "tuy-an.txt").write_text(second, encoding="utf-8")
    _cli_update(settings)
    question = NEW_QUESTION.replace("Sông Cầu", "Tuy An")
    with _writer_lock_held_elsewhere(settings):
        assert "6\\.808" not in _reply(assistant, settings, question)
    assert "6\\.808" in _reply(assistant, settings, question)


def test_an_upload_while_another_process_holds_the_index_is_kept(tmp_path) -> None:
    settings = _settings(tmp_path)
    service = build_index_service(settings)
    service.update()
    assistant = build_assistant(settings, service)
    upload = tmp_path / "upload" / NEW_NAME
    upload.parent.mkdir()
    upload.write_text(NEW_ARTICLE, encoding="utf-8")

    with _writer_lock_held_elsewhere(settings):
        rows, status, message = upload_articles(service, settings, [upload])
        assert message.splitlines() == [f"Đã lưu: {NEW_NAME}", LOCKED_MESSAGE]
        assert (settings.corpus / NEW_NAME).read_text(encoding="utf-8") == NEW_ARTICLE
        assert NEW_NAME not in {row[-1] for row in rows}
        assert "chờ cập nhật: 1 mới" in status
        assert "27\\.350" in _reply(assistant, settings, QUESTION)  # questions go on

    assert update_index(service).startswith("Đã thêm 1 bài")
    assert "7\\.919" in _reply(assistant, settings, NEW_QUESTION)


# 8. How the app is served: one App, a prompt stop, the guard on its own -------------------


def test_the_queue_runs_events_in_the_app_it_serves(site) -> None:
    """As `launch` does: cancelled runs, ended sessions and `close()` reach the served App."""
    [mounted] = [route.app for route in site.http.routes if hasattr(route, "routes")]
    assert site.app.app is mounted


def test_closing_the_app_ends_its_heartbeat_streams_at_once(site) -> None:
    """uvicorn waits for open responses when it stops; Gradio's heartbeats never end alone."""
    app = build_app(site.settings, build_assistant(site.settings, site.service), site.service)
    with (
        _served(app, site.settings, None) as served,
        httpx.stream("GET", f"{served.url}/gradio_api/heartbeat/x", timeout=10) as heartbeat,
    ):
        assert heartbeat.status_code == 200
        started = time.monotonic()
        app.close()
        took = time.monotonic() - started
    assert took < 3.0  # not the 5 s grace period
    with pytest.raises(httpx.ConnectError):
        httpx.get(served.url)


def test_main_serves_behind_the_guard_and_stops_on_ctrl_c(tmp_path) -> None:
    """`python app.py` (what `make run` starts): login, no foreign CORS, a prompt Ctrl-C."""
    settings = _settings(tmp_path)
    build_index_service(settings).update()
    port = _free_port()
    env = {
        **os.environ,
        "ASSISTANT_CORPUS": str(settings.corpus),
        "ASSISTANT_INDEX": str(settings.index),
        "ASSISTANT_MODELS_DIR": str(settings.models_dir),
        "ASSISTANT_EMBEDDING__BACKEND": "hashing",
        "ASSISTANT_AUTH": ":".join(AUTH),
    }
    app = subprocess.Popen(
        [sys.executable, str(PROJECT / "app.py"), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and app.poll() is None:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=20) as client:
            assert client.get("/config").status_code == 401
            client.post("/login", data={"username": AUTH[0], "password": AUTH[1]})
            assert client.get("/config").status_code == 200
            assert _cors_headers(_simple(client, "/config", EVIL, "lan.example:7860")) == []
            with client.stream("GET", "/gradio_api/heartbeat/x") as heartbeat:
                assert heartbeat.status_code == 200
                started = time.monotonic()
                app.send_signal(signal.SIGINT)
                output, _ = app.communicate(timeout=30)
        assert app.returncode == 0, output
        # Had the heartbeat held the shutdown, uvicorn would have waited out its grace and
        # cancelled it ("... timeout graceful shutdown exceeded", with a traceback): said by
        # the output, not by a time bound that a loaded machine's slow exit can pass.
        assert "graceful shutdown exceeded" not in output and "Traceback" not in output, output
        assert time.monotonic() - started < SHUTDOWN_GRACE_S + 10  # and it did not hang
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(timeout=30)


async def _leaky_app(scope, receive, send) -> None:
    """An app that grants CORS to everyone and echoes every request header back."""
    headers = [
        *scope["headers"],
        (b"content-type", b"text/plain"),
        (b"set-cookie", b"phien=moi; HttpOnly"),
        (b"Cookie", b"dat-san=1"),  # not asked for, still never sent
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-credentials", b"true"),
        (b"vary", b"Origin"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def guarded() -> Iterator[httpx.Client]:
    from starlette.testclient import TestClient

    client = TestClient(HttpGuard(_leaky_app), base_url="http://app.example")  # no lifespan
    try:
        yield client
    finally:
        client.close()


def test_the_guard_never_sends_a_cookie_or_an_echoed_header(guarded) -> None:
    response = guarded.get(
        "/", headers={"Cookie": "phien=cu", "Authorization": "Basic eDp5", "X-Trace": "t1"}
    )
    assert response.text == "ok"
    names = [name.lower() for name, _ in response.headers.raw]
    assert b"cookie" not in names and b"authorization" not in names
    assert b"x-trace" not in names and b"user-agent" not in names and b"host" not in names
    assert response.headers["set-cookie"] == "phien=moi; HttpOnly"  # the login still works
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["vary"] == "Origin"
    assert _cors_headers(response) == []  # no Origin: nothing to grant


@pytest.mark.parametrize(
    ("origin", "granted"),
    [
        ("http://app.example", True),
        ("HTTP://APP.EXAMPLE:80", True),
        ("https://app.example", False),
        ("http://app.example:8080", False),
        ("http://evil.example", False),
        ("http://app.example.evil.example", False),
        ("http://user@app.example", False),
        ("http://app.example/path", False),
        ("null", False),
        ("", False),
    ],
)
def test_the_guard_grants_cors_only_to_the_own_origin(guarded, origin, granted) -> None:
    response = guarded.get("/", headers={"Origin": origin})
    assert bool(_cors_headers(response)) is granted, response.headers
    assert response.text == "ok"
