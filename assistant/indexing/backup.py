"""Index export and import: one archive file holding a whole local index.

`export_index` runs under the writer lock, so no update writes while it reads: the manifest
is copied with SQLite's backup API (consistent with its journal), `chroma/` and `lexical/`
as files, into a tar (gzip level 1: Chroma's vectors barely compress) with `export.json`
(format, date, the manifest's models, and each member's size and sha256).

`import_index` checks the archive before touching the index: only the names an export
writes, no links, no absolute or `..` paths (tarfile's `data` filter as well), every
member's sha256 as recorded. It unpacks into a temp folder beside the index and checks that
what arrived is a whole index (`_check_complete`: a manifest naming at least one model, the
Chroma database, and for each model a collection holding exactly the chunks the manifest
lists, whose vectors can be searched), so a recomputed checksum cannot smuggle in a broken
one. Only then, under the writer lock, it moves the index's current contents aside, moves
the imported ones in, and deletes the old ones once that succeeded; any error puts the old
ones back. Temp folders left by an import that was killed are removed by the next one.
Running app processes keep the files they opened: restart them after an import.

Not here: a Chroma server's data (`store.mode: http`: back up the server's folder, see
docs/scaling.md), the corpus (it is the source; copy it as files), the models cache.

Longer than 300 lines because export and import are the two halves of one archive format
(its member names, checksums and checks), kept side by side so they cannot drift apart.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from assistant.errors import IndexStoreError

FORMAT = "vn-report-assistant-index-1"
_INFO = "export.json"
_MANIFEST = "manifest.sqlite"
_FOLDERS = ("chroma", "lexical")
_CHUNK = 1 << 20
_JOURNALS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    files: int
    bytes: int
    models: list[str]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _models(manifest: Path) -> list[str]:
    with sqlite3.connect(f"file:{manifest}?mode=ro", uri=True) as connection:
        return [row[0] for row in connection.execute("SELECT model FROM models ORDER BY model")]


def _index_files(index: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, path) of the manifest and every file of the Chroma and lexical folders.

    SQLite journals are left out: each database is copied whole by `_snapshot`.
    """
    yield _MANIFEST, index / _MANIFEST
    for folder in _FOLDERS:
        for path in sorted((index / folder).rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.endswith(_JOURNALS):
                yield path.relative_to(index).as_posix(), path


def _snapshot(path: Path, scratch: Path) -> Path:
    """A consistent copy of an SQLite database (its committed state), else `path` itself."""
    if not path.name.endswith((".sqlite", ".sqlite3")):
        return path
    copy = scratch / f"{uuid.uuid4().hex}.sqlite"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source, sqlite3.connect(copy) as to:
        source.backup(to)
    return copy


def export_index(
    index: Path, archive: Path, lock: Callable[[], AbstractContextManager]
) -> ArchiveInfo:
    """Write the index in `index` to `archive` (a new file), holding `lock` meanwhile."""
    if not (index / _MANIFEST).is_file():
        raise IndexStoreError(
            f"there is no index in {index} to export (run `assistant index update`)"
        )
    if archive.exists():
        raise IndexStoreError(f"{archive} already exists; give a new file name")
    temp = archive.with_name(f".{archive.name}.tmp-{uuid.uuid4().hex[:8]}")
    scratch = archive.with_name(f".{archive.name}.scratch-{uuid.uuid4().hex[:8]}")
    try:
        scratch.mkdir()
        with lock(), tarfile.open(temp, "w:gz", compresslevel=1) as tar:
            files = {}
            for name, path in _index_files(index):
                source = _snapshot(path, scratch)
                files[name] = {"bytes": source.stat().st_size, "sha256": _sha256(source)}
                tar.add(source, arcname=name, recursive=False)
                if source != path:
                    source.unlink()
            info = {
                "format": FORMAT,
                "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "models": _models(index / _MANIFEST),
                "files": files,
            }
            data = json.dumps(info, ensure_ascii=False, indent=1).encode()
            entry = tarfile.TarInfo(_INFO)
            entry.size = len(data)
            entry.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            tar.addfile(entry, io.BytesIO(data))
        os.replace(temp, archive)
    except (OSError, sqlite3.Error, tarfile.TarError) as error:
        raise IndexStoreError(f"cannot export the index to {archive}: {error}") from error
    finally:
        temp.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)
    size = sum(item["bytes"] for item in files.values())
    return ArchiveInfo(archive, len(files), size, info["models"])


def _allowed(name: str) -> bool:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        return False
    return name in (_MANIFEST, _INFO) or (len(path.parts) > 1 and path.parts[0] in _FOLDERS)


