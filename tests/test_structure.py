"""The package's shape, checked: small modules, a thin app.py, no private name used across
modules.

The import layers and the absence of import circles are checked by import-linter
(`make lint`, contracts in pyproject.toml); these are the rules it has no contract for.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT

MAX_LINES = 300
# A module may be longer when its docstring says why, in these words.
LONG_REASON = "Longer than 300 lines because"


def _sources() -> list[Path]:
    return [*sorted((PROJECT / "assistant").rglob("*.py")), PROJECT / "app.py"]


def _lines(path: Path) -> int:
    return path.read_text(encoding="utf-8").count("\n")


def private_imports(path: Path, root: Path) -> list[str]:
    """`from assistant.x import _name` lines in `path`, as "file: module._name"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("assistant"):
            found += [
                f"{path.relative_to(root)}: {node.module}.{alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_modules_stay_under_300_lines_or_say_why():
    too_long = [
        f"{path.relative_to(PROJECT)} ({_lines(path)} lines)"
        for path in _sources()
        if _lines(path) > MAX_LINES
        and LONG_REASON not in (ast.get_docstring(ast.parse(path.read_text("utf-8"))) or "")
    ]
    assert not too_long, f"over {MAX_LINES} lines without saying why: {too_long}"


def test_app_py_only_composes():
    assert _lines(PROJECT / "app.py") <= 150


def test_no_private_name_is_imported_across_modules():
    found = [hit for path in _sources() for hit in private_imports(path, PROJECT)]
    assert not found, found


def test_the_private_import_check_sees_one_and_only_one(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from assistant.cli.options import _progress, public, __version__\n"
        "from elsewhere import _ok\n"
    )
    assert private_imports(module, tmp_path) == ["m.py: assistant.cli.options._progress"]
