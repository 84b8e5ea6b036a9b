"""`assistant index export/import`: a backup gives the same answers; bad archives change nothing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.evaluation.suite import load_suite
from assistant.wiring import build_assistant
from tests.conftest import PROJECT

SEED_SUITE = PROJECT / "evals" / "seed.yaml"


def _top5(settings: Settings) -> list[list[tuple[str, int, int]]]:
    """The top 5 passages (article, start, end) of every seed question."""
    assistant = build_assistant(settings)
    found = []
    for case in load_suite(SEED_SUITE).cases:
        answer = assistant.ask(" ".join(case.turns or [case.question]))
        found.append([(p.article_id, p.start, p.end) for p in answer.passages[:5]])
    return found


def _settings(tmp_path: Path, corpus: Path, index: str) -> Settings:
    # Files on disk (no ephemeral client): export reads what a real index writes.
    return load_settings(
        corpus=corpus, index=tmp_path / index, models_dir=tmp_path / "models",
        embedding={"backend": "hashing"},
    )  # fmt: skip


def _tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    return buffer.getvalue()


def test_export_then_import_gives_the_same_top5(
    run, tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("index", "update").exit_code == 0
    before = _top5(_settings(tmp_path, corpus_dir, "index"))
    assert all(before)
    archive = tmp_path / "backup.tar.gz"
    result = run("index", "export", str(archive))
    assert result.exit_code == 0, result.output
    assert "exported" in result.output and archive.is_file()

    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "restored"))
    result = run("index", "import", str(archive))
    assert result.exit_code == 0, result.output
    assert "1 articles, 15 chunks" in " ".join(result.output.split())
    assert _top5(_settings(tmp_path, corpus_dir, "restored")) == before
    # Restored means in step: the next update embeds nothing.
    update = run("index", "update", "--json")
    assert json.loads(update.output.strip().splitlines()[-1])["chunks_embedded"] == 0


def test_import_refuses_to_overwrite_without_replace_and_replaces_with_it(
    run, tmp_path: Path, corpus_dir: Path
) -> None:
    run("index", "update")
    archive = tmp_path / "backup.tar.gz"
    run("index", "export", str(archive))
    refused = run("index", "import", str(archive))
    assert refused.exit_code != 0
    assert "--replace" in " ".join(refused.output.split())
    assert "Traceback" not in refused.output
    replaced = run("index", "import", str(archive), "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert not list((tmp_path / "index").glob(".replaced-*"))
    assert not list((tmp_path / "index").glob(".import-*"))
    assert _top5(_settings(tmp_path, corpus_dir, "index"))[0]


def test_export_refuses_an_existing_file_and_a_missing_index(run, tmp_path: Path) -> None:
    missing = run("index", "export", str(tmp_path / "a.tar.gz"))
    assert missing.exit_code != 0 and "no index" in " ".join(missing.output.split())
    run("index", "update")
    (tmp_path / "b.tar.gz").write_text("keep me")
    taken = run("index", "export", str(tmp_path / "b.tar.gz"))
    assert taken.exit_code != 0 and "already exists" in " ".join(taken.output.split())
    assert (tmp_path / "b.tar.gz").read_text() == "keep me"


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"../evil.txt": b"x"}, "never writes"),
        ({"/etc/evil": b"x"}, "never writes"),
        ({"chroma/../../evil": b"x"}, "never writes"),
        ({"notes.txt": b"x"}, "never writes"),
        ({"manifest.sqlite": b"x"}, "no readable export.json"),
        ({"export.json": b'{"format": "other"}'}, "another format"),
    ],
)
def test_a_hostile_or_foreign_archive_changes_nothing(
    run, tmp_path: Path, corpus_dir: Path, members: dict[str, bytes], message: str
) -> None:
    run("index", "update")
    before = _top5(_settings(tmp_path, corpus_dir, "index"))
    archive = tmp_path / "bad.tar.gz"
    archive.write_bytes(_tar_bytes(members))
    result = run("index", "import", str(archive), "--replace")
    assert result.exit_code != 0
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output
    assert not (tmp_path / "evil.txt").exists() and not Path("/etc/evil").exists()
    assert _top5(_settings(tmp_path, corpus_dir, "index")) == before


def test_a_truncated_or_tampered_archive_changes_nothing(
    run, tmp_path: Path, corpus_dir: Path
) -> None:
    run("index", "update")
    before = _top5(_settings(tmp_path, corpus_dir, "index"))
    archive = tmp_path / "backup.tar.gz"
    run("index", "export", str(archive))
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = run("index", "import", str(truncated), "--replace")
    assert result.exit_code != 0 and "nothing was changed" in " ".join(result.output.split())

    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    members["manifest.sqlite"] = members["manifest.sqlite"][:-1] + b"\x01"
    tampered = tmp_path / "tampered.tar.gz"
    tampered.write_bytes(_tar_bytes(members))
    result = run("index", "import", str(tampered), "--replace")
    assert result.exit_code != 0 and "sha256" in result.output
    assert _top5(_settings(tmp_path, corpus_dir, "index")) == before


def _members_of(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def _with_listing(members: dict[str, bytes]) -> dict[str, bytes]:
    """`members` with an export.json whose checksums match them (a forger's recomputation)."""
    import hashlib

    info = json.loads(members.pop("export.json"))
    info["files"] = {
        name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in members.items()
    }
    return members | {"export.json": json.dumps(info).encode()}


@pytest.mark.parametrize("damage", ["only-listing", "no-manifest", "no-chroma", "corrupt-store"])
def test_an_incomplete_archive_with_matching_checksums_changes_nothing(
    run, tmp_path: Path, corpus_dir: Path, damage: str
) -> None:
    # Issue 16: these replaced the index (or emptied it) and failed only afterwards.
    run("index", "update")
    before = _top5(_settings(tmp_path, corpus_dir, "index"))
    archive = tmp_path / "backup.tar.gz"
    run("index", "export", str(archive))
    members = _members_of(archive)
    if damage == "only-listing":
        members = {"export.json": members["export.json"]}
    elif damage == "no-manifest":
        del members["manifest.sqlite"]
    elif damage == "no-chroma":
        members = {k: v for k, v in members.items() if not k.startswith("chroma/")}
    else:  # pages of the Chroma database overwritten
        data = members["chroma/chroma.sqlite3"]
        members["chroma/chroma.sqlite3"] = data[:4096] + b"\xff" * (len(data) - 8192) + data[-4096:]
    forged = tmp_path / "forged.tar.gz"
    forged.write_bytes(_tar_bytes(_with_listing(members)))
    result = run("index", "import", str(forged), "--replace")
    assert result.exit_code != 0
    said = " ".join(result.output.split())
    assert "does not hold a whole index" in said and "nothing was changed" in said
    assert "Traceback" not in result.output
    assert _top5(_settings(tmp_path, corpus_dir, "index")) == before
    assert not list((tmp_path / "index").glob(".import-*"))


def test_a_killed_import_leaves_no_hidden_folder_behind(
    run, tmp_path: Path, corpus_dir: Path
) -> None:
    run("index", "update")
    archive = tmp_path / "backup.tar.gz"
    run("index", "export", str(archive))
    # What a kill -9 during unpacking leaves: the temp folder of a process that is gone.
    abandoned = tmp_path / "index" / ".import-999999999-deadbeef"
    (abandoned / "chroma").mkdir(parents=True)
    result = run("index", "import", str(archive), "--replace")
    assert result.exit_code == 0, result.output
    assert not abandoned.exists()


def test_importing_another_model_s_index_names_both_models(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("index", "update")
    archive = tmp_path / "backup.tar.gz"
    run("index", "export", str(archive))
    monkeypatch.setenv("ASSISTANT_EMBEDDING__BACKEND", "sentence-transformers")
    result = run("index", "import", str(archive), "--index", str(tmp_path / "other"))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert (
        "holds an index of hashing-256; the configured model is google/embeddinggemma-300m" in said
    )
