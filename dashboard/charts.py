"""Server-side SVG charts: no JavaScript, no CDN, readable by screen readers and printers.

Each chart carries ``role="img"``, a ``<title>`` and a ``<desc>`` summarising its data; the
page shows the same numbers in a table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from siaga.formatting import number

_ids = count(1)


def _count(value: int) -> str:
    """A count as shown: Indonesian digits, or "<3" for a suppressed one (worth 0 in the
    drawing, dashboard.privacy)."""
    return str(value) if hasattr(value, "threshold") else number(value)


def _num(value: float) -> str:
    """Coordinates use a dot whatever the language."""
    return f"{value:.1f}"


def _svg(
    uid: int,
    width: int,
    height: int,
    title: str,
    description: str,
    parts: Sequence[SafeString],
    *,
    align_top_left: bool = False,
) -> SafeString:
    """The chart's frame: its size, accessible title and description, and the drawn parts."""
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="c{}t c{}d"{}>'
        '<title id="c{}t">{}</title><desc id="c{}d">{}</desc>{}</svg>',
        width,
        height,
        uid,
        uid,
        mark_safe(' preserveAspectRatio="xMinYMin meet"' if align_top_left else ""),
        uid,
        title,
        uid,
        description,
        mark_safe("".join(parts)),  # noqa: S308 - each part built with format_html
    )


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, description: str = "") -> SafeString:
    """Horizontal bars, one per (label, value)."""
    uid = next(_ids)
    row_height, label_width, width = 26, 190, 560
    bar_space = width - label_width - 70
    height = max(row_height * len(items) + 8, 30)
    peak = max((v for _label, v in items), default=0) or 1
    summary = description or "; ".join(f"{label}: {_count(v)}" for label, v in items)
    bars = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row_height
        length = bar_space * value / peak
        bars.append(
            format_html(
                '<text x="{}" y="{}" class="chart-label" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" rx="3" class="chart-bar"></rect>'
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                label_width - 8,
                _num(y + row_height * 0.62),
                label,
                label_width,
                y + 3,
                _num(max(length, 1 if value else 0)),
                row_height - 8,
                _num(label_width + length + 6),
                _num(y + row_height * 0.62),
                _count(value),
            )
        )
    return _svg(uid, width, height, title, summary, bars, align_top_left=True)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    title: str,
    description: str,
) -> SafeString:
    """One line per (name, css class, values) over the ``labels`` (months)."""
    uid = next(_ids)
    width, height, left, bottom, top = 560, 220, 44, 30, 14
    plot_w, plot_h = width - left - 12, height - top - bottom
    peak = max((v for _n, _c, values in series for v in values), default=0) or 1
    step = plot_w / max(len(labels) - 1, 1)

    def point(i: int, v: int) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - v / peak)

    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="chart-grid"></line>'
        '<text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text>',
        (
            (
                left,
                width - 12,
                _num(top + plot_h * (1 - f)),
                _num(top + plot_h * (1 - f)),
                left - 6,
                _num(top + plot_h * (1 - f) + 4),
                number(round(peak * f)),
            )
            for f in (0, 0.5, 1)
        ),
    )
    axis = format_html_join(
        "",
        '<text x="{}" y="{}" class="chart-axis" text-anchor="middle">{}</text>',
        ((_num(left + i * step), height - 10, label) for i, label in enumerate(labels)),
    )
    lines = []
    for name, css, values in series:
        points = " ".join("{},{}".format(*map(_num, point(i, v))) for i, v in enumerate(values))
        dots = format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="3" class="{}"><title>{}</title></circle>',
            (
                (_num(point(i, v)[0]), _num(point(i, v)[1]), css, f"{name} {labels[i]}: {v}")
                for i, v in enumerate(values)
            ),
        )
        lines.append(
            format_html(
                '<polyline points="{}" class="chart-line {}"></polyline>{}', points, css, dots
            )
        )
    return _svg(uid, width, height, title, description, [grid, axis, *lines])
