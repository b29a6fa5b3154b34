"""Find every figure and entity mention in a release, with what each figure is about.

Why: this is where text becomes records. Everything is decided from patterns and from the
vocabulary in ``mappings/`` (never from sentences or offsets of known releases), and every
record keeps the code-point span it came from. Garbled numbers are kept with no value; odd
but readable ones keep their value and are marked implausible with the reason.

The :class:`Extractor` only runs the stages in order; each stage is its own module and hands
the next one plain records (``kg.extract.records``). Once per release: mentions
(``mentions``), the default period and the reading context of each sentence (``periods``), the
default operation (``subjects``) and area (``areas``). Then per sentence, on one
:class:`~kg.extract.records.Draft` per number:

numbers → non-figures → periods → areas → subjects → lists and changes → indicators →
compound adjectives dropped (``nonfigures``) → parts inherit indicators → :class:`Figure`.
Then, across sentences (``restatements``): headline figures take the attribution of the body
figure they repeat, and "Of those cases, ..." figures become parts of the whole before them.

Attribution works outwards from the figure: the words right after it (its "tail"), its clause
(between commas), its segment (between semicolons), its sentence, the previous sentence of the
same paragraph when that one names a single candidate, and finally the release as a whole.

Extraction takes time linear in the length of the release, whatever its shape (issue #14): what
a stage reads around one figure is bounded (``kg.extract.window``), what holds for a whole
clause or sentence is worked out once for all its figures, and the names, periods and figures
a figure is compared with are looked up in sorted lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.extract import (
    areas,
    changes,
    indicators,
    nonfigures,
    numbers,
    periods,
    restatements,
    subjects,
)
from kg.extract.lexicon import Lexicon
from kg.extract.measures import MeasureBook
from kg.extract.mentions import MentionIndex, find_mentions, within
from kg.extract.records import Extraction, Figure, Mention, SentenceContext
from kg.extract.window import Scans
from kg.text.corpus import Release
from kg.text.segment import Sentence, paragraphs


@dataclass
class _Readers:
    """What the per-sentence stages share across one release: its mentions, names and dates,
    the jurisdictions and subjects each sentence names (read once per sentence: a list's lead
    is read for every item) and the clause searches (once per clause)."""

    mentions: MentionIndex
    non_figures: nonfigures.NonFigures
    areas: areas.AreaReader
    subjects: subjects.SubjectReader
    scans: Scans
    _of: dict[int, list[Mention]] = field(default_factory=dict)

    def mentions_of(self, sentence: Sentence) -> list[Mention]:
        """The mentions of ``sentence`` (the same list each time it is asked for)."""
        found = self._of.get(sentence.start)
        if found is None:
            found = self._of[sentence.start] = within(self.mentions, sentence.start, sentence.end)
        return found


class Extractor:
    """Extract figures and mentions; one instance serves many releases."""

    def __init__(self, lexicon: Lexicon, measures: MeasureBook) -> None:
        """Keep the vocabulary and compile what the stages need once (the unit words)."""
        self.lexicon = lexicon
        self.measures = measures
        self._numbers = numbers.NumberReader(measures)

    def extract(self, release: Release) -> Extraction:
        """All figures and mentions of ``release``."""
        text = release.text
        paras = paragraphs(text)
        sentences = tuple(s for p in paras for s in p.sentences)
        mentions = find_mentions(release, sentences, self.lexicon, self.measures.discovery)
        default_period = periods.default_period(release, paras)
        title_ops = subjects.title_operations(release, self.lexicon)
        area = areas.release_area(
            text, paras, mentions, self.measures.province_anaphora, self.measures.area_cues
        )
        contexts = periods.sentence_contexts(release, paras, default_period)
        phrases = [
            (p.phrase_start, p.phrase_start + len(p.phrase))
            for c in contexts
            for p in c.stated
            if not p.spans_words
        ]
        non_figures = nonfigures.NonFigures(text, mentions, self.measures.non_figures, phrases)
        book = self.measures
        scans = Scans(text)
        readers = _Readers(
            MentionIndex(mentions),
            non_figures,
            areas.AreaReader(text, area, book.example_cues, book.area_cues, scans),
            subjects.SubjectReader(title_ops, text),
            scans,
        )
        figures: list[Figure] = []
        for context in contexts:
            figures.extend(self._sentence_figures(release, context, readers))
        figures = restatements.headline_restatements(figures, paras)
        figures = restatements.subset_openers(text, figures)
        return Extraction(release, sentences, tuple(figures), tuple(mentions), default_period)

    def _sentence_figures(
        self, release: Release, context: SentenceContext, readers: _Readers
    ) -> list[Figure]:
        """The figures of one sentence: every stage, in order, on its drafts."""
        text, sentence, previous = release.text, context.sentence, context.previous
        book = self.measures
        drafts = readers.non_figures.drop(sentence, self._numbers.read(release, sentence))
        numbers.end_tails(drafts)
        in_sentence = readers.mentions_of(sentence)
        in_previous = readers.mentions_of(previous) if previous else []
        periods.assign_periods(drafts, context, text)
        readers.areas.assign(drafts, in_sentence, in_previous)
        readers.subjects.assign(drafts, in_sentence, in_previous)
        changes.link(text, sentence, drafts, book)
        indicators.assign_indicators(text, drafts, book, readers.scans)
        drafts = nonfigures.drop_compound_adjectives(text, drafts)
        indicators.inherit_from_totals(drafts, text)
        indicators.date_stocks(drafts)
        periods.flows_to_instants(drafts, context)
        return [d.figure() for d in drafts]
