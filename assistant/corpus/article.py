"""The `Article` record: one parsed, normalised article file.

It is plain data. Reading files is `reader.py`'s job, format parsing `parsing.py`'s.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class Article:
    """One article. `body` is normalised text; citation offsets index into it."""

    id: str
    title: str
    author: str | None
    date: str | None  # ISO date, e.g. "2022-10-11"
    body: str
    sha256: str
    source: str | None = None
    time: str | None = None  # "08:40" when the byline gives it


def article_id_for(relative_path: PurePath) -> str:
    """Stable id of the article at `relative_path` (relative to the corpus folder).

    The id is the POSIX path in NFC, so an NFD file name from macOS and an NFC one
    from Linux name the same article.
    """
    return unicodedata.normalize("NFC", relative_path.as_posix())


def content_hash(title: str, author: str | None, date: str | None, body: str) -> str:
    """sha256 of the normalised content: any change that alters what is indexed changes it."""
    joined = "\n".join([title, author or "", date or "", body])
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()
