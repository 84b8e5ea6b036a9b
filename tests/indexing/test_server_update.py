"""Updates through an embedding server (the fake of server_fakes.py): what they write, what
a server going down loses (nothing), and the probe that keeps another model's vectors out.

The fake answers with the hashing embedder's vectors, so a `ServerEmbedding` over it is the
"same model" as the local `HashingEmbedding`, filed under the same name and collection.
"""

from __future__ import annotations

from pathlib import Path

import chromadb
import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import EmbeddingServerError
from assistant.indexing.embeddings import HashingEmbedding
from assistant.indexing.manifest import Manifest
from assistant.indexing.probe import PROBE_KEY, probe_vectors, unpack_probe
from tests.indexing.server_fakes import FakeEmbeddingServer
from tests.indexing.test_update_failures import (
    DISTRICTS,
    answered_edition,
    name,
    service_with,
    stored_editions,
    write_corpus,
)


@pytest.fixture
def corpus(corpus_dir: Path) -> Path:
    (corpus_dir / "000_d06571e5afc15d7f.txt").unlink()  # six articles of one shape only
    return corpus_dir


def stored(service) -> dict[str, list[float]]:
    got = service.open_store().collection.get(include=["embeddings"])
    return dict(zip(got["ids"], [list(v) for v in got["embeddings"]], strict=True))


def manifest_versions(service) -> dict[str, str | None]:
    entries = Manifest(service.manifest_path, service.open_store().name).entries()
    return {article_id: entry.version for article_id, entry in entries.items()}


