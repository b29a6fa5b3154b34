"""Find every figure and entity mention in a release, with what each figure is about.

Why: this is where text becomes records. Everything is decided from patterns and from the
vocabulary in ``mappings/`` (never from sentences or offsets of known releases), and every
record keeps the code-point span it came from. Garbled numbers are kept with no value; odd
but readable ones keep their value and are marked implausible with the reason.

Attribution works outwards from the figure: the words right after it (its "tail"), its clause
(between commas), its segment (between semicolons), its sentence, the previous sentence of the
same paragraph when that one names a single candidate, and finally the release as a whole.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from kg.extract.lexicon import Lexicon, Match
from kg.extract.measures import Indicator, MeasureBook
from kg.namespaces import expand
from kg.text.corpus import Release
from kg.text.numerals import Numeral, scan
from kg.text.periods import Period, date_spans, find_periods
from kg.text.segment import Paragraph, Sentence, paragraphs

COUNTRY = expand("nkgv:jurisdiction/CN")
_QUOTED = re.compile(r"\"[^\"\n]{1,200}\"|“[^”\n]{1,200}”")
_CLAUSE_BREAK = re.compile(r",\s|;|:\s|\s[–—]\s|\(|\)")
_LIST_ITEM = re.compile(r"\(?\d{1,2}[.)、]\s|[-*•]\s")
_PLURAL_EXCEPTIONS = {"this", "has", "was", "is", "its", "plus", "less", "series", "species", "as"}


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


@dataclass(frozen=True)
class Extraction:
    """All records of one release."""

    release: Release
    sentences: tuple[Sentence, ...]
    figures: tuple[Figure, ...]
    mentions: tuple[Mention, ...]
    default_period: Period
    notes: tuple[str, ...] = field(default=())


@dataclass
class _Draft:
    """A figure being built (mutable while changes are linked)."""

    num: Numeral
    unit: str
    kind: str
    unit_end: int
    qualifier: str
    tail: tuple[int, int]
    clause: tuple[int, int]
    segment: tuple[int, int]
    direction: str | None = None
    is_change: bool = False
    change_of: tuple[int, int] | None = None
    part_of: _Draft | None = None


# ----------------------------------------------------------------------------------------
# helpers


def _overlaps(a: int, b: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < b and a < e for s, e in spans)


def _bounds(text: str, pos: int, lo: int, hi: int, breaker: re.Pattern[str]) -> tuple[int, int]:
    """The stretch of ``text[lo:hi]`` around ``pos`` between two breaks of ``breaker``."""
    start = lo
    for m in breaker.finditer(text, lo, pos):
        start = m.end()
    after = breaker.search(text, pos, hi)
    return start, (after.start() if after else hi)


def _ends_with_phrase(before: str, phrases: Sequence[str]) -> str | None:
    low = before.lower().rstrip()
    for phrase in phrases:  # longest first
        p = phrase.lower()
        if low.endswith(p) and (len(low) == len(p) or not low[-len(p) - 1].isalnum()):
            return phrase
    return None


class Extractor:
    """Extract figures and mentions; one instance serves many releases."""

    def __init__(self, lexicon: Lexicon, measures: MeasureBook) -> None:
        self.lexicon = lexicon
        self.measures = measures
        unit_alts = []
        self._unit_by_word: dict[str, tuple[str, str]] = {}
        for unit in measures.units:
            for word in unit.words:
                self._unit_by_word[word.lower()] = (unit.code, unit.kind)
                unit_alts.append(word)
        unit_alts.sort(key=len, reverse=True)
        alt = "|".join(re.escape(w) for w in unit_alts)
        self._unit_re = re.compile(rf"^(?:\s+|-)({alt})(?![\w%])", re.I)

    # -- public -------------------------------------------------------------------------

    def extract(self, release: Release) -> Extraction:
        """All figures and mentions of ``release``."""
        text = release.text
        paras = paragraphs(text)
        sentences = tuple(s for p in paras for s in p.sentences)
        mentions = self._mentions(release, sentences)
        default_period = self._default_period(release, paras)
        title_ops = self._title_operations(release)
        area = self._release_area(text, paras, mentions)
        quoted = [m.span() for m in _QUOTED.finditer(text)]
        named = [(m.start, m.end) for m in mentions]
        excluded = _SpanIndex(quoted + named)
        indexed = _MentionIndex(mentions)
        dates = _SpanIndex(date_spans(text))
        figures: list[Figure] = []
        lead: Sentence | None = None  # "From January to May, police:" before a numbered list
        lead_period: Period | None = None
        for para in paras:
            is_item = bool(_LIST_ITEM.match(para.sentences[0].text)) if para.sentences else False
            if not is_item:
                lead, lead_period = None, None
            previous: Sentence | None = lead if is_item else None
            context = lead_period or default_period  # a paragraph's period scopes what follows
            for sentence in para.sentences:
                stated = find_periods(sentence.text, release.issued, sentence.start)
                figures.extend(
                    self._sentence_figures(
                        release, sentence, previous, indexed, excluded, dates,
                        context, title_ops, area,
                    )
                )  # fmt: skip
                if stated and (stated[-1].start or stated[-1].end or release.issued is None):
                    context = stated[-1]
                previous = sentence
            last = para.sentences[-1] if para.sentences else None
            if last is not None and last.text.rstrip().endswith(":"):
                lead, lead_period = last, (context if context is not default_period else None)
        return Extraction(release, sentences, tuple(figures), tuple(mentions), default_period)

    def _release_area(
        self, text: str, paras: Sequence[Paragraph], mentions: Sequence[Mention]
    ) -> str:
        """The country; or the one province a provincial release names and calls "the province"."""
        if not paras or not any(p.search(text) for p in self.measures.province_anaphora):
            return COUNTRY
        first = paras[0]
        named = {
            m.entity
            for m in mentions
            if m.scheme == "jurisdictions" and m.entity and m.entity != COUNTRY
            and first.start <= m.start < first.end
        }  # fmt: skip
        return named.pop() if len(named) == 1 else COUNTRY

    # -- mentions -----------------------------------------------------------------------

    def _mentions(self, release: Release, sentences: Sequence[Sentence]) -> list[Mention]:
        text = release.text
        out: list[Mention] = []
        for match in self.lexicon.find(text):
            start, end, iri = match.start, match.end, match.entry.iri
            if match.entry.annual:
                end, iri = self._edition(text, match, release)
            sentence = next((s for s in sentences if s.start <= start < s.end), sentences[-1])
            out.append(
                Mention(
                    start, end, text[start:end], iri, match.entry.cls, match.entry.scheme, sentence
                )
            )
        known = [(m.start, m.end) for m in out]
        for rule in self.measures.discovery:
            for found in rule.pattern.finditer(text):
                start, end = found.span("name")
                if _overlaps(start, end, known):
                    continue
                sentence = next((s for s in sentences if s.start <= start < s.end), sentences[-1])
                out.append(
                    Mention(start, end, text[start:end], None, rule.cls, rule.scheme, sentence)
                )
                known.append((start, end))
        out.sort(key=lambda m: m.start)
        return out

    def _edition(self, text: str, match: Match, release: Release) -> tuple[int, str]:
        """Link an annual operation to its edition: the year after it, else the release's."""
        end, year = match.end, release.year
        suffix = re.match(r"-(\d{2,4})\b", text[end:])
        if suffix:
            end += suffix.end()
            written = int(suffix.group(1))
            if 1990 <= written <= 2100:
                year = written
        editions = {int(y) for y in match.entry.data.get("editions", ()) or ()}
        if year is not None and year in editions:
            return end, f"{match.entry.iri}/{year}"
        return end, match.entry.iri

    # -- release-level defaults -----------------------------------------------------------

    def _default_period(self, release: Release, paras: Sequence[Paragraph]) -> Period:
        """The first period the opening paragraph states, else up to the release date."""
        if paras:
            first = paras[0]
            found = find_periods(release.text[first.start : first.end], release.issued, first.start)
            for period in found:
                if period.start or period.end:
                    return Period(period.start, period.end, period.phrase, -1)
        end = release.issued.isoformat() if release.issued else None
        return Period(None, end, "up to the release date" if end else "unknown", -1)

    def _title_operations(self, release: Release) -> list[str]:
        """Operations the title names, else those the opening paragraph names."""
        for source in (release.title or "", _opening(release.text)):
            found = {
                self._edition(source, m, release)[1] if m.entry.annual else m.entry.iri
                for m in self.lexicon.find(source, ["operations"])
            }
            if found:
                return sorted(found)
        return []

    # -- figures ------------------------------------------------------------------------

    def _sentence_figures(
        self,
        release: Release,
        sentence: Sentence,
        previous: Sentence | None,
        mentions: Sequence[Mention],
        excluded: _SpanIndex,
        dates: _SpanIndex,
        default_period: Period,
        title_ops: Sequence[str],
        area: str = COUNTRY,
    ) -> list[Figure]:
        text = release.text
        numerals = [
            n
            for n in scan(sentence.text)
            if not self._is_name_or_date(sentence, n, excluded, dates)
        ]
        drafts: list[_Draft] = []
        for i, local in enumerate(numerals):
            num = _shift(local, sentence.start)
            nxt = numerals[i + 1].start + sentence.start if i + 1 < len(numerals) else sentence.end
            drafts.append(self._draft(text, sentence, num, nxt))
        self._link_changes(text, sentence, drafts)  # also links parts to their totals
        periods = find_periods(sentence.text, release.issued, sentence.start)
        in_sentence = _within(mentions, sentence.start, sentence.end)
        in_previous = _within(mentions, previous.start, previous.end) if previous else []
        figures = []
        for d in drafts:
            if self._is_compound_adjective(text, d):
                continue
            figures.append(
                self._figure(
                    release, sentence, d, in_sentence, in_previous, periods, default_period,
                    title_ops, area,
                )
            )  # fmt: skip
        return figures

    def _link_parts(self, text: str, drafts: list[_Draft]) -> None:
        """ "3 tons of drugs, of which 1.9 tons were heroin and 0.4 tons ketamine": parts."""
        cues = self.measures.part_cues
        for i, d in enumerate(drafts):
            if d.is_change or i == 0:
                continue
            prev = drafts[i - 1]
            lead = text[max(0, d.num.start - 30) : d.num.start]
            total: _Draft | None = None
            if _ends_with_phrase(lead, cues):
                total = next(
                    (
                        t for t in reversed(drafts[:i])
                        if not t.is_change and t.part_of is None and t.kind == d.kind
                    ),
                    None,
                )  # fmt: skip
            elif prev.part_of is not None and prev.kind == d.kind:
                gap = text[prev.unit_end : d.num.start]
                if len(gap) < 60 and not re.search(r"[;.]|\bwhile\b", gap):
                    total = prev.part_of
            d.part_of = total

    def _is_name_or_date(
        self,
        sentence: Sentence,
        n: Numeral,
        excluded: _SpanIndex,
        dates: _SpanIndex,
    ) -> bool:
        """Numbers inside quoted names, named entities or dates are not figures."""
        a, b = n.start + sentence.start, n.end + sentence.start
        if excluded.overlaps(a, b) or dates.contains(a, b):
            return True
        before = sentence.text[: n.start]
        after = sentence.text[n.end :]
        # "China Drug Situation Report 2023": a year closing a title line
        if (
            re.fullmatch(r"(?:19|20)\d\d", n.verbatim)
            and re.search(r"\b[A-Z][\w-]*\s+$", before)
            and re.match(r"\s*(?:\n|$)", after)
        ):
            return True
        # "1. solved 1,086 cases": the number of a list item
        if before.strip() in ("", "(") and re.match(r"[.)、](?:\s|$)", after):
            return True
        # "the first two months of the year": part of a period phrase
        if re.search(r"\b(?:first|last|past|previous|next|recent)\s+$", before, re.I) and re.match(
            r"[\s-]+(?:months?|weeks?|days?|years?|quarters?)\b", after, re.I
        ):
            return True
        # "Flow-26", "COVID-19": a number glued to a word by a hyphen is part of a name
        if before.endswith("-") and len(before) > 1 and before[-2].isalnum():
            return True
        # "the 6 National Youth ... Competition": an edition number before a proper name
        if re.search(r"\bthe\s+$", before, re.I) and re.match(r"\s+[A-Z]", after):
            return True
        # "Four Specialities, Three Determinations": capitalised number words inside a title
        return bool(
            n.written_as_word
            and n.verbatim[0].isupper()
            and before.strip()
            and re.match(r"\s+[A-Z]", after)
        )

    def _draft(self, text: str, sentence: Sentence, num: Numeral, next_start: int) -> _Draft:
        unit, kind, unit_end = "NUM", "count", num.end
        if num.percent:
            unit, kind = "PERCENT", "percent"
        else:
            m = self._unit_re.match(text[num.end : sentence.end])
            if m:
                unit, kind = self._unit_by_word[m.group(1).lower()]
                unit_end = num.end + m.end()
        qualifier = "exact"
        clause = _bounds(text, num.start, sentence.start, sentence.end, _CLAUSE_BREAK)
        before = text[clause[0] : num.start]
        found = _ends_with_phrase(before, [q for q, _ in self.measures.qualifiers])
        if found:
            qualifier = dict(self.measures.qualifiers)[found]
        elif re.match(r"^(?:-plus|\+)", text[unit_end : unit_end + 6]):
            qualifier = "more-than"
        segment = _bounds(text, num.start, sentence.start, sentence.end, re.compile(";"))
        tail_end = min(next_start, clause[1])
        return _Draft(
            num,
            unit,
            kind,
            unit_end,
            qualifier,
            (unit_end, max(tail_end, unit_end)),
            clause,
            segment,
        )

    def _link_changes(self, text: str, sentence: Sentence, drafts: list[_Draft]) -> None:
        """Mark percentages that are changes, give each a direction and the figure it changes."""
        m = self.measures
        for d in drafts:
            if d.kind != "percent":
                continue
            before = text[max(d.clause[0], d.num.start - 40) : d.num.start]
            before = re.sub(
                r"\b(?:a|an|the)\s+(?:year-on-year|year on year)\s+", " ", before, flags=re.I
            )
            if _ends_with_phrase(before, m.up):
                d.direction = "up"
            elif _ends_with_phrase(before, m.down):
                d.direction = "down"
            window = text[
                max(sentence.start, d.num.start - 60) : min(sentence.end, d.num.end + 80)
            ].lower()
            yoy = any(p.lower() in window for p in m.year_on_year)
            d.is_change = d.direction is not None or yoy
        self._link_parts(text, drafts)
        # groups of consecutive changes: "up 6%, 3.9%, and 16.5% respectively"
        groups: list[list[_Draft]] = []
        for d in drafts:
            if not d.is_change:
                continue
            if groups and re.fullmatch(
                r"[\s,]*(?:and\s*)?", text[groups[-1][-1].unit_end : d.num.start]
            ):
                groups[-1].append(d)
            else:
                groups.append([d])
        for group in groups:
            direction = next((g.direction for g in group if g.direction), None)
            for g in group:
                g.direction = g.direction or direction
            after = text[group[-1].unit_end : group[-1].unit_end + 40].lower()
            bases = [
                b for b in drafts
                if not b.is_change and b.part_of is None and b.num.start < group[0].num.start
            ]  # fmt: skip
            respectively = any(p.lower() in after for p in m.respectively)
            if len(group) > 1 and respectively and len(bases) >= len(group):
                for g, b in zip(group, bases[-len(group) :], strict=True):
                    g.change_of = (b.num.start, b.num.end)
            elif bases:
                for g in group:
                    g.change_of = (bases[-1].num.start, bases[-1].num.end)

    def _is_compound_adjective(self, text: str, d: _Draft) -> bool:
        """ "three-dimensional", "two-way": a number word hyphenated to a word that is neither a
        unit ("two-week") nor something an indicator counts ("three-wave") is an adjective."""
        if (
            not d.num.written_as_word
            or not text.startswith("-", d.num.end)
            or d.unit_end > d.num.end
        ):
            return False
        return self._indicator(text, d).iri.endswith("/other-count")

    def _indicator(self, text: str, d: _Draft) -> Indicator:
        book = self.measures
        if d.is_change:
            return book.indicator("year-on-year-change")
        candidates = [i for i in book.indicators if d.kind in i.kinds and not i.fallback]
        tail = text[d.tail[0] : d.tail[1]]
        for ind in candidates:
            if any(p.search(tail) for p in ind.tail):
                return ind
        clause = text[d.clause[0] : d.clause[1]]
        for ind in candidates:
            if any(p.search(clause) for p in ind.context):
                return ind
        for ind in book.indicators:
            if ind.fallback and d.kind in ind.kinds:
                return ind
        if d.kind == "duration":
            return book.indicator("operation-duration")
        return book.indicator("share") if d.kind == "percent" else book.indicator("other-count")

    def _status(self, release: Release, text: str, d: _Draft) -> tuple[Status, str | None]:
        n = d.num
        if n.malformed:
            return Status.MALFORMED, n.malformed
        book = self.measures
        if n.fraction_digits > book.max_fraction_digits:
            return Status.IMPLAUSIBLE, (
                f"spurious precision: {n.fraction_digits} decimal places where releases state "
                f"at most {book.max_fraction_digits}"
            )
        if d.kind == "count" and n.value is not None:
            if n.value != n.value.to_integral_value():
                return Status.IMPLAUSIBLE, "a count with a fractional value"
            next_word = re.match(r"\s+([A-Za-z]+)", text[d.unit_end : d.unit_end + 30])
            if (
                n.value == 1
                and not n.written_as_word
                and next_word
                and next_word.group(1).lower().endswith("s")
                and next_word.group(1).lower() not in _PLURAL_EXCEPTIONS
            ):
                return Status.IMPLAUSIBLE, "the number 1 with a plural noun: digits may be lost"
            if release.year and re.fullmatch(r"\d{4}", n.digits):
                lo, hi = book.year_window
                if release.year + lo <= int(n.digits) <= release.year + hi:
                    return Status.IMPLAUSIBLE, (
                        f"{n.digits} is a year close to the release's: the translation may have "
                        "put a year in place of the figure"
                    )
        return Status.STATED, None

    def _figure(
        self,
        release: Release,
        sentence: Sentence,
        d: _Draft,
        in_sentence: Sequence[Mention],
        in_previous: Sequence[Mention],
        periods: Sequence[Period],
        default_period: Period,
        title_ops: Sequence[str],
        area: str = COUNTRY,
    ) -> Figure:
        text = release.text
        status, reason = self._status(release, text, d)
        indicator = self._indicator(text, d)
        if d.part_of is not None and indicator.fallback:
            indicator = self._indicator(text, d.part_of)  # "of which 1.9 tons were heroin"
        n = d.num
        return Figure(
            start=n.start,
            end=n.end,
            verbatim=n.verbatim,
            value=n.value if status is not Status.MALFORMED else None,
            status=status,
            reason=reason,
            unit=d.unit,
            qualifier=d.qualifier,
            indicator=indicator.iri,
            areas=self._areas(text, d, in_sentence, in_previous, area),
            period=self._period(n.start, periods, default_period),
            operation=self._operation(d, in_sentence, in_previous, title_ops),
            offence=self._nearest(d, in_sentence, "offences"),
            substance=self._nearest(d, in_sentence, "substances"),
            sentence=sentence,
            change_of=d.change_of,
            direction=d.direction,
            part_of=(d.part_of.num.start, d.part_of.num.end) if d.part_of else None,
        )

    @staticmethod
    def _period(pos: int, periods: Sequence[Period], default: Period) -> Period:
        """The last period phrase before the figure in its sentence, else the first after it."""
        before = [p for p in periods if p.phrase_start <= pos]
        if before:
            return before[-1]
        return periods[0] if periods else default

    def _non_example(self, text: str, jurisdictions: Sequence[Mention]) -> list[Mention]:
        """Drop jurisdictions listed after "including" / "such as": they are examples."""
        kept: list[Mention] = []
        in_example_list = False
        prev_end: int | None = None
        for j in jurisdictions:
            gap = text[prev_end : j.start] if prev_end is not None else ""
            if prev_end is not None and re.fullmatch(r"\s*(?:,|,?\s*and|,?\s*or)\s*", gap):
                pass  # same list continues
            else:
                lead = text[max(0, j.start - 30) : j.start]
                in_example_list = _ends_with_phrase(lead, self.measures.example_cues) is not None
            if not in_example_list:
                kept.append(j)
            prev_end = j.end
        return kept

    def _areas(
        self,
        text: str,
        d: _Draft,
        in_sentence: Sequence[Mention],
        in_previous: Sequence[Mention],
        area: str = COUNTRY,
    ) -> tuple[str, ...]:
        def juris(ms: Sequence[Mention]) -> list[Mention]:
            return self._non_example(
                text, [m for m in ms if m.scheme == "jurisdictions" and m.entity]
            )

        in_segment = [m for m in juris(in_sentence) if d.segment[0] <= m.start < d.segment[1]]
        if in_segment:
            return tuple(dict.fromkeys(m.entity for m in in_segment if m.entity))
        if not juris(in_sentence):
            prev = {m.entity for m in juris(in_previous)}
            if len(prev) == 1:
                return (prev.pop(),)  # type: ignore[return-value]
        return (area,)

    @staticmethod
    def _closest(ms: Sequence[Mention], pos: int) -> Mention | None:
        before = [m for m in ms if m.start < pos]
        if before:
            return before[-1]
        return ms[0] if ms else None

    def _operation(
        self,
        d: _Draft,
        in_sentence: Sequence[Mention],
        in_previous: Sequence[Mention],
        title_ops: Sequence[str],
    ) -> str | None:
        named = [m for m in in_sentence if m.scheme == "operations"]
        seg = [m for m in named if d.segment[0] <= m.start < d.segment[1]]
        chosen = self._closest(seg, d.num.start) or self._closest(named, d.num.start)
        if chosen:
            return chosen.entity  # None for an operation the vocabulary does not know
        prev = {m.entity for m in in_previous if m.scheme == "operations" and m.entity}
        if len(prev) == 1:
            return prev.pop()
        if len(title_ops) == 1:
            return title_ops[0]
        return None

    @staticmethod
    def _nearest(d: _Draft, in_sentence: Sequence[Mention], scheme: str) -> str | None:
        """An offence or substance named in the figure's tail, else earlier in its clause.

        Later in the clause belongs to the next figure ("4 kg of heroin and 2 t of precursors").
        """
        ms = [m for m in in_sentence if m.scheme == scheme and m.entity]
        in_tail = [m for m in ms if d.tail[0] <= m.start < d.tail[1]]
        if in_tail:
            return in_tail[0].entity
        before = [m for m in ms if d.clause[0] <= m.start < d.num.start]
        return before[-1].entity if before else None