def _checked_members(tar: tarfile.TarFile, archive: Path) -> tuple[dict, list[tarfile.TarInfo]]:
    """The archive's export.json and file members, once every rule holds."""
    members = tar.getmembers()
    for member in members:
        if not _allowed(member.name) or not (member.isfile() or member.isdir()):
            raise IndexStoreError(
                f"{archive} is not an index export: it holds {member.name!r}, which an "
                "export never writes; nothing was changed"
            )
    try:
        info = json.load(tar.extractfile(_INFO))  # type: ignore[arg-type]
    except (KeyError, ValueError, TypeError):
        raise IndexStoreError(f"{archive} is not an index export (no readable {_INFO})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise IndexStoreError(f"{archive} is an export of another format ({info.get('format')!r})")
    files = [member for member in members if member.isfile() and member.name != _INFO]
    if sorted(m.name for m in files) != sorted(info.get("files", {})):
        raise IndexStoreError(f"{archive} does not hold the files its {_INFO} lists")
    return info, files


def import_index(
    archive: Path, index: Path, lock: Callable[[], AbstractContextManager], replace: bool
) -> ArchiveInfo:
    """Replace the index in `index` by the one exported to `archive`.

    Refuses to replace an existing index unless `replace`; on any error the index is as it was.
    """
    if not archive.is_file():
        raise IndexStoreError(f"{archive} does not exist or is not a file")
    has_index = (index / _MANIFEST).exists()
    if has_index and not replace:
        raise IndexStoreError(
            f"{index} already holds an index; pass --replace to replace it with {archive.name}"
        )
    index.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(index)
    staging = index / f".import-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with tarfile.open(archive, "r:*") as tar:
            info, files = _checked_members(tar, archive)
            tar.extractall(staging, members=files, filter="data")
        for name, expected in info["files"].items():
            if _sha256(staging / name) != expected["sha256"]:
                raise IndexStoreError(f"{archive}: {name} does not match its sha256; not imported")
        _check_complete(staging, archive)
        with lock():
            _swap_in(staging, index)
    except (OSError, tarfile.TarError, EOFError) as error:
        raise IndexStoreError(f"cannot import {archive}: {error}; nothing was changed") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    size = sum(item["bytes"] for item in info["files"].values())
    return ArchiveInfo(archive, len(info["files"]), size, list(info.get("models", [])))


def _remove_abandoned(index: Path) -> None:
    """Remove the temp folders of imports whose process is gone (killed mid-import)."""
    for folder in [*index.glob(".import-*"), *index.glob(".replaced-*")]:
        owner = folder.name.split("-")[1]
        if owner.isdigit() and _alive(int(owner)):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_complete(staging: Path, archive: Path) -> None:
    """Raise unless `staging` holds a whole index: the manifest, the Chroma database, and
    for every model the manifest names a collection with exactly its committed chunks."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    def refuse(why: str) -> IndexStoreError:
        return IndexStoreError(
            f"{archive} does not hold a whole index ({why}); nothing was changed"
        )

    manifest, database = staging / _MANIFEST, staging / "chroma" / "chroma.sqlite3"
    if not manifest.is_file():
        raise refuse(f"no {_MANIFEST}")
    if not database.is_file():
        raise refuse("no chroma/chroma.sqlite3")
    try:
        with sqlite3.connect(f"file:{manifest}?mode=ro", uri=True) as connection:
            models = connection.execute("SELECT model, collection FROM models").fetchall()
            chunks = dict(
                connection.execute(
                    "SELECT collection, SUM(chunks) FROM articles WHERE version IS NOT NULL "
                    "GROUP BY collection"
                ).fetchall()
            )
    except sqlite3.Error as error:
        raise refuse(f"its manifest cannot be read: {error}") from error
    if not models:
        raise refuse("its manifest names no model")
    client = None
    try:
        client = chromadb.PersistentClient(
            path=str(staging / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        for model, name in models:
            collection = client.get_collection(name)
            expected = chunks.get(name) or 0
            if collection.count() != expected:
                raise refuse(
                    f"the manifest lists {expected} chunks of {model}, its store holds "
                    f"{collection.count()}"
                )
            if expected:  # the vectors themselves load and answer a search
                probe = collection.get(limit=1, include=["embeddings"])["embeddings"][0]
                collection.query(query_embeddings=[list(probe)], n_results=1)
    except IndexStoreError:
        raise
    except Exception as error:  # chromadb raises many kinds; the user needs one message
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise refuse(f"its Chroma store cannot be read: {first}") from error
    finally:
        # The staged files move into the index next; this client must not hold them.
        if client is not None:
            with contextlib.suppress(Exception):
                client._system.stop()  # no public way to close one persistent client


def _swap_in(staging: Path, index: Path) -> None:
    """Move the index's contents aside, the staged ones in; put the old back on failure."""
    names = [_MANIFEST, f"{_MANIFEST}-wal", f"{_MANIFEST}-shm", f"{_MANIFEST}-journal", *_FOLDERS]
    aside = index / f".replaced-{uuid.uuid4().hex[:8]}"
    aside.mkdir()
    moved: list[str] = []
    placed: list[str] = []
    try:
        for name in names:
            if (index / name).exists():
                os.replace(index / name, aside / name)
                moved.append(name)
        for name in (_MANIFEST, *_FOLDERS):
            if (staging / name).exists():
                os.replace(staging / name, index / name)
                placed.append(name)
    except OSError:
        for name in placed:
            target = index / name
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        for name in moved:
            os.replace(aside / name, index / name)
        shutil.rmtree(aside, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)
