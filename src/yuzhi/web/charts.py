"""Small server-rendered SVG charts: no JavaScript library, no CDN, works offline and in print."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def bar_chart(labels: Sequence[str], values: Sequence[int | float], *, width: int = 560, height: int = 220,
              color: str = "#b3261e", fmt=lambda v: f"{v:,.0f}", title: str = "") -> str:
    """Vertical bars with value labels. ``values`` are already in display units."""
    n = max(len(values), 1)
    top = max([float(v) for v in values] + [1.0])
    pad_l, pad_b, pad_t = 10, 28, 18
    bw = (width - pad_l * 2) / n
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(title)}">']
    for i, (lab, v) in enumerate(zip(labels, values, strict=False)):
        h = (height - pad_b - pad_t) * float(v) / top
        x = pad_l + i * bw + bw * 0.15
        y = height - pad_b - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw * 0.7:.1f}" height="{h:.1f}" fill="{color}" rx="2">'
                     f'<title>{escape(str(lab))}: {escape(fmt(v))}</title></rect>')
        parts.append(f'<text x="{x + bw * 0.35:.1f}" y="{height - pad_b + 14}" text-anchor="middle">'
                     f'{escape(str(lab))}</text>')
        if v:
            parts.append(f'<text x="{x + bw * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle">{escape(fmt(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(labels: Sequence[str], values: Sequence[int | float], *, width: int = 560, row: int = 22,
               color: str = "#175cd3", fmt=lambda v: f"{v:,.0f}") -> str:
    """Horizontal bars, one row per label (for rankings and breakdowns)."""
    top = max([float(v) for v in values] + [1.0])
    height = row * max(len(values), 1) + 6
    label_w = 150
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%">']
    for i, (lab, v) in enumerate(zip(labels, values, strict=False)):
        y = i * row + 3
        w = (width - label_w - 90) * float(v) / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(str(lab))[:22]}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{color}" rx="2"/>')
        parts.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 14}">{escape(fmt(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)
