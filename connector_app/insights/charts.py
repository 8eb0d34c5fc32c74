"""Server-rendered SVG charts: geometry computed here, drawn by ``templates/insights/_charts.html``.

No JavaScript and nothing from a CDN: a chart is an ``<svg role="img">`` with a title and a one-line
description of what it shows, and the page puts its numbers next to it as a table and a CSV link. Colors
come from CSS classes (``static/css/insights.css``), each at least 3:1 against the white background, and
stacked segments are separated by a white edge so they stay apart without color.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH = 720
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 14, 40
MAX_X_LABELS = 13


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    id: str
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    rects: list[Rect] = field(default_factory=list)
    labels: list[Text] = field(default_factory=list)  # axis and value labels
    grid: list[float] = field(default_factory=list)  # y of horizontal grid lines
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)
    baseline: float = 0.0
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT


def nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) for about ``ticks`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover


def columns(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[tuple[str, str]],
    series: Sequence[tuple[str, str, str]],
    values: Sequence[dict[str, float]],
    fmt: Callable[[float], str],
    *,
    integer: bool = True,
) -> Chart:
    """Stacked columns: one per category — (axis label, a second line such as the year, or "") — and
    a segment per series (key, label, css class)."""
    legend = [(css, label) for _key, label, css in series] if len(series) > 1 else []
    chart = Chart(chart_id, title, description, legend=legend)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(max(0.0, float(v.get(key, 0))) for key, _, _ in series) for v in values]
    step = nice_step(max(totals, default=0))
    if integer:
        step = max(1.0, math.ceil(step))
    top = max(step, math.ceil(max(totals, default=0) / step) * step)
    scale = plot_h / top
    chart.baseline = TOP + plot_h
    tick = 0.0
    while tick <= top + 1e-9:
        y = TOP + plot_h - tick * scale
        chart.grid.append(y)
        chart.labels.append(Text(LEFT - 6, y + 4, fmt(tick), "end"))
        tick += step
    count = max(1, len(categories))
    band = plot_w / count
    bar = max(1.0, band * 0.72)
    every = max(1, math.ceil(count / MAX_X_LABELS))
    for index, ((category, second), value) in enumerate(zip(categories, values, strict=True)):
        x = LEFT + index * band + (band - bar) / 2
        y = TOP + plot_h
        for key, label, css in series:
            amount = max(0.0, float(value.get(key, 0)))
            if not amount:
                continue
            height = amount * scale
            y -= height
            title = f"{category} {second}".strip()
            chart.rects.append(Rect(x, y, bar, height, css, f"{title}: {label} {fmt(amount)}"))
        if index % every == 0:
            middle = LEFT + index * band + band / 2
            chart.labels.append(Text(middle, HEIGHT - BOTTOM + 16, category))
            if second:
                chart.labels.append(Text(middle, HEIGHT - BOTTOM + 31, second))
    return chart


def bars(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, float, str]],
    fmt: Callable[[float], str],
    legend: Sequence[tuple[str, str]] = (),
) -> Chart:
    """Horizontal bars, one per row (label, value, css class), the label above its bar."""
    row_h = 34
    chart = Chart(chart_id, title, description, height=max(60, 10 + row_h * len(rows)), legend=list(legend))
    chart.plot_left, chart.plot_right = 8, WIDTH - 72
    span = chart.plot_right - chart.plot_left
    top = max((float(value) for _, value, _ in rows), default=0) or 1.0
    for index, (label, value, css) in enumerate(rows):
        y = 8 + index * row_h
        width = max(1.0, span * float(value) / top) if value else 0.0
        chart.labels.append(Text(chart.plot_left, y + 11, label[:70], "start"))
        if width:
            chart.rects.append(Rect(chart.plot_left, y + 15, width, 12, css, f"{label}: {fmt(value)}"))
        chart.labels.append(Text(chart.plot_left + width + 6, y + 25, fmt(value), "start"))
    return chart
