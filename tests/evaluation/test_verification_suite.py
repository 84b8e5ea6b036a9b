"""`evals/verification.yaml`: scripted wrong LLM replies are caught, right ones kept.

The suite is run as `assistant eval run` runs it, on its six invented articles, once with
the hashing embedder (hermetic) and once with the real model (marker `model`, as in CI):
every wrong claim (changed or misattributed figure, byline date, wrong date, Roman numeral,
number words, wrong unit, fake source, uncited sentence, obeyed planted instruction) must
be dropped and every right one shown, whatever order retrieval gives the passages in.
"""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.evaluation.runner import run_suite
from assistant.evaluation.suite import load_suite
from tests.conftest import PROJECT

SUITE = PROJECT / "evals" / "verification.yaml"
KINDS = (
    "wrong-figure misattributed byline-date wrong-date roman number-words fake-source "
    "uncited injection-obeyed wrong-unit"
).split()


def check(run) -> None:
    missed = [r.id for r in run.results if not r.correct]
    assert not missed, missed
    assert run.summary.claims_caught == 1.0 and run.summary.claims_kept == 1.0
    assert run.passed and run.setup["backend"] == "scripted"


def test_the_suite_has_every_kind_of_wrong_claim_and_right_ones():
    suite = load_suite(SUITE)
    kinds = Counter(tag for case in suite.cases for tag in case.tags)
    wrong = sum(len(case.expect.caught) for case in suite.cases)
    right = sum(len(case.expect.kept) for case in suite.cases)
    assert wrong >= 40 and right >= 20
    for kind in KINDS:
        assert kinds[kind] >= 4, kind


def test_wrong_claims_are_caught_and_right_ones_kept(settings):
    check(run_suite(load_suite(SUITE), settings))


@pytest.mark.model
def test_with_the_real_model(settings, monkeypatch, real_embedder):
    import assistant.wiring as wiring

    monkeypatch.setattr(wiring, "build_embedder", lambda _: real_embedder)  # load once
    real = settings.model_copy(
        update={
            "embedding": settings.embedding.model_copy(update={"backend": "sentence-transformers"})
        }
    )
    check(run_suite(load_suite(SUITE), real))
