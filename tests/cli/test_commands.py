"""The `assistant` command, driven for real with click's CliRunner and the hashing embedder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_update_json_counts_then_nothing_to_do(run) -> None:
    first = run("index", "update", "--json")
    assert first.exit_code == 0, first.output
    counts = json.loads(first.stdout.strip().splitlines()[-1])
    assert counts["added"] == 1 and counts["chunks_embedded"] > 0
    second = json.loads(run("index", "update", "--json").stdout.strip().splitlines()[-1])
    assert (second["added"], second["changed"], second["deleted"], second["unchanged"]) == (
        0,
        0,
        0,
        1,
    )
    assert second["chunks_embedded"] == 0


def test_search_json_lists_chunks_best_first(run) -> None:
    run("index", "update")
    result = run("search", "Tổng số đảng viên toàn tỉnh là bao nhiêu?", "--k", "3", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 3
    assert set(rows[0]) == {"article_id", "title", "text", "start", "end", "score"}
    assert rows[0]["article_id"] == "000_d06571e5afc15d7f.txt"
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_flags_override_environment(run, tmp_path: Path) -> None:
    other = tmp_path / "other-index"
    assert run("index", "update", "--index", str(other)).exit_code == 0
    assert (other / "manifest.sqlite").exists()
    assert not (tmp_path / "index" / "manifest.sqlite").exists()


def test_status_json(run) -> None:
    before = json.loads(run("index", "status", "--json").stdout)
    assert before["pending"]["added"] == ["000_d06571e5afc15d7f.txt"]
    run("index", "update")
    after = json.loads(run("index", "status", "--json").stdout)
    assert after["articles"] == 1 and after["chunks"] > 0 and not any(after["pending"].values())


def test_search_before_indexing_says_what_to_do(run) -> None:
    result = run("search", "bất kỳ")
    assert result.exit_code == 1
    assert "assistant index update" in result.output


def test_missing_model_says_how_to_fetch(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING__BACKEND", "sentence-transformers")
    result = run("index", "update")
    assert result.exit_code == 1
    assert "assistant models fetch" in result.output
    assert "Traceback" not in result.output


def test_missing_corpus_is_one_clear_line(run, tmp_path: Path) -> None:
    result = run("index", "update", "--corpus", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_bad_setting_is_reported(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_CHARS", "ten")
    result = run("index", "status")
    assert result.exit_code == 1
    assert "chunking.max_chars" in result.output


def test_second_writer_gets_a_clear_message(run, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from filelock import FileLock; "
         "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); time.sleep(30)",
         str(index / ".writer.lock")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run("index", "update")
        assert result.exit_code == 1
        assert "another process is updating the index" in result.output
    finally:
        holder.kill()
        holder.wait()
    assert run("index", "update").exit_code == 0  # the OS released the dead holder's lock


def test_console_script_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("assistant")
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, env=os.environ.copy()
    )
    assert result.returncode == 0
    for command in ("index", "models", "search"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "index, says",
    [
        ("/proc", "/proc is on a kernel file system"),
        ("/proc/idx", "/proc/idx is on a kernel file system"),
        ("FILE", "is a file, not a folder"),
    ],
)
def test_an_index_path_that_cannot_hold_an_index_is_named_as_such(
    run, tmp_path: Path, index: str, says: str
) -> None:
    # Issue 16: /proc read "another process is updating", /proc/idx "the disk … is full".
    if index == "FILE":
        index = str(tmp_path / "a file")
        Path(index).write_text("x")
    result = run("index", "update", "--index", index)
    assert result.exit_code == 1
    assert says in result.output
    assert "another process" not in result.output and "is full" not in result.output


def test_a_corpus_path_naming_a_file_says_so(run, tmp_path: Path) -> None:
    (tmp_path / "bài.txt").write_text("Tiêu đề\n\nNội dung.\n")
    result = run("index", "status", "--corpus", str(tmp_path / "bài.txt"))
    assert result.exit_code == 1
    assert "is not a folder" in result.output and "does not exist" not in result.output
