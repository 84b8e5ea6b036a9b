"""Answers as chat text and HTML for the web app: rendering only, no answering.

Everything that comes from an article or a model is escaped before it reaches the page:
article text may hold `<script>`, raw HTML or a markdown image pointing at an outside URL,
and none of it may render. The reply's `[n]` markers become links to the sources panel,
where each citation shows its article (title, date, author) and the quote highlighted
inside its paragraph; the whole article opens below it ("Xem toàn bài") with the quote marked.
Below the reply come its short answer, its sources and whether it was verified against them.

Not here: Gradio components and callbacks (`layout.py`, `chat.py`), reading article files.
"""

from __future__ import annotations

import html
import re

from assistant.answering.types import Answer, Citation
from assistant.text.display import display_date

# `:` too: GFM (Gradio's chat markdown) links any bare `https://…` or `www.…` by itself;
# written `https\://` and `www\.` they stay text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:])")
_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\]")
_PARAGRAPH_BREAK = "\n\n"


def escape_markdown(text: str) -> str:
    """`text` with every markdown and HTML special character backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


DRAFT_LABEL = "Bản nháp của mô hình, chưa kiểm chứng; câu trả lời đã kiểm chứng sẽ thay thế nó"


def draft_markdown(draft: str) -> str:
    """An LLM's text while it streams: escaped, quoted, and labelled as not yet checked.

    Verification runs once the reply is complete; until then the reader must not take the
    draft's figures for the answer (a model can repeat what an article told it to say).
    """
    quoted = "\n> ".join(escape_markdown(line) for line in draft.split("\n"))
    return f"⏳ *{DRAFT_LABEL}:*\n\n> {quoted} …"


VERIFIED = "✓ **Đã kiểm chứng**: số liệu và trích dẫn khớp với nguồn."
UNVERIFIED = "**Chưa kiểm chứng**: câu trả lời không có nguồn."


def _details(answer: Answer) -> list[str]:
    """The short answer, the sources and the verification line of an answer (not abstained).

    Every final answer is checked against its cited passages (an extractive one quotes them,
    an LLM's goes through `answering.verify`); one left without a citation is not verified.
    """
    lines = []
    if answer.short_answer:
        lines.append(f"**Trả lời ngắn:** {escape_markdown(answer.short_answer)}")
    if answer.citations:
        cited = [
            f"[[{c.n}]](#nguon-{c.n}) {escape_markdown(c.title)}"
            + (f" ({escape_markdown(display_date(c.date))})" if display_date(c.date) else "")
            for c in answer.citations
        ]
        lines.append("**Nguồn:** " + "; ".join(cited))
    lines.append(VERIFIED if answer.citations else UNVERIFIED)
    return lines


def reply_markdown(answer: Answer) -> str:
    """The chat bubble: each `[n]` linked to its citation, if it has one; notes in italics;
    then the short answer, the sources and whether it was verified.

    An abstention is marked so that it looks different from an answer.
    """
    cited = {str(citation.n) for citation in answer.citations}
    text = _ESCAPED_MARKER.sub(
        # A marker naming no citation stays text: a link to nowhere looks like a source.
        lambda m: f"[[{m[1]}]](#nguon-{m[1]})" if m[1] in cited else m[0],
        escape_markdown(answer.text),
    )
    if answer.abstained:
        text = f"⚠️ *{text}*"
    else:
        text += "".join(f"\n\n{line}" for line in _details(answer))
    notes = "".join(f"\n\n*Lưu ý: {escape_markdown(note)}*" for note in answer.notes)
    return text + notes


def paragraph_span(body: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph of `body` around `[start, end)`."""
    left = body.rfind(_PARAGRAPH_BREAK, 0, start)
    right = body.find(_PARAGRAPH_BREAK, end)
    return (0 if left == -1 else left + 2), (len(body) if right == -1 else right)


def marked(body: str, start: int, end: int, lo: int = 0, hi: int | None = None) -> str:
    """`body[lo:hi]` escaped, with `body[start:end]` wrapped in <mark>."""
    hi = len(body) if hi is None else hi
    return (
        html.escape(body[lo:start])
        + "<mark>"
        + html.escape(body[start:end])
        + "</mark>"
        + html.escape(body[end:hi])
    ).replace("\n", "<br>")


def _byline(citation: Citation) -> str:
    parts = [display_date(citation.date), citation.author]
    return " · ".join(html.escape(part) for part in parts if part)


def citation_html(citation: Citation, body: str | None) -> str:
    """One source: heading, where it is, and the quote highlighted in its paragraph."""
    head = (
        f'<div class="nguon" id="nguon-{citation.n}"><p><b>[{citation.n}] '
        f"{html.escape(citation.title)}</b> <small>{_byline(citation)}</small><br>"
        f"<small>{html.escape(citation.article_id)}</small></p>"
    )
    if citation.field != "body" or citation.start is None or body is None:
        label = "Tác giả" if citation.field == "author" else "Ngày đăng"
        if citation.field == "body":
            label = "Trích dẫn"
        return (
            head
            + f"<blockquote>{label}: <mark>{html.escape(citation.quote)}</mark></blockquote></div>"
        )
    if body[citation.start : citation.end] != citation.quote:
        # The article changed since it was indexed: show the indexed quote, unplaced.
        return head + f"<blockquote><mark>{html.escape(citation.quote)}</mark></blockquote></div>"
    lo, hi = paragraph_span(body, citation.start, citation.end)
    quote = marked(body, citation.start, citation.end, lo, hi)
    # The whole article opens in place (no script needed), with the quote marked.
    whole = article_html(citation.title, body, citation.start, citation.end)
    return (
        head
        + f"<blockquote>{quote}</blockquote>"
        + f"<details><summary>Xem toàn bài</summary>{whole}</details></div>"
    )


def sources_html(answer: Answer, bodies: dict[str, str]) -> str:
    """The sources panel for `answer`; `bodies` maps article ids to their text."""
    if answer.abstained or not answer.citations:
        return "<p><i>Không có nguồn: câu trả lời không dựa trên bài viết nào.</i></p>"
    return "".join(
        citation_html(citation, bodies.get(citation.article_id)) for citation in answer.citations
    )


def article_html(title: str, body: str, start: int | None = None, end: int | None = None) -> str:
    """A whole article, escaped, with `[start, end)` marked when given."""
    text = (
        marked(body, start, end)
        if start is not None and end is not None
        else html.escape(body).replace("\n", "<br>")
    )
    return f"<h3>{html.escape(title)}</h3><div class='bai-viet'>{text}</div>"
