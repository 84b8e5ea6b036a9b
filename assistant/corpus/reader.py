"""Reading the corpus folder into `Article` records.

One bad file never stops the others: whatever goes wrong while reading or parsing it (a
parser's own exception included), it is reported in `CorpusScan.rejected` with a one-line
message that names it, and an empty file is listed in `skipped`. Files over the size limit
are refused from their size alone, before being read, and no read goes past the limit.
Hidden files and folders are ignored.

Which files are candidates, and the corpus boundary (links out of the folder, special
files, odd names), is `walk.py`'s; what it refuses is reported here, by name.

Not here: what to do with the articles (indexing decides), watching the folder, writing or
deleting article files or finding one by its id (`files.py`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from assistant.corpus.article import Article, article_id_for, content_hash
from assistant.corpus.parsing import PARSERS, SUPPORTED_SUFFIXES
from assistant.corpus.walk import corpus_entries, display_name, file_kind
from assistant.errors import ArticleError
from assistant.text.decoding import decode_article_bytes
from assistant.text.normalize import normalize_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileStamp:
    """A file as it was when its article was read: size and mtime, then the sha256 of its
    bytes and of the parsed content (`Article.sha256`)."""

    size: int
    mtime_ns: int
    raw_sha256: str
    content_sha256: str


@dataclass
class CorpusScan:
    """What a scan of the corpus folder found."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why), e.g. empty
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, error message)
    # Ids of files recognised from their stamp as the article already read: not parsed.
    unchanged: list[str] = field(default_factory=list)
    stamps: dict[str, FileStamp] = field(default_factory=dict)  # every file read or recognised


class EmptyArticle(ArticleError):
    """The file holds no article text; it is skipped, not an error."""


def parse_article_bytes(data: bytes, relative_path: Path) -> Article:
    """Decode, normalise and parse one file's bytes into an Article."""
    name = relative_path.as_posix()
    parser = PARSERS.get(relative_path.suffix.lower())
    if parser is None:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise ArticleError(f"{name}: unsupported file type (supported: {supported})")
    if not data.strip():
        raise EmptyArticle(f"{name}: empty file")
    text = decode_article_bytes(data, name)
    if not normalize_text(text):
        raise EmptyArticle(f"{name}: no text after normalisation")
    # Parsers normalise themselves: YAML front matter needs its indentation first.
    parsed = parser(text, name)
    if not parsed.body:
        raise EmptyArticle(f"{name}: no article body")
    if not parsed.title:
        raise ArticleError(f"{name}: no title found")
    return Article(
        id=article_id_for(relative_path),
        title=parsed.title,
        author=parsed.author,
        date=parsed.date,
        body=parsed.body,
        sha256=content_hash(parsed.title, parsed.author, parsed.date, parsed.body),
        source=parsed.source,
        time=parsed.time,
    )


def read_article(path: Path, corpus_dir: Path, max_bytes: int) -> Article:
    """Read and parse the article file at `path` (inside `corpus_dir`).

    What `path` is (or links to) is checked before it is opened: a FIFO or device is
    refused, never waited on, and a file over the limit is refused from its size alone. At
    most `max_bytes + 1` bytes are ever read, even from a file that grows after its size was
    checked (a copy still in progress), so memory stays bounded by the limit.
    """
    relative = path.relative_to(corpus_dir)
    return parse_article_bytes(_read_bytes(path, relative, path.stat(), max_bytes), relative)


def _read_bytes(path: Path, relative: PurePath, status: os.stat_result, max_bytes: int) -> bytes:
    """The bytes of the file at `path`, whose `status` was just taken (see read_article)."""
    name = display_name(relative)
    if not stat.S_ISREG(status.st_mode):
        raise ArticleError(f"{name}: {file_kind(status.st_mode)}, not a regular file; not read")
    size = status.st_size
    if size > max_bytes:
        raise ArticleError(
            f"{name}: {size:,} bytes is over the {max_bytes:,}-byte limit "
            "(raise ASSISTANT_MAX_FILE_BYTES to allow it)"
        )
    with path.open("rb") as file:
        # Asking for the checked size (not the limit) keeps the read buffer small; the
        # extra byte notices a file that grew since, whose rest is read up to the limit.
        data = file.read(size + 1)
        if len(data) > size:
            data += file.read(max_bytes + 1 - len(data))
    if len(data) > max_bytes:
        raise ArticleError(f"{name}: grew past the {max_bytes:,}-byte limit while being read")
    return data


