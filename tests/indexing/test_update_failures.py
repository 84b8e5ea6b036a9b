"""An embedding backend that fails in the middle of an update loses nothing.

Six indexed articles are changed to a second edition, then updated with a hashing embedder
that fails on cue: on one article's text, on one batch, or from some batch on (a backend
gone for good). Each article must then be answered from exactly one complete edition, the
new one where it was stored and the old one where it failed, with no chunk of the other
left behind; a second update with a working embedder must finish the job; and the CLI must
say which articles failed in one line each and exit 1, without a traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import chromadb
import pytest

from assistant import wiring
from assistant.config import Settings
from assistant.indexing.embeddings import HashingEmbedding
from assistant.indexing.index_service import IndexService
from assistant.indexing.manifest import Manifest
from assistant.wiring import build_assistant, build_index_service

DISTRICTS = ["Tuy An", "Sông Cầu", "Đồng Xuân", "Sơn Hòa", "Phú Hòa", "Tây Hòa"]
EDITION = re.compile(r"\(bản (\d+)\)")


class FailingEmbedding(HashingEmbedding):
    """The hashing embedder, but document batches fail on cue (a real fake, not a mock).

    `failing`: the numbers (from 1) of the batches that fail once; `down_from`: every batch
    from this one on fails; `poison`: any batch holding this text fails.
    """

    failing: frozenset[int] = frozenset()
    down_from: int | None = None
    poison: str | None = None
    batches: int = 0

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.batches += 1
        down = self.down_from is not None and self.batches >= self.down_from
        poisoned = self.poison is not None and any(self.poison in text for text in texts)
        if self.batches in self.failing or down or poisoned:
            raise RuntimeError(f"embedding backend failed on batch {self.batches}")
        return [self._vector(text) for text in texts]


def name(number: int) -> str:
    return f"huyen-{number}.txt"


def figure(number: int, edition: int) -> str:
    return f"{edition}.{number}{number}7"


def question(number: int) -> str:
    return f"Năm 2022 huyện {DISTRICTS[number]} có bao nhiêu đảng viên?"


def article(number: int, edition: int, extra: int = 2) -> str:
    """Article `number` in edition `edition`; `extra` paragraphs make more chunks."""
    district = DISTRICTS[number]
    paragraphs = [
        f"Năm 2022 huyện {district} có {figure(number, edition)} đảng viên (bản {edition})."
    ] + [
        f"Đoạn {p} (bản {edition}): huyện {district} củng cố {p + 3} tổ chức cơ sở đảng và "
        f"nâng cao chất lượng sinh hoạt của {p + 10} chi bộ trong năm {2010 + p}."
        for p in range(extra)
    ]
    return f"Công tác đảng viên ở huyện {district}\n\nPhóng viên| 1/2/2023 08:00\n\n" + (
        "\n\n".join(paragraphs)
    )


def write_corpus(corpus: Path, edition: int, extra: int = 2) -> None:
    for number in range(len(DISTRICTS)):
        text = article(number, edition, extra)
        (corpus / name(number)).write_text(text, encoding="utf-8")


@pytest.fixture
def corpus(corpus_dir: Path) -> Path:
    (corpus_dir / "000_d06571e5afc15d7f.txt").unlink()  # six articles of one shape only
    return corpus_dir


def service_with(
    settings: Settings, client, embedder: HashingEmbedding, monkeypatch: pytest.MonkeyPatch
) -> IndexService:
    """The service `wiring` builds (lexical index kept in step), with `embedder` in it."""
    monkeypatch.setattr(wiring, "build_embedder", lambda settings: embedder)
    return build_index_service(settings, client=client)


def stored_editions(service: IndexService) -> dict[str, set[int]]:
    """For each article, the editions its stored chunks come from; checks the manifest agrees."""
    store = service.open_store()
    entries = Manifest(service.manifest_path, store.name).entries()
    got = store.collection.get(include=["documents", "metadatas"])
    editions: dict[str, set[int]] = {}
    versions: dict[str, set[str]] = {}
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        editions.setdefault(meta["article_id"], set()).update(map(int, EDITION.findall(text)))
        versions.setdefault(meta["article_id"], set()).add(meta["version"])
    assert store.count() == sum(entry.chunks for entry in entries.values())  # no duplicates
    for article_id, entry in entries.items():
        assert versions[article_id] == {entry.version}  # no chunk of another version
        assert len(store.chunk_ids(article_id, entry.version)) == entry.chunks
    return editions


def answered_edition(service: IndexService, settings: Settings, number: int) -> int:
    """The edition whose figure answers article `number`'s question, checked in the quote."""
    answer = build_assistant(settings, service).ask(question(number))
    assert not answer.abstained, answer.text
    (citation,) = [c for c in answer.citations if c.article_id == name(number)]
    (edition,) = {int(found) for found in EDITION.findall(citation.quote)}
    assert figure(number, edition) in answer.text
    assert all(c.article_id == name(number) for c in answer.citations), answer.citations
    return edition


