"""The corpus folder's files by article id: saving uploads, deleting, finding, reading bodies.

An upload is trusted for nothing but its bytes: only a sanitised base name of the file is
used (never a client path), the size is checked from `stat` before reading, and the content
must parse with the parser the CLI uses, so a file that is saved is a file the next index
update will take. A bad file is reported with a Vietnamese reason and nothing is written.
Names are never silently overwritten: a different file with a taken name is saved as
`name (2).txt`; the same bytes under a taken name are refused as already there.
`find_article_file` maps an article id back to its file (never one outside the corpus), and
`article_bodies` reads the current text of cited articles for the sources panel.

Not here: scanning and parsing the whole corpus (`reader.py`), indexing (the index service),
rendering, serving files back.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.corpus.article import article_id_for
from assistant.corpus.parsing import SUPPORTED_SUFFIXES
from assistant.corpus.reader import EmptyArticle, parse_article_bytes, read_article
from assistant.corpus.walk import article_files
from assistant.errors import ArticleError, AssistantError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_NAME_BYTES = 200  # below the usual 255-byte limit, leaving room for " (99)"


@dataclass
class UploadResult:
    saved: list[str] = field(default_factory=list)  # article ids, in upload order
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)


def safe_file_name(name: str) -> str | None:
    """The base name an upload is saved under, or None if nothing usable is left.

    Keeps only what follows the last `/` or `\\`, drops control characters (NUL included)
    and leading dots and spaces (a hidden file would never be indexed), NFC-normalises, and
    shortens an over-long stem.
    """
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = _CONTROL.sub("", name).strip().lstrip(". ").strip()
    stem, suffix = os.path.splitext(name)
    stem = stem.strip()
    if not stem or stem in (".", ".."):
        return None
    while len(f"{stem}{suffix}".encode()) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    return f"{stem.rstrip()}{suffix}"


def _existing(corpus_dir: Path) -> dict[str, Path]:
    """Files at the top of the corpus by NFC name (an NFD name is the same article id)."""
    return {unicodedata.normalize("NFC", path.name): path for path in corpus_dir.iterdir()}


def _free_name(name: str, data: bytes, existing: dict[str, Path]) -> str | None:
    """`name`, or `name (n)` if taken by other content; None if the same bytes are there."""
    stem, suffix = os.path.splitext(name)
    candidate, n = name, 1
    while candidate in existing:
        path = existing[candidate]
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return None
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    return candidate


def _reason(error: ArticleError, name: str) -> str:
    if isinstance(error, EmptyArticle):
        return "tệp rỗng, không có nội dung bài"
    detail = str(error).removeprefix(f"{name}: ")
    return f"không phải bài viết đọc được ({detail})"


def _write_atomically(data: bytes, target: Path) -> None:
    # A hidden temp name: a scan running meanwhile never sees a half-written article.
    handle, temp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _check_one(path: Path, max_bytes: int) -> tuple[str, bytes] | str:
    """(safe name, bytes) of a valid upload, or the Vietnamese reason it is refused."""
    name = safe_file_name(path.name)
    if name is None:
        return "tên tệp không hợp lệ"
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        return "chỉ nhận tệp " + ", ".join(SUPPORTED_SUFFIXES)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return f"tệp {size:,} byte, vượt giới hạn {max_bytes:,} byte".replace(",", ".")
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)  # a file that grew after stat is still capped
        if len(data) > max_bytes:
            return f"tệp vượt giới hạn {max_bytes:,} byte".replace(",", ".")
    except OSError as error:
        return f"không đọc được tệp ({error.strerror})"
    try:
        parse_article_bytes(data, Path(name))
    except ArticleError as error:
        return _reason(error, name)
    return name, data


def save_uploads(paths: list[Path], corpus_dir: Path, max_bytes: int) -> UploadResult:
    """Save each valid upload into `corpus_dir`; bad files are listed, never raised.

    Raises AssistantError only when the corpus folder itself cannot be written.
    """
    result = UploadResult()
    try:
        corpus_dir.mkdir(parents=True, exist_ok=True)
        for path in paths:
            path = Path(path)
            checked = _check_one(path, max_bytes)
            if isinstance(checked, str):
                result.rejected.append((path.name, checked))
                continue
            name, data = checked
            existing = _existing(corpus_dir)
            final = _free_name(name, data, existing)
            if final is None:
                result.rejected.append((path.name, f"bài này đã có trong kho ({name})"))
                continue
            _write_atomically(data, corpus_dir / final)
            result.saved.append(article_id_for(Path(final)))
    except OSError as error:
        raise AssistantError(
            f"Không ghi được vào thư mục bài viết {corpus_dir}: {error.strerror or error}"
        ) from error
    return result


def delete_article(article_id: str, corpus_dir: Path) -> None:
    """Remove the file of `article_id`; the next index update removes its chunks."""
    root = corpus_dir.resolve()
    target = (corpus_dir / article_id).resolve()
    if not target.is_relative_to(root) or target == root:
        raise ArticleError(f"Không xóa được {article_id!r}: không nằm trong thư mục bài viết")
    if not target.is_file():
        # The id is NFC; the file on disk may carry an NFD name (e.g. copied from macOS).
        matches = [
            path
            for path in article_files(root)
            if article_id_for(path.relative_to(root)) == article_id
        ]
        if not matches:
            raise ArticleError(f"Không có bài {article_id!r} trong thư mục bài viết")
        target = matches[0]
    hidden = any(part.startswith(".") for part in target.relative_to(root).parts)
    if hidden or target.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ArticleError(f"Không xóa được {article_id!r}: không phải tệp bài viết")
    try:
        target.unlink()
    except OSError as error:
        raise AssistantError(f"Không xóa được {article_id!r}: {error.strerror}") from error


def find_article_file(corpus_dir: Path, article_id: str) -> Path | None:
    """The file of `article_id` inside `corpus_dir`, or None if there is none.

    Ids are NFC but a file copied from macOS may carry an NFD name, so a miss by name is
    looked up among the article files. A path resolving outside the corpus is never returned.
    """
    root = corpus_dir.resolve()
    for candidate in (root / article_id, root / unicodedata.normalize("NFD", article_id)):
        if candidate.is_file() and candidate.resolve().is_relative_to(root):
            return candidate
    for path in article_files(root):
        if article_id_for(path.relative_to(root)) == article_id:
            return path if path.resolve().is_relative_to(root) else None
    return None


def article_bodies(corpus_dir: Path, article_ids: Iterable[str], max_bytes: int) -> dict[str, str]:
    """The current text of each article (missing or unreadable ones are left out)."""
    bodies = {}
    corpus = corpus_dir.resolve()
    for article_id in article_ids:
        # Never outside the corpus; found under an NFD name too (files copied from macOS).
        path = find_article_file(corpus, article_id)
        if path is None:
            continue
        try:
            bodies[article_id] = read_article(path, corpus, max_bytes).body
        except (AssistantError, OSError):
            continue
    return bodies
