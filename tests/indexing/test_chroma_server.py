"""`store.mode: http` against a real `chroma run` server on a free loopback port.

The real `assistant` CLI indexes the seed article into the server and answers from it, with
the hashing embedder (no model). `chroma run` 1.5 checks no token itself, so token auth is
tested through a small token-checking proxy in front of it, standing in for the reverse
proxy docs/scaling.md asks for.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import IndexStoreError
from assistant.indexing.store import ChunkStore, chroma_client
from tests.conftest import SEED

QUESTION = "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
CHROMA = Path(sys.executable).with_name("chroma")  # installed with chromadb, beside python
START_TIMEOUT_S = 30.0
TOKEN = "s3cret-token"
SERVER_TOKEN_CHECK = "chromadb.auth.token_authn.TokenAuthenticationServerProvider"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never an HTTP_PROXY


def _heartbeat(port: int) -> bool:
    try:
        with _DIRECT.open(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A `chroma run` subprocess; yields its port, stops it afterwards."""
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log_path = folder / "server.log"
    # Chroma's documented server token settings: `chroma run` 1.5 ignores them (see
    # test_chroma_run_itself_checks_no_token); the day it does not, tests here say so.
    env = os.environ | {
        "CHROMA_SERVER_AUTHN_PROVIDER": SERVER_TOKEN_CHECK,
        "CHROMA_SERVER_AUTHN_CREDENTIALS": TOKEN,
    }
    command = [str(CHROMA), "run", "--path", str(folder / "data")]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would block the server
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        started = time.monotonic()
        while not _heartbeat(port):
            if server.poll() is not None:
                pytest.fail(f"chroma run exited with {server.returncode}:\n{log_path.read_text()}")
            if time.monotonic() - started > START_TIMEOUT_S:
                pytest.fail(
                    f"chroma run did not answer in {START_TIMEOUT_S} s:\n{log_path.read_text()}"
                )
            time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def use_server(monkeypatch: pytest.MonkeyPatch):
    """Point the CLI (the `run` fixture) at a server, in a collection of this test's own."""

    def point(port: int, token: str | None = None) -> str:
        prefix = f"t{uuid.uuid4().hex[:12]}"
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # httpx would honour an HTTP_PROXY
        monkeypatch.setenv("ASSISTANT_STORE__MODE", "http")
        monkeypatch.setenv("ASSISTANT_STORE__HOST", "127.0.0.1")
        monkeypatch.setenv("ASSISTANT_STORE__PORT", str(port))
        monkeypatch.setenv("ASSISTANT_STORE__COLLECTION_PREFIX", prefix)
        if token is not None:
            monkeypatch.setenv("ASSISTANT_STORE__TOKEN", token)
        return f"{prefix}-hashing-256-256"  # the collection the hashing embedder fills

    return point


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def assert_answers_from_the_seed(run) -> None:
    result = run("ask", QUESTION, "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["short_answer"] == "27.350 người"
    assert SEED.name in {citation["article_id"] for citation in answer["citations"]}


def test_index_and_ask_through_the_server(run, use_server, chroma_server, tmp_path):
    collection = use_server(chroma_server)

    first = run("index", "update", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["added"] == 1 and report["chunks_embedded"] > 0

    # Vectors are on the server; the manifest and the lexical index stay in the local folder.
    import chromadb

    server = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    assert server.get_collection(collection).count() == report["chunks_embedded"]
    index = tmp_path / "index"
    assert (index / "manifest.sqlite").exists()
    assert (index / "lexical" / collection / "lexical.json").exists()
    assert not (index / "chroma").exists()

    assert_answers_from_the_seed(run)

    again = run("index", "update", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["chunks_embedded"] == 0


def test_another_app_machine_answers_from_a_copy_of_the_index_folder(
    run, use_server, chroma_server, tmp_path, monkeypatch
):
    collection = use_server(chroma_server)
    assert run("index", "update").exit_code == 0
    reader = tmp_path / "reader-index"

    monkeypatch.setenv("ASSISTANT_INDEX", str(reader))
    message = one_line_error(run("ask", QUESTION))
    assert "manifest.sqlite" in message and "docs/scaling.md" in message

    # Only the manifest: the lexical index is rebuilt in memory from the server's chunks.
    reader.mkdir()
    shutil.copy(tmp_path / "index" / "manifest.sqlite", reader)
    assert_answers_from_the_seed(run)
    assert not (reader / "lexical").exists()  # a reader never writes it

    shutil.copytree(tmp_path / "index" / "lexical", reader / "lexical")
    assert_answers_from_the_seed(run)
    assert (reader / "lexical" / collection / "lexical.json").exists()


def test_an_unreachable_server_is_one_line(run, use_server):
    port = free_port()  # nothing listens there
    use_server(port)
    message = one_line_error(run("index", "update"))
    assert f"127.0.0.1:{port}" in message and "make chroma" in message
    # Reading the local manifest needs no server: nothing connects before it must.
    assert run("index", "status").exit_code == 0


def test_https_to_a_plain_server_is_one_line(run, use_server, chroma_server, monkeypatch):
    use_server(chroma_server)
    monkeypatch.setenv("ASSISTANT_STORE__SSL", "true")
    message = one_line_error(run("index", "update"))
    assert f"127.0.0.1:{chroma_server}" in message and "ASSISTANT_STORE__SSL" in message


def test_chroma_run_itself_checks_no_token(chroma_server):
    """chromadb 1.5.9's `chroma run` ignores CHROMA_SERVER_AUTHN_*: anyone may list."""
    url = f"http://127.0.0.1:{chroma_server}/api/v2/tenants/default_tenant/databases/default_database/collections"
    with _DIRECT.open(url, timeout=5) as response:
        assert response.status == 200


class TokenProxy(ThreadingHTTPServer):
    """Forwards to `chroma run` only requests that carry `Authorization: Bearer <token>`."""

    daemon_threads = True

    def __init__(self, upstream: int, token: str) -> None:
        self.upstream = upstream
        self.token = token
        self.seen: list[str | None] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    server: TokenProxy

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        given = self.headers.get("Authorization")
        self.server.seen.append(given)
        if given != f"Bearer {self.server.token}":
            self._reply(401, {"Content-Type": "text/plain"}, b"401 Authorization Required")
            return
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        kept = {k: v for k, v in response.getheaders() if k.lower() == "content-type"}
        self._reply(response.status, kept, response.read())
        upstream.close()

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

    def log_message(self, *args) -> None:  # quiet test output
        pass


@pytest.fixture
def token_proxy(chroma_server) -> Iterator[TokenProxy]:
    proxy = TokenProxy(chroma_server, TOKEN)
    yield proxy
    proxy.stop()


def test_the_token_is_sent_as_chromas_bearer_header(run, use_server, token_proxy):
    use_server(token_proxy.port, token=TOKEN)
    assert run("index", "update").exit_code == 0
    assert_answers_from_the_seed(run)
    assert set(token_proxy.seen) == {f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    ("token", "said"),
    [("wrong-token", "refused the token"), (None, "wants a token")],
)
def test_a_refused_token_is_one_line(run, use_server, token_proxy, token, said):
    use_server(token_proxy.port, token=token)
    message = one_line_error(run("index", "update"))
    assert f"127.0.0.1:{token_proxy.port}" in message
    assert said in message and "ASSISTANT_STORE__TOKEN" in message
    assert "wrong-token" not in message  # a secret never shows


def test_losing_the_server_mid_run_is_an_index_store_error(tmp_path, token_proxy):
    settings = load_settings(
        index=tmp_path / "index",
        store={"mode": "http", "port": token_proxy.port, "token": TOKEN},
    )
    store = ChunkStore(chroma_client(settings.store, settings.index), f"t{uuid.uuid4().hex}")
    assert store.count() == 0
    token_proxy.stop()  # the "server" goes away between two calls
    with pytest.raises(
        IndexStoreError, match=f"lost the Chroma server at 127.0.0.1:{token_proxy.port}"
    ):
        store.count()
    with pytest.raises(IndexStoreError, match="lost the Chroma server"):
        store.collection.query(query_embeddings=[[0.0] * 4], n_results=1)


def test_a_running_reader_of_the_server_answers_after_a_rebuild(run, use_server, chroma_server):
    # Issue 16: a rebuild replaces the collection on the server; a reader reopens it by name.
    from assistant.config import load_settings
    from assistant.wiring import build_assistant

    use_server(chroma_server)
    assert run("index", "update").exit_code == 0
    assistant = build_assistant(load_settings())  # a running app, settings from the env
    assert "27.350" in assistant.ask(QUESTION).text
    assert run("index", "rebuild").exit_code == 0
    answer = assistant.ask(QUESTION)
    assert "27.350" in answer.text and answer.citations
