"""Parsing normalised article text into title, author, date and body, per file format.

Formats: `.txt` (title line, optional byline `Author| dd/mm/yyyy HH:MM`, body), `.md`
with YAML front matter (title, author, date, source), and `.html` (visible text only).
Site boilerplate is cut only from the *end* of the body and only as whole lines that match
a known pattern or repeat the title, so article text is never removed.

Not here: decoding bytes, reading files, deciding what to skip (see `reader.py`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from assistant.corpus.html_text import HtmlTooDeep, extract_html
from assistant.errors import ArticleError
from assistant.text.normalize import fold_diacritics, normalize_inline, normalize_text

_BYLINE = re.compile(
    r"^(?P<author>[^|\n]{0,120}?)\s*\|\s*(?P<date>\d{1,2}/\d{1,2}/\d{4})"
    r"(?:\s+(?P<time>\d{1,2}:\d{2}))?\s*$"
)
_FRONT_MATTER = re.compile(r"\A---\n(?P<yaml>.*?)\n---[ \t]*(?:\n|\Z)", re.S)

# Trailing lines that news sites append after the article (compared diacritic-folded).
_BOILERPLATE_LINES = [
    re.compile(pattern)
    for pattern in (
        r"^\(\d+\) binh luan$",
        r"^binh luan( \(\d+\))?$",
        r"^noi bat$",
        r"^dung bo lo$",
        r"^tin lien quan$",
        r"^tin cung chuyen muc$",
        r"^xem them$",
        r"^chia se( bai viet)?$",
        r"^powered by .*$",
        r"^ban quyen .*$",
        r"^copyright .*$",
    )
]


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    author: str | None
    date: str | None
    body: str
    source: str | None = None
    time: str | None = None


def parse_date(value: object, name: str) -> str | None:
    """ISO date from `dd/mm/yyyy`, `yyyy-mm-dd` or a YAML date; ArticleError if impossible."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2})?", text):
            day, month, year = map(int, match.groups())
            return dt.date(year, month, day).isoformat()
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError as error:
        raise ArticleError(f"{name}: cannot read the date {text!r} ({error})") from error


def strip_trailing_boilerplate(body: str, title: str) -> str:
    """Drop trailing lines that are site furniture or repeat the title."""
    lines = body.split("\n")
    folded_title = fold_diacritics(title)
    while lines:
        folded = fold_diacritics(lines[-1].strip())
        is_furniture = any(pattern.match(folded) for pattern in _BOILERPLATE_LINES)
        if folded == "" or is_furniture or (folded_title and folded == folded_title):
            lines.pop()
        else:
            break
    return "\n".join(lines).strip()


def _split_byline(lines: list[str]) -> tuple[str | None, str | None, str | None, list[str]]:
    """Author, date, time and the remaining lines, if the first non-blank line is a byline."""
    for position, line in enumerate(lines):
        if not line.strip():
            continue
        match = _BYLINE.match(line.strip())
        if not match:
            return None, None, None, lines
        author = normalize_inline(match["author"]) or None
        return author, match["date"], match["time"], lines[position + 1 :]
    return None, None, None, lines


def parse_txt(text: str, name: str) -> ParsedArticle:
    """A plain-text article: first line title, then an optional byline, then the body."""
    lines = normalize_text(text).split("\n")
    title = normalize_inline(lines[0])
    author, date_text, time, rest = _split_byline(lines[1:])
    body = strip_trailing_boilerplate("\n".join(rest).strip(), title)
    return ParsedArticle(title, author, parse_date(date_text, name), body, time=time)


def _yaml_reason(error: yaml.YAMLError) -> str:
    """A YAML error in one line: what is wrong and where (PyYAML's own text spans lines)."""
    problem = getattr(error, "problem", None) or str(error).strip().splitlines()[0]
    mark = getattr(error, "problem_mark", None)
    # The front matter starts on the file's second line, after "---".
    return f"{problem} (line {mark.line + 2})" if mark is not None else str(problem)


def parse_markdown(text: str, name: str) -> ParsedArticle:
    """Markdown with optional YAML front matter; else the first `# heading` is the title."""
    meta: dict = {}
    text = re.sub(r"\r\n?", "\n", text).lstrip("\ufeff")
    if match := _FRONT_MATTER.match(text):
        try:
            loaded = yaml.safe_load(match["yaml"]) or {}
        except yaml.YAMLError as error:
            reason = _yaml_reason(error)
            raise ArticleError(f"{name}: the YAML front matter is not valid: {reason}") from error
        except ValueError as error:  # a YAML date that is no date: 2022-02-30
            reason = f"holds an impossible value ({error})"
            raise ArticleError(f"{name}: the front matter {reason}") from error
        except RecursionError:
            raise ArticleError(f"{name}: the front matter is nested too deeply to read") from None
        if not isinstance(loaded, dict):
            raise ArticleError(f"{name}: the front matter must be a mapping of fields")
        meta, text = loaded, text[match.end() :]
    body = normalize_text(text)
    title = normalize_inline(str(meta.get("title") or ""))
    if not title:
        first, _, remainder = body.partition("\n")
        title = normalize_inline(first.lstrip("#"))
        body = remainder.strip()
    author = normalize_inline(str(meta["author"])) if meta.get("author") else None
    source = str(meta["source"]).strip() if meta.get("source") else None
    body = normalize_text(strip_trailing_boilerplate(body, title))
    return ParsedArticle(title, author, parse_date(meta.get("date"), name), body, source)


def parse_html(html: str, name: str) -> ParsedArticle:
    """An HTML page: its visible text; title, author and date from the usual tags."""
    try:
        page = extract_html(html)
    except HtmlTooDeep as error:
        raise ArticleError(f"{name}: the HTML is not an article page ({error})") from error
    # Normalised first: an <h1> broken over source lines must still match its repeat.
    title = normalize_inline(page.title)
    body = normalize_text(strip_trailing_boilerplate(normalize_text(page.body), title))
    return ParsedArticle(
        title,
        normalize_inline(page.author) if page.author else None,
        parse_date(page.date, name),
        body,
        page.source,
    )


# Which parser reads which file suffix (the reader dispatches on it; the walk lists these).
PARSERS: dict[str, Callable[[str, str], ParsedArticle]] = {
    ".txt": parse_txt,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
}
SUPPORTED_SUFFIXES = tuple(PARSERS)
