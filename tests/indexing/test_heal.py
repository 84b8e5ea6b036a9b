"""A damaged vector segment heals itself: moved aside, rebuilt from Chroma's log, nothing
re-embedded, one warning line; a reader without the writer lock waits and does not heal;
a log already purged ends in one line naming `assistant index rebuild`.

Damage is made the way a killed write can leave it (tests/indexing/test_kill.py meets it
by chance): an empty `index_metadata.pickle` (Chroma reports it when reading: "Error
constructing hnsw segment reader"), and a `header.bin` cut short or from before the last
writes (Chroma crashes on those: they are caught from the sizes at open). Chroma is
restarted around the damage, as a new process would open the files.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from assistant.config import Settings, StoreSettings, load_settings
from assistant.errors import IndexStoreError
from assistant.indexing import heal
from assistant.indexing.embeddings import HashingEmbedding
from assistant.indexing.heal import segment_damage, writer_lock_path
from assistant.indexing.store import ChunkStore, chroma_client
from assistant.wiring import build_assistant, build_index_service

QUESTION = "Bài số 7 có bao nhiêu đảng viên?"
HOLDER = """
import sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


_KILLED: list = []


def _restart_chroma(killed: bool = False) -> None:
    """Drop every Chroma of this process, as if the next step ran in a new one.

    Stopped, Chroma writes out what it holds; `killed` leaves it unstopped and referenced
    (never dropped, never written), as `kill -9` leaves the files.
    """
    systems = list(SharedSystemClient._identifier_to_system.values())
    SharedSystemClient.clear_system_cache()
    for system in systems:
        if killed:
            _KILLED.append(system)
            continue
        with contextlib.suppress(AttributeError):  # one another test stopped already
            system.stop()


def _article(number: int) -> str:
    paragraphs = [
        f"Đoạn {p} của bài {number}: năm 2022 có {number * 7 + p}.350 đảng viên, "
        f"sinh hoạt tại {p + 20} chi bộ. " * 3
        for p in range(4)
    ]
    return f"Bài số {number}\n\nPhóng viên| 1/2/2023 08:00\n\n" + "\n\n".join(paragraphs)


@pytest.fixture
def built(tmp_path: Path) -> Settings:
    """A persistent index of 40 articles, hashing embedder, Chroma closed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(40):
        (corpus / f"bai-{number:03d}.txt").write_text(_article(number), encoding="utf-8")
    settings = load_settings(
        corpus=corpus,
        index=tmp_path / "index",
        models_dir=tmp_path / "models",
        embedding={"backend": "hashing"},
    )
    build_index_service(settings).update()
    _restart_chroma()
    return settings


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every document text the hashing embedder embeds from now on."""
    texts: list[str] = []
    plain = HashingEmbedding._get_text_embedding

    def counting(self, text: str) -> list[float]:
        texts.append(text)
        return plain(self, text)

    monkeypatch.setattr(HashingEmbedding, "_get_text_embedding", counting)

    def counting_all(self, batch: list[str]) -> list[list[float]]:
        return [counting(self, text) for text in batch]

    monkeypatch.setattr(HashingEmbedding, "_get_text_embeddings", counting_all)
    return texts


def _segment(index: Path) -> Path:
    (folder,) = [p for p in (index / "chroma").iterdir() if p.is_dir()]
    return folder


def _neighbours(settings: Settings) -> dict[str, list]:
    """The 5 nearest chunks of 40 stored chunks (by id), read by a fresh Chroma.

    Each chunk's nearest is itself. Hashing vectors of look-alike chunks tie, and which of
    those tied at the 5th distance come back is Chroma's choice: kept are the neighbours
    nearer than the 5th, and the 5th distance.
    """
    store = build_index_service(settings).open_store()
    stored = store.collection.get(include=["embeddings"])
    picked = sorted(range(len(stored["ids"])), key=lambda i: stored["ids"][i])[::4][:40]
    vectors = [list(map(float, stored["embeddings"][i])) for i in picked]
    found = store.collection.query(query_embeddings=vectors, n_results=5, include=["distances"])
    _restart_chroma()
    neighbours = {}
    for i, ids, distances in zip(picked, found["ids"], found["distances"], strict=True):
        assert ids[0] == stored["ids"][i]  # itself first
        ranked = sorted((round(d, 5), n) for n, d in zip(ids, distances, strict=True))
        last = ranked[-1][0]
        neighbours[stored["ids"][i]] = [pair for pair in ranked if pair[0] < last] + [last]
    return neighbours


