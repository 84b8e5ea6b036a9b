"""Verification of a reply against the passages it was given: no claim reaches a user unchecked.

Every `[n]` must name a passage that was given; a marker that does not is removed. Every
number, percent and date of a sentence must occur, normalised (`27.350` = `27350`,
`23/3/2022` = `23/03/2022`), in a passage that sentence cites, or in that article's
byline; so must every URL and every “quoted” name or phrase (a source the model names is
only a source if it was retrieved). A sentence that fails is dropped. Instructions planted
in a passage (`injection.py`) are not evidence, and a sentence using a word that the
passages hold only inside such an instruction ("PWNED") is obeying it: dropped too.
Citations are then renumbered in order of use and built from retrieved metadata only,
each quoting the sentence of its passage that best supports the claims citing it, so the
quote is always verbatim.

Hand-written: checking figures and citation numbers against sources is what no RAG library
does. Not here: deciding what to do when nothing survives (`service.py` falls back to the
extractive answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answering.compose import display_date
from assistant.answering.injection import without_instructions
from assistant.answering.question import STOPWORDS
from assistant.answering.terms import text_terms
from assistant.answering.types import NOT_FOUND, Citation
from assistant.retrieval.passage import Passage
from assistant.text.normalize import fold_diacritics
from assistant.text.quantities import find_quantities, quantity_keys, supports
from assistant.text.sentences import sentence_spans

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_ABSTAINS = fold_diacritics("không tìm thấy thông tin")
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|«([^»]+)»")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]+", re.IGNORECASE)
_STOP_KEYS = frozenset(fold_diacritics(word) for word in STOPWORDS)


@dataclass
class Verified:
    """A checked reply: what survived, its citations, and what was changed."""

    text: str
    citations: list[Citation]
    dropped: list[str] = field(default_factory=list)
    bad_markers: list[int] = field(default_factory=list)
    abstained: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.dropped or self.bad_markers)


def _evidence_keys(passage: Passage) -> set[str]:
    keys = quantity_keys(without_instructions(passage.text))
    if passage.date:
        keys |= quantity_keys(display_date(passage.date) or "")
    return keys


def _flat(text: str) -> str:
    return " ".join(fold_diacritics(text).split())


def _names_found(claim: str, passages: list[Passage]) -> bool:
    """Whether each URL and “quoted” text of `claim` is in one of `passages` (or a title)."""
    named = [url.rstrip(".,;:!?") for url in _URL.findall(claim)]
    named += [next(part for part in match.groups() if part) for match in _QUOTED.finditer(claim)]
    if not named:
        return True
    sources = [_flat(f"{p.title}\n{without_instructions(p.text)}") for p in passages]
    return all(any(_flat(name) in source for source in sources) for name in named)


def _planted_words(passages: list[Passage]) -> set[str]:
    """Words the passages hold only inside planted instructions ("PWNED", "99.999")."""
    planted, stated = set(), set()
    for passage in passages:
        planted |= {term.key for term in text_terms(passage.text)}
        stated |= {term.key for term in text_terms(without_instructions(passage.text))}
        stated |= {term.key for term in text_terms(passage.title)}
    return planted - stated - _STOP_KEYS


def verify_reply(text: str, passages: list[Passage]) -> Verified:
    """Check `text` (with `[n]` markers numbering `passages` from 1) claim by claim."""
    if fold_diacritics(text).find(_ABSTAINS) != -1 and not _MARKER.search(text):
        return Verified(NOT_FOUND, [], abstained=True)
    kept: list[tuple[str, list[int]]] = []
    result = Verified("", [])
    planted = _planted_words(passages)
    for start, end in sentence_spans(text.strip()):
        sentence = text.strip()[start:end]
        cited: list[int] = []
        for match in _MARKER.finditer(sentence):
            for number in map(int, re.split(r"\s*[,;]\s*", match.group(1))):
                if 1 <= number <= len(passages):
                    cited.append(number)
                else:
                    result.bad_markers.append(number)
        claim = " ".join(_MARKER.sub("", sentence).split()).replace(" .", ".")
        evidence = set().union(*(_evidence_keys(passages[n - 1]) for n in cited))
        if (
            claim.strip(" .,;")
            and all(supports(q, evidence) for q in find_quantities(claim))
            and _names_found(claim, [passages[n - 1] for n in cited])
            and not {term.key for term in text_terms(claim)} & planted
        ):
            kept.append((claim, list(dict.fromkeys(cited))))
        else:
            result.dropped.append(claim)
    result.text, result.citations = _renumber(kept, passages)
    result.abstained = not result.citations
    return result


def _renumber(kept: list[tuple[str, list[int]]], passages: list[Passage]) -> tuple[str, list]:
    order: dict[int, int] = {}
    claims_of: dict[int, list[str]] = {}
    parts = []
    for claim, cited in kept:
        for number in cited:
            order.setdefault(number, len(order) + 1)
            claims_of.setdefault(number, []).append(claim)
        marks = "".join(f"[{order[number]}]" for number in cited)
        if marks:
            body, stop = (claim[:-1], claim[-1]) if claim[-1] in ".!?…" else (claim, ".")
            parts.append(f"{body.rstrip()} {marks}{stop}")
        else:
            parts.append(claim)
    citations = [_citation(new, passages[old - 1], claims_of[old]) for old, new in order.items()]
    return " ".join(parts), citations


def _citation(n: int, passage: Passage, claims: list[str]) -> Citation:
    """Cite `passage`, quoting its sentence that shares the most with `claims`."""
    wanted_keys = set().union(*(quantity_keys(claim) for claim in claims))
    wanted_terms = {term.key for claim in claims for term in text_terms(claim)}

    def fit(span: tuple[int, int]) -> tuple[int, int]:
        sentence = passage.text[span[0] : span[1]]
        shared = len(quantity_keys(sentence) & wanted_keys)
        return shared, len({term.key for term in text_terms(sentence)} & wanted_terms)

    # Never quote a planted instruction, even beside the claim it would support.
    spans = sentence_spans(without_instructions(passage.text)) or [(0, len(passage.text))]
    start, end = max(spans, key=fit)
    return Citation.quoting(n, passage, start, end)
