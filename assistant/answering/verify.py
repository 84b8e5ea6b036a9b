"""Verification of an LLM reply, claim by claim, against the passages it was given.

Each sentence of the reply is a claim. A claim is kept only when all of these hold, and a
claim that fails one is dropped (the reply then says how many were):
1. It cites: at least one `[n]` naming a passage that was given. A marker naming none is
   removed; a sentence left without any citation is dropped ("uncited").
2. Every figure it states (digits, number words, Roman numerals, with magnitude and unit;
   percents; dates; vague amounts such as "hàng trăm") is stated by one sentence of a cited
   passage, bound to what the claim says it counts (`claims.py`): "Tổng số đảng viên là
   344" is dropped against a sentence where 344 counts new members beside the total.
   Figures a claim gives in one clause stand together in that sentence.
3. The article's byline date supports a date only in a claim about the article itself
   ("Bài viết được đăng ngày …", `lexicon.PUBLICATION`), never an event in it.
4. Every URL and every “quoted” name or phrase is in a cited passage or its title (a source
   the model names is only a source if it was retrieved).
5. A claim without figures shares enough of its words with one sentence of a cited passage
   (the sentence before it and the title count too): `MIN_CLAIM_SUPPORT` of the extractive
   reader's support measure.
6. It does not repeat what only a planted instruction says (`injection.py`): a word the
   passages hold only inside such a sentence ("PWNED", "99.999") means the model obeyed it.
Instructions are never evidence and never quoted. Kept claims are renumbered in order of
use; each citation quotes, verbatim, the sentences of its passage that back its claim, so the
figures a reader is shown are in the quote (`citing.py`). `short_answer` is the first figure
of the first kept claim (or that claim).

Hand-written: checking figures and citation numbers against sources is what no RAG library
does. Not here: what to show when nothing survives (`service.py` falls back to the
extractive answer), reading figures (`text/figures.py`), binding them (`claims.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering.citing import KeptClaim, Quote, cite
from assistant.answering.claims import (
    Claim,
    backs,
    clause_groups,
    read_claim,
    read_sentence,
    together,
)
from assistant.answering.injection import without_instructions
from assistant.answering.question import STOPWORDS, analyse
from assistant.answering.support import support
from assistant.answering.terms import Term, text_terms
from assistant.answering.types import NOT_FOUND, Citation
from assistant.retrieval.passage import Passage
from assistant.text.display import display_date
from assistant.text.figures import figure_supported, find_figures
from assistant.text.lexicon import PUBLICATION
from assistant.text.normalize import fold_diacritics
from assistant.text.sentences import sentence_spans

MIN_CLAIM_SUPPORT = 0.5
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_ABSTAINS = fold_diacritics("không tìm thấy thông tin")
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|«([^»]+)»")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]+", re.IGNORECASE)
_STOP_KEYS = frozenset(fold_diacritics(word) for word in STOPWORDS)
_PUBLICATION = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted(PUBLICATION, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verified:
    """A checked reply: what survived, its citations, what was dropped and why."""

    text: str
    citations: tuple[Citation, ...]
    dropped: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # one per dropped claim
    bad_markers: tuple[int, ...] = ()
    abstained: bool = False
    short_answer: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.dropped or self.bad_markers)


@dataclass
class _Source:
    """A cited passage read once: its text without instructions, sentences and terms."""

    passage: Passage
    text: str
    spans: list[tuple[int, int]]
    terms: list[Term]
    title_terms: list[Term]


def _source(passage: Passage) -> _Source:
    text = without_instructions(passage.text)
    spans = sentence_spans(text) or [(0, len(text))]
    terms = text_terms(f"{passage.title}\n{text}")
    return _Source(passage, text, spans, terms, text_terms(passage.title))


def verify_reply(text: str, passages: list[Passage]) -> Verified:
    """Check `text` (with `[n]` markers numbering `passages` from 1) claim by claim."""
    if fold_diacritics(text).find(_ABSTAINS) != -1 and not _MARKER.search(text):
        return Verified(NOT_FOUND, (), abstained=True)
    sources = [_source(passage) for passage in passages]
    planted = _planted_words(passages)
    kept: list[KeptClaim] = []
    dropped: list[str] = []
    reasons: list[str] = []
    bad_markers: list[int] = []
    reply = text.strip()
    for start, end in sentence_spans(reply):
        sentence = reply[start:end]
        cited: list[int] = []
        bad: list[int] = []
        for match in _MARKER.finditer(sentence):
            for number in map(int, re.split(r"\s*[,;]\s*", match.group(1))):
                (cited if 1 <= number <= len(passages) else bad).append(number)
        claim = " ".join(_MARKER.sub("", sentence).split()).replace(" .", ".")
        if not claim.strip(" .,;:!?…"):
            continue
        cited = list(dict.fromkeys(cited))
        reason, quotes = _check(claim, cited, sources, planted)
        if reason:
            dropped.append(claim)
            reasons.append(reason)
            continue
        bad_markers += bad  # removed from a claim that stays
        figures = find_figures(claim)
        short = figures[0].text if figures else claim.rstrip(".!?… ")
        kept.append(KeptClaim(claim, tuple(quotes), short))
    reply_text, citations = cite(kept, passages)
    return Verified(
        reply_text,
        citations,
        tuple(dropped),
        tuple(reasons),
        tuple(bad_markers),
        abstained=not citations,
        short_answer=kept[0].short if kept else None,
    )


def _check(
    claim_text: str, cited: list[int], sources: list[_Source], planted: set[str]
) -> tuple[str | None, list[Quote]]:
    """Why `claim_text` fails (None if it holds) and the sentences that back it."""
    if not cited:
        return "uncited", []
    if {term.key for term in text_terms(claim_text)} & planted:
        return "repeats a planted instruction", []
    claim = read_claim(claim_text)
    chosen: list[Quote] = []
    if claim.figures:
        placed = _place_figures(claim, cited, sources)
        if placed is None:
            return "a figure or date is not in the cited sentence", []
        chosen.extend(placed)
    names = _names(claim_text)
    for name in names:
        found = _sentence_naming(name, cited, sources)
        if found is None:
            return f"“{name}” is not in the cited passage", []
        if found[1] >= 0:
            chosen.append(found)
    if not claim.figures:
        best = _best_sentence(claim_text, cited, sources)
        if best is None:
            return "the cited passage does not say it", []
        chosen.append(best)
    elif not _words_backed(claim_text, chosen, sources):
        return "the cited sentence does not say it", []
    return None, chosen


def _place_figures(claim: Claim, cited: list[int], sources: list[_Source]) -> list[Quote] | None:
    """The cited sentences that state every figure of `claim`, bound; None if one is stated
    by none of them (or only by the byline, for a claim not about the article)."""
    options = []  # (passage number, start, end, {claim figure: sentence figure})
    for number in cited:
        source = sources[number - 1]
        for start, end in source.spans:
            sentence = read_sentence(source.text, start, end)
            placed = {}
            for index in range(len(claim.figures)):
                found = backs(claim, index, sentence)
                if found is not None:
                    placed[index] = found
            if placed and together(claim, sentence, placed):
                options.append((number, start, end, placed))
    # Figures a claim gives in one clause must come from one sentence ("từ ngày 20/2/2024
    # đến ngày 3/5/2024" is not two dates of two events); each clause picks its sentence.
    remaining = set()
    chosen = []
    for clause in clause_groups(claim):
        best = max(options, key=lambda o: len(clause & o[3].keys()), default=None)
        if best is not None and clause <= best[3].keys():
            chosen.append(best[:3])
        else:
            remaining |= clause
    for index in sorted(remaining):
        byline = _byline(claim, index, cited, sources)
        if byline is None:
            return None
        chosen.append(byline)
    return chosen


def _byline(claim: Claim, index: int, cited: list[int], sources: list[_Source]) -> Quote | None:
    """The byline supports a date only in a claim about the article's publication."""
    figure = claim.figures[index]
    if figure.kind != "date" or not _PUBLICATION.search(claim.read.text):
        return None
    for number in cited:
        published = display_date(sources[number - 1].passage.date or "") or ""
        if any(figure_supported(figure, stated) for stated in find_figures(published)):
            return (number, -1, -1)  # the byline itself: the citation shows the date
    return None


