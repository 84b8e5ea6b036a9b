"""Walking the corpus folder: which files are candidate articles and which must not be read.

The corpus boundary: a file or folder reached through a symlink whose target lies outside
the corpus folder is refused by name unless `allow_outside_links` is set; anything that is
not a regular file (FIFOs, devices, sockets) and anything under /proc, /sys or /dev is never
read, even when a link allows it. A file name that is not valid UTF-8, or that holds control
characters, is refused by name, shown with those bytes escaped (`t\\xean.txt`).

Not here: reading or parsing a file (`reader.py`), writing or deleting one (`files.py`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePath

from assistant.corpus.parsing import SUPPORTED_SUFFIXES
from assistant.text.normalize import escape_controls


def display_name(relative: PurePath) -> str:
    """`relative` as one printable line: bytes that are not UTF-8 and control characters
    (a newline, an escape sequence) escaped as `\\xNN`."""
    return escape_controls(os.fsencode(relative.as_posix()).decode("utf-8", "backslashreplace"))


def _has_control(text: str) -> bool:
    return escape_controls(text) != text


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words ("a FIFO", "a socket", ...)."""
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return kind
    return "a special file"


# Kernel file systems: their "files" change on every read and are never articles; nor can
# an index be stored there (`indexing/storage.py`).
KERNEL_FILE_SYSTEMS = tuple(Path(root) for root in ("/proc", "/sys", "/dev"))


def _entry_problem(path: Path, root: Path, allow_outside_links: bool) -> str | None:
    """Why the candidate `path` (a file or folder in the walk) must not be read, if it must not."""
    relative = path.relative_to(root)
    name = display_name(relative)
    try:
        relative.as_posix().encode("utf-8")
    except UnicodeEncodeError:
        return f"{name}: the file name is not valid UTF-8; rename it (e.g. with convmv)"
    if _has_control(relative.as_posix()):
        return f"{name}: the file name holds control characters (shown as \\xNN); rename it"
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return f"{name}: a broken symbolic link (or a loop of links)"
    if any(target.is_relative_to(special) for special in KERNEL_FILE_SYSTEMS):
        return f"{name}: links to {target}, a kernel file system; never read"
    if not target.is_relative_to(root) and not allow_outside_links:
        return (
            f"{name}: links to {target}, outside the corpus folder; copy the file in, or set "
            "ASSISTANT_ALLOW_OUTSIDE_LINKS=true to follow such links"
        )
    return None


def _special_problem(path: Path, root: Path) -> str | None:
    """Why `path` (or what it links to) is not a regular file, without opening it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # gone or unreadable: read_article says which, by name
    if stat.S_ISREG(mode):
        return None
    name = display_name(path.relative_to(root))
    return f"{name}: {file_kind(mode)}, not a regular file; not read"


def corpus_entries(
    corpus_dir: Path, allow_outside_links: bool = False
) -> Iterator[tuple[Path, str | None]]:
    """Every candidate article file under `corpus_dir`, sorted, with why it is refused (or None).

    Hidden files and folders and unsupported suffixes are left out silently; what is
    refused, by name, is anything named like an article that must not be read (a link out
    of the corpus, an odd name, a FIFO). Folder links are followed only when allowed, or
    when they stay inside the corpus and lead to a folder not read yet.
    """
    root = corpus_dir.resolve()
    seen = {root}

    def walk(folder: Path) -> Iterator[tuple[Path, str | None]]:
        try:
            children = sorted(folder.iterdir())
        except OSError as error:
            name = display_name(folder.relative_to(root)) if folder != root else str(folder)
            yield folder, f"{name}: cannot list the folder ({error.strerror})"
            return
        for path in children:
            if path.name.startswith("."):
                continue
            problem = _entry_problem(path, root, allow_outside_links)
            if path.is_dir():
                if problem is not None:
                    yield path, problem
                    continue
                real = path.resolve()
                if real in seen:
                    continue  # a link back into a folder already read (or a loop)
                seen.add(real)
                yield from walk(path)
            elif path.suffix.lower() in SUPPORTED_SUFFIXES:
                yield path, problem or _special_problem(path, root)

    # Files are walked under the corpus path as given, so relative names stay as listed.
    for path, problem in walk(root):
        yield corpus_dir / path.relative_to(root), problem


def article_files(corpus_dir: Path, allow_outside_links: bool = False) -> Iterator[Path]:
    """Article files under `corpus_dir` that may be read, sorted, hidden ones skipped."""
    for path, problem in corpus_entries(corpus_dir, allow_outside_links):
        if problem is None:
            yield path
