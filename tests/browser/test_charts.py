"""The inline SVG charts as data: valid XML, one group per series, one marker per point,
an accessible name and description, and labels escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from xml.etree import ElementTree

from alm_ld.web.pages.charts import Point, legend_entries, line_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_one_group_per_series_and_one_marker_per_point():
    svg = line_chart_svg("c1", "Citations over time", {
        "crossref": [Point(date(2026, 1, 1), 10), Point(date(2026, 3, 1), 16),
                     Point(date(2026, 2, 1), 12)],
        "opencitations": [Point(datetime(2026, 1, 1, 6, tzinfo=UTC), 8)],
    })
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Citations over time"
    assert "2026-01-01 to 2026-03-01" in root.find(f"{SVG}desc").text
    groups = root.findall(f"{SVG}g[@class='series']")
    assert [(g.get("data-source"), g.get("data-points")) for g in groups] == [
        ("crossref", "3"), ("opencitations", "1")]
    assert [len([e for e in g if e.get("class") == "point"]) for g in groups] == [3, 1]
    # points are drawn in date order, left to right
    xs = [float(p.split(",")[0]) for p in groups[0].find(f"{SVG}polyline").get("points").split()]
    assert xs == sorted(xs)


def test_a_single_point_is_centred_and_dated():
    root = _parse(line_chart_svg("c2", "Readers", {"mendeley": [Point(date(2026, 3, 1), 7)]}))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "2026-03-01" in texts


def test_labels_are_escaped_and_empty_series_draw_nothing():
    svg = line_chart_svg("c3", "<script>", {"a&b \"<x>\"": [Point(date(2026, 1, 1), 1)]})
    root = _parse(svg)  # still well-formed XML
    assert root.find(f"{SVG}title").text == "<script>"
    assert "<script>" not in svg
    assert line_chart_svg("c4", "nothing", {}) == ""


def test_series_differ_by_more_than_colour():
    entries = legend_entries(["a", "b", "c"])
    assert len({(e["colour"], e["dash"], e["marker"]) for e in entries}) == 3
    assert len({e["dash"] for e in entries}) == 3 and len({e["marker"] for e in entries}) == 3
