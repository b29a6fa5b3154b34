"""Turn the bytes of a release file into its text, or refuse them with a one-line reason.

Why: releases arrive as whatever a scraper saved: UTF-8 with or without a byte-order mark,
UTF-16 from a Windows tool, an HTML page, a PDF, an empty file, a 50 MB log. Every offset in the
graph points into the text this module returns, so it decodes in exactly one way and never
repairs anything:

- the encoding comes from a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE), else strict
  UTF-8; the mark itself is not part of the text;
- line endings are kept as stored (CRLF stays CRLF): offsets count the code points of the text
  as stored, so a reader who decodes the file the same way finds every quote at its offsets;
- NUL bytes or a known binary signature mean a binary file; HTML markup means a saved web page,
  refused rather than stripped, because stripping would invent a text nobody published;
- files over :data:`MAX_RELEASE_BYTES` are refused before they are read, and texts of more
  than :func:`max_numbers` numbers before anything is extracted: a build's time and memory
  grow linearly with the text and with its figures (a 1 MiB release of real text takes about
  25 s and 1 GB, ``benchmarks/adversarial.py``), so a 50 MB file, or a megabyte of numbers
  (a hundred thousand figures, some 8 GB), is refused in a second instead.

It deliberately does not guess encodings without a mark (no chardet): a wrong guess would give
wrong numbers silently, a refusal costs one re-save.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
from itertools import islice
from pathlib import Path

from kg.errors import InputError

MAX_RELEASE_BYTES = 1 << 20
"""Largest release file read (1 MiB, about 100 times the longest release seen)."""

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 first: its little-endian mark starts with the UTF-16 one
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/OpenDocument file)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"),
    (b"{\\rtf", "an RTF document"),
)
_HTML_DOCUMENT = re.compile(r"<(?:!doctype\s+html|html|head|body)\b[^<>]*>", re.IGNORECASE)
_HTML_CLOSING = re.compile(
    r"</(?:p|div|span|a|li|ul|td|tr|table|script|style|h[1-6]|title)\s*>", re.IGNORECASE
)
_HTML_CLOSING_LIMIT = 3  # one stray "</p>" in a release is a typo; three is markup

MAX_NUMBERS = 10_000
"""Most numbers (runs of digits) one release text may hold, unless :data:`MAX_NUMBERS_ENV`
says otherwise. The richest release seen (an annual provincial report) holds 67; a megabyte of
real releases run together about 6,000. Every number may become a figure of some thirty triples
and a row of every table, and a build's memory grows by some 70 to 170 KB per number
(``benchmarks/adversarial.py``): the limit keeps one release's build within about 1 to 2 GB,
whatever its text is made of."""
MAX_NUMBERS_ENV = "NARCOKG_MAX_NUMBERS"
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def max_numbers() -> int:
    """The limit on numbers in one release: :data:`MAX_NUMBERS_ENV` where set (a positive
    integer; an operator with the memory to spare raises it), else :data:`MAX_NUMBERS`."""
    raw = os.environ.get(MAX_NUMBERS_ENV, "").strip()
    if not raw:
        return MAX_NUMBERS
    if not raw.isdigit() or int(raw) < 1:
        raise InputError(Path(MAX_NUMBERS_ENV), f"must be a positive integer, not {raw!r}")
    return int(raw)


def _number_limit(path: Path, text: str) -> None:
    """Refuse ``text`` when it holds more than :func:`max_numbers` numbers (counted up to one
    past the limit: a cheap scan, linear in the text)."""
    limit = max_numbers()
    count = sum(1 for _ in islice(_DIGITS.finditer(text), limit + 1))
    if count > limit:
        raise InputError(
            path,
            f"more than {limit} numbers in one release text; a press release holds a few "
            f"hundred at most (set {MAX_NUMBERS_ENV} to build it anyway)",
        )


def _size_limit(path: Path, max_bytes: int) -> None:
    """Refuse what is not a regular file (a FIFO would block) or is too large to build."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, "not a regular file")
    if info.st_size > max_bytes:
        raise InputError(
            path,
            f"{info.st_size} bytes is over the size limit of {max_bytes} bytes for one release "
            "text; split it into its releases",
        )


def _looks_like_utf16(data: bytes) -> bool:
    """Mostly-ASCII UTF-16 without a mark: NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > 0.9 * len(even) or odd.count(0) > 0.9 * len(odd)


def decode(path: Path, data: bytes) -> str:
    """The text of ``data`` (read from ``path``, named in errors), or :class:`InputError`."""
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise InputError(path, f"binary file ({what}), not a release text")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(path, f"not {name} at byte {exc.start + len(bom)}") from exc
            break
    else:
        if b"\x00" in data:
            if _looks_like_utf16(data):
                raise InputError(
                    path, "looks like UTF-16 without a byte-order mark; save it as UTF-8"
                )
            raise InputError(path, "binary file (contains NUL bytes), not a release text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not UTF-8 at byte {exc.start}") from exc
    if "\x00" in text:
        raise InputError(path, "binary file (contains NUL characters), not a release text")
    if not text.strip():
        raise InputError(path, "empty release text")
    head = text[:65536]
    if _HTML_DOCUMENT.search(head) or len(_HTML_CLOSING.findall(head)) >= _HTML_CLOSING_LIMIT:
        raise InputError(
            path, "an HTML page, not a release text; save the article's plain text instead"
        )
    _number_limit(path, text)
    return text


def read_release_bytes(path: Path, *, max_bytes: int = MAX_RELEASE_BYTES) -> tuple[str, str]:
    """Return ``(text, sha256 of the file's bytes)`` of the release file at ``path``."""
    _size_limit(path, max_bytes)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:  # grew since stat
        raise InputError(path, f"over the size limit of {max_bytes} bytes for one release text")
    return decode(path, data), hashlib.sha256(data).hexdigest()