def _one_line(error: BaseException) -> str:
    """`error` as a short single line: its type and the first line of its message."""
    message = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def scan_corpus(
    corpus_dir: Path,
    max_bytes: int,
    allow_outside_links: bool = False,
    known: Mapping[str, FileStamp] | None = None,
) -> CorpusScan:
    """Read every article file under `corpus_dir`; problems are collected, not raised.

    `known` holds the stamps of articles already indexed (by id). A file whose size and
    mtime match its stamp is listed in `unchanged` without being read; one whose bytes
    hash to its stamp (touched, copied back) is listed there without being parsed.
    """
    if not corpus_dir.is_dir():
        what = "is not a folder" if corpus_dir.exists() else "does not exist"
        raise ArticleError(f"corpus folder {corpus_dir} {what}")
    known = known or {}
    scan = CorpusScan()
    seen: dict[str, str] = {}
    for path, problem in corpus_entries(corpus_dir, allow_outside_links):
        relative = path.relative_to(corpus_dir)
        # Rejections are keyed like article ids (NFC), so an unreadable file keeps its
        # indexed version whatever the Unicode form of its name.
        name = display_name(relative)
        key = unicodedata.normalize("NFC", name)
        if problem is not None:
            scan.rejected.append((key, problem))
            continue
        if key in seen:
            # Two file names that differ only in Unicode form (NFC/NFD) name one article.
            scan.rejected.append(
                (
                    key,
                    f"{name}: same article id as {seen[key]} (the same name in "
                    "another Unicode form, NFC/NFD); keep one of the two files",
                )
            )
            continue
        try:
            article = _scan_one(scan, path, relative, key, known.get(key), max_bytes)
        except EmptyArticle as empty:
            log.warning("skipped %s", empty)
            scan.skipped.append((key, str(empty)))
            continue
        except ArticleError as error:
            scan.rejected.append((key, str(error)))
            continue
        except OSError as error:
            why = error.strerror or _one_line(error)
            scan.rejected.append((key, f"{name}: cannot read ({why})"))
            continue
        except Exception as error:  # one file's failure, whatever it is, must not stop the rest
            log.debug("rejected %s", name, exc_info=True)
            scan.rejected.append((key, f"{name}: cannot be parsed ({_one_line(error)})"))
            continue
        seen[key] = name
        if article is not None:
            scan.articles.append(article)
    return scan


def _scan_one(
    scan: CorpusScan,
    path: Path,
    relative: PurePath,
    key: str,
    stamp: FileStamp | None,
    max_bytes: int,
) -> Article | None:
    """The article at `path`, or None when its stamp shows it unchanged (then in `scan`)."""
    status = path.stat()
    if stamp is not None and (status.st_size, status.st_mtime_ns) == (stamp.size, stamp.mtime_ns):
        scan.unchanged.append(key)
        scan.stamps[key] = stamp
        return None
    data = _read_bytes(path, relative, status, max_bytes)
    raw_sha256 = hashlib.sha256(data).hexdigest()
    if stamp is not None and raw_sha256 == stamp.raw_sha256:
        scan.unchanged.append(key)
        content_sha256 = stamp.content_sha256
        scan.stamps[key] = FileStamp(len(data), status.st_mtime_ns, raw_sha256, content_sha256)
        return None
    article = parse_article_bytes(data, relative)
    scan.stamps[key] = FileStamp(len(data), status.st_mtime_ns, raw_sha256, article.sha256)
    return article
