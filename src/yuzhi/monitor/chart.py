"""Sensor traces around an alarm as inline SVG (no JavaScript, no CDN), and the same as PNG.

Pure functions: ``traces`` maps a sensor key to ``(seconds, value)`` points; the alarm span is
shaded and limits are drawn as dashed lines. Each sensor gets its own stacked panel so units
never share an axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLORS = ("#175cd3", "#b3261e", "#027a48", "#b54708", "#6941c6", "#0e7090", "#c11574", "#475467")


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _panel_geometry(points: Sequence[tuple[float, float | None]], limits: Sequence[float],
                    t0: float, t1: float, width: int, height: int, pad_l: int, pad_r: int, pad_y: int):
    vals = [v for _, v in points if v is not None] + list(limits)
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    span = hi - lo
    lo, hi = lo - 0.08 * span, hi + 0.08 * span

    def x(t: float) -> float:
        return pad_l + (width - pad_l - pad_r) * (t - t0) / ((t1 - t0) or 1)

    def y(v: float) -> float:
        return pad_y + (height - 2 * pad_y) * (hi - v) / (hi - lo)

    return lo, hi, x, y


def traces_svg(traces: dict[str, list[tuple[float, float | None]]], *, span: tuple[float, float] | None = None,
               limits: dict[str, Sequence[float]] | None = None, highlight: str | None = None,
               width: int = 760, panel: int = 120, title: str = "") -> str:
    """Stacked line panels, one per sensor; ``span`` (seconds) shaded; ``limits`` dashed."""
    limits = limits or {}
    keys = list(traces)
    if highlight in keys:
        keys.remove(highlight)
        keys.insert(0, highlight)
    ts = [t for k in keys for t, _ in traces[k]]
    t0, t1 = (min(ts), max(ts)) if ts else (0.0, 1.0)
    pad_l, pad_r, pad_y = 120, 12, 14
    height = panel * max(len(keys), 1) + 24
    out = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(title)}" '
           f'font-size="11" font-family="sans-serif">']
    for i, key in enumerate(keys):
        pts = traces[key]
        top = i * panel
        lo, hi, x, y = _panel_geometry(pts, limits.get(key, ()), t0, t1, width, panel, pad_l, pad_r, pad_y)
        color = COLORS[i % len(COLORS)]
        out.append(f'<g transform="translate(0,{top})">')
        out.append(f'<rect x="{pad_l}" y="{pad_y}" width="{width - pad_l - pad_r}" height="{panel - 2 * pad_y}" '
                   f'fill="#fafafa" stroke="#ddd"/>')
        if span is not None:
            a, b = x(max(span[0], t0)), x(min(span[1], t1))
            out.append(f'<rect x="{a:.1f}" y="{pad_y}" width="{max(b - a, 1.5):.1f}" height="{panel - 2 * pad_y}" '
                       f'fill="#b3261e" fill-opacity="0.12"/>')
        for lim in limits.get(key, ()):
            out.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(lim):.1f}" y2="{y(lim):.1f}" '
                       f'stroke="#b3261e" stroke-dasharray="4 3"/><text x="{width - pad_r - 2}" '
                       f'y="{y(lim) - 2:.1f}" text-anchor="end" fill="#b3261e">{_fmt(lim)}</text>')
        path, pen = [], "M"
        for t, v in pts:
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{x(t):.1f},{y(v):.1f}")
            pen = "L"
        weight = 2 if key == highlight else 1.2
        out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="{weight}"/>')
        out.append(f'<text x="6" y="{panel / 2:.0f}" font-weight="{"bold" if key == highlight else "normal"}">'
                   f'{escape(key)}</text>')
        out.append(f'<text x="{pad_l - 4}" y="{pad_y + 9}" text-anchor="end" fill="#667">{_fmt(hi)}</text>'
                   f'<text x="{pad_l - 4}" y="{panel - pad_y}" text-anchor="end" fill="#667">{_fmt(lo)}</text>')
        out.append("</g>")
    out.append(f'<text x="{pad_l}" y="{height - 6}" fill="#667">{escape(title)}</text>')
    out.append("</svg>")
    return "".join(out)


def traces_png(path: str, traces: dict[str, list[tuple[float, float | None]]], *,
               span: tuple[float, float] | None = None, limits: dict[str, Sequence[float]] | None = None,
               highlight: str | None = None, width: int = 1000, panel: int = 150, title: str = "") -> None:
    """The same chart drawn with Pillow (for documentation images)."""
    from PIL import Image, ImageDraw

    limits = limits or {}
    keys = list(traces)
    if highlight in keys:
        keys.remove(highlight)
        keys.insert(0, highlight)
    ts = [t for k in keys for t, _ in traces[k]]
    t0, t1 = (min(ts), max(ts)) if ts else (0.0, 1.0)
    pad_l, pad_r, pad_y = 170, 16, 16
    height = panel * len(keys) + 30
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    for i, key in enumerate(keys):
        top = i * panel
        lo, hi, x, y = _panel_geometry(traces[key], limits.get(key, ()), t0, t1, width, panel, pad_l, pad_r, pad_y)
        d.rectangle([pad_l, top + pad_y, width - pad_r, top + panel - pad_y], fill="#fafafa", outline="#dddddd")
        if span is not None:
            a, b = x(max(span[0], t0)), x(min(span[1], t1))
            d.rectangle([a, top + pad_y, max(b, a + 2), top + panel - pad_y], fill="#f4dcda")
        for lim in limits.get(key, ()):
            yy = top + y(lim)
            for xx in range(pad_l, width - pad_r, 8):
                d.line([xx, yy, min(xx + 4, width - pad_r), yy], fill="#b3261e", width=1)
            d.text((width - pad_r - 40, yy - 12), _fmt(lim), fill="#b3261e")
        seg: list[tuple[float, float]] = []
        color = COLORS[i % len(COLORS)]
        for t, v in traces[key] + [(t1, None)]:
            if v is None:
                if len(seg) > 1:
                    d.line(seg, fill=color, width=2 if key == highlight else 1)
                seg = []
                continue
            seg.append((x(t), top + y(v)))
        d.text((8, top + panel / 2 - 6), key, fill="black")
        d.text((pad_l - 40, top + pad_y), _fmt(hi), fill="#666677")
        d.text((pad_l - 40, top + panel - pad_y - 12), _fmt(lo), fill="#666677")
    d.text((pad_l, height - 20), title, fill="#666677")
    img.save(path)
