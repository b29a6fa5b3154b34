"""Query answers as plain tables, and their text, CSV, JSON and JSON Lines renderings.

Why: cells are the terms' lexical forms (IRIs as IRIs, literals without datatype), an unbound
variable is the empty string; this module deliberately does not convert numbers, so CSV shows
exactly what the store holds.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from kg.errors import InputError

FORMATS = ("table", "csv", "json", "jsonl")


@dataclass(frozen=True)
class Table:
    """A query result: column names and rows of strings (``""`` where a variable is unbound)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def as_dicts(self) -> list[dict[str, str]]:
        """The rows as column → value mappings, in column order."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _text_table(table: Table) -> str:
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    lines = [line(table.columns), line(tuple("-" * w for w in widths))]
    lines += [line(row) for row in table.rows]
    return "\n".join(lines) + "\n"


_INTEGER = re.compile(r"-?\d+\Z")
_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z")


def _typed(value: str) -> Any:
    """A numeric cell as a JSON number (an empty one as null); anything else stays text."""
    if value == "":
        return None
    if _INTEGER.match(value):
        return int(value)
    if _DECIMAL.match(value):
        return float(value)
    return value


def _json_rows(table: Table, numbers: Collection[str]) -> list[dict[str, Any]]:
    return [
        {c: (_typed(v) if c in numbers else v) for c, v in row.items()} for row in table.as_dicts()
    ]


def format_table(table: Table, fmt: str, *, numbers: Collection[str] = ()) -> str:
    """Render ``table`` as ``table`` (aligned text), ``csv``, ``json`` (array) or ``jsonl``.

    CSV has a header row and ``\\n`` line endings; JSON objects keep the column order, and the
    ``numbers`` columns (a query's ``#+ numbers``) are JSON numbers, null when empty, so that
    ``"start": 671`` is read as a number by any JSON reader. The text table is for people and
    may change; scripts should use the other three.
    """
    if fmt == "table":
        return _text_table(table)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(table.rows)
        return out.getvalue()
    if fmt == "json":
        return json.dumps(_json_rows(table, numbers), ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        rows = _json_rows(table, numbers)
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    raise InputError(None, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
