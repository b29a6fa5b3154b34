"""Find number tokens in text and read their values, refusing to guess at garbled ones.

Why: machine translation split Chinese ten-thousand numbers into comma fragments ("9,26"),
replaced digits with placeholders ("1443,<>", "8.<>%") and moved tokens. A token is read only
when its form is unambiguous; otherwise it is *malformed*: kept verbatim, with no value. The
parser never produces a digit sequence the source does not contain (scale words aside).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

# Number words are grammar, not domain vocabulary. "one" is left out on purpose: in this
# register it is nearly always an article-like word ("in one case", "one side").
WORD_VALUES: dict[str, int] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_UNITS_WORDS = {k: v for k, v in WORD_VALUES.items() if v < 10}
SCALES: dict[str, int] = {
    "hundred million": 100_000_000,
    "ten thousand": 10_000,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
}

_SCALE_RE = "|".join(sorted((re.escape(s) for s in SCALES), key=len, reverse=True))
_DIGIT_TOKEN = re.compile(
    r"(?<![\w<>.,])"  # not glued to a word or another number
    r"(?P<num>(?:\d+|<>)(?:[.,](?:\d+|<>))*)"
    r"(?P<pct>%)?"
    rf"(?:(?P<scale>\s(?:{_SCALE_RE}))(?![A-Za-z]))?"
    r"(?![A-Za-z\d])",  # "1st", "9th" and "3G" are not quantities
    re.IGNORECASE,
)
# "seized9 tons", "types8 tons": digits glued to the end of a word are what is left of a number
# whose other part the translation moved away (25.9 tons became "25 ... seized9 tons").
_GLUED_TOKEN = re.compile(r"(?<=[a-z]{3})(?P<num>\d{1,3}(?:[.,]\d+)*)(?=\s+[A-Za-z])")
GLUED = "digits glued to the word before them: part of the number was lost in translation"
_WORDS_RE = "|".join(sorted(WORD_VALUES, key=len, reverse=True))
_WORD_TOKEN = re.compile(
    rf"\b(?P<num>(?:{_WORDS_RE})(?:-(?:{'|'.join(_UNITS_WORDS)}))?)\b(?!-(?:{_WORDS_RE})\b)",
    re.IGNORECASE,
)
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN = re.compile(r"^\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Numeral:
    """A number token: ``text[start:end] == verbatim``; ``value`` is None when malformed."""

    start: int
    end: int
    verbatim: str
    digits: str  # the numeral part without % or scale word
    value: Decimal | None
    malformed: str | None  # why the token cannot be read, or None
    percent: bool = False
    scale: int = 1
    written_as_word: bool = False

    @property
    def fraction_digits(self) -> int:
        """Digits after the decimal point as written (spurious precision shows here)."""
        _, dot, frac = self.digits.partition(".")
        return len(frac) if dot else 0


_EXACT = 400  # decimal digits of precision for arithmetic on stated numbers
MAX_NUMERAL_CHARS = 40
r"""The longest run of digits, points and commas that can be a number ("8,000,000,000" has 13
characters). Why a limit: a longer run is debris (a table squeezed into one token), reading it
as a value could outgrow the exact arithmetic (``_EXACT``) and be rounded when published, and
the patterns that look for numbers in context (``\d[\d,.]*`` ...) take time quadratic in the
length of such a run: :func:`blank_long_runs` hides it from them."""
_LONG_RUN = re.compile(rf"[\d.,]{{{MAX_NUMERAL_CHARS + 1},}}")


def read_digits(token: str) -> tuple[Decimal | None, str | None]:
    """Read a digit token such as ``1,313.2``; return ``(value, None)`` or ``(None, reason)``."""
    if len(token) > MAX_NUMERAL_CHARS:
        return None, f"{len(token)} characters of digits and separators: too long for a number"
    if "<>" in token:
        return None, "placeholder <> in place of digits"
    if token.count(".") > 1:
        return None, "more than one decimal point"
    if "," in token and not _GROUPED.match(token):
        groups = token.split(".")[0].split(",")
        sizes = "/".join(str(len(g)) for g in groups)
        return None, f"comma groups of {sizes} digits are not thousands separators"
    if "," not in token and not _PLAIN.match(token):
        return None, "not a number"
    try:
        return Decimal(token.replace(",", "")), None
    except InvalidOperation:  # pragma: no cover - the patterns above exclude it
        return None, "not a number"


def word_value(word: str) -> int | None:
    """Value of "eight", "twenty-five"; None for anything else."""
    parts = word.lower().split("-")
    if len(parts) == 1:
        return WORD_VALUES.get(parts[0])
    tens, ones = WORD_VALUES.get(parts[0]), _UNITS_WORDS.get(parts[1])
    if tens is None or ones is None or tens < 20 or tens % 10:
        return None
    return tens + ones


def scan(text: str) -> list[Numeral]:
    """All number tokens of ``text`` (digits, placeholders and number words), by position."""
    found: list[Numeral] = []
    for m in _DIGIT_TOKEN.finditer(text):
        digits = m.group("num")
        value, reason = read_digits(digits)
        scale_word = (m.group("scale") or "").strip().lower()
        scale = SCALES.get(scale_word, 1)
        if value is not None and scale != 1:
            with localcontext() as ctx:  # exact: never round a stated number
                ctx.prec = _EXACT
                value *= scale
        found.append(
            Numeral(
                start=m.start(),
                end=m.end(),
                verbatim=m.group(0),
                digits=digits,
                value=value,
                malformed=reason,
                percent=bool(m.group("pct")),
                scale=scale,
            )
        )
    for m in _GLUED_TOKEN.finditer(text):
        found.append(
            Numeral(
                start=m.start(),
                end=m.end(),
                verbatim=m.group(0),
                digits=m.group(0),
                value=None,
                malformed=GLUED,
            )
        )
    for m in _WORD_TOKEN.finditer(text):
        value_int = word_value(m.group("num"))
        if value_int is None:
            continue
        found.append(
            Numeral(
                start=m.start(),
                end=m.end(),
                verbatim=m.group(0),
                digits=m.group(0),
                value=Decimal(value_int),
                malformed=None,
                written_as_word=True,
            )
        )
    found.sort(key=lambda n: n.start)
    return found


def blank_long_runs(text: str) -> str:
    r"""``text`` with every run of digits, points and commas longer than a number can be
    (:data:`MAX_NUMERAL_CHARS`) replaced by as many ``#``: same length, same offsets.

    Why: patterns from the data files are searched over whole texts and clauses, and one like
    ``\b\d[\d,.]*\s*kg`` tries every digit of "1,2,1,2,..." and reads on to the end of the run
    from each, so a long run costs its length squared. No such run is a number, and none is in
    a real release (where this returns ``text`` itself).
    """
    if _LONG_RUN.search(text) is None:
        return text
    return _LONG_RUN.sub(lambda m: "#" * len(m.group()), text)


def format_decimal(value: Decimal) -> str:
    """Canonical xsd:decimal lexical form: no exponent, no trailing zeros ("6.7000" -> "6.7")."""
    with localcontext() as ctx:  # the default 28 digits would round long numbers
        ctx.prec = _EXACT
        normal = value.normalize()
    text = format(normal, "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")
