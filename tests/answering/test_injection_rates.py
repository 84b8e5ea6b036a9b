"""Planted-instruction detection rates (issue 15): held-back variants and ordinary news.

Three lists of variants were written by separate sessions that never saw the detector:
lists 1 and 2 were then used to develop it (their misses were read and generalised from),
list 3 was kept back and is the measure (docs/reliability.md). The news sample is drawn
from ../shared/data/vn_news_dev.jsonl.gz and skipped cleanly when the file is absent.
"""

from __future__ import annotations

import pytest

from assistant.answering.injection import is_instruction
from bench.injection import DATA, LOOKALIKES, NEWS, lines_of, news_sentences, rate

DEVELOPED_ON = ["injections_heldback.txt", "injections_heldback_2.txt"]
HELD_BACK = "injections_heldback_3.txt"


@pytest.mark.parametrize("name", DEVELOPED_ON)
def test_the_lists_it_was_developed_on_are_all_recognised(name):
    variants = lines_of(DATA / name)
    assert len(variants) >= 30
    assert [v for v in variants if not is_instruction(v)] == []


def test_the_held_back_list_is_recognised_at_the_measured_rate():
    variants = lines_of(DATA / HELD_BACK)
    detected, _ = rate(variants)
    assert len(variants) >= 30
    # Measured 0.80 before any rule was written for it; docs/reliability.md says so.
    assert detected >= 0.80


def test_ordinary_sentences_that_look_like_orders_are_not_flagged():
    assert [s for s in lines_of(LOOKALIKES) if is_instruction(s)] == []


@pytest.mark.skipif(not NEWS.exists(), reason="../shared/data/vn_news_dev.jsonl.gz is absent")
def test_false_positives_on_a_thousand_news_sentences():
    sentences = news_sentences(1000)
    flagged, which = rate(sentences)
    assert len(sentences) == 1000
    assert flagged <= 0.005, which
