"""Reading the corpus folder into `Article` records.

One bad file never stops the others: it is reported in `CorpusScan.rejected` with a message
that names it, and an empty file is listed in `skipped`. Files over the size limit are
refused from their size alone, before being read, and no read goes past the limit. Hidden
files and folders are ignored. `find_article_file` maps an article id back to its file.

Not here: what to do with the articles (indexing decides), watching the folder.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.corpus.article import Article, article_id_for, content_hash
from assistant.corpus.parsing import ParsedArticle, parse_html, parse_markdown, parse_txt
from assistant.errors import ArticleError
from assistant.text.decoding import decode_article_bytes
from assistant.text.normalize import normalize_text

log = logging.getLogger(__name__)

_PARSERS: dict[str, Callable[[str, str], ParsedArticle]] = {
    ".txt": parse_txt,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
}
SUPPORTED_SUFFIXES = tuple(_PARSERS)


@dataclass
class CorpusScan:
    """What a scan of the corpus folder found."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why), e.g. empty
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, error message)


class EmptyArticle(ArticleError):
    """The file holds no article text; it is skipped, not an error."""


def parse_article_bytes(data: bytes, relative_path: Path) -> Article:
    """Decode, normalise and parse one file's bytes into an Article."""
    name = relative_path.as_posix()
    parser = _PARSERS.get(relative_path.suffix.lower())
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

    At most `max_bytes + 1` bytes are ever read, even from a file that grows after its size
    was checked (a copy still in progress), so memory stays bounded by the limit.
    """
    relative = path.relative_to(corpus_dir)
    name = relative.as_posix()
    size = path.stat().st_size
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
    return parse_article_bytes(data, relative)


def article_files(corpus_dir: Path) -> Iterator[Path]:
    """Article files under `corpus_dir`, sorted, skipping hidden files and folders."""
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path


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


def scan_corpus(corpus_dir: Path, max_bytes: int) -> CorpusScan:
    """Read every article file under `corpus_dir`; problems are collected, not raised."""
    if not corpus_dir.is_dir():
        raise ArticleError(f"corpus folder {corpus_dir} does not exist")
    scan = CorpusScan()
    seen: dict[str, str] = {}
    for path in article_files(corpus_dir):
        name = path.relative_to(corpus_dir).as_posix()
        try:
            article = read_article(path, corpus_dir, max_bytes)
        except EmptyArticle as empty:
            log.warning("skipped %s", empty)
            scan.skipped.append((name, str(empty)))
            continue
        except ArticleError as error:
            scan.rejected.append((name, str(error)))
            continue
        except OSError as error:
            scan.rejected.append((name, f"{name}: cannot read ({error.strerror})"))
            continue
        if article.id in seen:
            # Two file names that differ only in Unicode form (NFC/NFD) name one article.
            scan.rejected.append(
                (
                    name,
                    f"{name}: same article id as {seen[article.id]} (the same name in "
                    "another Unicode form, NFC/NFD); keep one of the two files",
                )
            )
            continue
        seen[article.id] = name
        scan.articles.append(article)
    return scan
