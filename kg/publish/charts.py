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
from matplotlib.colors import BoundaryNorm, ListedColormap, to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter, MaxNLocator

WIDTH = 9.0  # inches; SVG user units are points (72 per inch): 648 pt, 864 CSS px
LABEL_WIDTH = 50  # characters per line of a bar's label before it wraps
# Colours that mean a group (a release, a substance): the Okabe-Ito palette, which readers with
# any common colour-vision deficiency can tell apart, without its vermillion and its black. Red
# is kept for one meaning only, "malformed" (MALFORMED), and black for verified values.
PALETTE = ("#0072b2", "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#f0e442")
MALFORMED = "#b2182b"  # a dark red, far from every palette colour (orange included)
VERIFIED = "#000000"
NEUTRAL = "#8c8c8c"  # a bar whose colour means nothing (its group has no colour of its own)
HATCH = "////"  # a flagged (e.g. implausible) value: hatched over a pale tint, outlined
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
    """One row of a bar chart.

    Attributes:
        label: the row's label (wrapped, never cut).
        value: the signed value drawn; None when there is none to draw (a malformed figure
            kept only verbatim), in which case ``missing`` is written in red at the zero line.
        tooltip: shown on hovering the bar.
        group: what the colour stands for (a key of the chart's ``colours``).
        flag: a word that marks the value as doubtful ("implausible"): the bar is hatched over a
            pale tint of its colour, outlined, and its value label carries the word.
        verified: a checked value of the same thing, drawn as a black bar beside the stated one
            (under it, in the same row) and labelled "verified".
        verified_tooltip: shown on hovering the verified bar.
        missing: the text standing in for a ``value`` of None.
    """

    label: str
    value: float | None
    tooltip: str = ""
    group: str = ""
    flag: str = ""
    verified: float | None = None
    verified_tooltip: str = ""
    missing: str = ""


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


def _tint(colour: str, amount: float = 0.55) -> str:
    """``colour`` mixed with white: the fill under a flagged bar's hatching, still telling its
    group while plainly not a solid bar."""
    r, g, b = (c + (1 - c) * amount for c in to_rgb(colour))
    return to_hex((r, g, b))


