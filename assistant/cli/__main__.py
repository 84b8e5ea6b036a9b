"""`python -m assistant.cli`: the same as the `assistant` console script."""

from assistant.cli import main

main()
