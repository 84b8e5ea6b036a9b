"""A real embedding server (Infinity, `make embed-server-venv`) serving the cached
EmbeddingGemma folder: the seed indexed through it ranks every seed question's top 5 as
the in-process model does, it can take over the in-process model's collection (the probe
agrees), and a server killed in the middle of an update loses nothing.

Markers `embed_server`, `model`, `slow`. Skipped without the server's venv or the model,
unless ASSISTANT_REQUIRE_EMBED_SERVER=1 (as in CI), where that is a failure.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import numpy as np
import pytest

from assistant.config import Settings, load_settings, with_overrides
from assistant.errors import EmbeddingServerError
from assistant.evaluation.suite import load_suite
from assistant.indexing.index_service import IndexService
from assistant.indexing.manifest import Manifest
from assistant.indexing.probe import PROBE_KEY
from assistant.models.cache import model_dir
from assistant.retrieval.dense import DenseRetriever
from assistant.wiring import build_embedder, build_index_service
from bench.infinity import InfinityServer, infinity_binary
from tests.conftest import SEED

pytestmark = [pytest.mark.embed_server, pytest.mark.model, pytest.mark.slow]

MODEL = "google/embeddinggemma-300m"
# The project's own seed suite (not ../shared, which a CI checkout need not have beside it).
SEED_SUITE = Path(__file__).resolve().parents[2] / "evals" / "seed.yaml"


def require(what: str) -> None:
    if os.environ.get("ASSISTANT_REQUIRE_EMBED_SERVER") == "1":
        pytest.fail(f"{what} (ASSISTANT_REQUIRE_EMBED_SERVER=1 requires it)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def infinity(real_embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfinityServer]:
    if infinity_binary() is None:
        require("no embedding server venv; run `make embed-server-venv`")
    folder = model_dir(load_settings().models_dir, MODEL)
    log = tmp_path_factory.mktemp("infinity") / "server.log"
    with InfinityServer(folder, MODEL, log) as server:
        yield server


def settings_in(folder: Path, **embedding) -> Settings:
    corpus = folder / "corpus"
    if not corpus.exists():
        corpus.mkdir(parents=True)
        (corpus / SEED.name).write_bytes(SEED.read_bytes())
    return load_settings(
        corpus=corpus,
        index=folder / "index",
        embedding=embedding or None,
        store={"collection_prefix": f"s{uuid.uuid4().hex[:10]}"},
    )


def served(settings: Settings, server: InfinityServer, **options) -> Settings:
    embedding = {"backend": "openai-compatible", "base_url": server.base_url, **options}
    return with_overrides(settings, embedding=embedding)


def local_service(settings: Settings, embedder, client) -> IndexService:
    return IndexService(settings, MODEL, lambda: embedder, lambda: client)


def test_the_seed_through_the_server_ranks_as_the_in_process_model(
    real_embedder, infinity: InfinityServer, tmp_path: Path
) -> None:
    cases = load_suite(SEED_SUITE).cases
    questions = [text for case in cases for text in (case.turns or [case.question])]
    assert len(questions) >= 24 and all(questions)
    client = chromadb.EphemeralClient()
    local_settings = settings_in(tmp_path / "local")
    local = local_service(local_settings, real_embedder, client)
    local.update()
    server_settings = served(settings_in(tmp_path / "server"), infinity, concurrency=2)
    server = build_index_service(server_settings, client=client)
    report = server.update()
    assert report.added == 1 and report.failed == []

    mine, theirs = local.open_store(), server.open_store()
    assert mine.name.replace(local_settings.store.collection_prefix, "") == theirs.name.replace(
        server_settings.store.collection_prefix, ""
    )  # the same model's collection name
    a = mine.collection.get(include=["embeddings"])
    b = theirs.collection.get(include=["embeddings"])
    assert a["ids"] and sorted(a["ids"]) == sorted(b["ids"])
    by_id = dict(zip(b["ids"], b["embeddings"], strict=True))
    cosines = [float(np.dot(v, by_id[i])) for i, v in zip(a["ids"], a["embeddings"], strict=True)]
    assert min(cosines) >= 0.999, min(cosines)

    dense_local = DenseRetriever(mine, real_embedder)
    dense_server = DenseRetriever(theirs, server.embedder)
    for question in questions:
        q_local = dense_local.query_vector(question)
        q_server = dense_server.query_vector(question)
        assert float(np.dot(q_local, q_server)) >= 0.999, question  # the query prompt applied
        top_local = [p.chunk_id for p in dense_local.retrieve(question, k=5)]
        top_server = [p.chunk_id for p in dense_server.retrieve(question, k=5)]
        assert top_server == top_local, question

    # The server can take over the in-process model's collection: its probe agrees.
    (local_settings.corpus / "them.txt").write_text(
        "Tỉnh tổ chức hội nghị sơ kết\n\nPV| 1/3/2023 08:00\n\nHội nghị có 120 đại biểu dự.",
        encoding="utf-8",
    )
    taken = build_index_service(served(local_settings, infinity), client=client)
    assert taken.open_store().name == mine.name and PROBE_KEY in mine.collection.metadata
    assert taken.update().added == 1


def test_a_server_killed_in_the_middle_of_an_update_loses_nothing(
    real_embedder, infinity: InfinityServer, tmp_path: Path
) -> None:
    client = chromadb.EphemeralClient()
    settings = settings_in(tmp_path)
    local_service(settings, real_embedder, client).update()  # built in process
    store_name = local_service(settings, real_embedder, client).open_store().name
    before = Manifest(settings.index / "manifest.sqlite", store_name).entries()
    (old_version,) = [entry.version for entry in before.values()]
    old_ids = local_service(settings, real_embedder, client).open_store().chunk_ids(SEED.name)

    seed = settings.corpus / SEED.name
    seed.write_text(
        seed.read_text(encoding="utf-8") + "\n\nĐến cuối năm, toàn tỉnh có 27.512 đảng viên.",
        encoding="utf-8",
    )
    server_settings = served(settings, infinity, retries=2, retry_backoff_s=0.2, concurrency=2)
    service = build_index_service(server_settings, client=client)

    def kill_soon(done: int, total: int, chunks: int) -> None:
        if done == 0:  # the first group's first requests are on their way
            threading.Timer(0.3, infinity.kill).start()

    with pytest.raises(EmbeddingServerError) as caught:
        service.update(kill_soon)
    message = str(caught.value)
    assert "\n" not in message and infinity.base_url in message

    entries = Manifest(settings.index / "manifest.sqlite", store_name).entries()
    assert [entry.version for entry in entries.values()] == [old_version]
    store = service.open_store()
    assert store.chunk_ids(SEED.name) == old_ids  # every old chunk, nothing new
    dense = DenseRetriever(store, real_embedder)
    top = dense.retrieve("Tổng số đảng viên toàn tỉnh là bao nhiêu?", k=5)
    assert any("27.350" in passage.text for passage in top)

    infinity.start()  # the same port: the settings still point at it
    report = build_index_service(server_settings, client=client).update()
    assert (report.changed, report.failed) == (1, [])
    entries = Manifest(settings.index / "manifest.sqlite", store_name).entries()
    assert [entry.version for entry in entries.values()] != [old_version]
    assert not store.chunk_ids(SEED.name) & old_ids
    assert build_embedder(server_settings).dimension == real_embedder.dimension
