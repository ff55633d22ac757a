"""Bar charts as inline SVG, drawn on the server: no JavaScript, no external assets, text escaped."""

import math
from datetime import date

from django.utils.dateformat import format as format_date
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 14, 44
MAX_X_LABELS = 10


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 3, 4, 5, 6 or 8 times a power of ten that is >= value: a round axis top."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 3, 4, 5, 6, 8, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _number(value: float) -> str:
    return f"{value:g}"


def daily_bar_chart(
    points: list[tuple[date, int]],
    *,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    value_label: str,
    chart_id: str = "chart",
) -> SafeString:
    """One bar per day; ``value_label`` is a %-format with ``%(count)s`` for each bar's tooltip.

    The chart is an image to assistive technology (role="img", named by its <title> and <desc>); each
    bar carries its own <title> with the date and value, and the page shows the numbers in a table too.
    """
    top = nice_ceiling(max((count for _, count in points), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    gap = min(slot * 0.2, 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart" '
        'font-family="inherit" font-size="12">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in (0, top // 2, top) if top % 2 == 0 else (0, top):  # gridlines, y-axis labels
        y = TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dde5"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4a5866">{_number(tick)}</text>'
        )
    every = max(1, math.ceil(len(points) / MAX_X_LABELS))
    for index, (day, count) in enumerate(points):
        x = LEFT + index * slot + gap / 2
        height = plot_h * count / top
        y = TOP + plot_h - height
        tooltip = f"{format_date(day, 'D j M Y')}: {value_label % {'count': count}}"
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot - gap:.1f}" height="{height:.1f}" fill="#0b5cad">'
            f"<title>{escape(tooltip)}</title></rect>"
        )
        if index % every == 0:
            label_x = LEFT + index * slot + slot / 2
            parts.append(
                f'<text x="{label_x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#4a5866">'
                f"{escape(format_date(day, 'M j'))}</text>"
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#4a5866"/>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" fill="#1b2733">'
        f"{escape(x_label)}</text>"
        f'<text transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'fill="#1b2733">{escape(y_label)}</text></svg>'
    )
    return mark_safe("".join(parts))  # every piece of text above went through escape()
