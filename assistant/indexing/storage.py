"""Failed writes to the index folder, turned into a sentence a user can act on.

SQLite says "attempt to write a readonly database" or "disk I/O error", Chroma wraps those
in its own errors ("(code: 13) database or disk is full"), Python raises `OSError` with an
errno: none of them says which folder needs attention or what to do. `storage_error` reads
the error and looks at the folder itself (can this process write there? is space left?).

Not here: deciding what to write, retrying, or keeping the previous index intact (the
update order in `updater.py` does that).
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from assistant.corpus.walk import KERNEL_FILE_SYSTEMS
from assistant.errors import IndexStoreError

_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY_WORDS = ("readonly", "read-only", "permission denied")
_FULL_WORDS = ("disk is full", "no space left", "quota exceeded", "file too large")
# Below this, a write that failed for an unclear reason ("disk I/O error") is put down to
# a full disk: SQLite needs room for its journal before anything else.
LOW_SPACE_BYTES = 1 << 20


def _existing(path: Path) -> Path:
    """`path`, or its nearest parent that exists (a folder not made yet has none)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(_existing(path)).free
    except OSError:
        return None


def _writable(path: Path) -> bool:
    # access() reports EROFS even for root, who passes every permission check.
    return os.access(_existing(path), os.W_OK)


def why_not_written(path: Path, error: BaseException) -> str | None:
    """`read-only` or `full` if that is why writing to `path` failed, else None."""
    text = str(error).lower()
    code = getattr(error, "errno", None)
    if code in _READ_ONLY_ERRNOS or any(word in text for word in _READ_ONLY_WORDS):
        return "read-only"
    if code in _FULL_ERRNOS or any(word in text for word in _FULL_WORDS):
        return "full"
    free = _free_bytes(path)
    if free is not None and free < LOW_SPACE_BYTES:
        return "full"
    if not _writable(path):
        return "read-only"
    return None


def _on_kernel_fs(path: Path) -> bool:
    """Nothing can be stored there, whatever free space or errno it shows."""
    target = _existing(path).resolve()
    return any(target.is_relative_to(root) for root in KERNEL_FILE_SYSTEMS)


def storage_error(action: str, path: Path, error: BaseException) -> IndexStoreError:
    """`IndexStoreError` for a failed write to `path`: why, in words, when that is known.

    `action` says what was being done ("write the index manifest"); the message names
    `path` either way.
    """
    if _on_kernel_fs(path):
        return IndexStoreError(
            f"cannot {action}: {path} is on a kernel file system (/proc, /sys, /dev), where "
            "nothing can be stored; choose another folder with --index or ASSISTANT_INDEX"
        )
    why = why_not_written(path, error)
    if why == "read-only":
        return IndexStoreError(
            f"cannot {action}: {path} is not writable (a read-only file system, or no "
            "permission); make it writable and try again"
        )
    if why == "full":
        return IndexStoreError(
            f"cannot {action}: the disk holding {path} is full; free some space and try again"
        )
    detail = " ".join(str(error).split()) or type(error).__name__
    return IndexStoreError(f"cannot {action} ({path}): {detail}")
