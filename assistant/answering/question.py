"""What a question asks for, and which of its words matter.

Recognises the answer type from the Vietnamese wording (bao nhiêu / số lượng -> number;
tỷ lệ / phần trăm -> percent; ngày nào / khi nào -> date; ai -> person; tác giả -> the
article's author; "bài viết … đăng ngày nào" -> its publication date; kết luận nào / khóa
mấy / nhiệm kỳ nào -> a named item; những … nào -> a list; otherwise a sentence), also when
typed without diacritics, and a few English forms. It keeps the span of the question word
("bao nhiêu") so a reply can be written by putting the answer in its place, and the weighted
content terms that evidence must contain.

Hand-written: no maintained library classifies Vietnamese questions. English questions are
mapped to Vietnamese terms with a small glossary of the report vocabulary; that is a
convenience for the domain, not translation.
Not here: finding or scoring answers (`extractive.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.answering.terms import has_diacritics, keyed_positions, text_terms
from assistant.text.lexicon import ORG_HEADS, PLACE_HEADS, WHOLE_OF_FRACTION
from assistant.text.normalize import fold_diacritics, normalize_inline

# (kind, pattern) in priority order; patterns are written with diacritics and matched on the
# folded question as well, so "bao nhieu" works. Group "wh" is the span an answer replaces.
_NAMED_HEADS = (
    r"kết luận|chỉ thị|nghị quyết|nghị định|quyết định|kế hoạch|thông tư|thông báo|quy định|"
    r"đề án|công văn|chương trình|khóa|khoá|nhiệm kỳ|đại hội|hội nghị"
)
_ORG_ASKED = "|".join(
    sorted(ORG_HEADS - {"ban", "bộ", "vụ", "khoa", "phòng", "hội", "đoàn"}, key=len, reverse=True)
)
_PLACE_ASKED = "|".join(
    sorted(PLACE_HEADS | {"địa phương", "nơi", "chỗ", "khu vực"}, key=len, reverse=True)
)
_RULES: tuple[tuple[str, str], ...] = (
    ("author", r"(?P<wh>(?:là )?ai)\b.*\b(?:viết|tác giả)"),
    ("author", r"(?:tác giả|người viết)\b.*\b(?P<wh>là ai|ai)\b"),
    ("author", r"\b(?:who wrote|author)\b"),
    ("published", r"\b(?:bài|bài viết|bài báo|tin)\b.*\b(?:đăng|xuất bản|phát hành|đưa tin)\b.*"
     r"(?P<wh>ngày nào|khi nào|lúc nào|bao giờ|hôm nào)"),
    ("published", r"\bwhen was\b.*\b(?:article|report|published)\b"),
    ("percent", r"(?P<wh>bao nhiêu\s*(?:phần trăm|%))"),
    ("percent", r"\b(?:tỷ lệ|tỉ lệ|phần trăm)\b(?:.*?(?P<wh>bao nhiêu|mấy|là gì))?"),
    ("percent", r"\b(?:what percentage|what percent|what share|what rate|what proportion)\b"),
    ("named", r"(?P<wh>(?P<head>" + _NAMED_HEADS + r")\s+(?:số\s+)?(?:nào|gì|mấy|bao nhiêu))"),
    ("named", r"\bwhich (?P<head>conclusion|directive|resolution|plan|decision|term)\b"),
    ("date", r"(?P<wh>(?:vào\s+)?(?:ngày|hôm|tháng|năm|thời điểm|thời gian|giai đoạn|dịp|"
     r"thời kỳ|thế kỷ|thế kỉ|lúc|hồi)\s+(?:nào|bao nhiêu|mấy)|khi nào|bao giờ|lúc nào|hồi nào)"),
    ("date", r"\b(?:when|what date|which date|on what day|what year|which year)\b"),
    ("number", r"(?P<wh>bao nhiêu|mấy|số lượng|bao lâu|bao xa)"),
    ("number", r"\b(?:how many|how much|how long|how far|how old|what number|total number)\b"),
    ("person", r"(?P<wh>người nào|là ai|những ai|vị nào|ai)\b"),
    ("person", r"\b(?:who|whom|whose)\b"),
    ("list", r"\b(?:những|các)\b.*\b(?P<wh>nào|gì)\b|\bgồm\b|\bwhich (?:areas|groups|fields)\b"),
    ("place", r"(?P<wh>ở đâu|tại đâu|đâu|(?:" + _PLACE_ASKED + r")\s+nào)"),
    ("place", r"\bwhere\b|\bwhich (?:province|country|city|district|commune|place)\b"),
    ("org", r"(?P<wh>(?:" + _ORG_ASKED + r")\s+nào)"),
    ("org", r"\bwhich (?:organisation|organization|agency|hospital|company|body)\b"),
)  # fmt: skip

_ENGLISH_HINT = re.compile(
    r"\b(?:the|what|which|how|who|when|does|did|is|are|was|were|many|much|of|in)\b", re.I
)
# English report vocabulary -> Vietnamese syllables (folded on use).
# English words that carry no content; any other word left untranslated is a content word
# the articles cannot match, and it lowers the support an answer can claim.
_ENGLISH_FUNCTION = frozenset(
    "the a an of in on to for does do did is are was were be been have has had how many much "
    "what which who when where why that this these those with by from at as and or its their "
    "there it they we you i me my our your number total all any some".split()
)
_GLOSSARY = {
    "party members": "đảng viên", "party member": "đảng viên", "party": "đảng",
    "members": "đảng viên", "new": "mới", "admitted": "kết nạp", "admit": "kết nạp",
    "recruited": "kết nạp", "total": "tổng số", "province": "tỉnh", "provincial": "tỉnh",
    "cells": "chi bộ", "cell": "chi bộ", "branches": "chi bộ", "congress": "đại hội",
    "congresses": "đại hội", "held": "tổ chức", "target": "chỉ tiêu", "plan": "kế hoạch",
    "conclusion": "kết luận", "directive": "chỉ thị", "resolution": "nghị quyết",
    "politburo": "bộ chính trị", "central committee": "ban chấp hành trung ương",
    "standing committee": "ban thường vụ", "issued": "ban hành", "term": "nhiệm kỳ",
    "regulations": "quy định", "projects": "đề án", "schemes": "đề án",
    "percentage": "tỷ lệ", "rate": "tỷ lệ", "budget": "ngân sách", "revenue": "thu",
    "discipline": "kỷ luật", "disciplined": "kỷ luật", "author": "tác giả",
    "article": "bài viết", "organisation": "tổ chức", "organization": "tổ chức",
    "cadres": "cán bộ", "officials": "cán bộ", "ethnic": "dân tộc", "border": "biên giới",
    "religious": "có đạo", "private enterprises": "doanh nghiệp tư nhân",
}  # fmt: skip

# Function words. Not "đang" or "số": folded, they would hide "đảng" and "tổng số".
STOPWORDS = frozenset(
    "là của và có được đã sẽ các những cho với trong về theo thì mà này đó ấy nào gì "
    "bao nhiêu mấy ai khi sao còn thế vậy nhé không hay hoặc từ đến tới ra vào lên tại bởi "
    "do để như một cái con người việc lượng hiện nay ngày năm tháng hỏi cho biết hãy "
    "nêu tôi bạn".split()
)  # fmt: skip
# Words that ask about the article itself, not its content ("tác giả bài viết …").
_ABOUT_THE_ARTICLE = frozenset("tác giả bài viết báo đăng xuất bản người tin".split())
_PAIR_WEIGHT = 0.5
_FOLLOW_UP = re.compile(
    r"^(?:còn|thế còn|vậy|vậy còn|và)\b|\b(?:đó|đấy|ấy|này|nó|trên|thì sao|con số)\b"
)


@dataclass(frozen=True)
class Question:
    """A question read for answering. `terms` maps a term key to its weight."""

    text: str
    kind: str
    wh_span: tuple[int, int] | None
    head: str | None
    counted: str | None
    wants_whole: bool
    accented: bool
    english: bool
    terms: dict[str, float] = field(default_factory=dict)
    expansion: str = ""  # Vietnamese report terms of an English question, for retrieval
    exact: bool = True  # terms keep diacritics (the question was typed with them)
    # Proper names the question names ("Tứ Cường", "Hải Dương"), folded syllables: evidence
    # about another place or person does not answer it.
    names: tuple[tuple[str, ...], ...] = ()

    @property
    def search_text(self) -> str:
        """What to retrieve with: the question plus the Vietnamese terms it names."""
        return f"{self.text} ({self.expansion})" if self.expansion else self.text

    @property
    def is_follow_up(self) -> bool:
        """Whether the wording leans on an earlier turn ("con số đó", "còn … thì sao")."""
        lowered = self.text.lower()
        return bool(_FOLLOW_UP.search(lowered)) or len(self.terms) <= 1


def _english(text: str) -> bool:
    return not has_diacritics(text) and len(_ENGLISH_HINT.findall(text)) >= 2


def _translate(text: str) -> str:
    """The Vietnamese report terms an English question names, plus its figures."""
    lowered, found = text.lower(), []
    for english in sorted(_GLOSSARY, key=len, reverse=True):
        pattern = rf"\b{re.escape(english)}\b"
        if re.search(pattern, lowered):
            found.append(_GLOSSARY[english])
            lowered = re.sub(pattern, " ", lowered)
    found.extend(re.findall(r"\d[\d.,/%-]*", text))
    unknown = [w for w in re.findall(r"[a-z]+", lowered) if w not in _ENGLISH_FUNCTION]
    found.extend(f"en{word}" for word in unknown)  # "enexpelled": matches nothing
    # Commas keep the phrases apart, so no false word pair spans two of them.
    return ", ".join(found)


def _classify(text: str, accented: bool) -> tuple[str, re.Match | None]:
    haystack = text.lower() if accented else fold_diacritics(text)
    for kind, pattern in _RULES:
        # Folding lower-cases, which would turn the group syntax `(?P<` into `(?p<`.
        compiled = pattern if accented else fold_diacritics(pattern).replace("(?p<", "(?P<")
        match = re.search(compiled, haystack)
        if match:
            return kind, match
    return "sentence", None


def analyse(question: str, earlier: Question | None = None) -> Question:
    """Read `question`; the terms of an `earlier` turn are carried in at half weight."""
    read = _read(normalize_inline(question))
    return read if earlier is None else carry_terms(read, earlier)


def carry_terms(question: Question, earlier: Question) -> Question:
    """`question` with the terms of an `earlier` turn added at half weight, for a follow-up
    ("Còn tỷ lệ thì sao?" keeps "kết nạp" of the turn before); its own terms stay as read."""
    carried = (
        earlier.terms if earlier.exact == question.exact else _terms_of(earlier, question.exact)
    )
    terms = dict(question.terms)
    for key, weight in carried.items():
        terms.setdefault(key, weight * 0.5)
    return replace(question, terms=terms)


def _read(text: str) -> Question:
    """The analysis of normalised `text`, on its own."""
    english = _english(text)
    accented = has_diacritics(text)
    kind, match = _classify(text, accented or english)
    wh_span = head = None
    if match:
        groups = match.groupdict()
        for name in ("wh", "wh2"):
            if groups.get(name):
                wh_span = match.span(name)
        head = (groups.get("head") or "").lower() or None
    content = _translate(text) if english else text
    extra = _ABOUT_THE_ARTICLE if kind in ("author", "published") else frozenset()
    exact = accented or english
    # The question word itself ("bao nhiêu phần trăm", "ngày nào") is never in the evidence.
    asked = wh_span if not english else None
    terms = _weighted_terms(content, exact, extra, asked)
    counted = _counted_noun(text, wh_span) if kind == "number" else None
    lowered = fold_diacritics(content)
    # Accented words are matched as typed: folded, "cần" would be "cán" of "cán bộ".
    haystack = content.lower() if accented else lowered
    wants_whole = any(
        re.search(rf"\b{signal if accented else fold_diacritics(signal)}\b", haystack)
        for signal in WHOLE_OF_FRACTION
    )
    expansion = content if english else ""
    return Question(
        text,
        kind,
        wh_span,
        head,
        counted,
        wants_whole,
        accented,
        english,
        terms,
        expansion,
        exact,
        () if english else named_in(text),
    )


def named_in(text: str) -> tuple[tuple[str, ...], ...]:
    """The capitalised runs of a question, folded; its first word only in a longer run."""
    names, run = [], []
    words = re.findall(r"[^\W\d_][\w'’]*|\S", text)  # "QĐ-TTg" is two capitalised words
    for index, word in enumerate([*words, "."]):
        if word[0].isupper() and word[0].isalpha():
            run.append((index, word))
            continue
        if run and run[0][0] == 0:
            run = run[1:] if len(run) > 1 else []  # "Tỉnh", "Ai": sentence case
        if run:
            names.append(tuple(fold_diacritics(w) for _, w in run))
        run = []
    return tuple(names)


def _terms_of(earlier: Question, exact: bool) -> dict[str, float]:
    content = earlier.expansion or earlier.text
    extra = _ABOUT_THE_ARTICLE if earlier.kind in ("author", "published") else frozenset()
    return _weighted_terms(content, exact, extra)


def _weighted_terms(
    text: str, exact: bool, extra: frozenset[str], skip: tuple[int, int] | None = None
) -> dict[str, float]:
    stop = {fold_diacritics(word) for word in STOPWORDS | extra}
    accented_stop = STOPWORDS | extra if exact else frozenset()
    terms: dict[str, float] = {}
    syllables = text_terms(text)
    stopped = set()
    for index, term in enumerate(syllables):
        if term.quantity is not None:
            # A year sets the scene ("năm 2022"); a document number or a date pins the fact.
            year = term.quantity.kind == "number" and re.fullmatch(r"(19|20)\d\d", term.key[7:])
            terms[term.key] = 1.0 if year else 3.0
            continue
        original = text[term.start : term.end].lower()
        inside = skip is not None and skip[0] <= term.start < skip[1]
        if inside or original in accented_stop or (not exact and term.key in stop):
            stopped.add(index)
            continue
        weight = 1.5 if text[term.start].isupper() and term.start > 0 else 1.0
        key = term.exact if exact else term.key
        terms[key] = max(terms.get(key, 0.0), weight)
    for key, index in keyed_positions(syllables, exact):
        # A pair stands for a word only when both syllables count: "kết nạp", not "nạp đạt".
        if " " in key and not {index, index + 1} & stopped:
            terms[key] = _PAIR_WEIGHT
    return terms


def _counted_noun(text: str, wh_span: tuple[int, int] | None) -> str | None:
    """The noun counted by "bao nhiêu …" ("đảng viên mới"), folded, up to three syllables,
    stopping at a function word ("bao nhiêu chi bộ đã …" counts "chi bộ")."""
    if not wh_span:
        return None
    # "người" is a function word for matching, but counted it is the noun: "bao nhiêu người".
    stop = {fold_diacritics(word) for word in STOPWORDS - {"người"}} | {"phan", "tram"}
    words = []
    for word in re.findall(r"\w+", fold_diacritics(text[wh_span[1] :]))[:3]:
        if word in stop:
            break
        words.append(word)
    return " ".join(words) or None
