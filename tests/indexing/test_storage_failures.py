"""A read-only or full index folder: exit 1 with one clear line, and nothing lost.

An indexed article is changed, then `assistant index update` runs against an index that
cannot be written. It must exit 1 with one line naming what is not writable (or which disk
is full), never a traceback or SQLite's bare "attempt to write a readonly database"; the
corpus must be untouched; and once the folder is writable again the index must still
answer, and a second update must complete the change.

Real conditions: a folder without write permission (chmod; root is run without the
capabilities that override permissions, through `setpriv`), and, in a private mount
namespace (`unshare --mount`, or `unshare --user --map-root-user --mount` for a user), a
read-only bind mount and a small tmpfs filled up to a few kilobytes. These need the kernel
to allow `unshare` and `setpriv`: where it does not they are skipped, unless
ASSISTANT_REQUIRE_KERNEL=1 (as in CI), where that is a failure. The fault-injected variants
always run: a SQLite connection opened read-only, the error Chroma raised on the full tmpfs,
and ENOSPC from the lexical index's save.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import chromadb.api.models.Collection
import numpy
import pytest

from assistant.config import Settings, load_settings
from assistant.indexing import storage
from assistant.indexing.manifest import Manifest
from assistant.indexing.storage import storage_error, why_not_written
from assistant.wiring import build_assistant, build_index_service
from tests.conftest import SEED, hashing_env, require_kernel

QUESTION = "Năm 2022 xã Hòa Thắng có bao nhiêu hộ nghèo?"
FIGURES = {1: "1.234", 2: "2.468"}
ASSISTANT = str(Path(sys.executable).with_name("assistant"))

# Run inside a private mount namespace: make argv[1] read-only, then run the command.
READ_ONLY = """
import subprocess, sys
target, *command = sys.argv[1:]
subprocess.run(["mount", "--bind", target, target], check=True)
subprocess.run(["mount", "-o", "remount,ro,bind", target], check=True)
sys.exit(subprocess.run(command).returncode)
"""

# Run inside a private mount namespace: copy the index argv[1] onto a small tmpfs at argv[2],
# fill it but argv[3] KiB, run the command on it, then copy what it left to argv[4].
FULL_DISK = """
import os, shutil, subprocess, sys
source, mountpoint, free_kib, out, *command = sys.argv[1:]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mountpoint], check=True)
index = os.path.join(mountpoint, "index")
shutil.copytree(source, index)
disk = os.statvfs(mountpoint)
with open(os.path.join(mountpoint, "filler"), "wb") as filler:
    filler.write(bytes(disk.f_bavail * disk.f_frsize - int(free_kib) * 1024))
