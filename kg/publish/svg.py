"""Inline SVG charts drawn in Python: horizontal bars, stacked bars, a heat-map grid.

Why: the report must open offline, with no CDN and no JavaScript, so charts are plain SVG
strings. Three chart kinds cover what the report shows; they take already-computed numbers and
labels (the report decides what is plotted), escape every label, and scale to the largest
value. Not a plotting library: no axes beyond a zero line, no interactivity except ``<title>``
tooltips.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

PALETTE = ("#1f6fb2", "#c0392b", "#b7950b", "#27ae60", "#8e44ad", "#16a085", "#d35400")
FONT = 'font-family="system-ui,sans-serif" font-size="12"'


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) >= 1 else f"{value:.4g}"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, an optional tooltip and colour index."""

    label: str
    value: float
    tooltip: str = ""
    colour: int = 0


def bar_chart(bars: Sequence[Bar], *, unit: str, width: int = 760, label_width: int = 330) -> str:
    """Horizontal bars from a zero line (negative values go left), one row per bar."""
    row, top = 22, 8
    height = top + row * max(len(bars), 1) + 8
    lo = min([0.0, *(b.value for b in bars)])
    hi = max([0.0, *(b.value for b in bars)])
    span = (hi - lo) or 1.0
    plot = width - label_width - 110
    zero = label_width + plot * (-lo / span)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT}>',
        f'<line x1="{zero:.1f}" y1="{top - 4}" x2="{zero:.1f}" y2="{height - 4}" '
        'stroke="#888" stroke-width="1"/>',
    ]
    for i, b in enumerate(bars):
        y = top + i * row
        x0 = zero + plot * (min(b.value, 0) / span)
        w = plot * abs(b.value) / span
        colour = PALETTE[b.colour % len(PALETTE)]
        tip = _e(b.tooltip or f"{b.label}: {_fmt(b.value)} {unit}")
        label = b.label if len(b.label) <= 46 else b.label[:45] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{_e(label)}</text>'
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 6}" '
            f'fill="{colour}"><title>{tip}</title></rect>'
            f'<text x="{max(zero, x0 + w) + 4:.1f}" y="{y + 14}">{_e(_fmt(b.value))} '
            f"{_e(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    *,
    width: int = 760,
    label_width: int = 200,
) -> str:
    """One horizontal bar per row, split into ``series`` (counts), with a legend on top."""
    row, top = 26, 28
    height = top + row * max(len(rows), 1) + 8
    hi = max([1.0, *(sum(vals) for _, vals in rows)])
    plot = width - label_width - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT}>'
    ]
    x = label_width
    for k, name in enumerate(series):
        parts.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="16">{_e(name)}</text>'
        )
        x += 24 + 8 * len(name)
    for i, (label, vals) in enumerate(rows):
        y = top + i * row
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end">{_e(label)}</text>'
        )
        x0 = float(label_width)
        for k, v in enumerate(vals):
            if v <= 0:
                continue
            w = plot * v / hi
            parts.append(
                f'<rect x="{x0:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{_e(label)}: {_fmt(v)} '
                f"{_e(series[k])}</title></rect>"
            )
            x0 += w
        parts.append(f'<text x="{x0 + 4:.1f}" y="{y + 16}">{_fmt(sum(vals))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def heatmap(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    cell: int = 22,
    label_width: int = 150,
) -> str:
    """A grid of counts (rows × columns), darker for more; each cell shows its number."""
    header = 20 + 7 * max([1, *(len(c) for c in col_labels)])
    width = label_width + cell * max(len(col_labels), 1) + 10
    height = header + cell * max(len(row_labels), 1) + 10
    hi = max([1.0, *(v for r in values for v in r)])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT}>'
    ]
    for j, col in enumerate(col_labels):
        x = label_width + j * cell + cell / 2
        parts.append(
            f'<text transform="translate({x + 4:.1f},{header - 6}) rotate(-60)">{_e(col)}</text>'
        )
    for i, label in enumerate(row_labels):
        y = header + i * cell
        parts.append(
            f'<text x="{label_width - 6}" y="{y + cell - 7}" text-anchor="end">{_e(label)}</text>'
        )
        for j, v in enumerate(values[i]):
            x = label_width + j * cell
            shade = 0.08 + 0.92 * (v / hi) if v else 0.0
            fill = f"rgba(31,111,178,{shade:.2f})" if v else "#f4f4f4"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                f"<title>{_e(label)} × {_e(col_labels[j])}: {_fmt(v)}</title></rect>"
            )
            if v:
                colour = "#fff" if shade > 0.5 else "#000"
                parts.append(
                    f'<text x="{x + (cell - 2) / 2:.1f}" y="{y + cell - 8}" text-anchor="middle" '
                    f'fill="{colour}" font-size="10">{_fmt(v)}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)