def test_an_article_that_fails_to_embed_keeps_answering_from_its_old_version(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = chromadb.EphemeralClient()
    write_corpus(corpus, edition=1)
    healthy = HashingEmbedding(settings.embedding.hashing_dim)
    service_with(settings, client, healthy, monkeypatch).update()

    write_corpus(corpus, edition=2)
    embedder = FailingEmbedding(settings.embedding.hashing_dim)
    embedder.poison = figure(2, 2)  # article 2's new text breaks the backend
    service = service_with(settings, client, embedder, monkeypatch)
    report = service.update()

    assert [article_id for article_id, _ in report.failed] == [name(2)]
    assert "embedding backend failed" in report.failed[0][1]
    assert report.changed == len(DISTRICTS) - 1
    expected = {name(n): {1 if n == 2 else 2} for n in range(len(DISTRICTS))}
    assert stored_editions(service) == expected
    for number in range(len(DISTRICTS)):
        assert answered_edition(service, settings, number) == (1 if number == 2 else 2)

    retry = service_with(settings, client, healthy, monkeypatch).update()
    assert (retry.changed, retry.unchanged, retry.failed) == (1, len(DISTRICTS) - 1, [])
    assert stored_editions(service) == {name(n): {2} for n in range(len(DISTRICTS))}
    assert answered_edition(service, settings, 2) == 2


def test_a_backend_that_goes_down_mid_update_leaves_each_article_whole(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = chromadb.EphemeralClient()
    settings = settings.model_copy(
        update={"chunking": settings.chunking.model_copy(update={"max_chars": 120})}
    )
    write_corpus(corpus, edition=1, extra=12)  # ~13 chunks each: more than one group
    healthy = HashingEmbedding(settings.embedding.hashing_dim)
    service_with(settings, client, healthy, monkeypatch).update()

    write_corpus(corpus, edition=2, extra=12)
    embedder = FailingEmbedding(settings.embedding.hashing_dim)
    embedder.embed_batch_size = 8
    embedder.down_from = 24  # after the first group: ~64 chunks and their sentences
    service = service_with(settings, client, embedder, monkeypatch)
    report = service.update()

    failed = {article_id for article_id, _ in report.failed}
    assert failed and len(failed) < len(DISTRICTS), report
    assert report.changed == len(DISTRICTS) - len(failed)
    editions = stored_editions(service)
    assert editions == {name(n): {1 if name(n) in failed else 2} for n in range(len(DISTRICTS))}
    for number in range(len(DISTRICTS)):
        assert answered_edition(service, settings, number) == (1 if name(number) in failed else 2)

    retry = service_with(settings, client, healthy, monkeypatch).update()
    assert (retry.changed, retry.failed) == (len(failed), [])
    assert retry.chunks_embedded == sum(
        entry.chunks
        for article_id, entry in Manifest(service.manifest_path, service.open_store().name)
        .entries()
        .items()
        if article_id in failed
    )  # only what had failed is embedded again
    assert stored_editions(service) == {name(n): {2} for n in range(len(DISTRICTS))}


def test_one_failed_batch_is_retried_article_by_article_in_the_same_update(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = chromadb.EphemeralClient()
    write_corpus(corpus, edition=1)
    healthy = HashingEmbedding(settings.embedding.hashing_dim)
    service_with(settings, client, healthy, monkeypatch).update()

    write_corpus(corpus, edition=2)
    embedder = FailingEmbedding(settings.embedding.hashing_dim)
    embedder.embed_batch_size = 4
    embedder.failing = frozenset({2})  # a hiccup: the second batch fails, nothing after it
    service = service_with(settings, client, embedder, monkeypatch)
    report = service.update()
    assert (report.changed, report.failed) == (len(DISTRICTS), [])
    assert embedder.batches > 2  # the failed batch's group was embedded again, per article
    assert stored_editions(service) == {name(n): {2} for n in range(len(DISTRICTS))}


def test_the_cli_names_each_failed_article_and_exits_1(
    run, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_corpus(corpus, edition=1)
    assert run("index", "update").exit_code == 0
    write_corpus(corpus, edition=2)
    embedder = FailingEmbedding(256)
    embedder.poison = figure(4, 2)
    monkeypatch.setattr(wiring, "build_embedder", lambda settings: embedder)

    result = run("index", "update")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    # (rich wraps the line at 80 columns when stderr is not a terminal)
    said = " ".join(result.stderr.split())
    assert re.search(
        f"failed {name(4)}: embedding failed: embedding backend failed on batch \\d+ "
        r"\(its previous version stays searchable\)$",
        said,
    ), result.stderr
    assert said.startswith("added 0, changed 5, deleted 0, unchanged 0;")
    summary = run("index", "update", "--json")  # still failing: the JSON says which
    assert summary.exit_code == 1
    counts = json.loads(summary.stdout.strip().splitlines()[-1])
    assert [article_id for article_id, _ in counts["failed"]] == [name(4)]
    assert (counts["changed"], counts["unchanged"]) == (0, len(DISTRICTS) - 1)

    monkeypatch.setattr(wiring, "build_embedder", lambda settings: HashingEmbedding(256))
    fixed = run("index", "update", "--json")
    assert fixed.exit_code == 0, fixed.output
    counts = json.loads(fixed.stdout.strip().splitlines()[-1])
    assert (counts["changed"], counts["failed"]) == (1, [])
    answer = run("ask", question(4), "--json")
    assert figure(4, 2) in json.loads(answer.stdout)["answer"]
