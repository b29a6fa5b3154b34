"""Extraction on adversarial shapes of input: sane records, and work linear in the size.

Why: a release is whatever a scraper saved, up to 1 MiB. A page of numbers, one sentence of a
thousand figures, a text with no punctuation, tokens thousands of characters long, many list
markers, brackets or abbreviations made extraction quadratic (issue #14: 100 KB of
"1234567890 " took minutes), because stages re-read a whole clause, sentence or list of names
for each figure. These tests never time anything (timings belong to
``benchmarks/adversarial.py``); they count the work instead, deterministically:

- the characters copied out of the release text (a ``str`` subclass counts every slice, and
  every slice of a slice): a stage that re-reads a stretch for each figure copies it once per
  figure;
- the lines of Python executed (``sys.settrace``): a stage that walks every mention, period or
  figure for each figure runs a line per step.

Both must grow with the size of the text, not with its square: four times the text, about four
times the work. The work inside the regular expressions cannot be counted so; instead the
patterns of the data files are shown to never see a run of digits too long to be a number (on
"1,2,1,2,..." some take time quadratic in its length). Each shape also gets the records a
reader works out by hand, and a sentence longer than ``MAX_SENTENCE_CHARS`` is shown cut where
no number can lose its unit or scale.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from kg.extract import window
from kg.extract.extractor import Extractor
from kg.extract.lexicon import Lexicon
from kg.extract.measures import default_measures
from kg.extract.numbers import Breaks
from kg.extract.periods import StatedPeriods, figure_period
from kg.extract.records import Extraction, Status
from kg.text.corpus import Release
from kg.text.numerals import MAX_NUMERAL_CHARS, blank_long_runs, scan
from kg.text.periods import Period
from kg.text.segment import MAX_SENTENCE_CHARS

ID = "https://w3id.org/narcotics-kg/id/"
YN, HN, SC = (f"{ID}jurisdiction/{c}" for c in ("CN-YN", "CN-HN", "CN-SC"))
HEROIN = f"{ID}substance/heroin"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(Lexicon.load(), default_measures())


def run(extractor: Extractor, text: str) -> Extraction:
    release = Release(
        id="t", path=Path("t.txt"), text=text, sha256="0", issued=dt.date(2024, 6, 20)
    )
    return extractor.extract(release)


def slug(iri: str | None) -> str:
    return (iri or "").rsplit("/", 1)[-1]


def assert_offsets_hold(ex: Extraction) -> None:
    """Every figure quotes the text at its offsets, and only a malformed one has no value."""
    for f in ex.figures:
        assert ex.release.text[f.start : f.end] == f.verbatim
        assert (f.value is None) == (f.status is Status.MALFORMED)


# -- the records of each shape, worked out by hand -------------------------------------------


def test_a_page_of_numbers_gives_each_number_its_own_value(extractor: Extractor) -> None:
    # issue #14: "1234567890 " a thousand times over; each number is a bare count of nothing
    ex = run(extractor, "1234567890 " * 1000)
    assert_offsets_hold(ex)
    assert len(ex.figures) == 1000
    for i, f in enumerate(ex.figures):
        assert (f.start, f.end, f.verbatim) == (11 * i, 11 * i + 10, "1234567890")
        assert (f.value, f.unit, f.status) == (Decimal(1234567890), "NUM", Status.STATED)


def test_a_sentence_of_a_thousand_figures_reads_each_one(extractor: Extractor) -> None:
    text, starts = "Police seized ", []
    for value in range(12, 1012):  # 12 kg, 13 kg, ... 1011 kg, and no full stop
        starts.append(len(text))
        text += f"{value} kg of heroin, "
    ex = run(extractor, text)
    assert_offsets_hold(ex)
    # 16 KB with no full stop: cut for length where clauses end, after "heroin,"
    assert len(ex.sentences) > 8
    for s in ex.sentences[:-1]:
        assert s.text.endswith("kg of heroin,") and len(s.text) <= MAX_SENTENCE_CHARS
    assert [(f.start, f.value) for f in ex.figures] == [
        (start, Decimal(value)) for start, value in zip(starts, range(12, 1012), strict=True)
    ]
    for f in ex.figures:
        assert (f.unit, slug(f.indicator), f.substance) == ("KiloGM", "drugs-seized", HEROIN)


def test_a_text_without_punctuation_is_one_clause_read_once(extractor: Extractor) -> None:
    # one clause of 1,000 figures: each takes its unit and measure from its own words, and the
    # province the clause names
    ex = run(extractor, "police in Yunnan seized 12 kg of heroin and arrested 3 suspects " * 500)
    assert_offsets_hold(ex)
    assert len(ex.figures) == 1000
    for i, f in enumerate(ex.figures):
        expected = (
            ("12", "KiloGM", "drugs-seized") if i % 2 == 0 else ("3", "NUM", "suspects-arrested")
        )
        assert (f.verbatim, f.unit, slug(f.indicator)) == expected
        assert f.areas == (YN,)


def test_tokens_thousands_of_characters_long_stay_malformed(extractor: Extractor) -> None:
    digits, groups = "9" * 5_000, "1,2" * 2_000
    text = f"seized {digits} kg of heroin and {groups} cases and {'x' * 10_000} 7 suspects"
    ex = run(extractor, text)
    assert_offsets_hold(ex)
    long_run, comma_run, seven = ex.figures
    assert (long_run.start, long_run.verbatim, long_run.value) == (7, digits, None)
    assert long_run.reason == "5000 characters of digits and separators: too long for a number"
    assert (comma_run.verbatim, comma_run.value, comma_run.status) == (
        groups,
        None,
        Status.MALFORMED,
    )
    assert (seven.verbatim, seven.value, seven.status) == ("7", Decimal(7), Status.STATED)


def test_many_list_markers_are_dropped_and_their_figures_kept(extractor: Extractor) -> None:
    text = "".join(f"{i + 1}. Police seized {12 + i} kg of heroin\n" for i in range(1000))
    ex = run(extractor, text)
    assert_offsets_hold(ex)
    # the item numbers 1. to 1000. are list markers, not figures
    assert [f.value for f in ex.figures] == [Decimal(12 + i) for i in range(1000)]


def test_unbalanced_brackets_and_quotes_quote_every_other_number(extractor: Extractor) -> None:
    # '( " “ 5 ' over and over: the k-th 5 stands at 6 + 8k; the straight quotes pair up
    # around the 5s of even k (a quoted name), and no curly quote is ever closed
    ex = run(extractor, '( " “ 5 ' * 1000)
    assert_offsets_hold(ex)
    assert [f.start for f in ex.figures] == [6 + 8 * k for k in range(1, 1000, 2)]
    assert {f.value for f in ex.figures} == {Decimal(5)}


def test_a_run_of_abbreviations_is_cut_for_length_only(extractor: Extractor) -> None:
    # no candidate end is a sentence end: each follows an abbreviation ("No.", "e.g.", "Mr.",
    # "Dr.", "vs.", "Jan."); "No. 1" is a name and "Jan. 3" a date, so only the 2s are figures
    ex = run(extractor, "No. 1 e.g. Mr. Dr. 2 etc. vs. Jan. 3 " * 500)
    assert_offsets_hold(ex)
    # the 18,500 characters are cut between words, each piece between half and all the limit
    for s in ex.sentences[:-1]:
        assert MAX_SENTENCE_CHARS // 2 <= len(s.text) <= MAX_SENTENCE_CHARS
    assert [f.start for f in ex.figures] == [19 + 37 * k for k in range(500)]


def test_each_figure_of_a_long_sentence_keeps_its_own_period(extractor: Extractor) -> None:
    text = "".join(f"in {2000 + i % 20} police seized {5 + i} kg, " for i in range(1000))
    ex = run(extractor, text)
    assert [f.value for f in ex.figures] == [Decimal(5 + i) for i in range(1000)]
    for i, f in enumerate(ex.figures):
        year = 2000 + i % 20
        assert (f.period.start, f.period.end) == (f"{year}-01-01", f"{year}-12-31")


def test_each_figure_of_a_long_sentence_keeps_its_own_province(extractor: Extractor) -> None:
    provinces = (("Yunnan", YN), ("Hunan", HN), ("Sichuan", SC))
    text = "".join(f"{provinces[i % 3][0]} police seized {5 + i} kg, " for i in range(1000))
    ex = run(extractor, text)
    assert [(f.value, f.areas) for f in ex.figures] == [
        (Decimal(5 + i), (provinces[i % 3][1],)) for i in range(1000)
    ]


def test_every_item_of_a_long_list_inherits_its_leads_provinces(extractor: Extractor) -> None:
    # (a list item is numbered with one or two digits: 1. to 99. over and over)
    lead = "Police in Yunnan, Hunan and Sichuan acted jointly:\n"
    items = "".join(f"{i % 99 + 1}. seized {5 + i} kg of heroin.\n" for i in range(1000))
    ex = run(extractor, lead + items)
    assert [(f.value, f.areas) for f in ex.figures] == [
        (Decimal(5 + i), (YN, HN, SC)) for i in range(1000)
    ]


def test_parts_and_changes_of_a_long_sentence_link_to_the_first_figure(
    extractor: Extractor,
) -> None:
    # (as long a sentence as is kept whole: 33 + 29 * 60 and 27 + 20 * 90 characters)
    parts = run(
        extractor, "Police seized 900 tons of drugs, " + "of which 2 tons were heroin, " * 60
    )
    total, *rest = parts.figures
    assert (total.start, total.value) == (14, Decimal(900))
    assert [f.start for f in rest] == [42 + 29 * k for k in range(60)]
    assert {f.part_of for f in rest} == {(14, 17)}
    changes = run(extractor, "Police solved 9,000 cases, " + "up 5% year on year, " * 90)
    base, *ups = changes.figures
    assert (base.start, base.verbatim) == (14, "9,000")
    assert [f.start for f in ups] == [30 + 20 * k for k in range(90)]
    assert {(f.change_of, f.direction) for f in ups} == {((14, 19), "up")}


def test_subset_openers_and_headlines_over_many_sentences(extractor: Extractor) -> None:
    # each "Of those cases, 5 ..." is a part of the figure of the sentence before it
    ex = run(
        extractor, "Police solved 900 cases. " + "Of those cases, 5 were solved in Yunnan. " * 500
    )
    first, *subsets = ex.figures
    assert [f.start for f in subsets] == [41 + 41 * k for k in range(500)]
    assert subsets[0].part_of == (first.start, first.end)
    assert [f.part_of for f in subsets[1:]] == [(f.start, f.end) for f in subsets[:-1]]
    # 500 headline lines above a lead: each restates the lead's 5 kg, attributed like it
    lead = (
        "Police in Yunnan seized 5 kg of heroin and arrested 3 suspects in an operation that "
        "lasted for many long months this spring."
    )
    ex = run(extractor, "Police seize 5 kg of drugs\n\n" * 500 + lead)
    *headlines, body, _ = ex.figures
    assert len(headlines) == 500
    assert {(f.areas, f.substance, slug(f.indicator)) for f in headlines} == {
        ((YN,), HEROIN, "drugs-seized")
    }
    assert (body.start, body.areas) == (500 * 28 + 24, (YN,))


def test_a_sentence_over_the_limit_is_never_cut_inside_a_number_or_before_its_word(
    extractor: Extractor,
) -> None:
    # "5 million" starts at 1996: the last space within the limit is the one inside it (at
    # 1997), which would leave "5" without its scale; the cut falls on the space before "5"
    text = "x " * 998 + "5 million yuan" + " x" * 600
    ex = run(extractor, text)
    first, second = ex.sentences
    assert (first.start, first.end, second.start) == (0, 1995, 1996)
    (figure,) = ex.figures
    assert (figure.start, figure.verbatim, figure.value) == (1996, "5 million", Decimal(5_000_000))
    # nor between the words of a scale: "ten thousand" (1990-2002) is one scale
    ex = run(extractor, "x " * 994 + "5 ten thousand yuan" + " x" * 600)
    assert [s.start for s in ex.sentences] == [0, 1988]
    figure = ex.figures[0]
    assert (figure.start, figure.verbatim, figure.value) == (1988, "5 ten thousand", 50_000)
    # a sentence within the limit is never cut
    assert len(run(extractor, "x " * (MAX_SENTENCE_CHARS // 2)).sentences) == 1


# -- what a stage reads around a figure is bounded ------------------------------------------


def test_a_cue_is_looked_for_only_right_before_its_number(extractor: Extractor) -> None:
    near = run(extractor, "Police seized more than 5 kg of heroin.")
    assert near.figures[0].qualifier == "more-than"
    spaced = " " * (window.CUE_REACH + 10)  # the cue ends further back than a cue can reach
    far = run(extractor, f"Police seized more than{spaced}5 kg of heroin.")
    assert far.figures[0].qualifier == "exact"


def test_windows_never_hand_out_more_than_their_reach() -> None:
    text = "x" * 10_000
    assert len(window.before(text, 0, 9_000)) == window.WINDOW
    assert len(window.after(text, 1_000, 10_000)) == window.WINDOW
    assert len(window.opening(text, 1_000, 9_000)) == window.WINDOW
    assert len(window.cue_before(text, 0, 9_000)) == window.CUE_REACH
    assert window.before("abcdef", 2, 5) == "cde"  # never past the stretch's own start


# -- the indexes that replaced the per-figure passes answer as the passes did ---------------


def test_span_index_answers_as_a_pass_over_every_span() -> None:
    rng = random.Random(14)
    for _ in range(200):
        spans = [(a, a + rng.randint(1, 30)) for a in rng.sample(range(200), rng.randint(0, 20))]
        index = window.SpanIndex(spans)
        for _ in range(20):
            a = rng.randint(0, 240)
            b = a + rng.randint(1, 10)
            assert index.overlaps(a, b) == any(s < b and a < e for s, e in spans)
            assert index.contains(a, b) == any(s <= a and b <= e for s, e in spans)


def test_stated_periods_answer_as_figure_period() -> None:
    rng = random.Random(5)
    default = Period(None, None, "not stated", -1)
    for _ in range(300):
        starts = sorted(rng.sample(range(300), rng.randint(0, 8)))
        stated = [
            Period(f"20{10 + i:02d}-01-01", None, f"p{i}", start, base=rng.random() < 0.3)
            for i, start in enumerate(starts)
        ]
        index = StatedPeriods(stated)
        for _ in range(10):
            pos = rng.randint(0, 300)
            clause = (max(0, pos - rng.randint(0, 60)), pos + rng.randint(1, 60))
            for c in (clause, None):
                assert index.period_at(pos, default, c) is figure_period(pos, stated, default, c)


def test_breaks_give_the_clause_a_scan_of_the_sentence_gives() -> None:
    text = "Police seized 5 kg, 6 kg (of heroin); 7 cases: 8 suspects \u2013 and 9 dens"
    clause_break = re.compile(r",\s|;|:\s|\s[–—]\s|\(|\)")
    breaks = Breaks(text, 0, len(text), clause_break)
    for n in scan(text):
        start = 0
        for m in clause_break.finditer(text, 0, n.start):
            start = m.end()
        after = clause_break.search(text, n.start, len(text))
        assert breaks.around(n.start) == (start, after.start() if after else len(text))


class Spy:
    """A pattern of the data files that notes the longest run of digits it is shown."""

    longest = 0

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def _shown(self, text: str) -> str:
        runs = re.findall(r"[\d.,]+", text)
        Spy.longest = max([Spy.longest, *(len(r) for r in runs)])
        return text

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        return self.pattern.search(self._shown(text), *args)

    def finditer(self, text: str, *args: int) -> Any:
        return self.pattern.finditer(self._shown(text), *args)


def test_clause_and_shape_patterns_never_see_a_run_too_long_for_a_number() -> None:
    """The data files' patterns that scan whole texts and clauses (non-figure shapes,
    indicator ``requires`` and ``context``, nationwide words) are shown overlong runs of digits
    blanked out: one like ``\\d[\\d,.]*\\s*kg`` takes time quadratic in such a run."""
    book = default_measures()
    spied = replace(
        book,
        non_figures=replace(
            book.non_figures, spans=tuple((k, Spy(p)) for k, p in book.non_figures.spans)
        ),
        indicators=tuple(
            replace(
                i,
                requires=tuple(Spy(p) for p in i.requires),
                context=tuple(Spy(p) for p in i.context),
            )
            for i in book.indicators
        ),
        area_cues=replace(book.area_cues, national=tuple(Spy(p) for p in book.area_cues.national)),
    )
    Spy.longest = 0
    text = "Nationwide police seized " + "1,2" * 5_000 + " kg and 1,313.2 kg of heroin in 2023."
    ex = run(Extractor(Lexicon.load(), spied), text)
    assert [f.verbatim for f in ex.figures] == ["1,2" * 5_000, "1,313.2"]
    assert Spy.longest == len("1,313.2")  # the longest number they saw; the run was blanked


def test_runs_too_long_for_a_number_are_malformed_and_blanked() -> None:
    (longest,) = scan("9" * MAX_NUMERAL_CHARS)
    assert longest.value == Decimal("9" * MAX_NUMERAL_CHARS)
    (too_long,) = scan("9" * (MAX_NUMERAL_CHARS + 1))
    assert (too_long.value, too_long.malformed) == (
        None,
        f"{MAX_NUMERAL_CHARS + 1} characters of digits and separators: too long for a number",
    )
    text = "seized 1,313.2 kg and " + "1,2" * 20 + " cases"
    blanked = blank_long_runs(text)
    assert blanked == "seized 1,313.2 kg and " + "#" * 60 + " cases"
    assert blank_long_runs("seized 1,313.2 kg") == "seized 1,313.2 kg"


# -- the work grows with the text, not with its square ---------------------------------------


def _figure_sentence(n: int) -> str:
    return "Police seized " + "".join(f"{12 + i % 900} kg of heroin, " for i in range(n))


SHAPES: dict[str, Callable[[int], str]] = {
    "numbers": lambda n: "1234567890 " * n,
    "figure_sentence": _figure_sentence,
    "no_punctuation": lambda n: "police in Yunnan seized 12 kg of heroin and held 3 suspects " * n,
    "one_paragraph": lambda n: "Police in Yunnan seized 12 kg of heroin. They held 3 people. " * n,
    "long_tokens": lambda n: f"seized {'x' * 60 * n} 12 kg {'9' * 60 * n} {'1,2' * 20 * n} x",
    "list_markers": lambda n: "1. Police seized 12 kg of heroin\n- 3 cases\n(2) 4 suspects\n" * n,
    "brackets_quotes": lambda n: '("seized 12 kg" (of "heroin") [3 cases]) “4” ( " “ 5 ' * n,
    "abbreviations": lambda n: "No. 1 e.g. Mr. Dr. 2 etc. vs. Jan. 3 " * n,
    "period_phrases": lambda n: "in 2021 police seized 8 kg, " * n,
    "names_and_figures": lambda n: "Yunnan police seized 5 kg and Hunan, Sichuan and Guangxi " * n,
    "list_lead": lambda n: (
        "Police in Yunnan, Hunan, Sichuan, " * n + "acted:\n" + "1. seized 5 kg of heroin.\n" * n
    ),
    "parts_and_changes": lambda n: (
        "Police seized 900 tons of drugs, " + "of which 2 tons, up 5% year on year, " * n
    ),
    # headline lines (each a paragraph) above a provincial account naming many provinces
    "headlines": lambda n: (
        "Police seize 5 kg, 6 kg and 7 kg\n\n" * n
        + "Across the province, police in Yunnan seized 8 kg of heroin and held 3 suspects. "
        * (n // 4)
    ),
}
"""Shapes of text, each ``n`` repetitions long (about 40 to 60 characters each)."""


class CountingText(str):
    """A text that counts the characters of every slice taken of it, and of its slices."""

    copied = 0

    def __getitem__(self, key: Any) -> str:  # type: ignore[override]
        piece = str.__getitem__(self, key)
        if isinstance(key, slice):
            CountingText.copied += len(piece)
            return CountingText(piece)
        return piece


def _copied(extractor: Extractor, text: str) -> tuple[int, int]:
    """Characters copied out of ``text`` while extracting it, and the figures found."""
    CountingText.copied = 0
    ex = run(extractor, CountingText(text))
    return CountingText.copied, len(ex.figures)


def _lines(extractor: Extractor, text: str) -> int:
    """Lines of Python run while extracting ``text``."""
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        nonlocal count
        count += 1
        return trace

    sys.settrace(trace)
    try:
        run(extractor, text)
    finally:
        sys.settrace(None)
    return count


def _growth(small: tuple[str, int], large: tuple[str, int]) -> float:
    """How much more work per character a text four times as long took: 1 when linear."""
    return (large[1] / len(large[0])) / (small[1] / len(small[0]))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_characters_read_grow_linearly(extractor: Extractor, shape: str) -> None:
    """Four times the text copies about four times the characters. Before #14, stages that
    re-read a stretch for each figure copied 5 to 60 times as many on 11 of these shapes."""
    small, large = SHAPES[shape](60), SHAPES[shape](240)
    (copied_small, _), (copied, figures) = _copied(extractor, small), _copied(extractor, large)
    assert _growth((small, copied_small), (large, copied)) < 1.25
    # around each figure a stage reads a few windows; the text itself is read a few times
    assert copied <= 8 * window.WINDOW * figures + 40 * len(large)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_python_work_grows_linearly(extractor: Extractor, shape: str) -> None:
    """Four times the text runs about four times the lines of Python. Before #14, stages that
    walked every name, period or figure for each figure ran 5 to 15 times as many on 8 of
    these shapes."""
    extractor.extract(Release(id="w", path=Path("w.txt"), text="5 kg.", sha256="0"))  # warm up
    small, large = SHAPES[shape](40), SHAPES[shape](160)
    assert _growth((small, _lines(extractor, small)), (large, _lines(extractor, large))) < 1.25
