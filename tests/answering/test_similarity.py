"""The embedding model's sentence similarity in the reader: choosing the sentence, and the
support a paraphrase gets. Invented articles; similarities are set by hand, as the sentence
vectors stored at indexing would give them."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.answering.evidence import candidate_sentences, find_evidence
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.question import analyse
from assistant.answering.support import SimilarityScale, blended_support
from assistant.retrieval.passage import Passage
from assistant.text.sentences import sentence_spans
from tests.answering.passages import article_from_text, passages_of

FARM = """Vụ lúa đông xuân ở huyện Yên Thành

Ngô Hải| 02/04/2024 07:00

Huyện Yên Thành gieo cấy 12.500 ha lúa trong vụ đông xuân. Nông dân được hỗ trợ giống \
mới. Năng suất bình quân đạt 68 tạ mỗi ha, cao nhất từ trước đến nay.
"""

SCALE = SimilarityScale(0.5, 0.45, 0.8, 0.48)


def with_similarities(passage: Passage, cosines: list[float]) -> Passage:
    spans = sentence_spans(passage.text)
    assert len(spans) == len(cosines)
    sentences = tuple((a, b, c) for (a, b), c in zip(spans, cosines, strict=True))
    return dataclasses.replace(passage, sentences=sentences)


@pytest.fixture
def farm() -> Passage:
    (passage,) = passages_of(article_from_text(FARM, "farm.txt"), max_chars=1000)
    return passage


def test_the_scale_maps_cosines_onto_the_support() -> None:
    assert SCALE.blend(0.6, 0.45) == pytest.approx(0.3)
    assert SCALE.blend(0.6, 0.9) == pytest.approx(0.8)
    assert SCALE.blend(0.6, 0.625) == pytest.approx(0.55)


def test_stored_similarities_reach_each_sentence(farm: Passage) -> None:
    sentences = candidate_sentences([with_similarities(farm, [0.2, 0.3, 0.9])])
    assert [s.similarity for s in sentences] == [0.2, 0.3, 0.9]
    assert all(s.similarity is None for s in candidate_sentences([farm]))


def test_a_paraphrase_finds_its_sentence_by_similarity(farm: Passage) -> None:
    # The question shares "lúa" and "huyện" with the first sentence and no content word
    # with the answer ("Nông dân được hỗ trợ giống mới"); the model knows better.
    question = analyse("Người trồng lúa trong huyện nhận được gì?")
    plain = find_evidence(question, [farm])
    scored = find_evidence(question, [with_similarities(farm, [0.5, 0.85, 0.4])])
    assert plain is not None and scored is not None
    quoted = scored.passage.text[scored.sentence[0] : scored.sentence[1]]
    assert "giống mới" in quoted and scored.similarity == 0.85
    assert "giống mới" not in plain.passage.text[plain.sentence[0] : plain.sentence[1]]


def test_similarity_lifts_the_support_of_an_accented_question_only(farm: Passage) -> None:
    passage = with_similarities(farm, [0.3, 0.3, 0.85])
    accented = analyse("Năng suất lúa bình quân ở Yên Thành đạt bao nhiêu tạ mỗi ha?")
    evidence = find_evidence(accented, [passage])
    assert evidence is not None
    assert evidence.support < 1.0 and evidence.similarity == 0.85
    assert blended_support(accented, evidence, SCALE) > evidence.support
    assert blended_support(accented, evidence, None) is None
    unaccented = analyse("nang suat lua moi hec ta o yen thanh la bao nhieu")
    bare = find_evidence(unaccented, [passage])
    assert bare is not None and blended_support(unaccented, bare, SCALE) is None
    english = analyse("What is the rice yield per hectare in Yen Thanh?")
    foreign = find_evidence(english, [passage])
    assert foreign is not None and blended_support(english, foreign, SCALE) is None


def test_a_low_similarity_makes_a_near_miss_abstain(farm: Passage) -> None:
    question = analyse("Huyện Yên Thành gieo cấy bao nhiêu ha ngô?")
    far = with_similarities(farm, [0.46, 0.3, 0.3])
    near = with_similarities(farm, [0.8, 0.3, 0.3])
    reader = ExtractiveAnswerer(min_support=0.6, similarity=SCALE)
    assert reader.answer(question, [far]).abstained
    answered = reader.answer(question, [near])
    assert not answered.abstained and "12.500 ha" in (answered.short_answer or "")