def _damage(folder: Path, how: str) -> None:
    if how == "empty index_metadata.pickle":
        (folder / "index_metadata.pickle").write_bytes(b"")
    elif how == "short header.bin":
        header = folder / "header.bin"
        header.write_bytes(header.read_bytes()[:37])
    else:
        raise AssertionError(how)


def _heal_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "assistant.indexing.heal"]


def _assert_moved_aside(index: Path, segment: Path) -> None:
    (aside,) = index.glob("chroma-damaged-*")
    assert (aside / segment.name / "header.bin").exists()  # kept, not deleted


DAMAGE = ["empty index_metadata.pickle", "short header.bin"]


@pytest.mark.parametrize("how", DAMAGE)
def test_an_update_heals_the_segment_and_embeds_nothing(
    built: Settings, embedded: list[str], how: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = _neighbours(built)
    segment = _segment(built.index)
    _damage(segment, how)
    # One article is added (its words shared with no other): only it may be embedded.
    added = "Thời tiết\n\nPhóng viên| 1/2/2023 08:00\n\nHôm nay trời mưa to ở Huế, gió mạnh."
    (built.corpus / "thoi-tiet.txt").write_text(added, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        report = build_index_service(built).update()
    _restart_chroma()
    assert report.failed == [] and report.added == 1 and report.chunks_embedded == 1
    assert embedded and all("mưa" in text for text in embedded)  # the chunk, its sentences
    assert len(embedded) == 2  # its chunk and its one sentence, once: the retry embeds none
    (line,) = _heal_lines(caplog)
    assert "\n" not in line and "moved it to" in line and "nothing re-embedded" in line, line
    _assert_moved_aside(built.index, segment)
    after = _neighbours(built)
    assert after == before


@pytest.mark.parametrize("how", DAMAGE)
def test_a_question_heals_it_too(
    built: Settings, embedded: list[str], how: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = _neighbours(built)
    segment = _segment(built.index)
    _damage(segment, how)
    with caplog.at_level(logging.WARNING):
        answer = build_assistant(built).ask(QUESTION)
    _restart_chroma()
    assert "49.350" in answer.text and answer.citations[0].article_id == "bai-007.txt"
    assert embedded == []
    assert len(_heal_lines(caplog)) == 1
    _assert_moved_aside(built.index, segment)
    assert _neighbours(built) == before


def test_a_header_older_than_its_data_is_healed_from_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Unchecked, chromadb 1.5.9 crashes on it (segmentation fault) or, with writes still to
    # apply, says "Failed to apply logs to the hnsw segment writer" (measured by hand).
    index = tmp_path / "index"
    store = ChunkStore(chroma_client(StoreSettings(), index), "articles-test-64")
    rng = random.Random(7)
    vectors = {f"c{i:04d}": [rng.gauss(0, 1) for _ in range(64)] for i in range(3000)}
    ids = sorted(vectors)

    def write(part: list[str]) -> None:
        for start in range(0, len(part), 500):
            chunk = part[start : start + 500]
            store.collection.upsert(ids=chunk, embeddings=[vectors[i] for i in chunk])

    write(ids[:1500])
    store.count()
    old_header = (_segment(index) / "header.bin").read_bytes()
    store.collection.delete(ids=ids[:300])
    write(ids[1500:])
    store.count()
    _restart_chroma(killed=True)
    (_segment(index) / "header.bin").write_bytes(old_header)

    store = ChunkStore(chroma_client(StoreSettings(), index), "articles-test-64")
    probe = ids[300:3000:150]
    with caplog.at_level(logging.WARNING):
        found = store.collection.query(
            query_embeddings=[vectors[i] for i in probe], n_results=5, include=[]
        )["ids"]
    (line,) = _heal_lines(caplog)
    assert "older than the data" in line, line
    # Every vector is back: each probe finds itself first, and its true neighbours (HNSW is
    # approximate and the rebuild inserts in its own order: 95% of them, not bit for bit).
    exact = [_exact_neighbours(vectors, ids[300:], vectors[i]) for i in probe]
    assert [row[0] for row in found] == probe
    hits = sum(len(set(row) & set(true)) for row, true in zip(found, exact, strict=True))
    assert hits >= 0.95 * 5 * len(probe)
    assert store.count() == 2700
    assert len(store.collection.get(include=["embeddings"])["ids"]) == 2700


def _exact_neighbours(vectors: dict, ids: list[str], query: list[float]) -> list[str]:
    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
            sum(x * x for x in a) * sum(y * y for y in b)
        )

    return sorted(ids, key=lambda i: -cosine(vectors[i], query))[:5]


def test_a_reader_without_the_lock_waits_and_does_not_heal(
    built: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(heal, "READER_WAIT_S", 0.5)
    segment = _segment(built.index)
    _damage(segment, "empty index_metadata.pickle")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(writer_lock_path(built.index))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexStoreError) as raised:
            build_assistant(built).ask(QUESTION)
    finally:
        holder.kill()
        holder.wait()
    message = str(raised.value)
    assert "\n" not in message and "another process has held" in message, message
    assert (segment / "index_metadata.pickle").stat().st_size == 0  # left for the writer
    assert list(built.index.glob("chroma-damaged-*")) == []
    # Once the lock is free, the next question repairs it.
    _restart_chroma()
    with caplog.at_level(logging.WARNING):
        assert "49.350" in build_assistant(built).ask(QUESTION).text
    assert len(_heal_lines(caplog)) == 1


def test_a_purged_log_cannot_heal_and_names_index_rebuild(built: Settings) -> None:
    # As in an index built before this change: Chroma purged its log after compacting.
    db = sqlite3.connect(built.index / "chroma" / "chroma.sqlite3")
    with db:
        db.execute("DELETE FROM embeddings_queue")
    db.close()
    segment = _segment(built.index)
    _damage(segment, "empty index_metadata.pickle")
    with pytest.raises(IndexStoreError) as raised:
        build_assistant(built).ask(QUESTION)
    message = str(raised.value)
    assert "\n" not in message and "`assistant index rebuild`" in message, message
    assert list(built.index.glob("chroma-damaged-*")) == [] and segment.exists()
    _restart_chroma()
    build_index_service(built).rebuild()  # the fallback named: embeds again, and answers
    _restart_chroma()
    assert "49.350" in build_assistant(built).ask(QUESTION).text


def test_the_log_is_kept_after_every_open(built: Settings) -> None:
    db = sqlite3.connect(built.index / "chroma" / "chroma.sqlite3")
    (config,) = db.execute("SELECT config_json_str FROM embeddings_queue_config").fetchone()
    (logged,) = db.execute("SELECT COUNT(DISTINCT id) FROM embeddings_queue").fetchone()
    (stored,) = db.execute(
        "SELECT COUNT(*) FROM embeddings e JOIN segments s ON s.id = e.segment_id"
        " WHERE s.scope = 'METADATA'"
    ).fetchone()
    db.close()
    assert '"automatically_purge":false' in config
    assert logged == stored > 0


def test_segment_damage_is_read_from_the_sizes(built: Settings) -> None:
    segment = _segment(built.index)
    assert segment_damage(segment) is None
    data = segment / "data_level0.bin"
    data.write_bytes(data.read_bytes()[:-10])
    assert "data_level0.bin" in segment_damage(segment)
    (segment / "length.bin").unlink()
    assert "missing length.bin" in segment_damage(segment)