def _fit_texts(fig: Figure, ax: Any, texts: Sequence[Annotation]) -> None:
    """Widen the x range until every text anchored in the data (a value label at a bar's end)
    lies inside the axes: a long label ("2,022,000,000 (implausible)") is never
    cut by the figure's edge nor written over the row labels.

    Text widths are fixed in points while the data's scale changes with the range, so after
    one layout (to learn the axes' width and each text's extent) the range is solved for by
    fixed-point iteration, with a margin for the final layout, which may narrow the axes a
    little: a layout is the expensive part of drawing a chart, and this costs one.
    """
    if not texts:
        return
    fig.draw_without_rendering()
    box = ax.get_window_extent()
    width = max(box.width, 1.0)
    margin = 8.0  # pixels
    ends: list[tuple[float, float, float]] = []  # anchor (data), pixels left and right of it
    for t in texts:
        if not t.get_text():
            continue
        e = t.get_window_extent()
        anchor = ax.transData.transform((t.xy[0], 0))[0]
        ends.append((t.xy[0], max(0.0, anchor - e.x0), max(0.0, e.x1 - anchor)))
    lo, hi = ax.get_xlim()
    for _ in range(200):  # converges when the texts are narrower than the axes
        per_pixel = (hi - lo) / width
        new_lo = min([lo, *(x - (left + margin) * per_pixel for x, left, _ in ends if left)])
        new_hi = max([hi, *(x + (right + margin) * per_pixel for x, _, right in ends if right)])
        done = abs(new_lo - lo) + abs(new_hi - hi) <= 1e-9 * (new_hi - new_lo)
        lo, hi = new_lo, new_hi
        if done:
            break
    ax.set_xlim(lo, hi)


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    unit: str = "",
    axis_label: str = "",
    colours: Mapping[str, str] | None = None,
) -> str:
    """Horizontal bars, one row per bar in the given order, from a zero line: a negative value
    extends left of it. Each bar is labelled with its value and unit.

    ``colours`` maps a group to its colour, in legend order (so the caller can keep a group's
    colour across charts); a bar of a group without one is drawn grey (NEUTRAL) and has no
    legend entry. The legend also explains every other style the chart uses: hatched (a flagged
    value), black (a verified value) and red text (no stated value).

    SVG groups to find the parts by (``<g id="{chart_id}-…">``): ``bar-{i}`` (the stated bar of
    row i), ``verified-{i}``, ``value-{i}`` and ``verified-value-{i}`` (their value labels),
    ``missing-{i}``, ``label-{i}`` (the row's label), ``zero-line`` and ``legend``.
    """
    colours = dict(colours or {})
    labels = [_wrap(b.label) for b in bars]
    paired = any(b.verified is not None for b in bars)
    entries: list[Patch] = [
        Patch(color=colour, label=group)
        for group, colour in colours.items()
        if any(b.group == group for b in bars)
    ]
    if any(b.value is not None and b.flag for b in bars):
        flags = sorted({b.flag for b in bars if b.value is not None and b.flag})
        entries.append(
            Patch(
                facecolor=_tint(NEUTRAL),
                edgecolor="black",
                hatch=HATCH,
                label=f"hatched: {', '.join(flags)} (value as stated)",
            )
        )
    if paired:
        entries.append(Patch(color=VERIFIED, label="verified value"))
    if any(b.value is None for b in bars):
        entries.append(Patch(color=MALFORMED, label="malformed: no stated value"))
    ncols = min(len(entries), 3)
    legend_rows = -(-len(entries) // ncols) if entries else 0
    # a row holding a stated and a verified bar needs room for two value labels, one above
    # the other
    row = max(0.15 * _lines(labels) + 0.13, 0.44 if paired else 0.0)
    height = 0.75 + 0.2 * legend_rows + row * max(len(bars), 1)
    with _style(chart_id):
        fig = _figure(height)
        ax = fig.add_subplot()
        titles: dict[str, str] = {}
        texts: list[Annotation] = []
        for i, b in enumerate(bars):
            colour = colours.get(b.group, NEUTRAL)
            half = b.verified is not None
            y, h = (i - 0.19, 0.36) if half else (i, 0.7)
            if b.value is not None:
                style: dict[str, Any] = (
                    {"facecolor": _tint(colour), "edgecolor": "black", "hatch": HATCH}
                    if b.flag
                    else {"color": colour}
                )
                container = ax.barh([y], [b.value], height=h, linewidth=0.8, **style)
                container.patches[0].set_gid(f"bar-{i}")
                titles[f"bar-{i}"] = b.tooltip or f"{b.label}: {fmt(b.value)} {unit}".strip()
                text = f"{fmt(b.value)} {unit}".strip() + (f" ({b.flag})" if b.flag else "")
                (label,) = ax.bar_label(container, labels=[text], padding=3, fontsize=9)
                label.set_gid(f"value-{i}")
                texts.append(label)
            else:
                label = ax.annotate(
                    b.missing,
                    (0, y),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=9,
                    color=MALFORMED,
                    gid=f"missing-{i}",
                )
                texts.append(label)
            if b.verified is not None:
                container = ax.barh([i + 0.19], [b.verified], height=0.32, color=VERIFIED)
                container.patches[0].set_gid(f"verified-{i}")
                titles[f"verified-{i}"] = b.verified_tooltip or (
                    f"{b.label}: verified {fmt(b.verified)} {unit}".strip()
                )
                text = f"verified {fmt(b.verified)} {unit}".strip()
                (label,) = ax.bar_label(container, labels=[text], padding=3, fontsize=9)
                label.set_gid(f"verified-value-{i}")
                texts.append(label)
        rows = list(range(len(bars)))
        ax.set_yticks(rows, labels)
        for i, tick in enumerate(ax.get_yticklabels()):
            tick.set_gid(f"label-{i}")
        ax.set_ylim(max(len(bars), 1) - 0.5, -0.5)  # first bar on top
        ax.tick_params(axis="y", length=0)
        ax.axvline(0, color="#333333", linewidth=1, gid="zero-line")
        values = [v for b in bars for v in (b.value, b.verified) if v is not None]
        lo, hi = min([0.0, *values]), max([0.0, *values])
        span = (hi - lo) or 1.0
        ax.set_xlim(lo - (0.02 * span if lo < 0 else 0), hi + (0.02 * span if hi > 0 else 0))
        counts = all(v == int(v) for v in values)  # no tick at 0.5 of a case
        # fewer ticks for long numbers ("1,200,000,000"), which would otherwise touch
        wide = len(fmt(max(abs(lo), abs(hi)))) > 9
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4 if wide else 6, integer=counts))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))
        ax.grid(axis="x", color="#e6e6e6", linewidth=0.8)
        ax.set_xlabel(axis_label)
        if entries:
            _legend(fig, entries, ncols=ncols)
        _fit_texts(fig, ax, texts)
        return _svg(fig, chart_id, titles)


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    *,
    chart_id: str,
    colours: Sequence[str] = (),
    hatched: Sequence[str] = (),
    axis_label: str = "",
) -> str:
    """One horizontal bar per row, split into the ``series`` (counts, in that order, each with
    its colour and a legend entry); the row's total is written at its end. A series named in
    ``hatched`` is drawn as :func:`bar_chart` draws a flagged bar (hatched over a pale tint),
    so the same doubt looks the same in every chart."""
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
            style: dict[str, Any] = (
                {"facecolor": _tint(colour), "edgecolor": "black", "hatch": HATCH}
                if name in hatched
                else {"color": colour}
            )
            container = ax.barh(ys, vals, left=left, height=0.7, linewidth=0.8, **style)
            for i, patch in enumerate(container.patches):
                if vals[i] <= 0:
                    patch.set_visible(False)  # an outline of nothing would draw a line
                else:
                    patch.set_gid(f"bar-{i}-{k}")
                    titles[f"bar-{i}-{k}"] = f"{rows[i][0]}: {fmt(vals[i])} {name}"
            left = [a + b for a, b in zip(left, vals, strict=True)]
            handles.append(Patch(label=name, linewidth=0.8, **style))
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
