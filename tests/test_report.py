"""The report's charts (``narcokg report``, kg/publish/report.py and kg/publish/charts.py).

What is checked is what a reader relies on: colours that mean something have a legend, a
decrease is drawn below the zero line (read from the SVG geometry, not from our data), the same
store gives the same bytes, the page loads nothing from anywhere, labels from the data are
escaped, and in a real browser no label is cut off or drawn over another. The expected values
come from the figures of the bundled corpus ("4.24%" is a decrease, "16.5%" an increase, in
release 000; checked by hand against the text).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.publish import charts
from kg.publish.report import render
from kg.store.kept_answers import answers_path

SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def page(built: Path) -> str:
    return render(ox.Store.read_only(str(built)), generated=DAY, kept=answers_path(built))


def svgs(html: str) -> dict[str, ET.Element]:
    """Every inline chart of the page, parsed as XML, by its id."""
    found = {}
    for match in re.finditer(r"<svg\b.*?</svg>", html, re.S):
        root = ET.fromstring(match.group(0))
        found[root.attrib["id"]] = root
    return found


def by_id(root: ET.Element, suffix: str) -> ET.Element:
    (element,) = [e for e in root.iter() if e.get("id") == f"{root.get('id')}-{suffix}"]
    return element


def fill(element: ET.Element) -> str:
    """The fill colour of the first shape drawn inside ``element``."""
    for e in element.iter():
        style = dict(
            part.strip().split(": ", 1) for part in e.get("style", "").split(";") if ": " in part
        )
        if e.tag == f"{SVG}path" and "fill" in style:
            return style["fill"]
    raise AssertionError("no filled path")


def xs(element: ET.Element) -> list[float]:
    """The x coordinates of the paths inside ``element`` (matplotlib writes absolute M/L)."""
    out = []
    for e in element.iter(f"{SVG}path"):
        nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", e.get("d", ""))]
        out += nums[0::2]
    return out


def title(element: ET.Element) -> str:
    t = element.find(f"{SVG}title")
    return t.text or "" if t is not None else ""


def bars(root: ET.Element) -> list[ET.Element]:
    prefix = f"{root.get('id')}-bar-"
    return [e for e in root.iter(f"{SVG}g") if e.get("id", "").startswith(prefix)]


def legend(root: ET.Element) -> dict[str, str]:
    """Legend label → colour of its key, read from the drawing."""
    box = by_id(root, "legend")
    keys = [e for e in box.iter(f"{SVG}g") if "-legend-key-" in e.get("id", "")]
    labels = [e for e in box.iter(f"{SVG}g") if "-legend-label-" in e.get("id", "")]
    assert keys and len(keys) == len(labels)
    return {"".join(t.itertext()).strip(): fill(k) for k, t in zip(keys, labels, strict=True)}


# --- on the report of the bundled corpus ----------------------------------------------------


def test_colours_that_mean_something_have_a_legend(page: str) -> None:
    charts_ = svgs(page)
    # seizures: colour = substance; every bar has its substance's legend colour
    seizures = charts_["chart-seizures"]
    keys = legend(seizures)
    assert set(keys) == {"substance not stated", "precursor chemicals"}
    assert len(set(keys.values())) == 2
    for bar in bars(seizures):
        substance = title(bar).split(":", 1)[0]
        assert fill(bar) == keys[substance], title(bar)
    # each measure: colour = release
    drugs = next(c for i, c in charts_.items() if i.endswith("-drugs-seized"))
    keys = legend(drugs)
    assert set(keys) == {"release 000", "release 003"}
    for bar in bars(drugs):
        release = title(bar).rsplit(" in ", 1)[1].split("_", 1)[0]
        assert fill(bar) == keys[f"release {release}"], title(bar)
    # data quality: one colour per status, in the legend
    quality = legend(charts_["chart-quality"])
    assert list(quality) == ["stated", "malformed", "implausible", "corrected"]
    assert len(set(quality.values())) == 4
    # jurisdictions: the shades have a colour bar, labelled
    heat = charts_["chart-jurisdictions"]
    assert "mentions" in "".join(by_id(heat, "colour-bar").itertext())


def test_a_decrease_is_drawn_below_zero(page: str) -> None:
    yoy = next(c for i, c in svgs(page).items() if i.endswith("-year-on-year-change"))
    zero = set(xs(by_id(yoy, "zero-line")))
    assert len(zero) == 1
    (x0,) = zero
    down = [b for b in bars(yoy) if "“4.24%” (down)" in title(b)]
    up = [b for b in bars(yoy) if "“16.5%” (up)" in title(b)]
    assert len(down) == len(up) == 1
    assert max(xs(down[0])) == pytest.approx(x0) and min(xs(down[0])) < x0 - 10
    assert min(xs(up[0])) == pytest.approx(x0) and max(xs(up[0])) > x0 + 10
    assert "\u22124.24 %" in "".join(yoy.itertext())  # its value label carries the sign


def test_the_page_loads_nothing_and_runs_nothing(page: str) -> None:
    assert "<script" not in page.lower()
    for tag in ("<link", "<img", "<iframe", "<object", "<embed", "@import", "url(http"):
        assert tag not in page.lower()
    for attr, value in re.findall(r"\b((?:xlink:)?href|src)\s*=\s*[\"']([^\"']*)", page):
        assert value.startswith("#"), (attr, value)  # in-page references only
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_ids_are_unique_on_the_page_and_references_resolve(page: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    refs = re.findall(r'(?:href="#|url\(#)([^")]+)', page)
    assert refs and set(refs) <= set(ids)


@pytest.mark.slow
def test_two_reports_of_one_store_are_byte_identical(built: Path, tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "2"):  # two processes, different hash seeds
        out = tmp_path / f"report-{seed}.html"
        subprocess.run(
            [sys.executable, "-m", "kg.cli", "report", "--store", str(built), "--out", str(out)],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            timeout=600,
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


# --- the chart functions on their own -----------------------------------------------------


def test_bar_chart_negative_bar_extends_left_of_zero() -> None:
    root = ET.fromstring(
        charts.bar_chart([charts.Bar("up", 6.0), charts.Bar("down", -4.24)], chart_id="c", unit="%")
    )
    (x0,) = set(xs(by_id(root, "zero-line")))
    up, down = bars(root)
    assert min(xs(up)) == pytest.approx(x0) and max(xs(up)) > x0 + 10
    assert max(xs(down)) == pytest.approx(x0) and min(xs(down)) < x0 - 10


def test_charts_are_deterministic_and_ids_are_prefixed() -> None:
    def draw(chart_id: str) -> str:
        return charts.stacked_bars([("a", [1, 2]), ("b", [3, 0])], ["x", "y"], chart_id=chart_id)

    assert draw("one") == draw("one")
    one, two = (set(re.findall(r'\bid="([^"]+)"', draw(i))) for i in ("one", "two"))
    assert not one & two
    assert all(i == "one" or i.startswith("one-") for i in one)
    text = draw("one")
    assert not text.startswith("<?xml") and "<!DOCTYPE" not in text and text.startswith("<svg")
    assert "<metadata" not in text and "xlink" not in text


def test_labels_from_the_data_are_escaped_and_not_math() -> None:
    label = "<script>alert(1)</script> costs $5 & $6"
    text = charts.bar_chart([charts.Bar(label, 1.0, tooltip=label)], chart_id="c")
    assert "<script" not in text
    root = ET.fromstring(text)  # still well-formed XML
    shown = "".join(root.itertext())
    assert "<script>alert(1)</script>" in shown and "$5 & $6" in shown
    heat = charts.heatmap(["<b>"], ["$x$"], [[2.0]], chart_id="h")
    assert "<b>" not in heat and "$x$" in "".join(ET.fromstring(heat).itertext())
    # text that looks like an attribute is text: ids are rewritten inside tags only
    text = charts.bar_chart([charts.Bar('id="figure_1"', 1.0)], chart_id="c")
    assert 'id="figure_1"' in "".join(ET.fromstring(text).itertext())
    with pytest.raises(ValueError):
        charts.bar_chart([], chart_id='x" onload="alert(1)')


def test_the_command_line_does_not_import_matplotlib() -> None:
    code = "import sys, kg.cli; print('matplotlib' in sys.modules)"
    got = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert got.stdout.strip() == "False"


# --- in a real browser ----------------------------------------------------------------------

# Every <text> of each chart as its box on screen, with the chart's box.
BOXES = """
return Array.from(document.querySelectorAll('svg')).map(svg => {
  const r = svg.getBoundingClientRect();
  return {id: svg.id, box: [r.left, r.top, r.right, r.bottom],
          texts: Array.from(svg.querySelectorAll('text')).map(t => {
            const b = t.getBoundingClientRect();
            return {text: t.textContent, box: [b.left, b.top, b.right, b.bottom]};
          })};
});
"""


def _overlap(a: list[float], b: list[float], slack: float = 0.5) -> bool:
    return (
        a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack
    )


@pytest.mark.slow
def test_labels_are_inside_their_chart_and_do_not_overlap(
    page: str, tmp_path: Path, browser: Any
) -> None:
    out = tmp_path / "report.html"
    out.write_text(page, encoding="utf-8")
    browser.get(out.as_uri())
    drawn = browser.execute_script(BOXES)
    assert len(drawn) == page.count("<svg") >= 4
    for svg in drawn:
        box, texts = svg["box"], [t for t in svg["texts"] if t["text"].strip()]
        assert texts, svg["id"]
        for t in texts:
            left, top, right, bottom = t["box"]
            assert right > left and bottom > top, (svg["id"], t["text"])
            inside = (
                left >= box[0] - 0.5
                and top >= box[1] - 0.5
                and right <= box[2] + 0.5
                and bottom <= box[3] + 0.5
            )
            assert inside, (svg["id"], t["text"], t["box"], box)
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                assert not _overlap(a["box"], b["box"]), (svg["id"], a["text"], b["text"])
