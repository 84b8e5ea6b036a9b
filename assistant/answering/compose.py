"""Writing an extractive reply in natural Vietnamese.

When the question is written with diacritics and has a question word, the reply is the
question with the answer put in its place: "Tổng số đảng viên toàn tỉnh là bao nhiêu?" ->
"Tổng số đảng viên toàn tỉnh là 27.350 người [1]." Otherwise (unaccented or English
questions, follow-ups without a question word) the reply quotes the clause that holds the
answer: "Theo bài “…”: … lên 27.350 người [1]." A rewritten reply is kept only if every
number and date in it also occurs in the evidence; otherwise the quoting form is used.
Article text in a reply keeps no `[n]` of its own ("báo cáo [7]" is written "báo cáo (7)"),
so the reply's only marker is the one that names its source.

Not here: finding the answer, citations.
"""

from __future__ import annotations

import re

from assistant.answering.candidates import Candidate
from assistant.answering.question import Question
from assistant.text.normalize import fold_diacritics
from assistant.text.quantities import find_quantities, quantity_keys, supports

_MAX_CLAUSE = 240
CITATION_MARK = re.compile(r"\[\d+\]")
_MARKER_LIKE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def compose_reply(
    question: Question,
    *,
    evidence_text: str,
    sentence: tuple[int, int],
    candidate: Candidate | None,
    title: str,
) -> str:
    """The reply text, citing its single source as `[1]`."""
    if candidate and question.wh_span and question.accented and not question.english:
        reply = _rewrite(question, candidate)
        if _grounded(reply, evidence_text):
            return f"{_inert(reply)} [1]."
    if question.kind == "author" and candidate:
        return f"Tác giả bài viết “{_inert(title)}” là {_inert(candidate.text)} [1]."
    if question.kind == "published" and candidate:
        return f"Bài viết “{_inert(title)}” được đăng ngày {candidate.text} [1]."
    clause = _clause(evidence_text, sentence, candidate).rstrip(" .;:,…")
    return f"Theo bài “{_inert(title)}”: {_inert(clause)} [1]."


def _inert(text: str) -> str:
    """`text` with any `[n]` of its own written `(n)`: only our marker may read as a source.

    An article (or a question) can hold "[7]"; quoted as it is, it would cite a source that
    was never retrieved.
    """
    return _MARKER_LIKE.sub(r"(\1)", text)


def _rewrite(question: Question, candidate: Candidate) -> str:
    start, end = question.wh_span or (0, 0)
    tail = question.text[end:].strip(" ?.!…")
    phrase = _phrase(question, candidate, question.text[start:end], at_end=not tail)
    reply = (question.text[:start] + phrase + question.text[end:]).strip().rstrip(" ?.!…")
    return f"{reply[0].upper()}{reply[1:]}"


def _phrase(question: Question, candidate: Candidate, wh: str, *, at_end: bool) -> str:
    kind, value = question.kind, candidate.text
    wh_folded = fold_diacritics(wh)
    if kind in ("number", "percent"):
        # "… bao nhiêu công ty?" already names the noun: "… 40 công ty", not "40 công ty công ty".
        after = (
            fold_diacritics(question.text[question.wh_span[1] :]).split()
            if question.wh_span
            else []
        )
        unit = (candidate.unit or "").split()
        repeated = bool(unit) and after[: len(unit)] == unit
        return candidate.bare if repeated and candidate.bare else value
    if kind in ("date", "published"):
        written = value if fold_diacritics(value).startswith("ngay") else f"ngày {value}"
        if len(find_quantities(value)) == 1 and len(find_quantities(value)[0].value) == 7:
            written = f"tháng {value}"
        return written if wh_folded.startswith(("ngay", "hom", "vao")) else f"vào {written}"
    if kind in ("person", "author") and wh_folded.startswith("la "):
        return f"là {value}"
    return value


def _grounded(reply: str, evidence: str) -> bool:
    keys = quantity_keys(evidence)
    claims = CITATION_MARK.sub("", reply)
    return all(supports(quantity, keys) for quantity in find_quantities(claims))


def _clause(text: str, sentence: tuple[int, int], candidate: Candidate | None) -> str:
    """The sentence, or for a long one the comma-separated clauses around the answer."""
    start, end = sentence
    if end - start <= _MAX_CLAUSE or candidate is None:
        return text[start:end]
    left = max(text.rfind(", ", start, candidate.start), text.rfind("; ", start, candidate.start))
    right_comma = [
        p
        for p in (text.find(", ", candidate.end, end), text.find("; ", candidate.end, end))
        if p != -1
    ]
    clause_start = left + 2 if left != -1 else start
    clause_end = min(right_comma) if right_comma else end
    return "…" + text[clause_start:clause_end] if clause_start > start else text[start:clause_end]
