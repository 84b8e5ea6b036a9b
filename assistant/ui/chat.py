"""The web app's chat turn: a question in, streamed chat messages and the sources panel out.

One turn runs through a `ChatSession` rebuilt from the turns kept in the browser session, so
follow-ups work; while an LLM streams, its draft is shown labelled as unchecked, and the
checked answer replaces it. Citations are shown with the current text of their articles.

Not here: answering (`assistant.answering`), HTML (`render.py`), Gradio components.
"""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from assistant.answering.service import Assistant, ChatSession, Turn
from assistant.answering.types import Answer
from assistant.config import Settings
from assistant.corpus.files import article_bodies
from assistant.errors import AssistantError
from assistant.ui.render import draft_markdown, reply_markdown, sources_html

EMPTY_SOURCES = "<p><i>Nguồn của câu trả lời sẽ hiện ở đây.</i></p>"


def cited_bodies(settings: Settings, answer: Answer) -> dict[str, str]:
    """The current text of each article `answer` cites (missing or unreadable ones left out)."""
    ids = [citation.article_id for citation in answer.citations]
    return article_bodies(settings.corpus, ids, settings.max_file_bytes)


def respond(
    assistant: Assistant,
    settings: Settings,
    message: str,
    history: list[dict],
    turns: list[Turn] | None,
) -> Iterator[tuple[list[dict], str, list[Turn], str]]:
    """One chat turn: yields (chat messages, sources panel, turns, cleared input box)."""
    message = (message or "").strip()
    if not message:
        yield history, EMPTY_SOURCES, turns or [], ""
        return
    session = ChatSession(assistant)
    session.turns = list(turns or [])
    history = [*history, {"role": "user", "content": message}]
    draft = ""
    try:
        for event in session.stream(message):
            if isinstance(event, Answer):
                reply = {"role": "assistant", "content": reply_markdown(event)}
                sources = sources_html(event, cited_bodies(settings, event))
                yield [*history, reply], sources, session.turns, ""
            else:
                draft += event
                partial = {"role": "assistant", "content": draft_markdown(draft)}
                yield [*history, partial], EMPTY_SOURCES, session.turns, ""
    except AssistantError as error:
        raise gr.Error(str(error)) from error
