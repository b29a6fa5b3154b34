"""The report's charts, drawn by matplotlib and returned as inline SVG strings.

Why: the report must open offline, with no CDN and no JavaScript, so each chart is an SVG
element written into the HTML. matplotlib draws it (axes, ticks, legends, colour bars, label
layout), not our own geometry code; see docs/decisions/20261128-charts-matplotlib.md.

Three chart kinds, one function each, taking plain data (the report decides what is plotted):
horizontal bars from an axis through zero (:func:`bar_chart`), stacked horizontal bars
(:func:`stacked_bars`) and a grid of counts (:func:`heatmap`). Each returns an ``<svg>``
element, XML prolog and DOCTYPE stripped, that can be inlined beside others:

- **Deterministic**: the same input gives the same bytes. matplotlib's defaults are restored
  for the drawing (a user's ``matplotlibrc`` changes nothing), ``svg.hashsalt`` is fixed (it
  otherwise salts the ids of clip paths and markers with a random UUID), no metadata (no date,
  no creator) is written, and text stays ``<text>`` (``svg.fonttype: none``).
- **Unique ids**: every ``id`` of a chart, and every reference to one, is prefixed with the
  ``chart_id`` the caller gives, so several charts share a page without clashes.
- **Safe to inline**: matplotlib XML-escapes every text it writes; math text is off
  (``text.parse_math``), so a ``$`` in a label is just a character; the ``<title>`` tooltips
  added here are escaped with :func:`html.escape`. No ``xlink`` namespace URL: SVG 2 ``href``.

Figures are :class:`matplotlib.figure.Figure` objects with an Agg canvas; pyplot and its
global figure registry are never used. The rc settings are set inside ``rc_context`` (global
state, restored afterwards), so charts are drawn one at a time, as the report does.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, ListedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

WIDTH = 9.0  # inches; SVG user units are points (72 per inch): 648 pt, 864 CSS px
LABEL_WIDTH = 50  # characters per line of a bar's label before it wraps
PALETTE = tuple(to_hex(c) for c in mpl.colormaps["tab10"].colors)  # type: ignore[attr-defined]
ZERO_COLOUR = "#f4f4f4"
RC: dict[Any, Any] = {  # keys: matplotlib rc names
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # matplotlib ships it: the layout measures this font
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.titlesize": 10,
    "legend.fontsize": 9,
}
NO_METADATA: dict[str, str | None] = {"Date": None, "Creator": None, "Format": None, "Type": None}


@dataclass(frozen=True)
class Bar:
    """One bar: its label, signed value, tooltip, and the group its colour stands for."""

    label: str
    value: float
    tooltip: str = ""
    group: str = ""


def fmt(value: float) -> str:
    """A number as people write it: thousands separated, a true minus sign, four significant
    digits but never fewer than the integer part and one decimal (1,313.2, 570.2, 0.2973)."""
    if value == int(value) and abs(value) < 1e15:
        text = f"{int(value):,}"
    else:
        digits = len(str(int(abs(value)))) if abs(value) >= 1 else 0
        text = f"{value:,.{max(4, digits + 1)}g}"
    return text.replace("-", "\u2212")


def _wrap(label: str, width: int = LABEL_WIDTH, sep: str = " · ") -> str:
    """The label on lines of at most ``width`` characters, broken after a ``sep`` where it
    can (so a period "2023-01-01 to 2023-09-26" stays on one line), inside a part only when
    that part alone is too long."""
    lines: list[str] = []
    for part in label.split(sep):
        if lines and len(lines[-1]) + len(sep) + len(part) <= width:
            lines[-1] += sep + part
            continue
        if lines:
            lines[-1] += sep.rstrip()
        lines.extend(textwrap.wrap(part, width, break_on_hyphens=False) or [part])
    return "\n".join(lines)


def _lines(labels: Sequence[str]) -> int:
    return max([1, *(label.count("\n") + 1 for label in labels)])


@contextmanager
def _style(chart_id: str) -> Iterator[None]:
    """matplotlib's defaults plus ours, for one chart; the salt makes its ids reproducible."""
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(f"chart id {chart_id!r}: a letter, then letters, digits, - or _")
    with mpl.rc_context():
        mpl.style.use("default")
        mpl.rcParams.update({**RC, "svg.hashsalt": f"narcokg:{chart_id}"})
        yield


