"""Bar charts of categories (scores, Likert answers, months) as inline SVG, drawn on the server.

episodes/charts.py draws one bar per *day*; provider reports need labelled categories, so this module
draws those, with the same conventions: no JavaScript, no external assets, every text escaped.
"""

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from episodes.charts import nice_ceiling

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 14, 46
MAX_X_LABELS = 12


def category_bar_chart(
    bars: list[tuple[str, int]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    chart_id: str,
) -> SafeString:
    """One labelled bar per category, its value written above it.

    The chart is an image to assistive technology: role="img", named by aria-label and its <title>,
    the values spelled out in <desc>; each bar also has a <title> (a tooltip), and the page shows the
    same numbers in a table.
    """
    top = nice_ceiling(max((value for _, value in bars), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(bars), 1)
    gap = min(slot * 0.25, 14)
    every = max(1, math.ceil(len(bars) / MAX_X_LABELS))  # labels of many bars would overlap
    description = "; ".join(f"{label}: {value}" for label, value in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(title)}" aria-describedby="{chart_id}-desc" class="chart '
        'chart-narrow" font-family="inherit" font-size="12">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in (0, top // 2, top) if top % 2 == 0 else (0, top):
        y = TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dde5"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4a5866">{tick}</text>'
        )
    for index, (label, value) in enumerate(bars):
        x = LEFT + index * slot + gap / 2
        height = plot_h * value / top
        y = TOP + plot_h - height
        centre = LEFT + index * slot + slot / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot - gap:.1f}" height="{height:.1f}" fill="#0b5cad">'
            f"<title>{escape(f'{label}: {value}')}</title></rect>"
        )
        if every == 1:
            parts.append(
                f'<text x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="#1b2733">{value}</text>'
            )
        if index % every == 0:
            parts.append(
                f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#4a5866">'
                f"{escape(label)}</text>"
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#4a5866"/>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" fill="#1b2733">'
        f"{escape(x_label)}</text>"
        f'<text transform="translate(12 {TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'fill="#1b2733">{escape(y_label)}</text></svg>'
    )
    return mark_safe("".join(parts))  # every piece of text above went through escape() or is a number
