"""`kill -9` of a running `assistant index update`: the next update ends consistent.

Each round starts a real update in a subprocess, kills it at a random moment, and the final
update must leave exactly the expected chunks: no duplicates, no orphans, nothing pending.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHECK = """
import json, sys
from pathlib import Path
from assistant.config import load_settings
from assistant.indexing.manifest import Manifest
from assistant.wiring import build_index_service
service = build_index_service(load_settings())
store = service.open_store()
entries = Manifest(service.manifest_path, store.name).entries()
ids = set(store.collection.get(include=[])["ids"])
expected = set()
for article_id, entry in entries.items():
    expected |= store.chunk_ids(article_id, entry.version)
print(json.dumps({
    "articles": len(entries),
    "pending": sum(1 for e in entries.values() if e.pending_version),
    "stored": store.count(),
    "committed_chunks": sum(e.chunks for e in entries.values()),
    "orphans": len(ids - expected),
}))
"""


def _article(number: int, edition: int) -> str:
    paragraphs = [
        f"Đoạn {p} của bài {number} (bản {edition}): năm 2022 có {number * 7 + p}.350 đảng viên, "
        f"đạt tỷ lệ {p},{number % 100}% vào ngày {p + 1}/3/2022. " * 3
        for p in range(4)
    ]
    return f"Bài số {number}\n\nPhóng viên| 1/2/2023 08:00\n\n" + "\n\n".join(paragraphs)


def _write_corpus(corpus: Path, edition: int, count: int) -> None:
    for number in range(count):
        (corpus / f"bai-{number:03d}.txt").write_text(_article(number, edition), encoding="utf-8")


def _manifest_stamp(index: Path) -> list[int]:
    files = (index / "manifest.sqlite", index / "manifest.sqlite-wal")
    return [path.stat().st_mtime_ns if path.exists() else 0 for path in files]


@pytest.mark.slow
def test_kill_during_update_then_update_is_consistent(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    index = tmp_path / "index"
    env = os.environ | {
        "ASSISTANT_CORPUS": str(corpus),
        "ASSISTANT_INDEX": str(index),
        "ASSISTANT_EMBEDDING__BACKEND": "hashing",
    }
    assistant = [str(Path(sys.executable).with_name("assistant")), "index", "update", "--json"]
    rng = random.Random(20221011)
    kills = 0
    for round_number in range(6):
        # Alternate editions so that rounds add, change and delete articles.
        _write_corpus(corpus, edition=round_number, count=400 + 50 * (round_number % 2))
        if round_number % 2 == 0:
            for extra in corpus.glob("bai-4[0-4]?.txt"):
                extra.unlink()
        before = _manifest_stamp(index)
        process = subprocess.Popen(
            assistant, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        # Kill while it writes: wait for its first manifest write, then a random moment.
        deadline = time.monotonic() + 60
        while _manifest_stamp(index) == before and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 2.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    assert kills >= 3, "the updates finished before they could be killed; make the corpus larger"

    final = subprocess.run(assistant, env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    summary = json.loads(final.stdout.strip().splitlines()[-1])
    assert summary["failed"] == []
    check = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, check=True
    )
    state = json.loads(check.stdout)
    assert state["articles"] == len(list(corpus.glob("*.txt")))
    assert state["pending"] == 0
    assert state["orphans"] == 0
    assert state["stored"] == state["committed_chunks"]
    again = subprocess.run(assistant, env=env, capture_output=True, text=True, check=True)
    assert json.loads(again.stdout.strip().splitlines()[-1])["chunks_embedded"] == 0