def _names(claim: str) -> list[str]:
    named = [url.rstrip(".,;:!?") for url in _URL.findall(claim)]
    named += [next(part for part in match.groups() if part) for match in _QUOTED.finditer(claim)]
    return named


def _flat(text: str) -> str:
    return " ".join(fold_diacritics(text).split())


def _sentence_naming(name: str, cited: list[int], sources: list[_Source]) -> Quote | None:
    wanted = _flat(name)
    for number in cited:
        source = sources[number - 1]
        for start, end in source.spans:
            if wanted in _flat(source.text[start:end]):
                return (number, start, end)
        if wanted in _flat(source.passage.title):
            return (number, -1, -1)
    return None


def _best_sentence(claim: str, cited: list[int], sources: list[_Source]) -> Quote | None:
    """The cited sentence that backs most of a claim without figures, if enough."""
    asked = analyse(claim)
    if not asked.terms:
        return None
    best, best_share = None, 0.0
    for number in cited:
        source = sources[number - 1]
        previous = 0
        for start, end in source.spans:
            terms = text_terms(source.text[previous:end])
            share = support(asked, terms, source.title_terms, source.terms)
            if share > best_share:
                best, best_share = (number, start, end), share
            previous = start
    return best if best_share >= MIN_CLAIM_SUPPORT else None


def _words_backed(claim: str, chosen: list[Quote], sources: list[_Source]) -> bool:
    """Whether the sentences that state a claim's figures also hold enough of its words."""
    asked = analyse(claim)
    if not asked.terms:
        return True
    for number in dict.fromkeys(number for number, _, _ in chosen):
        source = sources[number - 1]
        spans = [(a, b) for n, a, b in chosen if n == number and a >= 0]
        if not spans:
            continue
        low = min(a for a, _ in spans)
        before = max((a for a, _ in source.spans if a < low), default=low)
        terms = text_terms(source.text[before : max(b for _, b in spans)])
        if support(asked, terms, source.title_terms, source.terms) >= MIN_CLAIM_SUPPORT:
            return True
    # Only the byline or a title was needed (a claim about the article itself).
    return all(a < 0 for _, a, _ in chosen)


def _planted_words(passages: list[Passage]) -> set[str]:
    """Words the passages hold only inside planted instructions ("PWNED", "99.999")."""
    planted, stated = set(), set()
    for passage in passages:
        planted |= {term.key for term in text_terms(passage.text)}
        stated |= {term.key for term in text_terms(without_instructions(passage.text))}
        stated |= {term.key for term in text_terms(passage.title)}
    return planted - stated - _STOP_KEYS
