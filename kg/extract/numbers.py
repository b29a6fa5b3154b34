"""Step 1 of extraction, numbers: each number of a sentence with its unit, qualifier, status.

Reads a sentence (``kg.text.numerals.scan`` reads the numerals: "1,313.2" → 1313.2, "9,26" →
malformed) and the measure book's units, qualifiers and plausibility limits. Adds one
:class:`~kg.extract.records.Draft` per number with ``num`` (release offsets), ``unit``,
``kind``, ``unit_end``, ``qualifier``, ``clause``, ``segment``, ``tail``, ``status`` and
``reason``. Numbers that are not figures (dates, names...) are still here: the next stage,
``kg.extract.nonfigures``, drops them, and :func:`end_tails` then ends each tail at the next
figure.

Why the status here: whether a number can be trusted depends only on how it is written and
on its unit ("6.7000 tons", "1 cases", "2023 suspects"), never on what it is about.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

from kg.extract.cues import ends_with_phrase
from kg.extract.measures import MeasureBook
from kg.extract.records import Draft, Status
from kg.extract.window import cue_before
from kg.text.corpus import Release
from kg.text.numerals import GLUED, Numeral, scan
from kg.text.segment import Sentence

_CLAUSE_BREAK = re.compile(r",\s|;|:\s|\s[–—]\s|\(|\)")
_SEGMENT_BREAK = re.compile(";")
_MORE_THAN_AFTER = re.compile(r"^(?:-plus|\+)")
_NEXT_WORD = re.compile(r"\s+([A-Za-z]+)")
_YEAR = re.compile(r"\d{4}")
# words ending in "s" that are not plurals ("1 case has...", "1 plus 2")
_PLURAL_EXCEPTIONS = {"this", "has", "was", "is", "its", "plus", "less", "series", "species", "as"}


class NumberReader:
    """Reads the numbers of a sentence into drafts; one instance serves many releases.

    Why a class: the unit words of the measure book become one regular expression, compiled
    once rather than for every sentence.
    """

    def __init__(self, measures: MeasureBook) -> None:
        """Compile the unit words of ``measures`` (longest first, so "kilograms" beats "kg")."""
        self.measures = measures
        unit_alts = []
        self._unit_by_word: dict[str, tuple[str, str]] = {}
        for unit in measures.units:
            for word in unit.words:
                self._unit_by_word[word.lower()] = (unit.code, unit.kind)
                unit_alts.append(word)
        unit_alts.sort(key=len, reverse=True)
        alt = "|".join(re.escape(w) for w in unit_alts)
        # matched at the end of a number (``match(text, pos, endpos)``: nothing is copied)
        self._unit_re = re.compile(rf"(?:\s+|-)({alt})(?![\w%])", re.I)
        self._qualifier_phrases = tuple(q for q, _ in measures.qualifiers)
        self._qualifier_of = dict(measures.qualifiers)

    def read(self, release: Release, sentence: Sentence) -> list[Draft]:
        """One draft per number of ``sentence`` (a sentence of ``release``), in order.

        Each tail runs to the end of its clause; call :func:`end_tails` once the non-figures
        are dropped. The pieces of a number the translation split apart are joined into one
        malformed draft (:func:`join_split_numbers`).
        """
        breaks = (
            Breaks(release.text, sentence.start, sentence.end, _CLAUSE_BREAK),
            Breaks(release.text, sentence.start, sentence.end, _SEGMENT_BREAK),
        )
        drafts = [
            self.draft(release, sentence, shift(n, sentence.start), breaks)
            for n in scan(sentence.text)
        ]
        return join_split_numbers(release.text, drafts, self.measures.qualifiers)

    def draft(
        self,
        release: Release,
        sentence: Sentence,
        num: Numeral,
        breaks: tuple[Breaks, Breaks] | None = None,
    ) -> Draft:
        """The draft of one number (``num`` at release offsets) of ``sentence``.

        ``breaks``: the clause and segment breaks of ``sentence`` (:class:`Breaks`), when the
        caller reads several numbers of it; found here otherwise.
        """
        text = release.text
        clauses, segments = breaks or (
            Breaks(text, sentence.start, sentence.end, _CLAUSE_BREAK),
            Breaks(text, sentence.start, sentence.end, _SEGMENT_BREAK),
        )
        unit, kind, unit_end = "NUM", "count", num.end
        if num.percent:
            unit, kind = "PERCENT", "percent"
        else:
            m = self._unit_re.match(text, num.end, sentence.end)
            if m:
                unit, kind = self._unit_by_word[m.group(1).lower()]
                unit_end = m.end()
            else:  # "a reward of 2,000 to 20,000 yuan": the range's unit is the first's too
                r = _RANGE_TO.match(text, num.end, sentence.end)
                m = self._unit_re.match(text, r.end(), sentence.end) if r else None
                if m:
                    unit, kind = self._unit_by_word[m.group(1).lower()]
        qualifier = "exact"
        clause = clauses.around(num.start)
        found = ends_with_phrase(cue_before(text, clause[0], num.start), self._qualifier_phrases)
        if found:
            qualifier = self._qualifier_of[found]
        elif _MORE_THAN_AFTER.match(text[unit_end : unit_end + 6]):
            qualifier = "more-than"
        segment = segments.around(num.start)
        status, reason = self.status(release, num, kind, unit_end)
        return Draft(
            num=num,
            sentence=sentence,
            unit=unit,
            kind=kind,
            unit_end=unit_end,
            qualifier=qualifier,
            clause=clause,
            segment=segment,
            tail=(unit_end, max(clause[1], unit_end)),
            status=status,
            reason=reason,
        )

    def status(
        self, release: Release, n: Numeral, kind: str, unit_end: int
    ) -> tuple[Status, str | None]:
        """Malformed (no value), implausible (a value, but suspicious) or stated, and why.

        Implausible: more decimals than releases ever state ("6.7000 tons"; "1.486 million" is
        a whole number of people and fine), a fractional
        count, the digit 1 before a plural noun (digits lost in translation), or a count that
        is a year close to the release's (a year put in place of the figure).
        """
        if n.malformed:
            return Status.MALFORMED, n.malformed
        book = self.measures
        # "2.404 million" is 2,404,000: a scale word makes its decimals whole units
        whole = n.scale > 1 and n.value is not None and n.value == n.value.to_integral_value()
        if n.fraction_digits > book.max_fraction_digits and not whole:
            return Status.IMPLAUSIBLE, (
                f"spurious precision: {n.fraction_digits} decimal places where releases state "
                f"at most {book.max_fraction_digits}"
            )
        if kind == "count" and n.value is not None:
            if n.value != n.value.to_integral_value():
                return Status.IMPLAUSIBLE, "a count with a fractional value"
            next_word = _NEXT_WORD.match(release.text[unit_end : unit_end + 30])
            if (
                n.value == 1
                and not n.written_as_word
                and next_word
                and next_word.group(1).lower().endswith("s")
                and next_word.group(1).lower() not in _PLURAL_EXCEPTIONS
            ):
                return Status.IMPLAUSIBLE, "the number 1 with a plural noun: digits may be lost"
            if release.year and _YEAR.fullmatch(n.digits):
                lo, hi = book.year_window
                if release.year + lo <= int(n.digits) <= release.year + hi:
                    return Status.IMPLAUSIBLE, (
                        f"{n.digits} is a year close to the release's: the translation may have "
                        "put a year in place of the figure"
                    )
        return Status.STATED, None


# "the countryMore than 20,000 cases", "throughout the year 8 Over 10,000": a qualifier with a
# capital in mid-sentence, glued to the word before it or after a bare word or digit, is where
# the translation broke a Chinese ten-thousand number ("4万余" became "4 ... More than 20,000").
_SPLIT_QUALIFIER = re.compile(
    r"(?:(?P<glued>(?<=[a-z]))|(?<=[a-z\d] ))(?:More than|Over|About|Nearly|Approximately)\s+$"
)
_TEN_THOUSAND = 10_000
_RANGE_TO = re.compile(
    r"\s*(?:to|-|–)\s*\d[\d,.]*(?:\s+(?:thousand|million|billion|hundred million))?", re.I
)
SPLIT = "a number split by the translation into pieces that cannot be put back together"


def join_split_numbers(
    text: str, drafts: Sequence[Draft], qualifiers: Sequence[tuple[str, str]] = ()
) -> list[Draft]:
    """Join the pieces of a number broken by translation into one malformed draft.

    The sign of a piece is a capitalised qualifier in mid-sentence, glued to the word before it
    or after a lower-case word, before a multiple of ten thousand ("cracked across the
    countryMore than 20,000 cases"). Such a piece is joined with the bare count before it in
    its clause ("a total of 4 drug cases ..."), and the span from the first piece to the end of
    the last becomes one draft: no value, the unit of the last piece, the words after the first
    piece as its tail. A piece with no partner stays on its own, malformed. Digits glued to
    the word before them ("were seized9 tons") are malformed already (``kg.text.numerals``)
    and stay alone, unless the bare count before them in the clause counts only "drugs" ("25
    drugs of various types were seized9 tons": 25.9 tons); a count of something else ("7,300
    suspects") is a figure of its own.
    Why never a value: which digits belong where is lost, and no fragment may be published as
    a number.
    """
    out: list[Draft] = []
    for d in drafts:
        first = out[-1] if out else None
        if (
            d.num.malformed == GLUED
            and first is not None
            and _is_partner(first, d)
            and _DRUGS_TAIL.match(text, first.num.end)
        ):  # "25 drugs of various types were seized9 tons": 25.9 tons, broken in two
            out[-1] = _joined(text, first, d, d.qualifier)
            continue
        if not _is_piece(text, d):
            out.append(d)
            continue
        if first is not None and first.num.malformed != GLUED and _is_partner(first, d):
            out[-1] = _joined(text, first, d, _split_qualifier(text, d, qualifiers))
        else:
            out.append(
                d
                if d.status is Status.MALFORMED
                else replace(d, status=Status.MALFORMED, reason=SPLIT)
            )
    return out


# A bare count right before "drugs" names nothing countable: before glued digits in its clause
# ("25 drugs of various types were seized9 tons") it is the start of the same broken number.
_DRUGS_TAIL = re.compile(r"\s+(?:(?:kinds|types) of\s+)?(?:drugs|narcotics)\b", re.I)


def _is_piece(text: str, d: Draft) -> bool:
    if d.num.malformed == GLUED:
        return False
    m = _SPLIT_QUALIFIER.search(text, max(0, d.num.start - 40), d.num.start)
    if m is None or m.end() != d.num.start or d.num.value is None:
        return False
    return bool(m.group("glued")) or d.num.value % _TEN_THOUSAND == 0


def _split_qualifier(text: str, piece: Draft, qualifiers: Sequence[tuple[str, str]]) -> str:
    """The qualifier the capitalised word before a piece says ("caughtMore than 50,000")."""
    m = _SPLIT_QUALIFIER.search(text, max(0, piece.num.start - 40), piece.num.start)
    if m is None:
        return piece.qualifier
    said = text[m.start() : m.end()].strip().lower()
    return next((code for phrase, code in qualifiers if phrase.lower() == said), piece.qualifier)


def _is_partner(first: Draft, piece: Draft) -> bool:
    """A bare whole count in the same clause, not itself a piece."""
    n = first.num
    return (
        first.clause[0] <= n.start
        and piece.clause[0] <= n.start
        and first.kind == "count"
        and first.unit_end == n.end
        and not n.percent
        and n.value is not None
        and n.value == n.value.to_integral_value()
        and n.value < _TEN_THOUSAND
        and first.status is not Status.MALFORMED
    )


def _joined(text: str, first: Draft, piece: Draft, qualifier: str) -> Draft:
    num = Numeral(
        start=first.num.start,
        end=piece.num.end,
        verbatim=text[first.num.start : piece.num.end],
        digits=text[first.num.start : piece.num.end],
        value=None,
        malformed=SPLIT,
    )
    return replace(
        piece,
        num=num,
        unit_end=first.num.end,  # the words after the first piece say what is counted
        qualifier=qualifier,
        clause=(first.clause[0], piece.clause[1]),
        segment=(first.segment[0], piece.segment[1]),
        tail=(first.num.end, max(piece.clause[1], piece.unit_end)),
        status=Status.MALFORMED,
        reason=SPLIT,
    )


def end_tails(drafts: Sequence[Draft]) -> None:
    """End each draft's tail at the next draft's number, when that comes before its clause end.

    Why: the words after a number describe it only up to the next figure ("4 kg of heroin and
    2 tons of precursors"). Run it on the figures only (after ``kg.extract.nonfigures``): a date
    between two figures must not cut the first one's tail short.
    """
    for d, nxt in pairwise(drafts):
        tail_end = min(nxt.num.start, d.clause[1])
        d.tail = (d.unit_end, max(tail_end, d.unit_end))


def bounds(text: str, pos: int, lo: int, hi: int, breaker: re.Pattern[str]) -> tuple[int, int]:
    """The stretch of ``text[lo:hi]`` around ``pos`` between two breaks of ``breaker``."""
    return Breaks(text, lo, hi, breaker).around(pos)


class Breaks:
    """The breaks (clause or segment) of one sentence, found once, by position.

    Why: each number's clause is the stretch between the breaks around it; searching the
    sentence for them again for each number made a long sentence quadratic. Bisecting the
    breaks found once gives the same stretch: a break never straddles a number, whose first
    character is neither punctuation nor space.
    """

    def __init__(self, text: str, lo: int, hi: int, breaker: re.Pattern[str]) -> None:
        """Find the breaks of ``breaker`` in ``text[lo:hi]``."""
        self.lo, self.hi = lo, hi
        spans = [m.span() for m in breaker.finditer(text, lo, hi)]
        self._starts = [a for a, _ in spans]
        self._ends = [b for _, b in spans]

    def around(self, pos: int) -> tuple[int, int]:
        """From the end of the last break before ``pos`` to the start of the first after it."""
        i = bisect.bisect_left(self._starts, pos)
        return (
            self._ends[i - 1] if i else self.lo,
            self._starts[i] if i < len(self._starts) else self.hi,
        )


def shift(n: Numeral, offset: int) -> Numeral:
    """``n`` (read from a sentence) with offsets into the release, ``offset`` further on."""
    return replace(n, start=n.start + offset, end=n.end + offset)
