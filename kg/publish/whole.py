"""The whole-dataset dumps (N-Quads, TriG, JSON-LD), assembled from each graph's pieces.

Why: a whole-dataset dump is the concatenation of its graphs' serialisations (N-Quads as they
are, TriG blocks after one prefix header, JSON-LD node objects inside one ``@graph`` array), and
the build keeps each graph's piece in ``<dumps>/.fragments/`` (kg/publish/describe.py). Writing
the concatenation costs time in proportion to the dataset's bytes (about 3 GB at 10,000
releases), so the build no longer writes it: ``narcokg dump`` writes it on demand and
``narcokg web`` streams it from the pieces of its view. Both use this module, so the bytes a
user downloads, the bytes ``narcokg dump`` writes and the ``dcat:byteSize`` the description
states are one and the same (:func:`size` is computed from the pieces' sizes alone).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from kg.namespaces import PREFIXES

DUMP_STEM = "narcotics-kg"
WHOLE = ("nq", "trig", "jsonld")
"""The whole-dataset formats, by file suffix."""

_CHUNK = 1 << 20


def jsonld_context() -> dict[str, object]:
    """The JSON-LD context of the dumps: the project's prefixes (a term per namespace)."""
    return {"@context": dict(sorted(PREFIXES.items()))}


def prefix_header(prefixes: dict[str, str]) -> str:
    """Turtle/TriG ``@prefix`` lines, in the mapping's order."""
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items())


def head(key: str) -> bytes:
    """What comes before the first graph's piece in the ``key`` dump."""
    if key == "trig":
        return prefix_header(PREFIXES).encode("utf-8")
    if key == "jsonld":
        text = json.dumps(jsonld_context(), indent=1)[:-2]  # drop the closing "\n}"
        return f'{text},\n "@graph": ['.encode()
    return b""


def tail(key: str) -> bytes:
    """What comes after the last graph's piece in the ``key`` dump."""
    return b"]\n}\n" if key == "jsonld" else b""


def size(key: str, piece_sizes: Sequence[int]) -> int:
    """The byte size of the ``key`` dump whose pieces have ``piece_sizes`` (in graph order).

    JSON-LD separates the node objects with commas and leaves out empty graphs, which have
    none; the other formats are plain concatenations.
    """
    total = len(head(key)) + sum(piece_sizes) + len(tail(key))
    if key == "jsonld":
        total += max(0, sum(1 for s in piece_sizes if s) - 1)
    return total


def chunks(key: str, pieces: Sequence[Path]) -> Iterator[bytes]:
    """The bytes of the ``key`` dump made of ``pieces`` (files, in graph order), in chunks of
    at most 1 MiB, so a dump of any size streams in constant memory."""
    if key not in WHOLE:
        raise ValueError(f"not a whole-dataset format: {key!r}")
    yield head(key)
    separator = b""
    for path in pieces:
        with path.open("rb") as piece:
            first = True
            while block := piece.read(_CHUNK):
                if key == "jsonld" and first:
                    yield separator
                    separator = b","
                first = False
                yield block
    yield tail(key)


def write(key: str, pieces: Sequence[Path], out: BinaryIO) -> int:
    """Write the ``key`` dump made of ``pieces`` to ``out``; return the bytes written."""
    written = 0
    for block in chunks(key, pieces):
        out.write(block)
        written += len(block)
    return written
