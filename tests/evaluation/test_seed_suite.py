"""`assistant eval run evals/seed.yaml` with the real model on the real seed (marker `model`).

The command CI gates on: it must print its table, write both reports, pass the suite's
thresholds and exit 0. Every answer comes from retrieval and extraction over the seed
article; the gold answers in the suite are only compared with.
"""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from tests.conftest import PROJECT, SEED

pytestmark = pytest.mark.model


def test_the_seed_suite_passes(tmp_path, monkeypatch, real_embedder):
    import assistant.wiring as wiring

    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED, tmp_path / "corpus" / SEED.name)
    monkeypatch.setenv("ASSISTANT_CORPUS", str(tmp_path / "corpus"))
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    monkeypatch.setattr(wiring, "build_embedder", lambda settings: real_embedder)  # load once
    runner = CliRunner()
    assert runner.invoke(cli, ["index", "update"]).exit_code == 0
    stem = tmp_path / "reports" / "seed"
    result = runner.invoke(
        cli, ["eval", "run", str(PROJECT / "evals" / "seed.yaml"), "--report", str(stem)]
    )
    assert result.exit_code == 0, result.output
    assert "seed (24 cases)" in result.output and "passed" in result.output
    suite = json.loads(stem.with_suffix(".json").read_text("utf-8"))["suites"][0]
    cases = {case["id"]: case for case in suite["cases"]}
    assert cases["seed-01"]["correct"] and cases["seed-01"]["short_answer"] == "27.350 người"
    assert cases["seed-01"]["citations"][0]["article_id"] == SEED.name
    assert suite["summary"]["accuracy"] >= 0.9 and suite["summary"]["hit_at_k"] >= 0.9
    assert stem.with_suffix(".md").exists()
