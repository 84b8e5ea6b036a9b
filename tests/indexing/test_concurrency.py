"""Two writers, and readers during a write, with real processes on one persistent index.

A second `assistant index update` (or `rebuild`) while one runs must stop at once with the
writer-lock message, and `index status` must still answer. The first writer is the real
CLI in a subprocess whose hashing embedder waits for a file to appear, so it holds the
writer lock for exactly as long as the test needs (no timing guesses).

The app side: this process answers a question again and again, as the app does (one
`Assistant` over a persistent Chroma store), while another process keeps changing one
article to a new edition and running the CLI's update. No question may fail, and the
passages behind each answer (hence its citations) must all come from one edition. From the
moment the writer deletes the old chunks until it releases the lock, this process cannot
see the article (its vectors catch up only then): such answers must abstain, not guess.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.wiring import build_assistant, build_index_service
from tests.conftest import SEED, hashing_env

ARTICLE = "tuy-an.txt"
QUESTION = "Năm 2022 huyện Tuy An có bao nhiêu đảng viên?"
EDITION = re.compile(r"\(bản (\d+)\)")

# The first writer: the real CLI, its embedder held until the file argv[1] exists.
HELD_WRITER = """
import sys, time
from pathlib import Path
from assistant.indexing.embeddings import HashingEmbedding

release = Path(sys.argv[1])
embed = HashingEmbedding._get_text_embeddings

def held(self, texts):
    print("embedding", flush=True)
    deadline = time.monotonic() + 120
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return embed(self, texts)

HashingEmbedding._get_text_embeddings = held
from assistant.cli import main
command = sys.argv[2] if len(sys.argv) > 2 else "update"  # or "rebuild"
sys.argv = ["assistant", "index", command, "--json"]
main()
"""

# Another process that rewrites the article to editions first..last, each followed by the
# CLI's update, pausing between them so that readers can follow.
EDITING_WRITER = """
import sys, time
from pathlib import Path
from assistant.cli import cli
from tests.indexing.test_concurrency import article

path, first, last = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for edition in range(first, last + 1):
    path.write_text(article(edition), encoding="utf-8")
    cli.main(["index", "update"], prog_name="assistant", standalone_mode=False)
    print(edition, flush=True)
    time.sleep(0.3)
