"""The reader benchmark's question sets, built from ../shared/data into a work folder.

Each set is a corpus folder, an eval suite of answerable (and unanswerable) cases over it,
and "absent" cases: questions about a fixed half of the set's articles that is *not*
indexed, which must all be abstained on.

- `vinewsqa`, `viquad`: SQuAD files, split at random (fixed seed) into an indexed half and
  an absent half; the indexed half goes through `assistant eval import-squad`.
- `party`: the 30 Party-news articles of `party_dev_qa.jsonl` plus distractors drawn (fixed
  seed) from the news file, all asked; its absent cases are asked of a second index that
  lacks a fixed half of the 30 articles.

The data is research-only: it is read from ../shared and written only to the work folder
(outside the project), never into the repository. Not here: running or scoring (`reader.py`).
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from assistant.evaluation.squad import import_squad
from assistant.evaluation.suite import Case, Expect, load_suite

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SQUAD_FILES = {
    "vinewsqa": SHARED / "dev_qa" / "vinewsqa_dev.json",
    "viquad": SHARED / "dev_qa" / "viquad_dev.json",
}
PARTY = SHARED / "party_dev_qa.jsonl"
NEWS = SHARED / "vn_news_dev.jsonl.gz"
SEED = 14


@dataclass
class QuestionSet:
    """One benchmark set: where its corpus is, and the cases to ask of it."""

    name: str
    corpus: Path
    cases: list[Case]
    kinds: dict[str, str]  # case id -> answer kind
    absent_corpus: Path | None = None  # party: a smaller corpus for its absent cases
    absent: list[Case] = field(default_factory=list)


def available(name: str) -> bool:
    needed = [PARTY, NEWS] if name == "party" else [SQUAD_FILES[name]]
    return all(path.is_file() for path in needed)


def squad_set(
    name: str, work: Path, articles: int, absent_questions: int, source: Path | None = None
) -> QuestionSet:
    """`articles` contexts indexed (their questions asked), and questions of as many others."""
    document = json.loads((source or SQUAD_FILES[name]).read_text(encoding="utf-8"))
    entries = [
        (item.get("title") or "", paragraph)
        for item in document["data"]
        for paragraph in item["paragraphs"]
    ]
    random.Random(SEED).shuffle(entries)
    present, absent = entries[:articles], entries[articles : 2 * articles]
    folder = work / name
    suite_path = folder / f"{name}.yaml"
    if not suite_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subset = {"data": [{"title": title, "paragraphs": [p]} for title, p in present]}
        source = folder / f"{name}-indexed-half.json"
        source.write_text(json.dumps(subset, ensure_ascii=False), encoding="utf-8")
        import_squad(source, folder, name=name)
    suite = load_suite(suite_path)
    cases = list(suite.cases)
    kinds = {case.id: answer_kind(case.expect.answers) for case in cases}
    asked = [
        (paragraph["context"], qa)
        for _, paragraph in absent
        for qa in paragraph["qas"]
        if not qa.get("is_impossible")
    ]
    random.Random(SEED).shuffle(asked)
    absent_cases = [
        Case(id=f"absent-{n}", question=qa["question"], expect=Expect(abstain=True))
        for n, (_, qa) in enumerate(asked[:absent_questions])
    ]
    return QuestionSet(name, suite.corpus or folder / "corpus", cases, kinds, absent=absent_cases)


def party_set(work: Path, distractors: int) -> QuestionSet:
    """The party questions over their 30 articles plus `distractors` news articles."""
    rows = [json.loads(line) for line in PARTY.read_text(encoding="utf-8").splitlines() if line]
    gold = sorted({row["article"] for row in rows if row.get("article")})
    halves = list(gold)
    random.Random(SEED).shuffle(halves)
    dropped = set(halves[len(gold) // 2 :])
    folder = work / "party"
    corpus, absent_corpus = folder / "corpus", folder / "corpus-half"
    if not corpus.exists():
        records = _news(set(gold), distractors)
        _write_news(corpus, records)
        _write_news(absent_corpus, [r for r in records if str(r["id"]) not in dropped])
    cases, absent, kinds = [], [], {}
    for row in rows:
        asked = {"turns": row["turns"]} if row.get("turns") else {"question": row["question"]}
        answers = row.get("answers") or []
        if answers:
            expect = Expect(all=answers) if row.get("match") == "all" else Expect(any=answers)
        else:
            expect = Expect(abstain=True)
        article = f"news_{row['article']}.txt" if row.get("article") else None
        case = Case(id=row["id"], expect=expect, article=article, **asked)
        cases.append(case)
        kinds[case.id] = row.get("kind") or ("unanswerable" if not answers else "sentence")
        if answers and row.get("article") in dropped and "question" in row:
            absent.append(
                Case(
                    id=f"absent-{row['id']}", question=row["question"], expect=Expect(abstain=True)
                )
            )
    return QuestionSet("party", corpus, cases, kinds, absent_corpus, absent)


def _news(gold: set[str], distractors: int) -> list[dict]:
    """The gold articles, then `distractors` others that mention the Party (fixed seed)."""
    found, others = [], []
    with gzip.open(NEWS, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if str(record["id"]) in gold:
                found.append(record)
            elif "Đảng" in unicodedata.normalize("NFC", record.get("body") or ""):
                others.append(record)
    random.Random(SEED).shuffle(others)
    return found + others[:distractors]


def _write_news(folder: Path, records: list[dict]) -> None:
    scratch = folder.with_name(folder.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for record in records:
        text = f"{record['title']}\n\n{record.get('lead') or ''}\n\n{record['body']}\n"
        (scratch / f"news_{record['id']}.txt").write_text(text, encoding="utf-8")
    scratch.rename(folder)


def answer_kind(answers: list[str]) -> str:
    """A SQuAD answer's kind, read from the gold text (not from our question analysis)."""
    from assistant.text.quantities import find_quantities

    gold = answers[0] if answers else ""
    found = {quantity.kind for quantity in find_quantities(gold)}
    words = gold.split()
    if "date" in found or (words and words[0].lower() in ("ngày", "tháng", "năm")):
        return "date"
    if "percent" in found:
        return "percent"
    if "number" in found and len(words) <= 6:
        return "number"
    if words and len(words) <= 6 and all(word[0].isupper() for word in words if word[0].isalpha()):
        return "name"
    return "phrase" if len(words) <= 5 else "long"
