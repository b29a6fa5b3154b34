"""What real releases need of the extractor, one behaviour per test, on invented sentences.

Each test states a pattern real releases use (a dateline, a clock time, a split ten-thousand
number, "by the end of 2023", "suspects from Myanmar", "92,000 arrests"...) in our own words,
runs the whole extractor on it and checks what a careful reader would say. Every expected value
was worked out by hand from the sentence. The scores over whole releases are in
tests/test_release_layouts.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from kg.extract.extractor import Extractor
from kg.extract.lexicon import Lexicon
from kg.extract.measures import default_measures
from kg.extract.records import Figure, Status
from kg.text.corpus import Release

ID = "https://w3id.org/narcotics-kg/id/"
ISSUED = dt.date(2024, 6, 26)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(Lexicon.load(), default_measures())


def figures(extractor: Extractor, text: str, issued: dt.date | None = ISSUED) -> list[Figure]:
    digest = hashlib.sha256(text.encode()).hexdigest()
    release = Release("t", Path("t.txt"), text, digest, issued)
    return list(extractor.extract(release).figures)


def by_verbatim(found: list[Figure]) -> dict[str, Figure]:
    return {f.verbatim: f for f in found}


def slug(iri: str | None) -> str:
    return (iri or "").rsplit("/", 1)[-1]


def area_codes(f: Figure) -> set[str]:
    return {slug(a) for a in f.areas}


# -- numbers that are not figures ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2021/7/3 09:05:44    Source: Hunan Daily",
        "Updated: 2019-11-02 16:40 | By Wang Lan",
        "Published: Jun 26, 2023 10:42 PM",
        "The story appears on\nPage B2\nMarch 4, 2022",
        "Copyright 2003-2022 Guangxi Daily. All rights reserved.",
        "A 37-year-old courier and his brother, aged 41, were held.",
        "He was sentenced to 12 years in prison and fined.",
        "Article 348 of the Criminal Law covers possession.",
        "Of the cases, most involved more than 50 grams of heroin each.",
        "Tip-offs can be made on the hotline 12345 or by dialling 110.",
        "Police marked the 37th International Day against Drug Abuse.",
        "The China Drug Situation Report 2023 was released.",
        "Users had stayed off drugs for three years.",
        "Drug cases fell by a fifth between 2018 and 2022.",
        "Police were busy between Jan 24 and March 15.",
        "A yearly review, Narcotics Control Work (2019), came out in May.",
        "Related stories:\n- Customs find 40 kg in fruit\n- Court jails 6 in meth case",
        "News\n\n1\n\nPolice said the market was quiet.",
        "A 5.8-magnitude tremor shook the valley.",
        "Source: City Portal   Views: 2,486   Font: large",
        "Related News:\n- Port seizes 96 kg of ketamine\n- Court jails 7 over cannabis farm",
        "Tips that help police seize more than 1 kilogram of drugs are welcome.",
        "Under Article 351, growing 500 or more opium poppy plants is a crime.",
        "Most plots covered less than 1 mu.",
        "Residents can report drug crimes 24 hours a day.",
    ],
)
def test_dates_times_furniture_ages_terms_articles_thresholds_and_names_are_not_figures(
    extractor: Extractor, text: str
) -> None:
    assert [f.verbatim for f in figures(extractor, text)] == []


def test_the_numbers_of_a_sentence_stating_the_law_are_not_figures(extractor: Extractor) -> None:
    text = (
        "Under the Criminal Law, anyone who traffics more than 1,000 grams of opium may be "
        "sentenced to death. Police seized 40 kilograms of opium in May."
    )
    assert [f.verbatim for f in figures(extractor, text)] == ["40"]


def test_an_operation_that_lasted_days_is_a_figure_and_a_prison_term_is_not(
    extractor: Extractor,
) -> None:
    found = figures(extractor, "An operation lasting 9 days ended; one man got 9 years in jail.")
    assert [(f.verbatim, f.unit) for f in found] == [("9", "DAY")]


# -- split and glued garbling --------------------------------------------------------------


def test_a_split_ten_thousand_number_is_one_malformed_span(extractor: Extractor) -> None:
    text = "Last year police nationwide cracked 5 drug cases More than 30,000 cases."
    (f,) = figures(extractor, text)
    assert f.verbatim == "5 drug cases More than 30,000"
    assert (f.status, f.value, f.qualifier) == (Status.MALFORMED, None, "more-than")
    assert slug(f.indicator) == "cases-solved"


def test_a_bare_count_of_drugs_before_glued_digits_is_the_same_broken_number(
    extractor: Extractor,
) -> None:
    text = "Police arrested 640 suspects, and 31 drugs of various types were seized6 tons."
    found = by_verbatim(figures(extractor, text))
    f = found["31 drugs of various types were seized6"]
    assert (f.status, f.value, f.unit, slug(f.indicator)) == (
        Status.MALFORMED,
        None,
        "TONNE",
        "drugs-seized",
    )
    assert found["640"].value == Decimal(640) and "31" not in found


def test_digits_glued_to_a_word_are_malformed_alone(extractor: Extractor) -> None:
    text = "Police arrested 640 suspects and drugs of various types were seized7 tons."
    found = by_verbatim(figures(extractor, text))
    assert found["640"].value == Decimal(640)
    assert (found["7"].status, found["7"].value, found["7"].unit) == (
        Status.MALFORMED,
        None,
        "TONNE",
    )
    assert slug(found["7"].indicator) == "drugs-seized"


# -- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("Last year", "2023-01-01", "2023-12-31"),
        ("This year", "2024-01-01", "2024-06-26"),
        ("Since the beginning of the year", "2024-01-01", "2024-06-26"),
        ("In the past two months", "2024-04-26", "2024-06-26"),
        ("In the past five years", "2019-06-26", "2024-06-26"),
        ("In the first quarter", "2024-01-01", "2024-03-31"),
        ("In the first five months", "2024-01-01", "2024-05-31"),
        ("From January 2017 to April 2018", "2017-01-01", "2018-04-30"),
        ("Between March and May", "2024-03-01", "2024-05-31"),
        ("From 2013 to 2022", "2013-01-01", "2022-12-31"),
        ("Since 2016", "2016-01-01", "2024-06-26"),
        ("In 2019", "2019-01-01", "2019-12-31"),
        ("By the end of 2023", None, "2023-12-31"),
        ("As of the end of March", None, "2024-03-31"),
    ],
)
def test_periods_resolved_from_the_issue_date_and_the_text(
    extractor: Extractor, phrase: str, start: str | None, end: str
) -> None:
    (f,) = figures(extractor, f"{phrase}, police in Hubei solved 310 drug cases.")
    assert (f.period.start, f.period.end) == (start, end)


def test_a_release_without_an_issue_date_keeps_the_periods_its_text_states(
    extractor: Extractor,
) -> None:
    text = "In 2021, police solved 310 cases. Last year, they solved 280 cases."
    found = by_verbatim(figures(extractor, text, issued=None))
    assert (found["310"].period.start, found["310"].period.end) == ("2021-01-01", "2021-12-31")
    assert (found["280"].period.start, found["280"].period.end) == (None, None)


def test_the_year_of_a_base_number_dates_only_that_number(extractor: Extractor) -> None:
    text = "Police destroyed four dens in 2022, against seven in 2021, and seized 3.8 tonnes."
    found = by_verbatim(figures(extractor, text, dt.date(2023, 6, 1)))
    assert found["four"].period.start == found["3.8"].period.start == "2022-01-01"
    assert found["seven"].period.start == "2021-01-01"
    assert slug(found["seven"].indicator) == "dens-destroyed"


def test_a_base_in_the_same_period_last_year_is_a_year_earlier(extractor: Extractor) -> None:
    text = (
        "From January to May, police seized 203 kilograms of drugs, compared with 158 kilograms "
        "in the same period last year."
    )
    found = by_verbatim(figures(extractor, text))
    assert (found["203"].period.start, found["203"].period.end) == ("2024-01-01", "2024-05-31")
    assert (found["158"].period.start, found["158"].period.end) == ("2023-01-01", "2023-05-31")


def test_a_comparison_base_is_not_the_figures_period(extractor: Extractor) -> None:
    text = "In 2023, police solved 930 cases, 47 fewer than in 2022, and destroyed 12 dens."
    found = by_verbatim(figures(extractor, text, dt.date(2024, 2, 1)))
    assert found["12"].period.start == "2023-01-01"
    assert (slug(found["47"].indicator), found["47"].direction) == ("absolute-change", "down")


def test_phrases_that_point_back_take_the_period_they_point_at(extractor: Extractor) -> None:
    text = (
        "From January to May, police in Guizhou solved 820 drug cases.\n\n"
        "During the period, they also destroyed 14 dens. Over the five months, 61 gangs were "
        "broken up."
    )
    found = by_verbatim(figures(extractor, text))
    for v in ("820", "14", "61"):
        assert (found[v].period.start, found[v].period.end) == ("2024-01-01", "2024-05-31"), v


def test_a_stock_is_counted_at_an_instant(extractor: Extractor) -> None:
    text = (
        "From January to May, police in Hubei solved 820 drug cases. The province has more "
        "than 65,000 registered drug users."
    )
    found = by_verbatim(figures(extractor, text))
    assert (found["820"].period.start, found["820"].period.end) == ("2024-01-01", "2024-05-31")
    assert (found["65,000"].period.start, found["65,000"].period.end) == (None, "2024-05-31")


def test_a_count_up_to_a_day_runs_from_the_start_in_force(extractor: Extractor) -> None:
    text = "Since March, three provinces have run a joint operation. By the end of May, it had "
    text += "cracked 186 cases."
    f = by_verbatim(figures(extractor, text))["186"]
    assert (f.period.start, f.period.end) == ("2024-03-01", "2024-05-31")


def test_a_range_of_days_in_wire_abbreviations(extractor: Extractor) -> None:
    text = "Officers solved 9,300 drug cases between Jan 24 and March 15."
    (f,) = figures(extractor, text)
    assert (f.period.start, f.period.end) == ("2024-01-24", "2024-03-15")


def test_no_period_stated_is_no_period_not_the_release_date(extractor: Extractor) -> None:
    (f,) = figures(extractor, "The ministry will open 30 new treatment centres.")
    assert (f.period.start, f.period.end) == (None, None)


# -- areas ---------------------------------------------------------------------------------


def test_a_dateline_and_a_press_conference_venue_are_not_areas(extractor: Extractor) -> None:
    text = (
        "WUHAN, June 25 (Xinhua) -- Police across the country solved 12,400 drug cases in the "
        "first five months, an official told a press conference in Wuhan, Hubei Province."
    )
    (f,) = figures(extractor, text)
    assert area_codes(f) == {"CN"}


def test_china_s_before_a_province_is_the_province_alone(extractor: Extractor) -> None:
    text = "Police in southwest China's Guizhou Province seized 1.3 tonnes of drugs last year."
    (f,) = figures(extractor, text)
    assert area_codes(f) == {"CN-GZ"}


def test_origins_of_people_and_goods_are_not_areas(extractor: Extractor) -> None:
    text = "Police in Yunnan arrested 44 suspects from Guangdong and seized heroin from Myanmar."
    (f,) = figures(extractor, text)
    assert area_codes(f) == {"CN-YN"}


def test_a_city_stands_for_its_province_and_is_kept_as_the_locality(
    extractor: Extractor,
) -> None:
    (f,) = figures(extractor, "Police in Zunyi destroyed 6 drug-making dens last year.")
    assert (area_codes(f), f.locality) == ({"CN-GZ"}, "Zunyi")


def test_a_provincial_release_keeps_its_province_until_the_text_turns_national(
    extractor: Extractor,
) -> None:
    text = (
        "Hubei police report on the first half\n\n"
        "Police in central China's Hubei Province solved 2,150 drug cases in the first half of "
        "the year, the provincial public security department said. They also seized 96 kg of "
        "drugs.\n\nNationwide, police solved 31,000 drug cases in the same period."
    )
    found = by_verbatim(figures(extractor, text))
    assert area_codes(found["2,150"]) == area_codes(found["96"]) == {"CN-HB"}
    assert area_codes(found["31,000"]) == {"CN"}


def test_a_provincial_release_s_joint_case_with_another_province(extractor: Extractor) -> None:
    text = (
        "Jiangxi police report\n\nPolice across the province solved 3,100 cases last year. "
        "Police in Ganzhou worked with their counterparts in Shenzhen to break a chain, "
        "arresting 23 suspects."
    )
    found = by_verbatim(figures(extractor, text))
    assert area_codes(found["23"]) == {"CN-JX", "CN-GD"}


def test_a_joint_operation_is_attributed_to_all_its_provinces(extractor: Extractor) -> None:
    text = (
        "Since April, Jiangsu, Anhui and Shandong have run a joint operation against drug "
        "couriers. By the end of June, it had broken 57 cases."
    )
    (f,) = figures(extractor, text)
    assert area_codes(f) == {"CN-JS", "CN-AH", "CN-SD"}


# -- measures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "verbatim", "measure"),
    [
        ("Last year there were 92,000 arrests for drug offences.", "92,000", "suspects-arrested"),
        ("In May, over 5,600 people were detained.", "5,600", "suspects-arrested"),
        ("Police destroyed 193 drug-making sites last year.", "193", "dens-destroyed"),
        (
            "By the end of 2023 there were 1.486 million registered drug users.",
            "1.486 million",
            "registered-drug-users",
        ),
        (
            "By the end of 2023, the number of drug users on record was 896,000.",
            "896,000",
            "registered-drug-users",
        ),
        (
            "By the end of the year 3.4 million people had stayed off drugs for three years.",
            "3.4 million",
            "drug-users-abstinent",
        ),
        ("Police found 41,000 new drug users last year.", "41,000", "new-drug-users-identified"),
        ("Hospitals treated 5,200 drug users last year.", "5,200", "drug-users-treated"),
        (
            "The ministry offered rewards for 20 fugitives on a wanted list.",
            "20",
            "fugitives-wanted",
        ),
        ("Police caught 31 fugitives abroad last year.", "31", "fugitives-arrested"),
        ("Officers seized 17 guns and 900 rounds of ammunition.", "17", "firearms-seized"),
        ("Officers seized 17 guns and 900 rounds of ammunition.", "900", "ammunition-seized"),
        ("Police froze assets worth 8.5 million yuan.", "8.5 million", "assets-seized"),
        ("The office held 26 coordination meetings.", "26", "events-held"),
        (
            "Cases fell at an average annual rate of 9.4 percent over five years.",
            "9.4",
            "average-annual-change",
        ),
        ("Police solved 2,900 cases, 300 fewer than a year earlier.", "300", "absolute-change"),
        ("Courts concluded 7,100 drug cases at first instance.", "7,100", "court-cases-concluded"),
        ("Officials rooted out 2,136 mu of opium poppy.", "2,136", "area-eradicated"),
        (
            "Police solved 900 cases. Among the cases, 58 involved drugs sold online.",
            "58",
            "cases-solved",
        ),
        (
            "Methamphetamine made up the bulk of the haul at 387 kilograms.",
            "387",
            "drugs-seized",
        ),
        (
            "Prevention work reached 6.3 million people last year.",
            "6.3 million",
            "publicity-participants",
        ),
    ],
)
def test_what_a_figure_counts(extractor: Extractor, text: str, verbatim: str, measure: str) -> None:
    found = by_verbatim(figures(extractor, text))
    assert slug(found[verbatim].indicator) == measure


def test_a_conversion_into_dollars_is_not_a_second_figure(extractor: Extractor) -> None:
    found = figures(extractor, "Assets worth 2.7 billion yuan ($395 million) were frozen.")
    assert [(f.verbatim, f.unit) for f in found] == [("2.7 billion", "CNY")]


def test_money_is_in_yuan(extractor: Extractor) -> None:
    found = by_verbatim(figures(extractor, "Police froze assets worth 8.5 million yuan."))
    assert (found["8.5 million"].unit, found["8.5 million"].value) == ("CNY", Decimal(8500000))


def test_a_figure_falls_to_other_count_only_when_nothing_names_what_it_counts(
    extractor: Extractor,
) -> None:
    found = by_verbatim(figures(extractor, "The figure reached 4,300 by May."))
    assert slug(found["4,300"].indicator) == "other-count"


# -- lists and directions ------------------------------------------------------------------


def test_a_respectively_list_aligns_changes_with_figures(extractor: Extractor) -> None:
    text = (
        "Police solved 1,200 cases, arrested 1,500 suspects and seized 2.1 tons of drugs, down "
        "by 3.1 percent and 4.2 percent and up 5.3 percent respectively year-on-year."
    )
    found = by_verbatim(figures(extractor, text))
    got = [(v, found[v].direction, found[v].change_of) for v in ("3.1", "4.2", "5.3")]
    assert got == [
        ("3.1", "down", (found["1,200"].start, found["1,200"].end)),
        ("4.2", "down", (found["1,500"].start, found["1,500"].end)),
        ("5.3", "up", (found["2.1"].start, found["2.1"].end)),
    ]


@pytest.mark.parametrize(
    ("change", "direction"),
    [
        ("down by 7.2 percent", "down"),
        ("increases of 7.2 percent", "up"),
        ("a fall of 7.2 percent", "down"),
        ("which dropped 7.2 percent", "down"),
        ("7.2 percent lower than a year earlier", "down"),
    ],
)
def test_directions_of_changes(extractor: Extractor, change: str, direction: str) -> None:
    found = by_verbatim(figures(extractor, f"Police solved 1,200 cases last year, {change}."))
    assert found["7.2"].direction == direction
    assert slug(found["7.2"].indicator) == "year-on-year-change"


def test_respective_before_a_list_of_changes(extractor: Extractor) -> None:
    text = (
        "Officers broke 4,120 cases and held 5,230 suspects, respective year-on-year "
        "rises of 12.7 percent and 9.4 percent."
    )
    found = by_verbatim(figures(extractor, text))
    assert found["12.7"].change_of == (found["4,120"].start, found["4,120"].end)
    assert found["9.4"].change_of == (found["5,230"].start, found["5,230"].end)


def test_a_share_of_the_population_is_not_a_change(extractor: Extractor) -> None:
    text = "Registered users numbered 900,000, accounting for 0.064 percent of the population."
    found = by_verbatim(figures(extractor, text))
    assert (slug(found["0.064"].indicator), found["0.064"].direction) == ("share", None)


# -- vocabulary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "operation"),
    [
        ('Under the "Clear Sources and Cut Off Flows" campaign, police solved 80 cases.',
         "clean-source-cut-flow"),
        ("In the clearing the source and cutting off the flow operation, police solved 80 cases.",
         "clean-source-cut-flow"),
        ('During the "Two Strikes and Two Controls" action, police solved 80 cases.',
         "two-strikes-two-controls"),
        ('The "Anti-Drug Sword" operation found 80 kilograms of cocaine.', "anti-drug-sword"),
    ],
)  # fmt: skip
def test_translation_variants_of_operations(
    extractor: Extractor, text: str, operation: str
) -> None:
    (f,) = figures(extractor, text)
    # an annual campaign is linked to its edition: .../operation/clean-source-cut-flow/2024
    assert (f.operation or "").startswith(f"{ID}operation/{operation}")


@pytest.mark.parametrize(
    ("text", "substance"),
    [
        ("Customs officers found 80 kilograms of cocaine.", "cocaine"),
        ("Police seized 3,000 ecstasy tablets.", "mdma"),
        ("Police seized 2 kilograms of fentanyl.", "fentanyl"),
        ("Police seized 6 kilograms of crystal meth.", "methamphetamine"),
        ("Police seized 6 kilograms of other drugs.", ""),
        ("Police seized 6 kilograms of major drugs.", ""),
    ],
)
def test_substances_and_common_words_that_are_not_substances(
    extractor: Extractor, text: str, substance: str
) -> None:
    (f,) = figures(extractor, text)
    assert slug(f.substance) == substance
