"""Server-rendered SVG for the target dashboard: the required growth path against actuals.

No JavaScript, no CDN: the chart works offline and in print, like ``yuzhi.web.charts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def path_chart(planned: Sequence[tuple[int, int]], recomputed: Sequence[tuple[int, int]],
               actuals: Sequence[tuple[int, int, bool]], *, unit: int = 100_000_000_00, unit_label: str = "亿元",
               width: int = 640, height: int = 260) -> str:
    """Planned path (dashed), path recomputed from the latest actual (solid) and actuals (dots).

    ``actuals`` are (year, fen, complete); an incomplete (year-to-date) actual is drawn hollow.
    Values are divided by ``unit`` for display (default 亿元 = 100 million yuan).
    """
    years = sorted({y for y, _ in planned} | {y for y, _ in recomputed} | {y for y, _, _ in actuals})
    if not years:
        return ""
    top = max([v for _, v in planned] + [v for _, v in recomputed] + [v for _, v, _ in actuals] + [1]) / unit * 1.1
    pl, pr, pt, pb = 56, 16, 16, 30
    span = max(len(years) - 1, 1)

    def x(y: int) -> float:
        return pl + (width - pl - pr) * (years.index(y) / span)

    def yv(v: int) -> float:
        return height - pb - (height - pb - pt) * (v / unit) / top

    out = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="growth path">']
    for k in range(5):
        gv = top * k / 4
        gy = height - pb - (height - pb - pt) * k / 4
        out.append(f'<line x1="{pl}" x2="{width - pr}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="#e4e7ec"/>'
                   f'<text x="{pl - 6}" y="{gy + 4:.1f}" text-anchor="end">{gv:,.0f}</text>')
    for y in years:
        out.append(f'<text x="{x(y):.1f}" y="{height - 10}" text-anchor="middle">{y}</text>')
    out.append(f'<text x="{pl}" y="{pt - 4}">{escape(unit_label)}</text>')
    for series, style in ((planned, 'stroke="#98a2b3" stroke-dasharray="5 4"'), (recomputed, 'stroke="#b3261e"')):
        if len(series) > 1:
            pts = " ".join(f"{x(y):.1f},{yv(v):.1f}" for y, v in series)
            out.append(f'<polyline points="{pts}" fill="none" stroke-width="2" {style}/>')
    for y, v, complete in actuals:
        fill = "#175cd3" if complete else "#fff"
        out.append(f'<circle cx="{x(y):.1f}" cy="{yv(v):.1f}" r="5" fill="{fill}" stroke="#175cd3" stroke-width="2">'
                   f'<title>{y}: {v / unit:,.1f} {escape(unit_label)}{"" if complete else " (YTD)"}</title></circle>'
                   f'<text x="{x(y) + 8:.1f}" y="{yv(v) - 6:.1f}">{v / unit:,.1f}</text>')
    out.append("</svg>")
    return "".join(out)


def progress_bar(value: int, target: int) -> str:
    """A single horizontal progress bar with the percentage (robots deployed vs the year's target)."""
    share = 0.0 if target <= 0 else min(value / target, 1.0)
    return (f'<svg viewBox="0 0 400 28" width="100%" role="img" aria-label="progress">'
            f'<rect x="0" y="6" width="400" height="14" rx="7" fill="#f2f4f7"/>'
            f'<rect x="0" y="6" width="{400 * share:.1f}" height="14" rx="7" fill="#067647"/>'
            f'<text x="396" y="18" text-anchor="end">{100 * value / target if target else 0:.1f}%</text></svg>')
