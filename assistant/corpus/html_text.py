"""Visible text and metadata of an HTML article page, with BeautifulSoup.

Drops what a reader never sees: `<script>`, `<style>`, `<template>`, `<noscript>`, the
`<head>`, and elements hidden with `hidden`, `aria-hidden="true"` or an inline
`display:none` / `visibility:hidden`. Block elements become paragraphs; inline markup is
joined into the surrounding text. One pass over the parsed page, so the cost is linear in
its size; a page nesting elements deeper than `MAX_DEPTH` is refused (`HtmlTooDeep`). Not
here: normalisation and boilerplate rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, PageElement, PreformattedString

_INVISIBLE_TAGS = ["script", "style", "template", "noscript", "head", "iframe", "svg", "object"]
_BLOCK_TAGS = [
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "pre",
    "table", "tr", "figure", "figcaption", "dd", "dt", "hr",
]  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# Real article pages nest a few dozen levels; thousands is a broken or hostile file.
MAX_DEPTH = 500
# Elements HTML closes at the next of their kind; old pages often leave them open.
_CLOSED_BY_NEXT = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}


class HtmlTooDeep(ValueError):
    """The page nests elements deeper than the limit; it is rejected, not parsed further."""

    def __init__(self, depth: int) -> None:
        super().__init__(f"elements nested more than {depth - 1} levels deep")


@dataclass(frozen=True)
class HtmlPage:
    title: str
    author: str | None
    date: str | None
    body: str
    source: str | None


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
        if isinstance(tag, Tag) and tag.get("content"):
            return str(tag["content"]).strip()
    return None


def _is_hidden(tag: Tag) -> bool:
    if tag.attrs is None:
        return False
    return (
        tag.has_attr("hidden")
        or str(tag.get("aria-hidden", "")).lower() == "true"
        or bool(_HIDDEN_STYLE.search(str(tag.get("style", ""))))
    )


def _unseen(tag: Tag) -> bool:
    return tag.name in _INVISIBLE_TAGS or _is_hidden(tag)


def _visible_tags(root: Tag) -> Iterator[Tag]:
    """The tags under `root` a reader can see, in document order (without recursion)."""
    stack: list[PageElement] = list(reversed(root.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, Tag) and not _unseen(node):
            yield node
            stack.extend(reversed(node.contents))


def _visible_text(root: Tag, leave_out: Tag | None, max_depth: int) -> str:
    """The visible text under `root` (without `leave_out`): block elements as paragraphs,
    `<br>` as a line break, source whitespace collapsed as a browser does.

    One pass over the tree, the tree left untouched: editing it in place (inserting breaks,
    rewriting strings) costs a scan of the siblings per edit, quadratic on a long page.
    """
    parts: list[str] = []
    stack: list[tuple[PageElement | None, int]] = [(child, 1) for child in reversed(root.contents)]
    while stack:
        node, depth = stack.pop()
        if node is None:  # the end of a block element
            parts.append("\n\n")
        elif isinstance(node, NavigableString):
            # Comments and doctypes are strings too, but never shown; CDATA is.
            if not isinstance(node, PreformattedString) or isinstance(node, CData):
                parts.append(re.sub(r"\s+", " ", str(node)))
        elif isinstance(node, Tag) and node is not leave_out and not _unseen(node):
            if depth > max_depth:
                raise HtmlTooDeep(depth)
            if node.name == "br":
                parts.append("\n")
                continue
            if node.name in _BLOCK_TAGS:
                parts.append("\n\n")
                stack.append((None, depth))
            # An unclosed <p> or <li> nests in the parse but not on the page: not counted.
            inner = depth if node.name in _CLOSED_BY_NEXT else depth + 1
            stack.extend((child, inner) for child in reversed(node.contents))
    return "".join(parts)


def extract_html(html: str, max_depth: int = MAX_DEPTH) -> HtmlPage:
    """Parse `html` and return its visible text as paragraphs plus its metadata.

    Linear in the page; HtmlTooDeep when elements nest more than `max_depth` levels.
    """
    soup = BeautifulSoup(html, "html.parser")
    head_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    author = _meta(soup, "author", "article:author", "dc.creator")
    date = _meta(soup, "article:published_time", "date", "pubdate", "dc.date")
    source = _meta(soup, "og:url")
    time_tag = soup.find("time")
    if not date and isinstance(time_tag, Tag) and time_tag.get("datetime"):
        date = str(time_tag["datetime"])
    visible = list(_visible_tags(soup))
    h1 = next((tag for tag in visible if tag.name == "h1"), None)
    # The article body: <article>, else <main>, else <body>, else the whole page.
    root = next(
        (tag for name in ("article", "main", "body") for tag in visible if tag.name == name),
        soup,
    )
    title = " ".join(_visible_text(h1, None, max_depth).split()) if h1 else head_title
    body = _visible_text(root, h1, max_depth)
    # The date goes through whole: parse_date reads "1/2/2022 08:40" and ISO timestamps.
    return HtmlPage(title, author, date, body, source)
