"""Each extraction stage of kg/extract/ on its own, fed what the stages before it produce.

Why: the extractor is a row of stages that hand each other plain records
(``kg.extract.records``). Each test here calls one stage module directly, on drafts built by
the earlier stages (never through :class:`~kg.extract.extractor.Extractor`), so a stage can be
improved and checked alone, and the tests show that the contract between stages is only data.
Every sentence is invented; every expected value was worked out by hand from the rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import grimp
import pytest

from kg.extract import areas, changes, indicators, nonfigures, numbers, periods, subjects
from kg.extract.extractor import Extractor
from kg.extract.lexicon import Lexicon
from kg.extract.measures import MeasureBook, default_measures
from kg.extract.mentions import find_mentions, within
from kg.extract.records import Draft, Mention, SentenceContext, Status
from kg.text.corpus import Release
from kg.text.periods import Period
from kg.text.segment import Paragraph, paragraphs

ID = "https://w3id.org/narcotics-kg/id/"
CN, HN, GX, HI, YN = (f"{ID}jurisdiction/{c}" for c in ("CN", "CN-HN", "CN-GX", "CN-HI", "CN-YN"))
ISSUED = dt.date(2024, 6, 20)
BOOK: MeasureBook = default_measures()
READER = numbers.NumberReader(BOOK)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@dataclass
class Text:
    """A release read as far as the per-release stages: paragraphs, mentions, contexts."""

    release: Release
    paras: list[Paragraph]
    mentions: list[Mention]
    contexts: list[SentenceContext]

    @property
    def text(self) -> str:
        return self.release.text

    def context(self, i: int) -> SentenceContext:
        return self.contexts[i]

    def in_sentence(self, i: int) -> list[Mention]:
        s = self.contexts[i].sentence
        return within(self.mentions, s.start, s.end)

    def in_previous(self, i: int) -> list[Mention]:
        p = self.contexts[i].previous
        return within(self.mentions, p.start, p.end) if p else []

    def numbers(self, i: int = 0) -> list[Draft]:
        """Stage 1 only: every number of sentence ``i``."""
        return READER.read(self.release, self.contexts[i].sentence)

    def figures(self, i: int = 0) -> list[Draft]:
        """Stages 1-2: the figures of sentence ``i``, tails ended at the next figure."""
        kept = nonfigures.NonFigures(self.text, self.mentions).drop(
            self.contexts[i].sentence, self.numbers(i)
        )
        numbers.end_tails(kept)
        return kept

    def span(self, a: int, b: int) -> str:
        return self.text[a:b]


def read(
    lexicon: Lexicon, text: str, issued: dt.date | None = ISSUED, title: str | None = None
) -> Text:
    release = Release(id="t", path=Path("t.txt"), text=text, sha256="0", issued=issued, title=title)
    paras = paragraphs(text)
    sentences = [s for p in paras for s in p.sentences]
    mentions = find_mentions(release, sentences, lexicon, BOOK.discovery)
    contexts = periods.sentence_contexts(release, paras, periods.default_period(release, paras))
    return Text(release, paras, mentions, contexts)


def verbatims(drafts: list[Draft]) -> list[str]:
    return [d.num.verbatim for d in drafts]


# -- numbers -------------------------------------------------------------------------------


def test_numbers_reads_value_unit_and_marks_garbled_numbers_malformed(lexicon: Lexicon) -> None:
    t = read(lexicon, "Customs officers seized 1,313.2 kilograms of heroin and logged 9,26 cases.")
    mass, garbled = t.numbers()
    assert mass.num.value == Decimal("1313.2")
    assert (mass.unit, mass.kind, mass.qualifier) == ("KiloGM", "mass", "exact")
    assert t.span(mass.num.start, mass.unit_end) == "1,313.2 kilograms"
    assert (mass.status, mass.reason) == (Status.STATED, None)
    assert garbled.num.verbatim == "9,26"
    assert garbled.num.value is None
    assert garbled.status is Status.MALFORMED
    assert garbled.reason == "comma groups of 1/2 digits are not thousands separators"
    assert (garbled.unit, garbled.kind) == ("NUM", "count")


def test_numbers_tails_run_to_the_clause_end_until_ended_at_the_next_figure(
    lexicon: Lexicon,
) -> None:
    t = read(lexicon, "Customs officers seized 1,313.2 kilograms of heroin and logged 9,26 cases.")
    drafts = t.numbers()
    assert t.span(*drafts[0].tail) == " of heroin and logged 9,26 cases."
    numbers.end_tails(drafts)
    assert t.span(*drafts[0].tail) == " of heroin and logged "
    assert t.span(*drafts[1].tail) == " cases."  # the last one keeps its clause end


def test_numbers_qualifiers_segments_and_implausible_values(lexicon: Lexicon) -> None:
    t = read(
        lexicon,
        "Police seized over 300 kg of drugs, about 6.7000 tons of chemicals and 1 cases of "
        "glue; 300-plus suspects and 2023 couriers were held.",
    )
    drafts = t.numbers()
    assert verbatims(drafts) == ["300", "6.7000", "1", "300", "2023"]
    assert [d.qualifier for d in drafts] == ["more-than", "about", "exact", "more-than", "exact"]
    assert [d.unit for d in drafts] == ["KiloGM", "TONNE", "NUM", "NUM", "NUM"]
    assert [d.status for d in drafts] == [
        Status.STATED, Status.IMPLAUSIBLE, Status.IMPLAUSIBLE, Status.STATED, Status.IMPLAUSIBLE,
    ]  # fmt: skip
    assert drafts[1].reason == (
        "spurious precision: 4 decimal places where releases state at most 2"
    )
    assert drafts[2].reason == "the number 1 with a plural noun: digits may be lost"
    assert drafts[4].reason is not None and drafts[4].reason.startswith("2023 is a year close")
    assert t.span(*drafts[1].clause) == "about 6.7000 tons of chemicals and 1 cases of glue"
    assert t.span(*drafts[3].segment) == " 300-plus suspects and 2023 couriers were held."
    # without an issue date, nothing says 2023 is near the release's year
    undated = read(lexicon, "Officers held 2023 couriers.", issued=None)
    assert undated.numbers()[0].status is Status.STATED


# -- non-figures ---------------------------------------------------------------------------


def test_nonfigures_drops_a_date_and_a_year(lexicon: Lexicon) -> None:
    t = read(lexicon, "On June 26 the border brigade, formed in 2019, detained 14 couriers.")
    assert verbatims(t.numbers()) == ["26", "2019", "14"]
    assert verbatims(t.figures()) == ["14"]


def test_nonfigures_drops_list_numbers_hyphenated_names_quotes_and_period_words(
    lexicon: Lexicon,
) -> None:
    t = read(lexicon, "1. The COVID-19 checks found 7 parcels.")
    found = [v for i in range(len(t.contexts)) for v in verbatims(t.numbers(i))]
    kept = [v for i in range(len(t.contexts)) for v in verbatims(t.figures(i))]
    assert (found, kept) == (["1", "19", "7"], ["7"])
    t = read(lexicon, 'The "Lantern 88" drive ran a three-wave sweep over the first two months.')
    assert verbatims(t.numbers()) == ["88", "three", "two"]
    assert verbatims(t.figures()) == ["three"]


def test_nonfigures_a_hyphenated_number_word_is_an_adjective_unless_an_indicator_counts_it(
    lexicon: Lexicon,
) -> None:
    t = read(lexicon, "The unit took a three-dimensional approach and ran a three-wave sweep.")
    drafts = t.figures()
    assert verbatims(drafts) == ["three", "three"]
    with pytest.raises(ValueError):  # needs the indicators first
        nonfigures.is_compound_adjective(t.text, drafts[0])
    indicators.assign_indicators(t.text, drafts, BOOK)
    assert [d.indicator.slug for d in drafts if d.indicator] == ["other-count", "campaign-waves"]
    (kept,) = nonfigures.drop_compound_adjectives(t.text, drafts)
    assert t.span(kept.num.start, kept.num.end + 5) == "three-wave"


# -- periods -------------------------------------------------------------------------------


def test_periods_the_first_five_months_scope_the_rest_of_the_paragraph(lexicon: Lexicon) -> None:
    t = read(
        lexicon,
        "In the first five months of this year, police solved 120 drug cases. "
        "They also seized 36 kg of ketamine.",
    )
    five_months = ("2024-01-01", "2024-05-31", "the first five months of this year")
    assert verbatims(t.numbers(0)) == ["five", "120"]  # "five" is part of the period phrase
    for i in (0, 1):
        drafts = t.figures(i)
        periods.assign_periods(drafts, t.context(i))
        (d,) = drafts
        assert d.period is not None
        assert (d.period.start, d.period.end, d.period.phrase) == five_months
    assert t.context(1).previous == t.context(0).sentence
    assert t.context(1).stated == ()  # inherited, not stated: the period in force
    assert t.context(1).period.phrase == "the first five months of this year"


def test_periods_default_period_of_the_release(lexicon: Lexicon) -> None:
    t = read(lexicon, "Since the beginning of this year, police solved 30 cases.")
    assert periods.default_period(t.release, t.paras) == Period(
        "2024-01-01", "2024-06-20", "Since the beginning of this year", -1
    )
    # nothing stated: no period rather than a guess ("up to the release date")
    t = read(lexicon, "Police solved 30 cases.")
    assert periods.default_period(t.release, t.paras) == Period(None, None, "not stated", -1)
    t = read(lexicon, "Police solved 30 cases.", issued=None)
    assert periods.default_period(t.release, t.paras) == Period(None, None, "not stated", -1)
    # the lead's period, not a headline's day or the day of the press conference
    t = read(
        lexicon,
        "Police seize 4 tons\n\nAt a press conference on June 9, the ministry said that in the "
        "first five months of this year police solved 30 cases. They also seized 4 tons.",
    )
    assert periods.default_period(t.release, t.paras) == Period(
        "2024-01-01", "2024-05-31", "the first five months of this year", -1
    )


def test_periods_a_list_inherits_its_lead_sentence(lexicon: Lexicon) -> None:
    t = read(
        lexicon,
        "Over the spring, police in Yunnan reported:\n\n1. solved 30 cases in March;\n\n"
        "2. seized 8 kg of heroin.",
    )
    lead, first, second = t.contexts
    assert first.previous == lead.sentence  # the lead, across the paragraph break
    assert second.previous == lead.sentence
    drafts = t.figures(1)
    periods.assign_periods(drafts, first)
    assert drafts[0].period is not None and drafts[0].period.phrase == "in March"
    assert (drafts[0].period.start, drafts[0].period.end) == ("2024-03-01", "2024-03-31")
    drafts = t.figures(2)
    periods.assign_periods(drafts, second)
    assert drafts[0].period is t.contexts[0].period  # the lead stated none: the default


def test_periods_last_phrase_before_else_first_after_else_in_force() -> None:
    march = Period("2024-03-01", "2024-03-31", "in March", 100)
    may = Period("2024-05-01", "2024-05-31", "in May", 200)
    in_force = Period(None, "2024-06-20", "up to the release date", -1)
    assert periods.figure_period(150, [march, may], in_force) is march
    assert periods.figure_period(250, [march, may], in_force) is may
    assert periods.figure_period(50, [march, may], in_force) is march
    assert periods.figure_period(50, [], in_force) is in_force


# -- areas ---------------------------------------------------------------------------------


def run_areas(t: Text, i: int, area: str = CN) -> list[tuple[str, ...]]:
    drafts = t.figures(i)
    areas.assign_areas(t.text, drafts, t.in_sentence(i), t.in_previous(i), area, BOOK.example_cues)
    return [d.areas for d in drafts]


def test_areas_the_province_named_in_the_figures_segment(lexicon: Lexicon) -> None:
    t = read(lexicon, "Teams in Hunan seized 50 kg of heroin; officers in Guangxi seized 8 kg.")
    assert run_areas(t, 0) == [(HN,), (GX,)]


def test_areas_provinces_given_as_examples_are_not_the_area(lexicon: Lexicon) -> None:
    t = read(lexicon, "Several provinces, including Hunan and Guangxi, seized 90 kg of drugs.")
    assert run_areas(t, 0) == [(CN,)]


def test_areas_from_the_previous_sentence_and_from_a_provincial_release(lexicon: Lexicon) -> None:
    t = read(lexicon, "Police in Hainan solved 40 cases. A further 12 dens were shut.")
    assert run_areas(t, 1) == [(HI,)]
    t = read(
        lexicon,
        "Hainan police report on the year.\n\n"
        "Across the province, officers arrested 75 suspects. Teams in Hunan arrested 9 more.",
    )
    area = areas.release_area(t.text, t.paras, t.mentions, BOOK.province_anaphora)
    assert area == HI
    assert run_areas(t, 1, area) == [(HI,)]
    assert run_areas(t, 2, area) == [(HN,)]
    t = read(lexicon, "Hainan police report on the year.\n\nOfficers arrested 75 suspects.")
    assert areas.release_area(t.text, t.paras, t.mentions, BOOK.province_anaphora) == CN


# -- subjects ------------------------------------------------------------------------------


def run_subjects(t: Text, i: int, title_ops: list[str]) -> list[Draft]:
    drafts = t.figures(i)
    subjects.assign_subjects(drafts, t.in_sentence(i), t.in_previous(i), title_ops)
    return drafts


def test_subjects_operation_from_the_sentence_the_previous_one_or_the_title(
    lexicon: Lexicon,
) -> None:
    action = f"{ID}operation/hundred-days-action"
    t = read(lexicon, "During the Hundred Days Action, police solved 40 cases. 12 dens were shut.")
    assert subjects.title_operations(t.release, lexicon) == [action]  # the opening names it
    assert [d.operation for d in run_subjects(t, 0, [])] == [action]
    assert [d.operation for d in run_subjects(t, 1, [])] == [action]
    t = read(lexicon, "Police solved 40 cases.\n\nMore news.", title="Hundred Days Action results")
    title_ops = subjects.title_operations(t.release, lexicon)
    assert title_ops == [action]
    assert [d.operation for d in run_subjects(t, 0, title_ops)] == [action]
    assert [d.operation for d in run_subjects(t, 0, [])] == [None]


def test_subjects_a_substance_belongs_to_the_figure_whose_tail_names_it(lexicon: Lexicon) -> None:
    t = read(lexicon, "Customs found 4 kg of heroin and 2 tons of precursor chemicals.")
    drafts = run_subjects(t, 0, [])
    assert [d.substance for d in drafts] == [
        f"{ID}substance/heroin",
        f"{ID}substance/precursor-chemicals",
    ]
    assert [d.offence for d in drafts] == [None, None]


# -- lists and changes ---------------------------------------------------------------------


def test_changes_links_a_year_on_year_rise_to_its_base(lexicon: Lexicon) -> None:
    t = read(lexicon, "Police solved 870 drug cases, up 12.5 percent year on year.")
    base, change = drafts = t.figures()
    changes.link(t.text, t.context(0).sentence, drafts, BOOK)
    assert (base.is_change, change.is_change) == (False, True)
    assert change.direction == "up"
    assert change.change_of == (base.num.start, base.num.end)
    assert t.span(*change.change_of) == "870"
    assert t.span(change.num.start, change.unit_end) == "12.5 percent"


def test_changes_a_decrease_and_a_respectively_list(lexicon: Lexicon) -> None:
    t = read(lexicon, "Detectives handled 65 cases, a year-on-year decrease of 4%.")
    drafts = t.figures()
    changes.link(t.text, t.context(0).sentence, drafts, BOOK)
    assert (drafts[1].direction, drafts[1].change_of) == ("down", (19, 21))
    assert t.span(19, 21) == "65"
    t = read(
        lexicon,
        "Police arrested 400 suspects and seized 20 kg of drugs, "
        "up 5% and 7.5% respectively year on year.",
    )
    suspects, mass, first, second = drafts = t.figures()
    changes.link(t.text, t.context(0).sentence, drafts, BOOK)
    assert first.change_of == (suspects.num.start, suspects.num.end)
    assert second.change_of == (mass.num.start, mass.num.end)
    assert (first.direction, second.direction) == ("up", "up")  # shared by the list


def test_changes_a_share_is_not_a_change(lexicon: Lexicon) -> None:
    t = read(lexicon, "Synthetic drugs accounted for 62% of the total.")
    (share,) = drafts = t.figures()
    changes.link(t.text, t.context(0).sentence, drafts, BOOK)
    assert (share.is_change, share.direction, share.change_of) == (False, None, None)


def test_changes_parts_link_to_their_total(lexicon: Lexicon) -> None:
    t = read(
        lexicon,
        "Officers seized 3 tons of drugs, of which 1.9 tons were heroin "
        "and 0.4 tons were held at sea.",
    )
    total, heroin, at_sea = drafts = t.figures()
    changes.link(t.text, t.context(0).sentence, drafts, BOOK)
    assert total.part_of is None
    assert heroin.part_of is total
    assert at_sea.part_of is total  # listed right after a part: same total
    assert [d.change_of for d in drafts] == [None, None, None]


# -- indicators ----------------------------------------------------------------------------


def test_indicators_from_a_cue_and_for_a_change(lexicon: Lexicon) -> None:
    t = read(lexicon, "Police solved 870 drug cases, up 12.5 percent year on year.")
    drafts = t.figures()
    changes.link(t.text, t.context(0).sentence, drafts, BOOK)
    indicators.assign_indicators(t.text, drafts, BOOK)
    assert [d.indicator.slug for d in drafts if d.indicator] == [
        "cases-solved",
        "year-on-year-change",
    ]
    t = read(lexicon, "Rangers uprooted poppies over 45 mu.")  # no tail cue: the clause's verb
    drafts = t.figures()
    indicators.assign_indicators(t.text, drafts, BOOK)
    assert [d.indicator.slug for d in drafts if d.indicator] == ["area-eradicated"]


def test_indicators_a_part_takes_its_totals_indicator(lexicon: Lexicon) -> None:
    # no drug is named in the parts' clause, so their own indicator is the fallback
    t = read(
        lexicon,
        "Officers seized 3 tons of drugs, of which 1.9 tons were in powder form "
        "and 0.4 tons were held at sea.",
    )
    drafts = t.figures()
    changes.link(t.text, t.context(0).sentence, drafts, BOOK)
    indicators.assign_indicators(t.text, drafts, BOOK)
    assert [d.indicator.slug for d in drafts if d.indicator] == [
        "drugs-seized",
        "other-mass",
        "other-mass",
    ]
    indicators.inherit_from_totals(drafts)
    assert [d.indicator.slug for d in drafts if d.indicator] == ["drugs-seized"] * 3


# -- records and the whole row -------------------------------------------------------------


def test_a_draft_becomes_a_figure_only_when_every_stage_has_run(lexicon: Lexicon) -> None:
    t = read(lexicon, "Police in Hunan solved 870 drug cases, up 12.5 percent year on year.")
    drafts = t.figures()
    with pytest.raises(ValueError):
        drafts[0].figure()
    sentence = t.context(0).sentence
    periods.assign_periods(drafts, t.context(0))
    areas.assign_areas(t.text, drafts, t.in_sentence(0), [], CN, BOOK.example_cues)
    subjects.assign_subjects(drafts, t.in_sentence(0), [], [])
    changes.link(t.text, sentence, drafts, BOOK)
    indicators.assign_indicators(t.text, drafts, BOOK)
    drafts = nonfigures.drop_compound_adjectives(t.text, drafts)
    indicators.inherit_from_totals(drafts)
    by_hand = [d.figure() for d in drafts]
    assert by_hand == list(Extractor(lexicon, BOOK).extract(t.release).figures)
    base, change = by_hand
    assert (base.value, base.areas, base.indicator) == (
        Decimal("870"),
        (HN,),
        f"{ID}indicator/cases-solved",
    )
    assert (change.value, change.unit, change.change_of) == (
        Decimal("12.5"),
        "PERCENT",
        (base.start, base.end),
    )


def test_no_stage_imports_the_extractor() -> None:
    """Data flows one way: the stages never reach back to the module that runs them."""
    graph = grimp.build_graph("kg")
    importers = graph.find_downstream_modules("kg.extract.extractor")
    assert not {m for m in importers if m.startswith("kg.extract")}
    stages = {m for m in graph.modules if m.startswith("kg.extract.")}
    assert {"kg.extract.records", "kg.extract.numbers", "kg.extract.changes"} <= stages
    assert not any(m.rsplit(".", 1)[-1] == "utils" for m in stages)