done = subprocess.run(command, env=os.environ | {"ASSISTANT_INDEX": index})
shutil.copytree(index, out)
sys.exit(done.returncode)
"""


def article(edition: int, extra: int = 0) -> str:
    """The changing article; `extra` paragraphs make its update write more."""
    more = "".join(
        f"Thôn {n} của xã được hỗ trợ {n + 5} con bò giống và {n + 2} lớp dạy nghề.\n\n"
        for n in range(extra)
    )
    return (
        "Giảm nghèo ở xã Hòa Thắng\n\nPhóng viên| 3/3/2023 10:00\n\n"
        f"Năm 2022 xã Hòa Thắng có {FIGURES[edition]} hộ nghèo (bản {edition}).\n\n"
        f"{more}Xã tập trung hỗ trợ vốn vay, con giống và đào tạo nghề cho người dân.\n"
    )


def _private_mounts() -> tuple[list[str], str | None]:
    """A command prefix that gives a process its own mounts, or why there is none here."""
    unshare = shutil.which("unshare")
    if sys.platform != "linux" or unshare is None or shutil.which("mount") is None:
        return [], "no private mount namespace here: needs Linux with `unshare` and `mount`"
    said = ""
    for prefix in ([unshare, "--mount"], [unshare, "--user", "--map-root-user", "--mount"]):
        done = subprocess.run([*prefix, "true"], capture_output=True, text=True)
        if done.returncode == 0:
            return prefix, None
        said = done.stderr.strip()
    return [], (
        "no private mount namespace here: neither `unshare --mount` nor "
        f"`unshare --user --map-root-user --mount` is allowed ({said})"
    )


def _bound_by_permissions() -> tuple[list[str], str | None]:
    """A command prefix under which file permissions bind, or why there is none here: none
    is needed but for root, who is run without the capabilities that override them."""
    if os.geteuid() != 0:
        return [], None
    setpriv = [
        shutil.which("setpriv") or "setpriv",
        "--bounding-set=-dac_override,-dac_read_search",
    ]
    why = "running as root, and `setpriv --bounding-set=-dac_override,...` cannot drop its rights"
    try:
        done = subprocess.run([*setpriv, "true"], capture_output=True, text=True)
    except OSError as error:
        return [], f"{why} ({error})"
    return (setpriv, None) if done.returncode == 0 else ([], f"{why} ({done.stderr.strip()})")


PRIVATE_MOUNTS, NO_PRIVATE_MOUNTS = _private_mounts()
PERMISSIONS_BIND, NO_PERMISSIONS_BIND = _bound_by_permissions()


@pytest.fixture
def private_mounts() -> list[str]:
    """The `unshare` prefix; skipped without it, a failure with ASSISTANT_REQUIRE_KERNEL=1."""
    require_kernel(NO_PRIVATE_MOUNTS)
    return PRIVATE_MOUNTS


@pytest.fixture
def permissions_bind() -> list[str]:
    """The `setpriv` prefix (none but for root); skipped or failed like `private_mounts`."""
    require_kernel(NO_PERMISSIONS_BIND)
    return PERMISSIONS_BIND


def _settings(root: Path, index: Path | None = None) -> Settings:
    return load_settings(
        corpus=root / "corpus", index=index or root / "index", models_dir=root / "models",
        embedding={"backend": "hashing"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus (the seed and edition 1 of an article) and its index, built by the CLI."""
    root = tmp_path_factory.mktemp("built")
    (root / "corpus").mkdir()
    shutil.copy(SEED, root / "corpus" / SEED.name)
    (root / "corpus" / "hoa-thang.txt").write_text(article(1), encoding="utf-8")
    settings = _settings(root)
    subprocess.run([ASSISTANT, "index", "update"], env=hashing_env(settings), check=True)
    return root


@pytest.fixture
def changed(built: Path, tmp_path: Path) -> Settings:
    """A copy of `built` whose article is now in edition 2, not yet indexed."""
    shutil.copytree(built / "corpus", tmp_path / "corpus")
    shutil.copytree(built / "index", tmp_path / "index")
    (tmp_path / "corpus" / "hoa-thang.txt").write_text(article(2), encoding="utf-8")
    return _settings(tmp_path)


def _corpus_digest(settings: Settings) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(settings.corpus.iterdir())
    }


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot "), stderr
    assert "Traceback" not in stderr and "readonly database" not in stderr
    return lines[0]


def _answered_edition(settings: Settings) -> int:
    """The edition the index answers with; its committed chunks must all be there."""
    service = build_index_service(settings)
    store = service.open_store()
    for article_id, entry in Manifest(service.manifest_path, store.name).entries().items():
        assert len(store.chunk_ids(article_id, entry.version)) == entry.chunks, article_id
    text = build_assistant(settings, service).ask(QUESTION).text
    (edition,) = [edition for edition, figure in FIGURES.items() if figure in text]
    return edition


def _update_completes(settings: Settings) -> None:
    service = build_index_service(settings)
    report = service.update()
    assert report.failed == [] and report.changed <= 1
    store = service.open_store()
    entries = Manifest(service.manifest_path, store.name).entries()
    assert all(entry.pending_version is None for entry in entries.values())
    assert store.count() == sum(entry.chunks for entry in entries.values())
    assert _answered_edition(settings) == 2


