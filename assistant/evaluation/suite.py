"""Eval suites: the YAML files in `evals/`, read and validated with line-numbered errors.

A suite names itself, may bring its own corpus (a folder, relative to the suite file, that
is indexed into a temporary index for the run), sets thresholds, and lists cases:

    name: seed
    corpus: ../corpus            # optional; without it the configured index is used
    k: 5                         # optional: passages given to the answerer
    thresholds: {min_accuracy: 0.9}
    cases:
      - id: seed-01
        question: Tổng số đảng viên toàn tỉnh là bao nhiêu?
        expect: {any: ["27.350"]}
        article: 000_d06571e5afc15d7f.txt
        tags: [number]
      - id: seed-23
        turns: [Tính đến 15/9/2022 tỉnh kết nạp được bao nhiêu đảng viên mới?, Con số đó …]
        expect: {any: ["55%"]}
      - id: seed-21
        question: Năm 2022 tỉnh đã kỷ luật bao nhiêu đảng viên?
        expect: {abstain: true}

Not here: running cases or scoring them (`runner.py`, `metrics.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import SuiteError

SUITE_SUFFIXES = (".yaml", ".yml")
# Values read as the text written: YAML would make `27.350` the float 27.35 and
# `2022-03-23` a date, and an expected answer must stay exactly what the analyst typed.
TEXT_FIELDS = frozenset(
    {
        "name",
        "description",
        "id",
        "question",
        "turns",
        "article",
        "tags",
        "all",
        "any",
        "reply",
        "kept",
        "caught",
    }
)
_NULL = "tag:yaml.org,2002:null"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    """What a correct reply states: all of some answers, any of them, or an abstention."""

    all: list[str] = Field(default_factory=list, description="Every one must be stated.")
    any: list[str] = Field(default_factory=list, description="At least one must be stated.")
    abstain: bool = Field(False, description="The articles do not say: it must abstain.")
    ignore_diacritics: bool = Field(False, description="Compare text answers unaccented.")
    # For a scripted `reply`: a phrase of each right claim (must be shown) and of each
    # wrong claim (must not be).
    kept: list[str] = Field(default_factory=list, description="Right claims: shown.")
    caught: list[str] = Field(default_factory=list, description="Wrong claims: not shown.")

    @model_validator(mode="after")
    def _one_kind(self) -> Expect:
        given = [name for name in ("all", "any") if getattr(self, name)]
        if self.claims:
            if given or self.abstain:
                raise ValueError("`kept`/`caught` cannot be combined with answers or `abstain`")
            if any(not phrase.strip() for phrase in self.claims):
                raise ValueError("a claim phrase is empty")
            return self
        if self.abstain and given:
            raise ValueError("`abstain: true` cannot be combined with answers")
        if not self.abstain and len(given) != 1:
            raise ValueError(
                "give exactly one of `all: [...]`, `any: [...]`, `abstain: true` or "
                "`kept`/`caught` (with a `reply`)"
            )
        if any(not answer.strip() for answer in self.answers):
            raise ValueError("an expected answer is empty")
        return self

    @property
    def claims(self) -> list[str]:
        return self.kept + self.caught

    @property
    def answers(self) -> list[str]:
        return self.all or self.any

    @property
    def match(self) -> str:
        return "all" if self.all else "any"


class Case(_Strict):
    """One question (or conversation) and what its last answer must be."""

    id: str = Field(min_length=1)
    question: str | None = None
    turns: list[str] = Field(default_factory=list)
    expect: Expect
    article: str | None = Field(None, description="The gold source article id (its file).")
    tags: list[str] = Field(default_factory=list)
    reply: str | None = Field(
        None, description="What a scripted LLM answers (`[@phrase]` cites the passage)."
    )

    @model_validator(mode="after")
    def _question_or_turns(self) -> Case:
        if (self.question is None) == (not self.turns):
            raise ValueError("give either `question` or `turns`, not both or neither")
        if any(not turn.strip() for turn in self.conversation):
            raise ValueError("a question is empty")
        if (self.reply is not None) != bool(self.expect.claims):
            raise ValueError("a `reply` needs `expect: {kept/caught}`, and those need a `reply`")
        if self.reply is not None and self.turns:
            raise ValueError("a scripted `reply` answers one `question`, not `turns`")
        return self

    @property
    def conversation(self) -> list[str]:
        return self.turns or [self.question or ""]

    @property
    def kind(self) -> str:
        """How latency is grouped: follow-up, abstention, or the first tag."""
        if len(self.conversation) > 1:
            return "followup"
        if self.expect.abstain:
            return "abstain"
        return self.tags[0] if self.tags else "question"


class Thresholds(_Strict):
    """Gates a run must pass; a missed one makes `assistant eval run` exit non-zero."""

    min_accuracy: float | None = Field(None, ge=0, le=1, description="Of all cases.")
    min_answer_accuracy: float | None = Field(
        None, ge=0, le=1, description="Of the answerable cases, answered right."
    )
    min_abstention: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Of the cases that must abstain, the share that did; "
        "unset, `min_accuracy` applies to them on their own.",
    )
    min_abstention_accuracy: float | None = Field(None, ge=0, le=1)
    min_hit_at_k: float | None = Field(None, ge=0, le=1)
    min_mrr: float | None = Field(None, ge=0, le=1)
    min_citation_support: float | None = Field(None, ge=0, le=1)
    max_p95_ms: float | None = Field(None, gt=0)
    min_claims_caught: float | None = Field(
        None, ge=0, le=1, description="Of the wrong claims in scripted replies, not shown."
    )
    min_claims_kept: float | None = Field(
        None, ge=0, le=1, description="Of the right claims in scripted replies, shown."
    )

    @property
    def abstention_gate(self) -> float | None:
        """The bar for the must-abstain cases: a suite whose unanswerable questions are all
        answered cannot pass on the strength of its answerable ones."""
        return self.min_abstention if self.min_abstention is not None else self.min_accuracy


class Suite(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    corpus: Path | None = Field(None, description="Articles of its own (relative to the file).")
    k: int | None = Field(None, ge=1, le=50)
    thresholds: Thresholds = Thresholds()
    cases: list[Case] = Field(min_length=1)
    path: Path | None = Field(None, exclude=True)


def load_suite(path: Path) -> Suite:
    """Read and validate a suite file; a `SuiteError` names the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SuiteError(f"{path}: cannot read the suite ({error})") from error
    try:
        data, lines = _load_with_lines(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        context, started = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and started:  # e.g. an unclosed quote: say where it was opened
            problem = f"{problem}, {context} on line {started.line + 1}"
        raise SuiteError(f"{path}{where}: not valid YAML ({problem})") from error
    if not isinstance(data, dict):
        raise SuiteError(f"{path}:1: a suite is a mapping with `name` and `cases`")
    try:
        suite = Suite.model_validate({**data, "path": None})
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        message = first["msg"].removeprefix("Value error, ")
        raise SuiteError(
            f"{path}:{_line_of(lines, loc)}: {field or '(top level)'}: {message}"
        ) from error
    seen: set[str] = set()
    for number, case in enumerate(suite.cases):
        if case.id in seen:
            line = lines.get(("cases", number, "id"), 1)
            raise SuiteError(f"{path}:{line}: cases[{number}].id: {case.id!r} is used twice")
        seen.add(case.id)
    corpus = (path.parent / suite.corpus).resolve() if suite.corpus else None
    if corpus is not None and not corpus.is_dir():
        raise SuiteError(f"{path}:{lines.get(('corpus',), 1)}: corpus {corpus} is not a folder")
    return suite.model_copy(update={"path": path, "corpus": corpus})


def find_suites(targets: list[Path]) -> list[Path]:
    """The suite files among `targets` (folders are searched, sorted by name)."""
    found = []
    for target in targets:
        if target.is_dir():
            found += sorted(p for p in target.iterdir() if p.suffix in SUITE_SUFFIXES)
        elif target.exists():
            found.append(target)
        else:
            raise SuiteError(f"{target}: no such suite file or folder")
    return found


def _load_with_lines(text: str) -> tuple[Any, dict[tuple, int]]:
    """The YAML document as plain data, and the 1-based line of every key and item path."""
    lines: dict[tuple, int] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        return None, lines
    constructor = yaml.SafeLoader("")

    def build(node: yaml.Node, path: tuple) -> Any:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                result[key] = build(value_node, (*path, key))
                lines[(*path, key)] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag != _NULL and TEXT_FIELDS.intersection(k for k in path if isinstance(k, str)):
            return node.value
        return constructor.construct_object(node, deep=True)

    return build(root, ()), lines


def _line_of(lines: dict[tuple, int], loc: tuple) -> int:
    """The line of the deepest part of `loc` that exists in the file."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1
