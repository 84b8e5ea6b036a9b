"""Import a SQuAD-format QA dataset (UIT-ViQuAD, UIT-ViNewsQA…) as a suite plus a corpus.

Each distinct context becomes one Markdown article in `OUT/corpus/` (front matter with the
dataset title), and each question a case whose gold article is that file: its answer texts
become `expect: {any: […]}`, and a SQuAD 2.0 `is_impossible` question becomes
`expect: {abstain: true}`. The suite `OUT/NAME.yaml` points at the corpus, so
`assistant eval run OUT/NAME.yaml` indexes the contexts into a temporary index and runs.

Not here: downloading datasets (give the file), or scoring (the suite is an ordinary one).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import SuiteError
from assistant.text.normalize import fold_diacritics, normalize_inline, normalize_text


@dataclass(frozen=True)
class ImportReport:
    suite: Path
    articles: int
    cases: int
    impossible: int
    skipped: list[str]


def import_squad(
    source: Path, out: Path, *, name: str | None = None, limit: int | None = None
) -> ImportReport:
    """Write `out/corpus/*.md` and `out/<name>.yaml` from the SQuAD file `source`."""
    data = _read(source)
    name = name or _slug(source.stem) or "squad"
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}  # context hash -> article file name
    cases: list[dict] = []
    skipped: list[str] = []
    ids: set[str] = set()
    for title, where, paragraph in _paragraphs(data):
        context = normalize_text(str(paragraph.get("context") or ""))
        if not context.strip():
            skipped.append(f"{where}: empty context")
            continue
        key = hashlib.sha256(context.encode()).hexdigest()
        if key not in files:
            files[key] = f"{_slug(title)[:60] or 'bai'}-{len(files) + 1:05d}.md"
            _write_article(corpus / files[key], title, context, source.name)
        for q, qa in enumerate(_list(paragraph, "qas", where)):
            if limit and len(cases) >= limit:
                break
            case = _case(qa, files[key], f"{where}.qas[{q}]", len(cases) + 1)
            if isinstance(case, str):
                skipped.append(case)
                continue
            if case["id"] in ids:  # ids must be unique within a suite
                case["id"] = f"{case['id']}-{len(cases) + 1}"
            ids.add(case["id"])
            cases.append(case)
        if limit and len(cases) >= limit:
            break
    if not cases:
        raise SuiteError(f"{source}: no usable question found")
    suite = {
        "name": name,
        "description": f"Imported from {source.name} (SQuAD format) by `assistant eval "
        "import-squad`.",
        "corpus": "corpus",
        "cases": cases,
    }
    path = out / f"{name}.yaml"
    text = yaml.safe_dump(suite, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")
    impossible = sum(1 for case in cases if case["expect"].get("abstain"))
    return ImportReport(path, len(files), len(cases), impossible, skipped)


def _paragraphs(data: list[dict]) -> Iterator[tuple[str, str, dict]]:
    """(article title, where, paragraph) for every paragraph of every article."""
    for a, item in enumerate(data):
        title = normalize_inline(str(item.get("title") or f"Bài {a + 1}"))
        for p, paragraph in enumerate(_list(item, "paragraphs", f"data[{a}]")):
            yield title, f"data[{a}].paragraphs[{p}]", paragraph


def _read(source: Path) -> list[dict]:
    try:
        document = json.loads(source.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        raise SuiteError(f"{source}: cannot read ({error})") from error
    except json.JSONDecodeError as error:
        raise SuiteError(f"{source}:{error.lineno}: not valid JSON ({error.msg})") from error
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise SuiteError(f"{source}: not a SQuAD file (expected an object with a `data` list)")
    return document["data"]


def _list(parent: Any, key: str, where: str) -> list[dict]:
    value = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SuiteError(f"{where}: `{key}` must be a list of objects")
    return value


def _case(qa: dict, article: str, where: str, number: int) -> dict | str:
    """The suite case of one SQuAD question, or why it was skipped."""
    question = normalize_inline(str(qa.get("question") or ""))
    if not question:
        return f"{where}: no question"
    case: dict[str, Any] = {"id": str(qa.get("id") or f"q{number}"), "question": question}
    if qa.get("is_impossible"):
        case["expect"] = {"abstain": True}
    else:
        answers = [
            normalize_inline(str(a.get("text") or ""))
            for a in qa.get("answers") or []
            if isinstance(a, dict)
        ]
        answers = list(dict.fromkeys(a for a in answers if a))
        if not answers:
            return f"{where}: no answer text"
        case["expect"] = {"any": answers}
    case["article"] = article
    return case


def _write_article(path: Path, title: str, context: str, source: str) -> None:
    front = yaml.safe_dump({"title": title, "source": source}, allow_unicode=True, width=1000)
    path.write_text(f"---\n{front}---\n\n{context}\n", encoding="utf-8")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold_diacritics(text).lower()).strip("-")
