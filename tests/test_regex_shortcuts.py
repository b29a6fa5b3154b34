"""The shortcuts that make extraction cheaper find exactly what the plain scans find.

Each shortcut (kg/text/prefilter.py, the grouped lexicon alternation, the cue phrases indexed
by their last character) is compared with the straightforward way on every sentence of the
bundled corpus and the invented releases, and on texts built to trip it: mixed case, curly
quotes, letters that fold onto ASCII ones (the Kelvin sign, the long s), names side by side.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.extract import cues
from kg.extract.lexicon import Lexicon, _alias_pattern, _alternation, _head, _normalise
from kg.extract.measures import default_measures
from kg.text import periods
from kg.text.corpus import iter_releases
from kg.text.prefilter import Prefilter, required
from kg.text.segment import paragraphs
from tests.conftest import INVENTED, ROOT

TRICKY = [
    "",
    "From JANUARY to May, police seized 3 tons; SINCE the start of the year, 12 cases.",
    "As of July 31, 2023, and by the end of last year, up 5% over the same period last year.",
    "In the first half of this year, compared with 2021 levels, 1,200 people in 2022-2023.",
    "The \u212aelvin sign and the long \u017f: \u017fince March, \u212aunming seized 4 kg.",
    "“Hunting” operation, 'Clean Source' and “9.02” case in Guangdong-Guangxi and Yunnan.",
    "Copyright © 2019-2021. Hotline: 12345. Page 3. No. 4 Middle School, 2022/6/25 18:22.",
    "in 2020, " * 50,
]


def _texts() -> Iterator[str]:
    for release in iter_releases([ROOT / "corpus", INVENTED]):
        yield release.text
        for para in paragraphs(release.text):
            for sentence in para.sentences:
                yield sentence.text
    yield from TRICKY


TEXTS = list(_texts())


def _all_patterns() -> list[re.Pattern[str]]:
    rules = default_measures().non_figures
    return [p for p, _ in periods._PATTERNS] + [p for _, p in rules.spans] + list(rules.legal)


@pytest.mark.parametrize("pattern", _all_patterns(), ids=lambda p: p.pattern[:40])
def test_a_pattern_is_skipped_only_where_it_cannot_match(pattern: re.Pattern[str]) -> None:
    """Wherever a pattern matches, the prefilter lets it run (ASCII or not)."""
    prefilter = Prefilter([pattern])
    for text in TEXTS:
        if pattern.search(text):
            assert prefilter.runnable(text) == [True], (pattern.pattern, text[:200])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aeinorstuyFJMIK \u212a\u017f,.-0129")), max_size=60))
def test_required_words_are_in_every_match(text: str) -> None:
    """Every match of every pattern holds one of the words said to be required."""
    for pattern in _all_patterns():
        needs = required(pattern)
        if needs is None:
            continue
        for m in pattern.finditer(text):
            if m.group(0).isascii():
                assert any(word in m.group(0).lower() for word in needs), (pattern.pattern, m)


def test_required_reads_only_what_is_mandatory() -> None:
    assert required(re.compile(r"\bfrom (?:January|May) to\b", re.I)) == {"from "}
    assert required(re.compile(r"\b(?:January|May)\b", re.I)) == {"january", "may"}
    assert required(re.compile(r"(?:in|during) the year")) == {" the year"}
    assert required(re.compile(r"(?:in|)")) is None  # an empty branch requires nothing
    assert required(re.compile(r"(?:in|)x")) == {"x"}
    assert required(re.compile(r"(?:abc)?d{0,3}")) is None  # optional parts neither
    assert required(re.compile(r"[a-z]+\d")) is None
    assert required(re.compile(r"(?:abc){2}")) == {"abc"}
    assert required(re.compile(r"[Pp]age \d")) == {"age "}


def test_a_text_that_is_not_ascii_runs_every_pattern() -> None:
    """The Kelvin sign matches "k" when case is ignored: no lower-casing shortcut there."""
    pattern = re.compile(r"\bkunming\b", re.I)
    assert pattern.search("\u212aunming")
    assert Prefilter([pattern]).runnable("\u212aunming") == [True]
    assert Prefilter([pattern]).runnable("Shanghai") == [False]


def test_periods_are_those_of_every_pattern_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """find_periods and period_phrase_spans, with and without the prefilter."""
    issued = periods.dt.date(2023, 9, 26)
    with_shortcut = [
        (periods.find_periods(t, issued, 5, 2022), periods.period_phrase_spans(t)) for t in TEXTS
    ]

    class RunAll:
        def runnable(self, text: str) -> list[bool]:
            return [True] * len(periods._PATTERNS)

    monkeypatch.setattr(periods, "_PREFILTER", RunAll())
    plain = [
        (periods.find_periods(t, issued, 5, 2022), periods.period_phrase_spans(t)) for t in TEXTS
    ]
    assert with_shortcut == plain


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def test_the_grouped_lexicon_pattern_finds_what_the_flat_one_does(lexicon: Lexicon) -> None:
    """The same matches, names side by side, in any case, with straight or curly quotes."""
    grouped, table, _ = lexicon._matcher(None)
    assert grouped is not None
    names = sorted(table, key=lambda n: (-len(n), n))
    flat = re.compile(
        rf"(?<!\w)(?:{'|'.join(_alias_pattern(n) for n in names)})(?!\w)", re.IGNORECASE
    )
    assert grouped.pattern != flat.pattern  # the lexicon's names are all groupable
    crowded = " ".join(names) + " " + " ".join(n.upper() for n in names[::3])
    curly = crowded.replace('"', "“", 1).replace('"', "”", 1)
    for text in [*TEXTS, crowded, "-".join(names), curly, crowded.replace(" ", "")]:
        spans = [m.span() for m in grouped.finditer(text)]
        assert spans == [m.span() for m in flat.finditer(text)]
        assert len(spans) == len(lexicon.find(text))


def test_a_name_that_does_not_start_plainly_leaves_the_alternation_as_it_is() -> None:
    patterns = [_alias_pattern(_normalise(n)) for n in ("Ürümqi", "urumqi", "hunan")]
    assert _alternation(patterns) == "|".join(patterns)
    assert _head(_alias_pattern('"hunting" operation')) == '["“”]'
    assert _head(r"\.net") == r"\."
    assert _head(r"\d") is None  # an escape that is a class, not a character


def test_different_heads_never_match_the_same_character() -> None:
    """The grouping's premise: two ASCII characters that differ ignoring case, or a quote
    class, never match one character when case is ignored (whole Unicode range)."""
    heads = sorted(
        {h.lower() for c in map(chr, range(32, 127)) if (h := _head(re.escape(c)))}
        | {'["“”]', "['’]"}
    )
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    union = re.compile("|".join(heads), re.IGNORECASE)
    for ch in set(union.findall(everything)):
        matching = [h for h in heads if re.fullmatch(h, ch, re.IGNORECASE)]
        assert len(matching) == 1, (ch, matching)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab -Of")), max_size=12),
    st.lists(st.text(alphabet=st.sampled_from(list("ab -Of")), max_size=4), max_size=6),
)
def test_cue_phrases_found_as_by_trying_each(before: str, phrases: list[str]) -> None:
    """ends_with_phrase tries only the phrases ending with the text's last character; an
    empty phrase makes it try them all."""
    stripped = before.rstrip()
    low = stripped[-(max((len(p) for p in phrases), default=0) + 1) :].lower()
    whole = len(stripped) <= max((len(p) for p in phrases), default=0) + 1
    expected = next(
        (
            phrase
            for phrase in phrases
            if low.endswith(phrase.lower())
            and ((whole and len(low) == len(phrase)) or not low[-len(phrase.lower()) - 1].isalnum())
        ),
        None,
    )
    assert cues.ends_with_phrase(before, phrases) == expected
