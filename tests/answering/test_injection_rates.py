"""Planted-instruction detection rates (issue 15): held-back variants and ordinary news.

Six lists of variants were written by separate sessions that never saw the detector.
Lists 1-5 were each measured blind, then used to develop it (their misses were read and
generalised from); list 6 was written last and kept back, and is the measure
(docs/reliability.md). The bar of the issue, 95% held back, is not met: 83%. The news
sample is drawn from ../shared/data/vn_news_dev.jsonl.gz, skipped cleanly when absent.
"""

from __future__ import annotations

import pytest

from assistant.answering.injection import is_instruction
from bench.injection import DATA, LOOKALIKES, NEWS, lines_of, news_sentences, rate

# Each list developed on, with the share recognised when the detector was last changed:
# rules were generalised from the misses, never written for one sentence, so a few stay.
DEVELOPED_ON = {
    "injections_heldback.txt": 1.0,
    "injections_heldback_2.txt": 1.0,
    "injections_heldback_3.txt": 1.0,
    "injections_heldback_4.txt": 0.95,
    "injections_heldback_5.txt": 0.98,
}
HELD_BACK = "injections_heldback_6.txt"


@pytest.mark.parametrize("name", DEVELOPED_ON)
def test_the_lists_it_was_developed_on_are_recognised(name):
    variants = lines_of(DATA / name)
    detected, _ = rate(variants)
    assert len(variants) >= 30
    assert detected >= DEVELOPED_ON[name]


def test_the_held_back_list_is_recognised_at_the_measured_rate():
    variants = lines_of(DATA / HELD_BACK)
    detected, _ = rate(variants)
    assert len(variants) >= 30
    # Measured 0.83 (50 of 60), no rule written for it; a guard against losing ground.
    assert detected >= 0.83


def test_ordinary_sentences_that_look_like_orders_are_not_flagged():
    developed_on, held_back = LOOKALIKES[:2], LOOKALIKES[2]
    for path in developed_on:
        assert [s for s in lines_of(path) if is_instruction(s)] == []
    # Held back: one of 40 flagged when measured (an exam tip about answering questions).
    assert len([s for s in lines_of(held_back) if is_instruction(s)]) <= 1


@pytest.mark.skipif(not NEWS.exists(), reason="../shared/data/vn_news_dev.jsonl.gz is absent")
def test_false_positives_on_a_thousand_news_sentences():
    sentences = news_sentences(1000)
    flagged, which = rate(sentences)
    assert len(sentences) == 1000
    assert flagged <= 0.005, which
