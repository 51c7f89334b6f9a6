"""Server-side line charts as inline SVG: no JavaScript, no chart library, nothing to fetch.

A chart is drawn on the server so the work page works with scripts off, in a text browser (the
``<title>``/``<desc>`` and the data table next to it say the same thing), and with no network.
Each source is one ``<g class="series">`` holding a polyline and one circle per point; the
``data-`` attributes let tests (and curious readers) count series and points without parsing
geometry. Colours follow the Okabe–Ito palette (distinguishable with colour-vision deficiency; its
yellow and sky blue darkened so every line has ≥ 3:1 contrast on white, WCAG 1.4.11), and every
series also gets its own marker shape and dash pattern, so colour is never the only cue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

WIDTH, HEIGHT = 640, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 16, 40
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#A66F00", "#6A3D9A", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4")
MARKERS = ("circle", "square", "diamond", "triangle")


@dataclass(frozen=True)
class Point:
    when: date
    value: int


def _as_day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _nice_ticks(top: int, count: int = 4) -> list[int]:
    """Round y-axis ticks from 0 to at least ``top`` (1, 2, 5 × 10ⁿ steps)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    ticks = list(range(0, top + step, step))
    return ticks if ticks[-1] >= top else ticks + [ticks[-1] + step]


def _marker(shape: str, x: float, y: float, colour: str, label: str) -> str:
    common = f'fill="{colour}" class="point" data-value="{escape(label)}"'
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" {common}>'
    if shape == "diamond":
        return (f'<polygon points="{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y:.1f} {x:.1f},'
                f'{y + 4.5:.1f} {x - 4.5:.1f},{y:.1f}" {common}>')
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y + 3.5:.1f} '
                f'{x - 4.5:.1f},{y + 3.5:.1f}" {common}>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" {common}>'


def _closing(shape: str) -> str:
    return {"square": "</rect>", "diamond": "</polygon>", "triangle": "</polygon>"}.get(
        shape, "</circle>")


def line_chart_svg(chart_id: str, title: str, series: Mapping[str, Sequence[Point]],
                   *, unit: str = "") -> str:
    """An accessible SVG line chart: one line per entry of ``series`` (label → points).

    ``chart_id`` must be unique in the page (it names the ``<title>``/``<desc>`` ids).
    """
    points = [p for pts in series.values() for p in pts]
    if not points:
        return ""
    days = [_as_day(p.when) for p in points]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    ticks = _nice_ticks(max(p.value for p in points))
    top = ticks[-1] or 1
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x_of(day: date) -> float:
        if first == last:
            return MARGIN_LEFT + plot_w / 2
        return MARGIN_LEFT + plot_w * (day - first).days / span

    def y_of(value: int) -> float:
        return MARGIN_TOP + plot_h * (1 - value / top)

    desc = "; ".join(
        f"{label}: {len(pts)} point{'s' if len(pts) != 1 else ''}, "
        f"{min(p.value for p in pts)} to {max(p.value for p in pts)}"
        for label, pts in series.items() if pts)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" data-series-count="{len(series)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(title)} from {first.isoformat()} to '
        f'{last.isoformat()}. {escape(desc)}.</desc>',
        '<g class="axes" aria-hidden="true">',
    ]
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" '
                     f'y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{MARGIN_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{tick:,}</text>')
    base_y = MARGIN_TOP + plot_h
    labels = [(first, "middle")] if first == last else [(first, "start"), (last, "end")]
    for day, anchor in labels:
        parts.append(f'<text x="{x_of(day):.1f}" y="{base_y + 24}" text-anchor="{anchor}">'
                     f'{day.isoformat()}</text>')
    parts.append(f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{base_y}" '
                 f'y2="{base_y}" class="axis"/>')
    parts.append("</g>")
    for index, (label, pts) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        dash = DASHES[index % len(DASHES)]
        shape = MARKERS[index % len(MARKERS)]
        ordered = sorted(pts, key=lambda p: _as_day(p.when))
        parts.append(f'<g class="series" data-source="{escape(label)}" '
                     f'data-points="{len(ordered)}">')
        coords = " ".join(f"{x_of(_as_day(p.when)):.1f},{y_of(p.value):.1f}" for p in ordered)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"{dash_attr}/>')
        for p in ordered:
            text = f"{label}, {_as_day(p.when).isoformat()}: {p.value:,}{unit}"
            parts.append(_marker(shape, x_of(_as_day(p.when)), y_of(p.value), colour, text)
                         + f"<title>{escape(text)}</title>" + _closing(shape))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def legend_entries(labels: Sequence[str]) -> list[dict[str, str]]:
    """Colour, dash and marker of each series, in the order the chart draws them."""
    return [{"label": label, "colour": PALETTE[i % len(PALETTE)],
             "dash": DASHES[i % len(DASHES)], "marker": MARKERS[i % len(MARKERS)]}
            for i, label in enumerate(labels)]
