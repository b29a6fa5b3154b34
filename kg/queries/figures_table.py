"""The figures table as ``narcokg figures`` prints it: verified values joined in, filters, and a
short form that fits a terminal.

Why: the stored table (queries/figures.rq) is one row per stated figure and reads only the
release graphs, so that it can be kept per release. A reader also wants the verified value of a
corrected figure beside the stated one (from the corrections graph), to narrow the table by
measure, area, period or status, and to read it in 80-odd columns. This module does that on the
answers of two catalogue queries, so the same logic serves the local store and a remote one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from kg.errors import InputError
from kg.queries.tables import Table

# columns of the table form: short names, a person's reading (full IRIs stay in csv/json)
SHORT = (
    ("release", "release"),
    ("start", "at"),
    ("verbatim", "verbatim"),
    ("value", "value"),
    ("verified_value", "verified"),
    ("unit", "unit"),
    ("measure_label", "measure"),
    ("area", "area"),
    ("period_start", "from"),
    ("period_end", "to"),
    ("status", "status"),
)
SHORT_RELEASE = 12  # characters of a release id shown in the table form
SHORT_CELL = 22  # characters of any other cell (a long label, many areas) in the table form
_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?\Z")


@dataclass(frozen=True)
class Filters:
    """What the table is narrowed to; ``None`` keeps every row. ``measure`` and ``area`` are
    IRIs (already resolved from what the user typed, kg.queries.domains.resolve)."""

    measure: str | None = None
    area_code: str | None = None
    period: tuple[dt.date, dt.date] | None = None
    status: str | None = None


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """``2023``, ``2023-05``, ``2023-05-31`` or ``FROM/TO`` of those: the days it covers.

    A figure is kept when its whole period lies within these days.
    """
    first, sep, last = text.partition("/")

    def bound(part: str, end: bool) -> dt.date:
        m = _PERIOD.match(part.strip())
        if not m:
            raise InputError(
                None, f"--period {text!r}: expected YYYY, YYYY-MM, YYYY-MM-DD or FROM/TO"
            )
        year, month, day = int(m[1]), m[2], m[3]
        try:
            if day:
                return dt.date(year, int(month), int(day))
            if month:
                start = dt.date(year, int(month), 1)
                if not end:
                    return start
                following = dt.date(year + (start.month == 12), start.month % 12 + 1, 1)
                return following - dt.timedelta(days=1)
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        except ValueError:
            raise InputError(None, f"--period {text!r}: not a date") from None

    start, stop = bound(first, False), bound(last if sep else first, True)
    if stop < start:
        raise InputError(None, f"--period {text!r}: ends before it starts")
    return start, stop


def _keeps(filters: Filters) -> Callable[[dict[str, str]], bool]:
    def keep(row: dict[str, str]) -> bool:
        if filters.measure and row["measure"] != filters.measure:
            return False
        if filters.area_code and filters.area_code not in row["area"].split(";"):
            return False
        if filters.status and row["status"] != filters.status:
            return False
        if filters.period:
            low, high = filters.period
            if not row["period_end"]:
                return False
            start = row["period_start"] or row["period_end"]
            if (
                dt.date.fromisoformat(start) < low
                or dt.date.fromisoformat(row["period_end"]) > high
            ):
                return False
        return True

    return keep


def figures_table(figures: Table, verified: Table, filters: Filters = Filters()) -> Table:
    """The figures with a ``verified_value`` column after ``value`` (empty where no verified
    source revised the figure), narrowed by ``filters``."""
    revised = {r["stated"]: r["verified_value"] for r in verified.as_dicts()}
    keep = _keeps(filters)
    columns = list(figures.columns)
    at = columns.index("value") + 1
    columns.insert(at, "verified_value")
    rows = []
    for row in figures.as_dicts():
        if not keep(row):
            continue
        cells = list(row.values())
        value = revised.get(row["figure"], "")
        if row["direction"] == "down" and value.startswith("-"):
            value = value[1:]  # signed in stated_vs_verified; unsigned beside `direction` here
        cells.insert(at, value)
        rows.append(tuple(cells))
    return Table(tuple(columns), tuple(rows))


def short_form(table: Table) -> Table:
    """The columns a person reads, under short names, long cells cut (``…``): about 130
    characters a row, whatever the labels."""
    rows = []
    for row in table.as_dicts():
        cells = []
        for column, _ in SHORT:
            cell = row.get(column, "")
            width = SHORT_RELEASE if column == "release" else SHORT_CELL
            if len(cell) > width:
                cell = cell[: width - 1] + "…"
            cells.append(cell)
        rows.append(tuple(cells))
    return Table(tuple(name for _, name in SHORT), tuple(rows))
