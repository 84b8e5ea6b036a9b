"""`python -m bench NAME [ARGS...]`: run the benchmark module bench/NAME.py with ARGS.

`python -m bench` alone lists the benchmarks (the first line of each module's docstring,
read without importing it). `python -m bench.NAME ARGS` still works; this only saves
remembering module paths. Helper modules without a `main()` are not listed.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> dict[str, str]:
    """Module name -> first docstring line, for bench modules that define main()."""
    found = {}
    for path in sorted(HERE.glob("*.py")):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body):
            found[path.stem] = (ast.get_docstring(tree) or "").split("\n", 1)[0]
    return found


def usage(known: dict[str, str]) -> str:
    width = max(map(len, known), default=0)
    lines = ["usage: python -m bench NAME [ARGS...]   (NAME --help for its options)", ""]
    lines += [f"  {name:<{width}}  {summary}" for name, summary in known.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    known = benchmarks()
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(known))
        return 0 if argv else 2
    name = argv[0].replace("-", "_")
    if name not in known:
        print(f"unknown benchmark {argv[0]!r}\n\n{usage(known)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{name}")
    # The modules parse sys.argv themselves; give them theirs, named as typed.
    sys.argv = [f"python -m bench {name}", *argv[1:]]
    status = module.main()
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())
