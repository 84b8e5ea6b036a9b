"""Smoke test of `python -m bench scale`: three news articles, the hashing embedder, one round.

Drives the real thing (both pipelines, queries, the report) but builds in-process, which
saves two subprocesses' imports; the models folder is empty, so tokens are counted as words
and nothing loads a model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import __main__ as dispatcher
from bench.chunk_size import NEWS

pytestmark = pytest.mark.skipif(not NEWS.is_file(), reason=f"{NEWS} is not there")


def test_scale_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path / "models"))
    out = tmp_path / "scale.md"
    args = ["scale", "--embedder", "hashing", "--sizes", "3", "--runs", "1"]
    args += ["--work", str(tmp_path / "work"), "--out", str(out)]
    args += ["--no-real-query-embedding", "--in-process"]  # no model, no 4 s subprocess imports

    assert dispatcher.main(args) == 0

    report = out.read_text(encoding="utf-8")
    assert report in capsys.readouterr().out
    rows = {line.split(" | ")[1]: line for line in report.splitlines() if line.startswith("| 3 |")}
    assert {"ours", "default"} <= rows.keys()  # both pipelines were built and timed
    assert "| 4 |" in rows["ours"]  # the seed article and three news articles
    assert "ours retrieve hit@5" in report and "default vector hit@5" in report
    # llama-index-retrievers-bm25 is not a dependency: measured when installed, else said so.
    assert "default BM25 hit@5" in report or "BM25: skipped" in report
    assert "hashing embedder" in report


def test_dispatcher_lists_and_rejects(capsys) -> None:
    assert dispatcher.main([]) == 2
    assert "scale" in capsys.readouterr().out
    assert dispatcher.main(["no-such-bench"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err
