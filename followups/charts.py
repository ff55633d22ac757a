"""The outcomes report's charts: the paired bar chart (knowledge at the claim beside knowledge at a
follow-up) and the horizontal bar chart (the barriers: long labels, each on its own lines), as
inline SVG drawn on the server, with the conventions of credits/charts.py: no JavaScript, no external
asset, every text escaped, an image to assistive technology (role="img", <title>, the values spelled
out in <desc>), and the same numbers in a table on the page."""

import textwrap

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 30, 46
COLOURS = ("#8aa4bf", "#0b5cad")  # at the claim (lighter), at the follow-up (the site's blue)


def paired_percent_chart(
    groups: list[tuple[str, float | None, float | None]],
    *,
    title: str,
    series: tuple[str, str],
    x_label: str,
    chart_id: str,
) -> SafeString:
    """Two bars per group (``series[0]`` and ``series[1]``), each a percentage 0-100; a missing value
    (None) draws no bar and is written "no data" in the description."""

    def said(value: float | None) -> str:
        return "no data" if value is None else f"{value:g}%"

    plot_w, plot_h = float(WIDTH - LEFT - RIGHT), float(HEIGHT - TOP - BOTTOM)
    slot = plot_w / max(len(groups), 1)
    gap = min(slot * 0.2, 20)
    bar = (slot - gap) / 2
    description = "; ".join(
        f"{label}: {series[0]} {said(a)}, {series[1]} {said(b)}" for label, a, b in groups
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(title)}" aria-describedby="{chart_id}-desc" class="chart '
        'chart-narrow" font-family="inherit" font-size="12">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in (0, 50, 100):
        y = TOP + plot_h - plot_h * tick / 100
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dde5"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4a5866">{tick}%</text>'
        )
    for index, (name, colour) in enumerate(zip(series, COLOURS, strict=True)):  # the legend
        key_x = LEFT + index * 200
        parts.append(
            f'<rect x="{key_x}" y="6" width="12" height="12" fill="{colour}"/>'
            f'<text x="{key_x + 18}" y="16" fill="#1b2733">{escape(name)}</text>'
        )
    for index, (label, *values) in enumerate(groups):
        start = LEFT + index * slot + gap / 2
        for k, value in enumerate(values):
            if value is None:
                continue
            height = plot_h * max(0.0, min(float(value), 100.0)) / 100
            x, y = start + k * bar, TOP + plot_h - height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" fill="{COLOURS[k]}">'
                f"<title>{escape(f'{label}, {series[k]}: {said(value)}')}</title></rect>"
                f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="#1b2733">'
                f"{value:.0f}</text>"
            )
        parts.append(
            f'<text x="{LEFT + index * slot + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'fill="#4a5866">{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#4a5866"/>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" fill="#1b2733">'
        f"{escape(x_label)}</text></svg>"
    )
    return mark_safe("".join(parts))  # every piece of text above went through escape() or is a number


H_WIDTH = 480  # narrower than the column charts: on a 390 px phone the text stays readable
H_LEFT, H_RIGHT, H_TOP = 8, 40, 8  # the right margin holds the longest bar's value
LINE, BAR, ROW_GAP = 15, 14, 10  # a label line, a bar, the space between rows (px)
CHAR_W = 7  # a generous width of one 12 px character, for wrapping labels inside the chart


def horizontal_bar_chart(bars: list[tuple[str, int]], *, title: str, chart_id: str) -> SafeString:
    """One row per category: its label on its own line(s) (wrapped, never beside another label),
    then its bar with the value written after it. Long labels and many categories (the seven
    barriers) cannot overlap: each row is as tall as its label needs."""
    plot_w = H_WIDTH - H_LEFT - H_RIGHT
    top = max((value for _label, value in bars), default=0) or 1
    per_line = max(10, plot_w // CHAR_W)
    description = "; ".join(f"{label}: {value}" for label, value in bars)
    rows: list[str] = []
    y = H_TOP
    for label, value in bars:
        lines = textwrap.wrap(label, per_line) or [""]
        for line in lines:
            y += LINE
            rows.append(f'<text x="{H_LEFT}" y="{y - 3}" fill="#1b2733">{escape(line)}</text>')
        width = plot_w * value / top
        rows.append(
            f'<rect x="{H_LEFT}" y="{y + 2}" width="{width:.1f}" height="{BAR}" fill="#0b5cad">'
            f"<title>{escape(f'{label}: {value}')}</title></rect>"
            f'<text x="{H_LEFT + width + 4:.1f}" y="{y + 2 + BAR - 3}" fill="#1b2733">{value}</text>'
        )
        y += 2 + BAR + ROW_GAP
    height = y
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {H_WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" aria-describedby="{chart_id}-desc" class="chart '
        'chart-narrow" font-family="inherit" font-size="12">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        *rows,
        "</svg>",
    ]
    return mark_safe("".join(parts))  # every piece of text above went through escape() or is a number
