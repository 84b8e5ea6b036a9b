"""Turning the bytes of an article file into text, without ever dropping characters.

Tries, in order: a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32), strict UTF-8, then
Windows-1258 (legacy Vietnamese, whose tone marks decode as combining characters: the
caller normalises to NFC). Binary files are recognised and rejected with the file named.

Not done here: guessing other legacy encodings (TCVN3/VNI fonts), normalisation, parsing.
"""

from __future__ import annotations

import codecs

from assistant.errors import ArticleError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or DOCX/XLSX)",
    b"\x7fELF": "an executable",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an old Office document",
}

# Share of C0 control bytes above which undeclared bytes are taken for binary data.
_MAX_CONTROL_SHARE = 0.01


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    if b"\x00" in data:
        return "binary data (it contains NUL bytes)"
    controls = sum(1 for byte in data if byte < 32 and byte not in (9, 10, 13, 12))
    if data and controls / len(data) > _MAX_CONTROL_SHARE:
        return "binary data (too many control bytes)"
    return None


def _mostly_utf8(data: bytes) -> bool:
    """Valid multi-byte UTF-8 sequences far outnumber the broken ones."""
    decoded = data.decode("utf-8", errors="replace")
    broken = decoded.count("\ufffd")
    accented = sum(1 for ch in decoded if ord(ch) > 127) - broken
    return accented >= 5 * max(broken, 1)


def decode_article_bytes(data: bytes, name: str) -> str:
    """Decode `data` read from the file `name`; raise ArticleError if it is not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise ArticleError(
                    f"{name}: starts with a {encoding.upper()} byte-order mark but is not "
                    f"valid {encoding.upper()} (byte {error.start})"
                ) from error
    kind = _binary_kind(data)
    if kind:
        raise ArticleError(f"{name}: not a text article, looks like {kind}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        if _mostly_utf8(data):
            # Reading it as Windows-1258 would garble every accented letter around one bad byte.
            raise ArticleError(
                f"{name}: UTF-8 text with an invalid byte at offset {utf8_error.start}; "
                "fix or re-save the file as UTF-8"
            ) from utf8_error
        try:
            return data.decode("cp1258")
        except UnicodeDecodeError:
            raise ArticleError(
                f"{name}: cannot decode as UTF-8 (bad byte at {utf8_error.start}), UTF-16 "
                "or Windows-1258; save it as UTF-8 and try again"
            ) from utf8_error
