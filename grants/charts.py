"""Server-rendered SVG bar charts: no script, no CDN, no library.

A chart is a picture of a table that is always shown with it; the SVG has
``role="img"`` and a title naming that table, so screen reader users go to
the table rather than hear every bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 80, 10, 30, 50
# Colours with at least 3:1 contrast against white (WCAG 2.2 non-text contrast).
COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#4c2c92"]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int | None]  # None: nothing to draw (suppressed or unknown)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def _label(value: float, money: bool, percent: bool = False) -> str:
    text = f"{value:,.0f}"
    if percent:
        return f"{text}%"
    return f"£{text}" if money else text


def bar_chart(
    *,
    title: str,
    table_id: str,
    labels: Sequence[str],
    series: Sequence[Series],
    money: bool,
    percent: bool = False,
) -> SafeString:
    """Grouped vertical bars; ``table_id`` is the id of the table it shows.

    ``percent``: the values are shares, drawn against a 0 to 100% axis.
    """
    values = [float(v) for s in series for v in s.values if v is not None]
    top = 100.0 if percent else _nice_max(max(values, default=0.0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{escape(table_id)}-chart-title">',
        f'<title id="{escape(table_id)}-chart-title">{escape(title)} '
        "(the table below gives the figures)</title>",
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="chart__grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart__axis">'
            f"{escape(_label(value, money, percent))}</text>"
        )
    for g, label in enumerate(labels):
        x0 = LEFT + g * group_w + group_w * 0.1
        for s_index, s in enumerate(series):
            bar = s.values[g] if g < len(s.values) else None
            if bar is None:
                continue
            h = plot_h * float(bar) / top
            x = x0 + s_index * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w * 0.9:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[s_index % len(COLOURS)]}"/>'
            )
        parts.append(
            f'<text x="{LEFT + g * group_w + group_w / 2:.1f}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="middle" class="chart__axis">{escape(label)}</text>'
        )
    for s_index, s in enumerate(series):
        x = LEFT + s_index * 160
        parts.append(
            f'<rect x="{x}" y="8" width="12" height="12" fill="{COLOURS[s_index % len(COLOURS)]}"/>'
            f'<text x="{x + 18}" y="19" class="chart__legend">{escape(s.name)}</text>'
        )
    parts.append("</svg>")
    # Every interpolated string above is escaped; numbers are formatted here.
    return mark_safe("".join(parts))  # noqa: S308