def _figure(height: float, width: float = WIDTH) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_TAG = re.compile(r"<[^>]*>")  # matplotlib escapes < and > in text and attribute values
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(\bid="|\bhref="#|url\(#)([^")]+)')


def _svg(fig: Figure, chart_id: str, titles: Mapping[str, str], *, tight: bool = False) -> str:
    """The figure as one inline-able ``<svg>`` element: ids prefixed with ``chart_id``, each
    element given a gid in ``titles`` carrying that tooltip."""
    buf = io.StringIO()
    fig.savefig(
        buf,
        format="svg",
        metadata=NO_METADATA,
        bbox_inches="tight" if tight else None,
        pad_inches=0.05,
    )
    text = buf.getvalue()
    text = text[text.index("<svg") :].strip()  # no XML prolog, no DOCTYPE
    ids = {i for tag in _TAG.findall(text) for i in _ID.findall(tag)}

    def tag(match: re.Match[str]) -> str:
        # only inside tags: a label may well contain `id="..."` as text
        def ref(m: re.Match[str]) -> str:
            head, name = m.group(1), m.group(2)
            return f"{head}{chart_id}-{name}" if name in ids else m.group(0)

        out = _REF.sub(ref, match.group(0))
        # SVG 2 href: no xlink namespace declaration (its value is an http:// URL)
        out = out.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "")
        return out.replace(" xlink:href=", " href=")

    text = _TAG.sub(tag, text)
    for gid, title in titles.items():
        opening = f'<g id="{chart_id}-{gid}">'
        text = text.replace(opening, f"{opening}<title>{html.escape(title)}</title>")
    # matplotlib's one stylesheet rule is `*{...}`: inline in HTML it would apply page-wide
    text = text.replace('<style type="text/css">*{', f'<style type="text/css">#{chart_id} *{{')
    return text.replace("<svg ", f'<svg id="{chart_id}" role="img" ', 1)


def _legend(fig: Figure, handles: Sequence[Patch], ncols: int) -> None:
    legend = fig.legend(handles=list(handles), loc="outside upper left", ncols=ncols, frameon=False)
    legend.set_gid("legend")
    for i, (patch, text) in enumerate(zip(legend.get_patches(), legend.get_texts(), strict=True)):
        patch.set_gid(f"legend-key-{i}")
        text.set_gid(f"legend-label-{i}")


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    unit: str = "",
    axis_label: str = "",
    groups: Sequence[str] = (),
) -> str:
    """Horizontal bars, one row per bar in the given order, from a zero line: a negative value
    extends left of it. Each bar is labelled with its value and unit. ``groups`` orders every
    group a bar may belong to (so a group keeps its colour across charts); the groups present
    get a legend."""
    labels = [_wrap(b.label) for b in bars]
    present = [g for g in dict.fromkeys(groups) if any(b.group == g for b in bars)]
    height = 0.75 + (0.3 if present else 0) + (0.15 * _lines(labels) + 0.13) * max(len(bars), 1)
    colours = [
        PALETTE[groups.index(b.group) % len(PALETTE)] if b.group in groups else PALETTE[0]
        for b in bars
    ]
    with _style(chart_id):
        fig = _figure(height)
        ax = fig.add_subplot()
        rows = list(range(len(bars)))
        values = [b.value for b in bars]
        container = ax.barh(rows, values, height=0.7, color=colours)
        ax.set_yticks(rows, labels)
        ax.set_ylim(max(len(bars), 1) - 0.5, -0.5)  # first bar on top
        ax.tick_params(axis="y", length=0)
        ax.axvline(0, color="#333333", linewidth=1, gid="zero-line")
        ax.bar_label(
            container, labels=[f"{fmt(v)} {unit}".strip() for v in values], padding=3, fontsize=9
        )
        lo, hi = min([0.0, *values]), max([0.0, *values])
        span = (hi - lo) or 1.0
        # room beside the bars' ends for their value labels
        ax.set_xlim(
            lo - (0.22 * span if lo < 0 else 0), hi + (0.22 * span if hi > 0 or lo == 0 else 0)
        )
        counts = all(v == int(v) for v in values)  # no tick at 0.5 of a case
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=counts))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))
        ax.grid(axis="x", color="#e6e6e6", linewidth=0.8)
        ax.set_xlabel(axis_label)
        titles: dict[str, str] = {}
        for i, (patch, b) in enumerate(zip(container.patches, bars, strict=True)):
            patch.set_gid(f"bar-{i}")
            titles[f"bar-{i}"] = b.tooltip or f"{b.label}: {fmt(b.value)} {unit}".strip()
        if present:
            handles = [
                Patch(color=PALETTE[groups.index(g) % len(PALETTE)], label=g) for g in present
            ]
            _legend(fig, handles, ncols=min(len(handles), 4))
        return _svg(fig, chart_id, titles)


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    *,
    chart_id: str,
    colours: Sequence[str] = (),
    axis_label: str = "",
) -> str:
    """One horizontal bar per row, split into the ``series`` (counts, in that order, each with
    its colour and a legend entry); the row's total is written at its end."""
    palette = list(colours) or list(PALETTE)
    labels = [_wrap(label) for label, _ in rows]
    height = 1.05 + (0.15 * _lines(labels) + 0.2) * max(len(rows), 1)
    with _style(chart_id):
        fig = _figure(height)
        ax = fig.add_subplot()
        ys = list(range(len(rows)))
        left = [0.0] * len(rows)
        titles: dict[str, str] = {}
        handles: list[Patch] = []
        container = None
        for k, name in enumerate(series):
            colour = palette[k % len(palette)]
            vals = [float(v[k]) for _, v in rows]
            container = ax.barh(ys, vals, left=left, height=0.7, color=colour)
            for i, patch in enumerate(container.patches):
                if vals[i] > 0:
                    patch.set_gid(f"bar-{i}-{k}")
                    titles[f"bar-{i}-{k}"] = f"{rows[i][0]}: {fmt(vals[i])} {name}"
            left = [a + b for a, b in zip(left, vals, strict=True)]
            handles.append(Patch(color=colour, label=name))
        if container is not None:
            ax.bar_label(container, labels=[fmt(t) for t in left], padding=3, fontsize=9)
        ax.set_yticks(ys, labels)
        ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, max([1.0, *left]) * 1.12)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))
        ax.grid(axis="x", color="#e6e6e6", linewidth=0.8)
        ax.set_xlabel(axis_label)
        _legend(fig, handles, ncols=len(handles))
        return _svg(fig, chart_id, titles)