# ---- real conditions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read_only", "committed"),
    [("", 1), ("chroma", 1), ("manifest.sqlite", 1), ("lexical", 2)],
    ids=["index-folder", "chroma", "manifest", "lexical"],
)
def test_a_read_only_index_stops_the_update_with_one_clear_line(
    private_mounts: list[str], changed: Settings, read_only: str, committed: int
) -> None:
    corpus = _corpus_digest(changed)
    target = changed.index / read_only if read_only else changed.index
    done = subprocess.run(
        [*private_mounts, sys.executable, "-c", READ_ONLY, str(target), ASSISTANT, "index",
         "update"],
        env=hashing_env(changed), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    line = _one_line_error(done.stderr)
    if read_only == "lexical":  # the chunks are stored; only the derived BM25 index is not
        assert f"cannot write the lexical index: {target}/" in line
    assert " is not writable" in line and str(target) in line
    assert _corpus_digest(changed) == corpus
    # The mount is gone with its process: the folder is writable again.
    assert _answered_edition(changed) == committed
    _update_completes(changed)


@pytest.mark.parametrize("free_kib", [16, 100, 300])
def test_a_full_disk_stops_the_update_with_one_clear_line(
    private_mounts: list[str], changed: Settings, tmp_path: Path, free_kib: int
) -> None:
    (changed.corpus / "hoa-thang.txt").write_text(article(2, extra=300), encoding="utf-8")
    corpus = _corpus_digest(changed)
    mountpoint, left = tmp_path / "small-disk", tmp_path / "left"
    mountpoint.mkdir()
    done = subprocess.run(
        [*private_mounts, sys.executable, "-c", FULL_DISK, str(changed.index), str(mountpoint),
         str(free_kib), str(left), ASSISTANT, "index", "update"],
        env=hashing_env(changed), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    line = _one_line_error(done.stderr)
    assert f"the disk holding {mountpoint / 'index'}" in line and "is full" in line
    assert _corpus_digest(changed) == corpus
    # What the failed update left behind, now with room to spare.
    after = _settings(changed.corpus.parent, index=left)
    assert _answered_edition(after) == 1
    _update_completes(after)


def test_an_index_without_write_permission_stops_the_update(
    permissions_bind: list[str], changed: Settings
) -> None:
    corpus = _corpus_digest(changed)
    folders = [changed.index, *(path for path in changed.index.rglob("*") if path.is_dir())]
    files = [path for path in changed.index.rglob("*") if path.is_file()]
    for path in files:
        path.chmod(0o444)
    for path in folders:
        path.chmod(0o555)
    try:
        done = subprocess.run(
            [*permissions_bind, ASSISTANT, "index", "update"],
            env=hashing_env(changed), capture_output=True, text=True,
        )  # fmt: skip
    finally:
        for path in folders:
            path.chmod(0o755)
        for path in files:
            path.chmod(0o644)
    assert done.returncode == 1
    assert f"{changed.index} is not writable" in _one_line_error(done.stderr)
    assert _corpus_digest(changed) == corpus
    assert _answered_edition(changed) == 1
    _update_completes(changed)


# ---- injected faults ---------------------------------------------------------------------


def _read_only_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SQLite connection this process opens is read-only, as on a read-only disk."""
    connect = sqlite3.connect

    def read_only(database, *args, **kwargs):
        if kwargs.pop("uri", False):
            return connect(database, *args, uri=True, **kwargs)
        return connect(f"file:{database}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)


def _full_chroma(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chroma's writes fail as they did on the full tmpfs (chromadb 1.5)."""

    def full(*args, **kwargs):
        raise chromadb.errors.InternalError(
            "Query error: Database error: error returned from database: (code: 13) "
            "database or disk is full"
        )

    monkeypatch.setattr(chromadb.api.models.Collection.Collection, "upsert", full)


def _full_lexical(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(numpy, "save", full)


@pytest.mark.parametrize(
    ("inject", "said", "committed"),
    [
        (_read_only_sqlite, "manifest.sqlite is not writable", 1),
        (_full_chroma, "the disk holding", 1),
        (_full_lexical, "the disk holding", 2),
    ],
    ids=["manifest-read-only", "chroma-full", "lexical-full"],
)
def test_injected_write_faults_give_one_clear_line_and_lose_nothing(
    run, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, inject, said: str, committed: int
) -> None:
    (corpus_dir / "hoa-thang.txt").write_text(article(1), encoding="utf-8")
    assert run("index", "update").exit_code == 0
    (corpus_dir / "hoa-thang.txt").write_text(article(2), encoding="utf-8")
    with monkeypatch.context() as faulty:
        inject(faulty)
        result = run("index", "update")
    assert result.exit_code == 1
    assert said in _one_line_error(" ".join(result.stderr.split()))
    asked = json.loads(run("ask", QUESTION, "--json").stdout)
    assert FIGURES[committed] in asked["answer"]
    retry = run("index", "update", "--json")
    assert retry.exit_code == 0, retry.output
    assert json.loads(run("ask", QUESTION, "--json").stdout)["answer"].count(FIGURES[2]) == 1


# ---- the wording ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "why"),
    [
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (Exception("error returned from database: (code: 8) attempt to write a readonly database"),
         "read-only"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (PermissionError(errno.EACCES, "Permission denied"), "read-only"),
        (OSError(errno.ENOSPC, "No space left on device"), "full"),
        (Exception("(code: 13) database or disk is full"), "full"),
        (sqlite3.OperationalError("file is not a database"), None),
    ],
)  # fmt: skip
def test_write_errors_are_told_apart(tmp_path: Path, error: BaseException, why: str) -> None:
    assert why_not_written(tmp_path, error) == why


def test_an_unclear_error_on_a_nearly_full_disk_is_put_down_to_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite reports a journal it could not write as "disk I/O error" (seen on a full tmpfs).
    error = sqlite3.OperationalError("disk I/O error")
    assert why_not_written(tmp_path, error) is None
    usage = shutil.disk_usage(tmp_path)._replace(free=storage.LOW_SPACE_BYTES - 1)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage)
    message = str(storage_error("open the index manifest", tmp_path / "m.sqlite", error))
    assert message == (
        f"cannot open the index manifest: the disk holding {tmp_path / 'm.sqlite'} is full; "
        "free some space and try again"
    )


@pytest.mark.parametrize("condition", ["read-only", "full-disk"])
def test_ask_and_search_on_a_read_only_or_full_index_answer_or_say_one_line(
    private_mounts: list[str], built: Path, tmp_path: Path, condition: str
) -> None:
    # Issue 16: while the disk was full, `ask`/`search` printed raw chromadb tracebacks.
    settings = _settings(built)
    shutil.copytree(built / "index", tmp_path / "index")
    env = hashing_env(_settings(built, index=tmp_path / "index"))
    members = "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
    for command in (["ask", members, "--json"], ["search", members, "--k", "1", "--json"]):
        if condition == "read-only":
            prefix = [sys.executable, "-c", READ_ONLY, str(tmp_path / "index")]
        else:
            mountpoint = tmp_path / "small-disk"
            mountpoint.mkdir(exist_ok=True)
            shutil.rmtree(tmp_path / "left", ignore_errors=True)
            prefix = [sys.executable, "-c", FULL_DISK, str(tmp_path / "index"), str(mountpoint),
                      "16", str(tmp_path / "left")]  # fmt: skip
        done = subprocess.run(
            [*private_mounts, *prefix, ASSISTANT, *command],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert "Traceback" not in done.stderr, done.stderr
        if done.returncode == 0:  # reading needs no room and no write permission
            assert "27.350" in done.stdout
        else:
            _one_line_error(done.stderr)
    assert settings.index == built / "index"
