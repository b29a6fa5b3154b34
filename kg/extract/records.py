"""The records of extraction: what every stage reads and writes, and what consumers get.

Why: the extractor is a row of stages (numbers → non-figures → periods → areas → subjects →
lists and changes → indicators), each its own module. They hand each other nothing but the
records defined here, so each stage can be run and tested alone on records built by hand or
by the stages before it, and a consumer (``kg.rdf.mapping``, ``kg.store.parallel``) depends on
these records only, never on how the stages find them.

The output records (:class:`Mention`, :class:`Figure`, :class:`Extraction`) are frozen.
:class:`Draft`, the one record per number that the stages fill in, is not: a part points at its
total and a change at its base, both other drafts of the same sentence, so the stages complete
each draft in place and :meth:`Draft.figure` freezes it at the end. :class:`SentenceContext`
carries what one sentence inherits from the text read before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from kg.extract.measures import Indicator
from kg.text.corpus import Release
from kg.text.numerals import Numeral
from kg.text.periods import Period
from kg.text.segment import Sentence


class Status(Enum):
    """How far a figure's value can be trusted, as far as its text shows."""

    STATED = "stated"
    MALFORMED = "malformed"
    IMPLAUSIBLE = "implausible"


@dataclass(frozen=True)
class Mention:
    """An entity named in the text; ``entity`` is None when it is not in the vocabulary."""

    start: int
    end: int
    verbatim: str
    entity: str | None
    cls: str
    scheme: str
    sentence: Sentence
    place: bool = False
    """The name is a place inside ``entity`` (a city of a province), not a name of it."""
    own_figures: bool = False
    """The entity is an agency that reports its own figures apart from the police's (customs)."""


@dataclass(frozen=True)
class Figure:
    """A number stated in a release, with its attribution. ``value`` is None when malformed."""

    start: int
    end: int
    verbatim: str
    value: Decimal | None
    status: Status
    reason: str | None
    unit: str
    qualifier: str
    indicator: str
    areas: tuple[str, ...]
    period: Period
    operation: str | None
    offence: str | None
    substance: str | None
    sentence: Sentence
    change_of: tuple[int, int] | None = None
    direction: str | None = None
    part_of: tuple[int, int] | None = None
    locality: str | None = None
    """The city or prefecture inside the area that the figure is about, as the text names it."""
    agency: str | None = None
    """The agency whose own figure this is, when not the police's (customs)."""


@dataclass(frozen=True)
class Extraction:
    """All records of one release."""

    release: Release
    sentences: tuple[Sentence, ...]
    figures: tuple[Figure, ...]
    mentions: tuple[Mention, ...]
    default_period: Period
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class SentenceContext:
    """One sentence and what it inherits from the text before it (set by ``periods``).

    Why: a figure's period and, when its own sentence names none, its area and operation come
    from what was read before it; the stages get that as data instead of walking the text.
    """

    sentence: Sentence
    previous: Sentence | None
    """The sentence before it in its paragraph; for the first sentence of a numbered list item,
    the lead sentence ending in ":" that introduced the list; else None."""
    stated: tuple[Period, ...]
    """The periods the sentence itself states, in order."""
    period: Period
    """The period in force when the sentence starts (the last one stated before it in its
    paragraph or list, else the release's default period)."""


@dataclass
class Draft:
    """One number on its way to becoming a :class:`Figure`; each field says who sets it.

    All offsets are code points into the release text. A stage only reads the fields of the
    stages before it, so a test can build a draft with ``kg.extract.numbers`` and hand it to
    any later stage.
    """

    # -- kg.extract.numbers: the number, its unit and how it is qualified ------------------
    num: Numeral
    """The number as written, with release offsets."""
    sentence: Sentence
    unit: str
    """QUDT local name of the unit after the number (``NUM`` when none, ``PERCENT`` for %)."""
    kind: str
    """What sort of quantity the unit makes it: count, mass, area, percent or duration."""
    unit_end: int
    """Where the number and its unit end (``num.end`` when there is no unit word)."""
    qualifier: str
    """``exact``, ``more-than``, ``at-least``, ``nearly`` or ``about``."""
    clause: tuple[int, int]
    """The stretch between the clause breaks (comma, semicolon, colon, dash, bracket) around it."""
    segment: tuple[int, int]
    """The stretch between the semicolons around it."""
    tail: tuple[int, int]
    """From the end of the unit to the next figure or the end of the clause, whichever is first.
    ``numbers.read`` bounds it by the clause; ``numbers.end_tails`` bounds it by the next
    figure once the non-figures are gone."""
    status: Status
    reason: str | None
    """Why the figure is malformed or implausible; None when stated."""

    # -- kg.extract.periods ----------------------------------------------------------------
    period: Period | None = None

    # -- kg.extract.areas ------------------------------------------------------------------
    areas: tuple[str, ...] = ()
    locality: str | None = None
    """The place inside the area the figure is about ("Chongzuo"), when a city named it."""

    # -- kg.extract.subjects ---------------------------------------------------------------
    operation: str | None = None
    offence: str | None = None
    substance: str | None = None
    agency: str | None = None
    """An agency that reports its own figures (customs) named in the figure's segment."""

    # -- kg.extract.changes ----------------------------------------------------------------
    is_change: bool = False
    """A percentage that states a change (up, down or year on year), not a share, or a count or
    mass stated as a difference ("30,000 fewer", "down 2.6 tons")."""
    average: bool = False
    """A change stated as an average per year ("an average annual decline of 20%")."""
    direction: str | None = None
    """``up`` or ``down`` for a change whose direction is stated (or shared in a list)."""
    change_of: tuple[int, int] | None = None
    """The span of the figure a change changes."""
    part_of: Draft | None = None
    """The total this figure is a part of ("of which 1.9 tons were heroin")."""

    # -- kg.extract.indicators -------------------------------------------------------------
    indicator: Indicator | None = None
    """What the figure counts; a part whose own indicator is a fallback takes its total's."""

    def figure(self) -> Figure:
        """The finished, frozen record; every stage must have run."""
        if self.period is None or self.indicator is None:
            raise ValueError(f"draft {self.num.verbatim!r} at {self.num.start} is not complete")
        n = self.num
        return Figure(
            start=n.start,
            end=n.end,
            verbatim=n.verbatim,
            value=n.value if self.status is not Status.MALFORMED else None,
            status=self.status,
            reason=self.reason,
            unit=self.unit,
            qualifier=self.qualifier,
            indicator=self.indicator.iri,
            areas=self.areas,
            period=self.period,
            operation=self.operation,
            offence=self.offence,
            substance=self.substance,
            sentence=self.sentence,
            change_of=self.change_of,
            direction=self.direction,
            part_of=(self.part_of.num.start, self.part_of.num.end) if self.part_of else None,
            locality=self.locality,
            agency=self.agency,
        )