def _count_bins(hi: float) -> tuple[list[float], list[float]]:
    """Colour-bin boundaries and colour-bar ticks for counts from 1 to ``hi``."""
    top = int(hi) if hi == int(hi) else int(hi) + 1
    if top <= 10:
        return [k - 0.5 for k in range(1, top + 2)], [float(k) for k in range(1, top + 1)]
    bounds = [float(b) for b in MaxNLocator(nbins=8, integer=True).tick_values(0, top)]
    if bounds[-1] < top:
        bounds.append(float(top))
    return bounds, bounds


def heatmap(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    chart_id: str,
    value_label: str = "count",
    col_title: str = "",
) -> str:
    """A grid of counts (rows × columns), each cell showing its number, darker for more, with a
    colour bar saying what the shades mean; empty cells are light grey."""
    import numpy as np

    hi = max([1.0, *(v for row in values for v in row)])
    bounds, ticks = _count_bins(hi)
    cmap = ListedColormap(mpl.colormaps["Blues"](np.linspace(0.3, 1.0, len(bounds) - 1)))
    norm = BoundaryNorm(bounds, cmap.N)
    cell = 0.3
    width = 2.6 + cell * max(len(col_labels), 1)
    height = 1.0 + cell * max(len(row_labels), 1)
    with _style(chart_id):
        fig = _figure(height, width)
        ax = fig.add_subplot()
        titles: dict[str, str] = {}
        for i, row in enumerate(row_labels):
            for j, col in enumerate(col_labels):
                v = float(values[i][j])
                shade = min(int(norm(v)), cmap.N - 1) if v else -1  # the top count: top bin
                gid = f"cell-{i}-{j}"
                ax.add_patch(
                    Rectangle(
                        (j, i),
                        1,
                        1,
                        facecolor=to_hex(cmap(shade)) if v else ZERO_COLOUR,
                        edgecolor="white",
                        linewidth=1.5,
                        gid=gid,
                    )
                )
                titles[gid] = f"{row} × {col}: {fmt(v)}"
                if v:
                    dark = shade >= cmap.N / 2
                    ax.text(
                        j + 0.5,
                        i + 0.5,
                        fmt(v),
                        ha="center",
                        va="center",
                        fontsize=9,
                        color="white" if dark else "black",
                    )
        ax.set_xlim(0, max(len(col_labels), 1))
        ax.set_ylim(max(len(row_labels), 1), 0)
        ax.set_aspect("equal")
        ax.set_xticks([j + 0.5 for j in range(len(col_labels))], list(col_labels))
        ax.set_yticks([i + 0.5 for i in range(len(row_labels))], list(row_labels))
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
        ax.set_xlabel(col_title)
        ax.tick_params(length=0)
        if max([0, *(len(c) for c in col_labels)]) > 4:
            ax.tick_params(axis="x", labelrotation=60)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(
            ScalarMappable(norm=norm, cmap=cmap),
            ax=ax,
            ticks=ticks,
            shrink=min(1.0, 6 / max(len(row_labels), 1)),
            aspect=10,
        )
        bar.set_label(value_label)
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))
        bar.ax.set_gid("colour-bar")
        return _svg(fig, chart_id, titles, tight=True)
