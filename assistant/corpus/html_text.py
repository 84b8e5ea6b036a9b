"""Visible text and metadata of an HTML article page, with BeautifulSoup.

Drops what a reader never sees: `<script>`, `<style>`, `<template>`, `<noscript>`, the
`<head>`, and elements hidden with `hidden`, `aria-hidden="true"` or an inline
`display:none` / `visibility:hidden`. Block elements become paragraphs; inline markup is
joined into the surrounding text. Not here: normalisation and boilerplate rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

_INVISIBLE_TAGS = ["script", "style", "template", "noscript", "head", "iframe", "svg", "object"]
_BLOCK_TAGS = [
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "pre",
    "table", "tr", "figure", "figcaption", "dd", "dt", "hr",
]  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


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


def extract_html(html: str) -> HtmlPage:
    """Parse `html` and return its visible text as paragraphs plus its metadata."""
    soup = BeautifulSoup(html, "html.parser")
    head_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    author = _meta(soup, "author", "article:author", "dc.creator")
    date = _meta(soup, "article:published_time", "date", "pubdate", "dc.date")
    source = _meta(soup, "og:url")
    time_tag = soup.find("time")
    if not date and isinstance(time_tag, Tag) and time_tag.get("datetime"):
        date = str(time_tag["datetime"])
    for tag in soup.find_all(_INVISIBLE_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_hidden):
        tag.decompose()
    h1 = soup.find("h1")
    title = h1.get_text(" ", strip=True) if h1 else head_title
    if h1:
        h1.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    # HTML collapses source whitespace; paragraph breaks come only from block elements.
    for text in root.find_all(string=True):
        # Comments and doctypes are strings too; rewriting them as plain text would make
        # them visible to get_text().
        if isinstance(text, NavigableString) and not isinstance(text, PreformattedString):
            text.replace_with(re.sub(r"\s+", " ", str(text)))
    for tag in root.find_all("br"):
        tag.replace_with("\n")
    for tag in root.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    body = root.get_text()
    # The date goes through whole: parse_date reads "1/2/2022 08:40" and ISO timestamps.
    return HtmlPage(title, author, date, body, source)