class _SpanIndex:
    """Spans sorted by start, so that each lookup reads only the spans near it.

    Why: a long release has thousands of names and dates; testing every number against every
    span made extraction quadratic in the length of the text.
    """

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        self._spans = sorted(spans)
        self._starts = [a for a, _ in self._spans]
        self._longest = max((b - a for a, b in self._spans), default=0)

    def _near(self, a: int, b: int) -> list[tuple[int, int]]:
        lo = bisect.bisect_left(self._starts, a - self._longest)
        hi = bisect.bisect_left(self._starts, b)
        return self._spans[lo:hi]

    def overlaps(self, a: int, b: int) -> bool:
        return any(s < b and a < e for s, e in self._near(a, b))

    def contains(self, a: int, b: int) -> bool:
        return any(s <= a and b <= e for s, e in self._near(a, b))


class _MentionIndex(tuple):  # type: ignore[type-arg]
    """Mentions sorted by start, with their starts for bisection."""

    keys: list[int]

    def __new__(cls, mentions: Sequence[Mention]) -> _MentionIndex:
        self = super().__new__(cls, mentions)
        self.keys = [m.start for m in mentions]
        return self


def _within(mentions: Sequence[Mention], start: int, end: int) -> list[Mention]:
    """The mentions (sorted by start) that begin in ``[start, end)``."""
    keys = mentions.keys if isinstance(mentions, _MentionIndex) else [m.start for m in mentions]
    return list(mentions[bisect.bisect_left(keys, start) : bisect.bisect_left(keys, end)])


def _opening(text: str) -> str:
    """The release's first paragraph."""
    paras = paragraphs(text[:4000])
    return text[paras[0].start : paras[0].end] if paras else ""


def _shift(n: Numeral, offset: int) -> Numeral:
    return Numeral(
        start=n.start + offset,
        end=n.end + offset,
        verbatim=n.verbatim,
        digits=n.digits,
        value=n.value,
        malformed=n.malformed,
        percent=n.percent,
        scale=n.scale,
        written_as_word=n.written_as_word,
    )
