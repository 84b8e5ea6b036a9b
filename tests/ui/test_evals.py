"""The Evals tab's functions: listing suites, running one, and escaped report HTML."""

from __future__ import annotations

import shutil

from assistant.answering.question import analyse
from assistant.answering.service import Assistant
from assistant.ui.evals import example_questions, report_html, run_suite_html, suite_choices
from tests.answering.passages import article_from_file, best_passages, passages_of
from tests.conftest import PROJECT, SEED

SUITE = """\
name: mini
{corpus}
thresholds: {{min_accuracy: 1.0}}
cases:
  - id: total
    question: "Tổng số đảng viên toàn tỉnh là bao nhiêu?"
    expect: {{any: ["27.350"]}}
    article: {seed}
  - id: budget
    question: "Tổng thu ngân sách của tỉnh năm 2022 là bao nhiêu?"
    expect: {{abstain: true}}
"""


class TermRetriever:
    def __init__(self):
        self.passages = passages_of(article_from_file(SEED))

    def retrieve(self, question, k=5):
        return best_passages(analyse(question), self.passages, k)


def test_the_project_suites_are_offered(tmp_path):
    labels = dict(suite_choices(PROJECT / "evals"))
    assert "seed (24 câu hỏi)" in labels
    (tmp_path / "bad.yaml").write_text("name: [")
    assert suite_choices(tmp_path) == [("bad.yaml (tệp không hợp lệ)", str(tmp_path / "bad.yaml"))]
    assert suite_choices(tmp_path / "missing") == []


def test_example_questions_come_from_the_suites(tmp_path):
    examples = example_questions(PROJECT / "evals")
    assert examples[0] == "Tổng số đảng viên toàn tỉnh là bao nhiêu?" and len(examples) == 4
    (tmp_path / "a.yaml").write_text(
        "name: a\ncases:\n"
        "  - {id: a1, question: 'Không có?', expect: {abstain: true}}\n"
        "  - {id: a2, turns: ['Một?', 'Hai?'], expect: {any: ['2']}}\n"
        "  - {id: a3, question: 'Ba?', expect: {any: ['3']}}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text("name: b\ncorpus: bai\ncases:\n"
                                     "  - {id: b1, question: 'Bốn?', expect: {any: ['4']}}\n",
                                     encoding="utf-8")  # fmt: skip
    (tmp_path / "c.yaml").write_text("cases: [", encoding="utf-8")
    assert example_questions(tmp_path) == ["Ba?"]  # answerable, one turn, the app's index
    assert example_questions(tmp_path / "missing") == []


def test_a_suite_runs_on_the_apps_own_assistant(tmp_path, settings):
    path = tmp_path / "mini.yaml"
    path.write_text(SUITE.format(corpus="", seed=SEED.name), encoding="utf-8")
    steps = []
    status, page = run_suite_html(
        str(path), settings, Assistant(TermRetriever()), lambda f, what: steps.append(what)
    )
    assert status.startswith("mini: ĐẠT. Báo cáo: ") and str(tmp_path / "reports") in status
    assert "<td>total</td><td>✅ đúng</td>" in page and "27.350" in page
    assert steps == ["1/2 câu hỏi", "2/2 câu hỏi"]
    assert len(list((tmp_path / "reports").iterdir())) == 2  # JSON and Markdown


def test_a_suite_with_its_own_corpus_is_indexed_for_the_run(tmp_path, settings):
    (tmp_path / "articles").mkdir()
    shutil.copy(SEED, tmp_path / "articles" / SEED.name)
    path = tmp_path / "mini.yaml"
    path.write_text(SUITE.format(corpus="corpus: articles", seed=SEED.name), encoding="utf-8")
    status, page = run_suite_html(str(path), settings, Assistant(TermRetriever()))
    assert status.startswith("mini: ĐẠT") and "✅ đúng" in page


def test_errors_are_a_status_line(tmp_path, settings):
    assistant = Assistant(TermRetriever())
    assert run_suite_html(None, settings, assistant) == ("Chưa chọn bộ câu hỏi.", "")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncases: []\n")
    status, page = run_suite_html(str(bad), settings, assistant)
    assert status.startswith("Không chạy được: ") and "bad.yaml:2" in status and page == ""


def test_article_text_in_the_report_is_escaped():
    case = {
        "id": "x",
        "correct": False,
        "should_abstain": False,
        "expected": ["<b>1</b>"],
        "question": "q",
        "error": None,
        "got": "<script>alert(1)</script>",
        "citations": [{"n": 1, "article_id": "a.txt", "quote": "<img src=x onerror=y>"}],
    }
    summary = {"accuracy": 0.0, "abstention_accuracy": 1.0, "hit_at_k": None, "mrr": None,
               "citation_support": None, "latency_ms": {}}  # fmt: skip
    page = report_html({"summary": summary, "cases": [case]})
    assert "<script>" not in page and "<img" not in page and "<b>1" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=y&gt;" in page