"""


def article(edition: int) -> str:
    """Edition `edition` of the changing article: every paragraph names its edition."""
    paragraphs = [
        f"Năm 2022 huyện Tuy An có {edition}.{350 + p} đảng viên (bản {edition}), "
        f"sinh hoạt tại {20 + p} chi bộ; đoạn {p} nói về công tác phát triển đảng viên "
        f"của huyện Tuy An trong năm 2022 và kế hoạch của năm sau."
        for p in range(4)
    ]
    return "Công tác đảng viên ở huyện Tuy An\n\nPhóng viên| 1/2/2023 08:00\n\n" + "\n\n".join(
        paragraphs
    )


def _settings(root: Path) -> Settings:
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    (corpus / ARTICLE).write_text(article(1), encoding="utf-8")
    return load_settings(
        corpus=corpus, index=root / "index", models_dir=root / "models",
        embedding={"backend": "hashing"},
    )  # fmt: skip


def _assistant(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("assistant")), *args]


@pytest.mark.slow  # five interpreters start: ~15 s on a busy 2-core machine
def test_a_second_writer_stops_at_once_while_the_first_runs(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    env = hashing_env(settings)
    release = tmp_path / "release"
    first = subprocess.Popen(
        [sys.executable, "-c", HELD_WRITER, str(release)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert first.stdout.readline().strip() == "embedding", first.stderr.read()
        for command in (("index", "update"), ("index", "rebuild")):
            started = time.monotonic()
            second = subprocess.run(
                _assistant(*command), env=env, capture_output=True, text=True, timeout=60
            )
            seconds = time.monotonic() - started
            assert second.returncode == 1, second.stderr
            assert second.stderr.strip().splitlines() == [
                f"Error: another process is updating the index in {settings.index} "
                f"(it holds {settings.index / '.writer.lock'}); wait for it to finish and "
                "try again"
            ]
            assert seconds < 20  # start-up and READER_GRACE_S, not the first writer's run
        status = subprocess.run(
            _assistant("index", "status", "--json"), env=env, capture_output=True, text=True
        )
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["articles"] == 0  # nothing committed yet
    finally:
        release.touch()
        out, errors = first.communicate(timeout=120)
    assert first.returncode == 0, errors
    assert json.loads(out.strip().splitlines()[-1])["added"] == 2

    assert build_index_service(settings).plan().pending == 0  # the first one finished it


def _editions(texts: list[str]) -> set[int]:
    return {int(number) for text in texts for number in EDITION.findall(text)}


@pytest.mark.slow  # ~10 s: seven updates by the other process
def test_answers_during_updates_by_another_process_each_cite_one_edition(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    service = build_index_service(settings)  # a persistent Chroma store, as the app has
    service.update()
    assistant = build_assistant(settings, service)
    last = 8
    writer = subprocess.Popen(
        [sys.executable, "-c", EDITING_WRITER, str(settings.corpus / ARTICLE), "2", str(last)],
        env=hashing_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen: list[int] = []
    asked = gaps = 0
    try:
        while writer.poll() is None or asked == 0:
            answer = assistant.ask(QUESTION)  # an exception here is an error a user would see
            asked += 1
            editions = _editions([p.text for p in answer.passages if p.article_id == ARTICLE])
            assert len(editions) <= 1, f"answer {asked} mixes editions {sorted(editions)}"
            if not editions:
                gaps += 1
                assert answer.abstained and not answer.citations, answer.text
                continue
            (edition,) = editions
            assert not answer.abstained, answer.text
            assert _editions([c.quote for c in answer.citations]) == {edition}
            assert f"{edition}.35" in answer.text
            if not seen or seen[-1] != edition:
                seen.append(edition)
    finally:
        out, errors = writer.communicate(timeout=120)
    assert writer.returncode == 0, errors
    assert out.split() == [str(edition) for edition in range(2, last + 1)]
    print(f"{asked} answers, {gaps} without the article, editions seen {seen}")
    assert seen == sorted(seen) and len(seen) >= 3, (seen, asked)  # it followed the updates
    final = assistant.ask(QUESTION)
    assert _editions([c.quote for c in final.citations]) == {last}


MEMBERS = "Tổng số đảng viên toàn tỉnh là bao nhiêu?"


@pytest.mark.slow  # ~20 s: a whole rebuild by the other process
def test_a_running_reader_goes_on_answering_through_a_rebuild_elsewhere(tmp_path: Path) -> None:
    # Issue 16: after `index rebuild` in another process, a running app failed every
    # question with chromadb's NotFoundError until restarted.
    settings = _settings(tmp_path)
    service = build_index_service(settings)
    service.update()
    assistant = build_assistant(settings, service)  # the running app
    assert "27.350" in assistant.ask(MEMBERS).text
    rebuild = subprocess.Popen(
        _assistant("index", "rebuild"),
        env=hashing_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    asked = 0
    try:
        while rebuild.poll() is None or asked == 0:
            answer = assistant.ask(MEMBERS)  # an exception here is what a user used to see
            asked += 1
            assert "27.350" in answer.text, answer.text  # from the old index or the new one
    finally:
        _, errors = rebuild.communicate(timeout=300)
    assert rebuild.returncode == 0, errors
    for _ in range(3):  # and afterwards, from the new collection
        answer = assistant.ask(MEMBERS)
        assert "27.350" in answer.text and answer.citations, answer.text
    print(f"{asked} answers during the rebuild")


def test_a_chroma_error_while_answering_is_one_line_naming_what_to_do(tmp_path: Path) -> None:
    from assistant.errors import IndexStoreError

    settings = _settings(tmp_path)
    service = build_index_service(settings)
    service.update()
    assistant = build_assistant(settings, service)
    store = assistant.retriever.store
    inner = store.collection._collection

    class Damaged:
        def __getattr__(self, name):
            return getattr(inner, name)

        def query(self, *args, **kwargs):  # what chromadb 1.5.9 says after some kill -9s
            raise RuntimeError(
                "Error sending backfill request to compactor: Failed to apply logs to the "
                "hnsw segment writer"
            )

    store.collection._collection = Damaged()
    with pytest.raises(IndexStoreError) as raised:
        assistant.ask(MEMBERS)
    message = str(raised.value)
    # Healing (heal.py) cannot help a segment that stays damaged: the fallback is named.
    assert "\n" not in message and "`assistant index rebuild`" in message, message


@pytest.mark.slow  # three interpreters start
def test_a_cli_ask_during_a_rebuild_answers_from_the_old_index(tmp_path: Path) -> None:
    # Issue 16: an `ask` while another process rebuilt failed with a chromadb traceback.
    settings = _settings(tmp_path)
    build_index_service(settings).update()
    env = hashing_env(settings)
    release = tmp_path / "release"
    rebuild = subprocess.Popen(
        [sys.executable, "-c", HELD_WRITER, str(release), "rebuild"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # The rebuild holds its embedder: the new collection is half made, the old answers.
        assert rebuild.stdout.readline().strip() == "embedding", rebuild.stderr.read()
        during = subprocess.run(
            _assistant("ask", MEMBERS, "--json"), env=env, capture_output=True, text=True
        )
        assert during.returncode == 0, during.stderr
        assert json.loads(during.stdout)["short_answer"] == "27.350 người"
    finally:
        release.touch()
        _, errors = rebuild.communicate(timeout=120)
    assert rebuild.returncode == 0, errors
    after = subprocess.run(
        _assistant("ask", MEMBERS, "--json"), env=env, capture_output=True, text=True
    )
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["short_answer"] == "27.350 người"
