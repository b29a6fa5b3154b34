"""The number reader: well-formed values exact, garbled tokens refused, nothing invented."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kg.text.numerals import format_decimal, read_digits, scan


def values(text: str) -> list[tuple[str, Decimal | None]]:
    return [(n.verbatim, n.value) for n in scan(text)]


def test_grouped_plain_and_decimal_numbers_are_read_exactly() -> None:
    assert values("1,313.2 kilograms, 72.1 tons and 2,589 cases, 167 cases") == [
        ("1,313.2", Decimal("1313.2")),
        ("72.1", Decimal("72.1")),
        ("2,589", Decimal("2589")),
        ("167", Decimal("167")),
    ]


def test_comma_fragments_and_placeholders_are_malformed_with_no_value() -> None:
    for token in ["9,26", "2023,1", "1088,2021", "4600,6700", "<>,<>", "1443,<>", "8.<>"]:
        value, reason = read_digits(token)
        assert value is None, token
        assert reason, token
    found = scan("up 8.<>% and <>,<> cases")
    assert [(n.verbatim, n.value, n.percent) for n in found] == [
        ("8.<>%", None, True),
        ("<>,<>", None, False),
    ]


def test_scale_words_and_number_words() -> None:
    assert values("more than 26 million people") == [("26 million", Decimal("26000000"))]
    assert values("3.2 million tons") == [("3.2 million", Decimal("3200000.0"))]
    assert values("a two-week battle, eight dens, Three cases, twenty-five teams") == [
        ("two", Decimal(2)),
        ("eight", Decimal(8)),
        ("Three", Decimal(3)),
        ("twenty-five", Decimal(25)),
    ]


def test_ordinals_and_one_are_not_numbers() -> None:
    assert values("on July 1st, in one case, the 9th round") == []


def test_format_decimal_drops_spurious_zeros_without_exponent() -> None:
    assert format_decimal(Decimal("6.7000")) == "6.7"
    assert format_decimal(Decimal("26000000")) == "26000000"
    assert format_decimal(Decimal("8.370")) == "8.37"


@given(st.text(alphabet="0123456789,.<>% abcmilon", max_size=60))
def test_offsets_hold_and_values_use_only_source_digits(text: str) -> None:
    for n in scan(text):
        assert text[n.start : n.end] == n.verbatim
        if n.value is not None and not n.written_as_word:
            digits = re.sub(r"\D", "", n.digits).lstrip("0")
            # the value's significant digits are the token's digits (scale words add zeros only)
            shown = re.sub(r"\D", "", format_decimal(n.value)).strip("0")
            assert shown in digits or not shown