def test_a_server_of_the_same_model_writes_what_the_local_model_writes(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_corpus(corpus, edition=1)
    local = service_with(settings, chromadb.EphemeralClient(), HashingEmbedding(256), monkeypatch)
    local.update()
    server = FakeEmbeddingServer()
    apart = settings.model_copy(  # an index of its own
        update={
            "index": settings.index.with_name("index-served"),
            "store": settings.store.model_copy(
                update={"collection_prefix": settings.store.collection_prefix + "s"}
            ),
        }
    )
    served = service_with(
        apart, chromadb.EphemeralClient(), server.embedder(batch_size=4), monkeypatch
    )
    report = served.update()

    assert report.added == len(DISTRICTS) and report.failed == []
    mine, theirs = stored(local), stored(served)
    assert mine.keys() == theirs.keys()
    for chunk_id, vector in mine.items():
        assert np.allclose(vector, theirs[chunk_id], atol=1e-6)
    assert all(len(request["texts"]) <= 4 for request in server.requests)
    for number in range(len(DISTRICTS)):  # questions go through the server too
        assert answered_edition(served, apart, number) == 1


def test_a_server_that_goes_down_mid_update_stops_it_and_loses_nothing(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = chromadb.EphemeralClient()
    settings = settings.model_copy(
        update={"chunking": settings.chunking.model_copy(update={"max_chars": 120})}
    )
    write_corpus(corpus, edition=1, extra=12)  # ~13 chunks each: more than one group
    server = FakeEmbeddingServer()
    service_with(settings, client, server.embedder(), monkeypatch).update()
    before = manifest_versions(service_with(settings, client, server.embedder(), monkeypatch))

    write_corpus(corpus, edition=2, extra=12)
    embedder = server.embedder(batch_size=8, retries=2)
    # The first group (~64 chunks and their sentences) goes through, then the server dies.
    server.requests.clear()
    server.down_after = 30
    service = service_with(settings, client, embedder, monkeypatch)
    with pytest.raises(EmbeddingServerError) as caught:
        service.update()
    assert "\n" not in str(caught.value) and "Connection refused" in str(caught.value)
    # 30, then the failing request tried 3 times, the one beside it (concurrency 2) until
    # then, and no more: the update stopped.
    assert 33 <= len(server.requests) <= 36

    editions = stored_editions(service)
    new = {article_id for article_id, found in editions.items() if found == {2}}
    assert new and len(new) < len(DISTRICTS)  # a first group was stored, the rest not
    assert editions == {name(n): {2 if name(n) in new else 1} for n in range(len(DISTRICTS))}
    after = manifest_versions(service)
    assert {a for a in after if after[a] != before[a]} == new
    server.down, server.down_after = False, None  # restarted: questions need it too
    for number in range(len(DISTRICTS)):
        assert answered_edition(service, settings, number) == (2 if name(number) in new else 1)

    retry = service_with(settings, client, server.embedder(batch_size=8), monkeypatch).update()
    assert (retry.changed, retry.failed) == (len(DISTRICTS) - len(new), [])
    assert stored_editions(service) == {name(n): {2} for n in range(len(DISTRICTS))}


def test_the_first_vectors_leave_a_probe_that_another_model_must_match(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = chromadb.EphemeralClient()
    write_corpus(corpus, edition=1)
    local = HashingEmbedding(256)
    service = service_with(settings, client, local, monkeypatch)
    service.update()
    probe = unpack_probe(service.open_store().collection.metadata[PROBE_KEY], 4)
    assert probe is not None
    assert np.allclose(probe, probe_vectors(local, settings.embedding.document_template), atol=1e-6)
    count = service.open_store().count()

    write_corpus(corpus, edition=2)
    before = manifest_versions(service)
    # Another model: the hashing embedder of another size, cut to 256 dimensions.
    other = FakeEmbeddingServer(vector=lambda text: HashingEmbedding(300)._vector(text)[:256])
    with pytest.raises(EmbeddingServerError) as caught:
        service_with(settings, client, other.embedder(), monkeypatch).update()
    message = str(caught.value)
    assert "\n" not in message and "disagree" in message and "nothing was written" in message
    assert manifest_versions(service) == before
    assert service.open_store().count() == count
    assert stored_editions(service) == {name(n): {1} for n in range(len(DISTRICTS))}

    # The same model without its query prompt is another model too.
    prompted = FakeEmbeddingServer().embedder(query_prompt="task: search result | query: ")
    with pytest.raises(EmbeddingServerError, match="disagree"):
        service_with(settings, client, prompted, monkeypatch).update()

    same = FakeEmbeddingServer()
    report = service_with(settings, client, same.embedder(), monkeypatch).update()
    assert report.changed == len(DISTRICTS)
    assert stored_editions(service) == {name(n): {2} for n in range(len(DISTRICTS))}


def test_a_collection_without_a_probe_is_checked_on_its_stored_chunks(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = chromadb.EphemeralClient()
    write_corpus(corpus, edition=1)
    service = service_with(settings, client, HashingEmbedding(256), monkeypatch)
    service.update()
    collection = service.open_store().collection
    collection.modify(metadata={"built": "before probes existed"})  # as an older index
    assert PROBE_KEY not in service.open_store().collection.metadata

    write_corpus(corpus, edition=2)
    other = FakeEmbeddingServer(vector=lambda text: HashingEmbedding(300)._vector(text)[:256])
    with pytest.raises(EmbeddingServerError, match="4 of its stored chunks"):
        service_with(settings, client, other.embedder(), monkeypatch).update()
    assert stored_editions(service) == {name(n): {1} for n in range(len(DISTRICTS))}
    assert PROBE_KEY not in service.open_store().collection.metadata

    same = FakeEmbeddingServer()
    same_embedder = same.embedder()
    same.requests.clear()
    report = service_with(settings, client, same_embedder, monkeypatch).update()
    assert report.changed == len(DISTRICTS)
    checked = same.requests[0]["texts"]  # the self-check: stored chunks, as first embedded
    assert len(checked) == 4 and all(text.startswith("title: Công tác") for text in checked)
    metadata = service.open_store().collection.metadata
    assert metadata["built"] == "before probes existed" and PROBE_KEY in metadata
