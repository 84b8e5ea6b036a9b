"""Fuzzing the corpus reader (issue 16): random bytes, front matter and names never escape.

Hypothesis writes a few files per example (random bytes, Markdown with random YAML front
matter, HTML and text fragments) under random names (any bytes a Linux file name may hold,
UTF-8 or not) and scans the folder. Whatever it finds, `scan_corpus` returns: every file is
an article, skipped or rejected by name, and every reason is one printable line. 2,000
examples run in CI (about half a minute here).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.corpus.parsing import SUPPORTED_SUFFIXES
from assistant.corpus.reader import scan_corpus

LIMIT = 20_000

# Any bytes but "/" and NUL, which no Linux file name holds; hidden names are skipped by
# design, so a leading "." is avoided to keep the file in play.
_stems = st.binary(min_size=1, max_size=24).map(
    lambda raw: raw.replace(b"/", b"_").replace(b"\x00", b"_").lstrip(b".") or b"x"
)
_names = st.tuples(_stems, st.sampled_from([s.encode() for s in SUPPORTED_SUFFIXES])).map(
    lambda parts: parts[0] + parts[1]
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["2022-02-30", "2022-13-01", "31/02/2023", "0000-00-00", "1/1/99999"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_yaml_lines = st.lists(
    st.tuples(
        st.sampled_from(["title", "author", "date", "source", "x"]),
        st.one_of(_values.map(repr), st.text(max_size=40), st.just("[" * 300 + "]" * 300)),
    ),
    max_size=5,
)
_markdown = st.tuples(_yaml_lines, st.text(max_size=200)).map(
    lambda parts: "---\n" + "\n".join(f"{k}: {v}" for k, v in parts[0]) + "\n---\n" + parts[1]
)
_html = st.lists(
    st.sampled_from(
        [
            "<div>",
            "</div>",
            "<p>",
            "<h1>",
            "</h1>",
            "<script>",
            "<!--",
            "-->",
            "<meta name='date' content='2022-02-30'>",
            "<time datetime='x'>",
            "Tin ",
            "&amp;",
            "&#xD800;",
            "<br>",
            "\u0110\u00d0",
            "<![CDATA[",
            "<svg>",
        ]
    ),
    max_size=60,
).map("".join)
_texts = st.one_of(st.text(max_size=300), _markdown, _html)
_contents = st.one_of(
    st.binary(max_size=400),
    _texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
    _texts.map(lambda text: text.encode("utf-16")),
)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.dictionaries(_names, _contents, min_size=1, max_size=3))
def test_nothing_escapes_the_reader(files: dict[bytes, bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, data in files.items():
            (Path(os.fsdecode(os.fsencode(root) + b"/" + name))).write_bytes(data)
        scan = scan_corpus(root, LIMIT)
        accounted = (
            [article.id for article in scan.articles]
            + [name for name, _ in scan.skipped]
            + [name for name, _ in scan.rejected]
        )
        assert len(accounted) == len(files)
        for _, reason in scan.skipped + scan.rejected:
            assert "\n" not in reason
            reason.encode("utf-8")
