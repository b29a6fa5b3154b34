"""Fuzzing the number reader, the segmenter, the extractor and the file reader.

Hypothesis feeds arbitrary Unicode (and, for the reader, arbitrary bytes) and text assembled
from the pieces releases are made of (numbers, garbled numbers, units, vocabulary names,
punctuation, line breaks of every kind). The contracts checked:

- nothing raises except the documented :class:`kg.errors.KgError` subclasses (only the file
  reader has any reason to raise at all);
- offsets are always valid: ``text[start:end] == verbatim`` for every number, figure, mention
  and sentence; sentences are in order, do not overlap, and together cover every non-space
  character of the text; a malformed figure has no value;
- what the extractor finds maps to N-Triples that the store loads (no escaping hole).

The examples run per target go to tests/.reliability/figures.json for docs/reliability.md;
``NARCOKG_FUZZ_SCALE`` multiplies the budgets for a deeper run than CI's.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import KgError
from kg.extract.extractor import Extractor
from kg.extract.lexicon import Lexicon
from kg.extract.measures import default_measures
from kg.extract.records import Status
from kg.store.parallel import map_extraction
from kg.text.corpus import Release, read_text
from kg.text.numerals import scan
from kg.text.segment import paragraphs
from kg.text.textfile import decode
from tests.reliability_log import record

pytestmark = pytest.mark.slow  # thousands of generated texts per target

RUN: Counter[str] = Counter()
SCALE = int(os.environ.get("NARCOKG_FUZZ_SCALE", "1"))
"""Multiplies every example budget (``NARCOKG_FUZZ_SCALE=50`` for a deep run)."""

PIECES = [
    "1,313.2", "9,26", "1443,<>", "8.<>%", "<>", "3.5", "12", "0", "007", "1.2.3", "4,5,6",
    "2023", "20%", "ten thousand", "hundred million", "twenty-one", "two", "%", ",", ".",
    " tons", " kilograms", " kg", " mu", " cases", " suspects", " drug users", " hectares",
    "From January to August", "year on year", "up", "down", "respectively", "more than",
    "about", "Yunnan", "Guangdong", "Hunan", "Clean Source and Cut off the Flow-2023",
    "methamphetamine", "heroin", "ice", "police", "seized", "cracked", "arrested", "the",
    "National Narcotics Control Commission", "Ministry of Public Security", "No.", "e.g.",
    '"', "“", "”", "(", ")", ":", ";", "-", "–", "1.", "2)", "•", " ", " ", "\n", "\n\n",
    "\r\n", "\r", "\t", "\u00a0", "\u2028", "\u3000", "١٢٣", "１２", "²", "Ⅻ", "\ufeff",
    "\x0b", "\x1a", "\ud7ff", "\U0001f600", "\u0301",
]  # fmt: skip
release_like = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
any_text = st.text(max_size=200)
texts = st.one_of(release_like, any_text)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    for target, n in sorted(RUN.items()):
        record("fuzz", target, n)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(Lexicon.load(), default_measures())


@settings(max_examples=1000 * SCALE, deadline=None)
@given(texts)
def test_number_reader(text: str) -> None:
    RUN["kg.text.numerals.scan"] += 1
    previous = -1
    for n in scan(text):
        assert text[n.start : n.end] == n.verbatim
        assert n.start >= previous
        previous = n.start
        assert (n.value is None) == (n.malformed is not None)


@settings(max_examples=1000 * SCALE, deadline=None)
@given(texts)
def test_segmenter(text: str) -> None:
    RUN["kg.text.segment.paragraphs"] += 1
    covered = [False] * len(text)
    end = 0
    for para in paragraphs(text):
        assert para.start <= para.end
        for s in para.sentences:
            assert text[s.start : s.end] == s.text
            assert para.start <= s.start < s.end <= para.end
            assert s.start >= end
            end = s.end
            covered[s.start : s.end] = [True] * (s.end - s.start)
    for i, ch in enumerate(text):
        assert covered[i] or ch.isspace(), (i, ch)


@settings(
    max_examples=500 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=texts.filter(lambda t: t.strip()), issued=st.none() | st.dates(dt.date(1990, 1, 1)))
def test_extractor(extractor: Extractor, text: str, issued: dt.date | None) -> None:
    RUN["kg.extract.extractor.Extractor.extract"] += 1
    release = Release(id="fuzz", path=Path("fuzz.txt"), text=text, sha256="0", issued=issued)
    ex = extractor.extract(release)
    for s in ex.sentences:
        assert text[s.start : s.end] == s.text
    for m in ex.mentions:
        assert text[m.start : m.end] == m.verbatim
    for f in ex.figures:
        assert text[f.start : f.end] == f.verbatim
        assert text[f.sentence.start : f.sentence.end] == f.sentence.text
        assert f.sentence.start <= f.start < f.end <= f.sentence.end
        assert (f.value is None) == (f.status is Status.MALFORMED)
    mapped = map_extraction(ex)
    store = ox.Store()
    store.load(mapped.ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(mapped.graph))
    assert len(store) == mapped.triples


BOMS = [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE]
encoded = st.builds(
    lambda t, enc: t.encode(enc, errors="replace"),
    texts,
    st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "latin-1", "cp1252", "gb18030"]),
)
raw_bytes = st.one_of(
    st.binary(max_size=300),
    encoded,
    st.builds(lambda bom, data: bom + data, st.sampled_from(BOMS), st.one_of(encoded, st.binary())),
)


@settings(max_examples=1000 * SCALE, deadline=None)
@given(raw_bytes)
def test_file_decoder(data: bytes) -> None:
    RUN["kg.text.textfile.decode"] += 1
    try:
        text = decode(Path("fuzz.txt"), data)
    except KgError as exc:
        assert str(exc).startswith("fuzz.txt: ")
        assert "\n" not in str(exc)
        return
    assert text.strip()
    assert "\x00" not in text


@settings(max_examples=200 * SCALE, deadline=None)
@given(raw_bytes)
def test_read_text_on_real_files(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    RUN["kg.text.corpus.read_text"] += 1
    path = tmp_path_factory.mktemp("fuzz") / "r.txt"
    path.write_bytes(data)
    try:
        text, digest = read_text(path)
    except KgError as exc:
        assert str(exc).startswith(f"{path}: ")
        assert "\n" not in str(exc)
        return
    assert text == decode(path, data)
    assert len(digest) == 64
