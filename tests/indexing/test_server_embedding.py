"""The OpenAI-compatible embedding client against a fake server (no model, no network).

Texts must reach the server exactly as the in-process model sees them (chunks through
their template, questions behind the model's query prompt), in batches, several at once,
with retries and back-off on the failures a server has, and one-line errors otherwise.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from llama_index.core.schema import MetadataMode

from assistant.config import load_settings
from assistant.corpus.reader import read_article
from assistant.errors import ConfigError, EmbeddingServerError
from assistant.indexing.chunking import VietnameseChunker, article_document
from assistant.indexing.embeddings import HashingEmbedding
from assistant.indexing.server_embedding import ServerEmbedding, model_query_prompt
from assistant.wiring import build_embedder, effective_model_name, server_query_prompt
from tests.conftest import SEED
from tests.indexing.server_fakes import FakeEmbeddingServer, free_port

PROMPT = "task: search result | query: "


def seed_nodes() -> list:
    article = read_article(SEED, SEED.parent, 5_000_000)
    return VietnameseChunker()([article_document(article, "v1")])


def test_chunks_go_as_the_local_model_sees_them_and_questions_behind_the_query_prompt() -> None:
    server = FakeEmbeddingServer()
    embedder = server.embedder(query_prompt=PROMPT, batch_size=4, concurrency=1)
    nodes = seed_nodes()
    server.requests.clear()  # the dimension probe at start

    embedded = embedder(nodes)
    expected = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
    assert server.texts == expected
    assert all(text.startswith("title: Chủ động tham mưu") for text in expected)
    assert " | text: " in expected[0] and "\n" not in expected[0].split(" | text: ")[0]
    local = HashingEmbedding(256)
    for node, text in zip(embedded, expected, strict=True):
        assert np.allclose(node.embedding, local._vector(text), atol=1e-6)

    server.requests.clear()
    vector = embedder.get_query_embedding("Có bao nhiêu đảng viên?")
    assert server.texts == [PROMPT + "Có bao nhiêu đảng viên?"]
    assert np.allclose(vector, local._vector(PROMPT + "Có bao nhiêu đảng viên?"), atol=1e-6)
    embedder.get_query_embedding("Có bao nhiêu đảng viên?")  # asked again: from the cache
    assert len(server.requests) == 1


def test_requests_carry_the_model_name_the_key_and_float_encoding() -> None:
    server = FakeEmbeddingServer()
    embedder = server.embedder(api_model="served-name", api_key="s3cret")
    assert embedder.dimension == 256  # asked of the server at start
    (request,) = server.requests
    assert request["url"] == "http://embed.test/v1/embeddings"
    assert request["headers"]["authorization"] == "Bearer s3cret"
    assert request["body"]["model"] == "served-name"
    assert request["body"]["encoding_format"] == "float"
    plain = FakeEmbeddingServer()
    plain.embedder()
    assert "authorization" not in plain.requests[0]["headers"]  # no key, no header


def test_batches_of_batch_size_go_concurrency_at_a_time_and_keep_their_order() -> None:
    server = FakeEmbeddingServer(delay_s=0.05)
    embedder = server.embedder(batch_size=5, concurrency=3)
    server.requests.clear()
    texts = [f"văn bản số {n}" for n in range(40)]

    vectors = embedder.get_text_embedding_batch(texts)

    assert sorted(len(r["texts"]) for r in server.requests) == [5] * 8
    assert server.max_in_flight == 3
    local = HashingEmbedding(256)
    assert all(
        np.allclose(v, local._vector(t), atol=1e-6) for v, t in zip(vectors, texts, strict=True)
    )

    serial = FakeEmbeddingServer(delay_s=0.01)
    serial.embedder(batch_size=5, concurrency=1).get_text_embedding_batch(texts)
    assert serial.max_in_flight == 1


@pytest.mark.parametrize(
    "failure",
    [
        500,
        503,
        429,
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["500", "503", "429", "timeout", "refused", "disconnected"],
)
def test_passing_failures_are_retried_with_doubling_back_off(failure) -> None:
    server = FakeEmbeddingServer()
    embedder = server.embedder(retries=4, retry_backoff_s=0.5)
    server.requests.clear()
    server.script = [failure, failure, failure, None]
    vector = embedder.get_text_embedding("một câu")
    assert np.allclose(vector, HashingEmbedding(256)._vector("một câu"), atol=1e-6)
    assert len(server.requests) == 4
    assert server.sleeps == [0.5, 1.0, 2.0]


def test_a_server_failing_past_its_retries_is_one_line() -> None:
    server = FakeEmbeddingServer()
    embedder = server.embedder(retries=2, retry_backoff_s=0.25)
    server.script = [500] * 3
    with pytest.raises(EmbeddingServerError) as caught:
        embedder.get_text_embedding("một câu")
    message = str(caught.value)
    assert "\n" not in message
    assert "embed.test" in message and "3 attempts" in message and "HTTP 500" in message
    assert server.sleeps == [0.25, 0.5]


def test_after_a_failed_batch_the_batches_not_yet_sent_are_not_sent() -> None:
    server = FakeEmbeddingServer(delay_s=0.01)
    embedder = server.embedder(batch_size=2, concurrency=2, retries=1)
    server.requests.clear()
    server.down = True
    with pytest.raises(EmbeddingServerError, match="2 attempts"):
        embedder.get_text_embedding_batch([f"câu {n}" for n in range(40)])
    # The failing batch tried twice, the one beside it at most twice; 18 batches never sent.
    assert 2 <= len(server.requests) <= 4


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_a_refusal_is_not_retried(status: int) -> None:
    server = FakeEmbeddingServer()
    embedder = server.embedder()
    server.requests.clear()
    server.script = [status]
    with pytest.raises(EmbeddingServerError, match=f"refused the request \\(HTTP {status}"):
        embedder.get_text_embedding("một câu")
    assert len(server.requests) == 1 and server.sleeps == []


def test_an_unreachable_server_is_one_line_at_start() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(EmbeddingServerError) as caught:
        ServerEmbedding(url, "m", retries=1, retry_backoff_s=0.0)
    message = str(caught.value)
    assert "\n" not in message and url in message and "ConnectError" in message


def test_a_server_slower_than_the_timeout_is_retried_then_reported() -> None:
    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            time.sleep(1.0)
            body = json.dumps({"data": [{"index": 0, "embedding": [1.0, 0.0]}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        started = time.monotonic()
        with pytest.raises(EmbeddingServerError, match="ReadTimeout"):
            ServerEmbedding(url, "m", timeout_s=0.2, retries=1, retry_backoff_s=0.0)
        assert time.monotonic() - started < 0.9  # two attempts of 0.2 s, not the 1 s answer
        assert ServerEmbedding(url, "m", timeout_s=5, retries=0).dimension == 2
    finally:
        server.shutdown()


def test_a_wrong_answer_is_one_line() -> None:
    server = FakeEmbeddingServer()
    embedder = server.embedder()
    server.vector = lambda text: {"not": "a vector"}  # type: ignore[assignment]
    with pytest.raises(EmbeddingServerError, match="other than OpenAI embeddings"):
        embedder.get_text_embedding("một câu")


def test_the_query_prompt_comes_from_the_setting_the_model_folder_or_a_builtin_copy(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "hỏi: ", "document": "tài liệu: "}})
    )
    assert model_query_prompt("any", "query", folder) == "hỏi: "
    assert model_query_prompt("google/embeddinggemma-300m", "query", None) == PROMPT
    assert model_query_prompt("google/embeddinggemma-300m", "query", tmp_path) == PROMPT
    assert model_query_prompt("other/model", "query", None) == ""
    assert model_query_prompt("google/embeddinggemma-300m", None, folder) == ""

    server = {"backend": "openai-compatible", "base_url": "http://127.0.0.1:1/v1"}
    settings = load_settings(models_dir=tmp_path, embedding=server)
    assert server_query_prompt(settings) == PROMPT  # model not cached here: the built-in copy
    own = load_settings(models_dir=tmp_path, embedding={**server, "query_prompt": "q: "})
    assert server_query_prompt(own) == "q: "
    local = load_settings(models_dir=tmp_path, embedding={**server, "model": str(folder)})
    assert server_query_prompt(local) == "hỏi: "


def test_settings_need_a_base_url_and_share_the_local_models_collection(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        load_settings(embedding={"backend": "openai-compatible"})
    served = load_settings(
        embedding={"backend": "openai-compatible", "base_url": "http://127.0.0.1:1/v1"}
    )
    assert effective_model_name(served) == effective_model_name(load_settings())
    assert effective_model_name(served) == "google/embeddinggemma-300m"
    with pytest.raises(EmbeddingServerError, match=r"127\.0\.0\.1:1/v1"):
        build_embedder(
            load_settings(
                models_dir=tmp_path,
                embedding={
                    "backend": "openai-compatible",
                    "base_url": "http://127.0.0.1:1/v1",
                    "retries": 0,
                },
            )
        )
