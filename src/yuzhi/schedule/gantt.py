"""Gantt charts a planner can trust: per machine and per order, as self-contained HTML or PNG.

The HTML is one file with inline SVG and CSS (no script, no CDN: it opens on an air-gapped PC).
It shows operations coloured by order, changeovers (hatched, before the operation that needs them),
unavailable periods (grey), idle time (the white between bars), late orders (red outline and a
red row label, with due dates as red ticks), and a utilisation table per machine.

The PNG uses Matplotlib when installed, else Pillow.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yuzhi import fmt
from yuzhi.schedule.objectives import ScheduledOp, job_completion
from yuzhi.schedule.problem import Problem

__all__ = ["MachineStats", "clock", "render_html", "render_png", "utilisation"]

UNIT_SECONDS = {"s": 1, "sec": 1, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600}
# Calendar tick steps in seconds: an hour up to a week, so ticks land on shift boundaries.
_CAL_STEPS = (3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400)


def clock(problem: Problem) -> tuple[dt.datetime, int] | None:
    """(time 0 as an aware date-time, seconds per time unit) when the plan has a calendar, else None.

    A naive ``plan_start`` is the planner's wall clock, i.e. the display zone (Beijing time).
    """
    if not problem.plan_start:
        return None
    start = dt.datetime.fromisoformat(problem.plan_start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=fmt.local_zone())
    return start, UNIT_SECONDS.get(problem.time_unit or "min", 60)


def now_units(problem: Problem, now: dt.datetime | None = None) -> int | None:
    """Current time in the plan's time units after its start (None without a calendar)."""
    c = clock(problem)
    if c is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    return int((now - c[0]).total_seconds() // c[1])


_PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#86bcb6",
    "#8cd17d",
    "#b6992d",
    "#499894",
    "#d37295",
    "#a0cbe8",
    "#ffbe7d",
    "#f1ce63",
    "#d4a6c8",
]


@dataclass(frozen=True)
class MachineStats:
    """Busy, setup, unavailable and idle time of one machine over ``[0, makespan)``."""

    machine: int
    name: str
    busy: int
    setup: int
    unavailable: int
    idle: int
    utilisation: float  # busy / (makespan - unavailable)


def _setups(problem: Problem, ops: list[ScheduledOp]) -> list[tuple[int, int, int]]:
    """(machine, start, end) of each changeover, placed right before the operation that needs it."""
    out = []
    per: dict[int, list[ScheduledOp]] = {}
    for o in ops:
        per.setdefault(o.machine, []).append(o)
    for m, seq in per.items():
        seq.sort(key=lambda o: o.start)
        for a, b in itertools.pairwise(seq):
            fa = problem.jobs[a.job].operations[a.operation].family
            fb = problem.jobs[b.job].operations[b.operation].family
            s = problem.setup(fa, fb)
            if s:
                out.append((m, b.start - s, b.start))
    return out


def utilisation(problem: Problem, ops: list[ScheduledOp]) -> list[MachineStats]:
    """Per-machine time split over the plan horizon ``[0, makespan)``."""
    cmax = max((o.end for o in ops), default=0)
    setups = _setups(problem, ops)
    out = []
    for m, mach in enumerate(problem.machines):
        busy = sum(o.end - o.start for o in ops if o.machine == m)
        st = sum(e - s for mm, s, e in setups if mm == m)
        un = sum(max(0, min(b, cmax) - max(a, 0)) for a, b in mach.unavailable)
        # Paused breakable operations count their pause as unavailable, not busy.
        for o in ops:
            if o.machine == m:
                busy -= sum(max(0, min(o.end, b) - max(o.start, a)) for a, b in mach.unavailable)
        avail = max(cmax - un, 0)
        idle = max(avail - busy - st, 0)
        out.append(MachineStats(m, mach.name or f"M{m}", busy, st, un, idle, busy / avail if avail else 0.0))
    return out


def _late(problem: Problem, ops: list[ScheduledOp]) -> list[int]:
    comp = job_completion(problem, ops)
    return [max(0, comp[j] - job.due) if job.due is not None else 0 for j, job in enumerate(problem.jobs)]


class _Chart:
    """The two SVG charts of one page. A class, not closures inside :func:`render_html`: the axis,
    rows and bars share a dozen values (scale, calendar, late orders, changeovers)."""

    label_w, row_h, axis_h = 150, 22, 24

    def __init__(
        self,
        problem: Problem,
        ops: list[ScheduledOp],
        *,
        horizon: int,
        width: int,
        cal: tuple[dt.datetime, int] | None,
        now: dt.datetime | None,
        now_t: int | None,
        tr: Callable[[str], str] | None,
    ) -> None:
        self.problem, self.ops, self.horizon, self.width = problem, ops, horizon, width
        self.cal, self.now, self.now_t, self.tr = cal, now, now_t, tr
        self.scale = (width - self.label_w - 40) / horizon  # room for the last centred tick label
        self.late = _late(problem, ops)
        self.setups = _setups(problem, ops)

    def x(self, t: float) -> float:
        return self.label_w + t * self.scale

    def jname(self, j: int) -> str:
        return self.problem.jobs[j].name or f"J{j}"

    def _(self, text: str) -> str:
        return html.escape(self.tr(text) if self.tr else text)

    def tick_label(self, t: int) -> str:
        if self.cal is None:
            return str(t)
        when = fmt.to_local(self.cal[0] + dt.timedelta(seconds=t * self.cal[1]))
        return when.strftime("%m-%d %H:%M" if when.hour or when.minute else "%m-%d")

    def axis(self, height: int) -> list[str]:
        x, axis_h, horizon, cal = self.x, self.axis_h, self.horizon, self.cal
        if cal is None:
            step = _nice_step(horizon / 10)
        else:
            want = horizon * cal[1] / 8
            sec = next((c for c in _CAL_STEPS if c >= want), _CAL_STEPS[-1])
            step = max(sec // cal[1], 1)
        parts = []
        t = 0
        while t <= horizon:
            parts.append(
                f'<line x1="{x(t):.1f}" y1="{axis_h - 4}" x2="{x(t):.1f}" y2="{height}" class="grid"/>'
                f'<text x="{x(t):.1f}" y="{axis_h - 8}" class="tick">{self.tick_label(t)}</text>'
            )
            t += step
        if self.now_t is not None:
            parts.append(
                f'<line x1="{x(self.now_t):.1f}" y1="{axis_h - 4}" x2="{x(self.now_t):.1f}" y2="{height}" class="now">'
                f"<title>{self._('now')} {fmt.local_time(self.now or dt.datetime.now(dt.UTC))}</title></line>"
            )
        return parts

    def svg(self, kind: str) -> str:
        """The chart with one row per machine (``kind == "machine"``) or per order."""
        problem = self.problem
        rows = list(range(problem.n_machines)) if kind == "machine" else list(range(problem.n_jobs))
        height = self.axis_h + self.row_h * len(rows) + 6
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{height}" role="img">',
            '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#555" stroke-width="2"/></pattern></defs>',
        ]
        parts += self.axis(height)
        for i, r in enumerate(rows):
            y = self.axis_h + i * self.row_h
            if kind == "machine":
                label, cls, mine = self._machine_row(r, y, parts)
            else:
                label, cls, mine = self._order_row(r, y, parts)
            parts.append(f'<text x="4" y="{y + self.row_h - 7}" class="{cls}">{html.escape(label)}</text>')
            for o in mine:
                self._bar(o, y, kind, parts)
        parts.append("</svg>")
        return "\n".join(parts)

    def _machine_row(self, r: int, y: int, parts: list[str]) -> tuple[str, str, list[ScheduledOp]]:
        """Unavailable periods and changeovers of machine ``r``; its label, label class and operations."""
        x, row_h, scale, horizon = self.x, self.row_h, self.scale, self.horizon
        for a, b in self.problem.machines[r].unavailable:
            if a < horizon:
                parts.append(
                    f'<rect x="{x(a):.1f}" y="{y + 2}" width="{(min(b, horizon) - a) * scale:.1f}" '
                    f'height="{row_h - 4}" class="off"><title>unavailable [{a}, {b})</title></rect>'
                )
        for m, s, e in self.setups:
            if m == r:
                parts.append(
                    f'<rect x="{x(s):.1f}" y="{y + 2}" width="{(e - s) * scale:.1f}" '
                    f'height="{row_h - 4}" fill="url(#hatch)" class="setup">'
                    f"<title>changeover [{s}, {e})</title></rect>"
                )
        return self.problem.machines[r].name or f"M{r}", "lbl", [o for o in self.ops if o.machine == r]

    def _order_row(self, r: int, y: int, parts: list[str]) -> tuple[str, str, list[ScheduledOp]]:
        """The due-date tick of order ``r``; its label (with its lateness), label class and operations."""
        late, tr = self.late, self.tr
        label = self.jname(r) + (f"  {tr('late') if tr else 'late'} {late[r]}" if late[r] else "")
        cls = "lbl late" if late[r] else "lbl"
        due = self.problem.jobs[r].due
        if due is not None:
            parts.append(
                f'<line x1="{self.x(due):.1f}" y1="{y}" x2="{self.x(due):.1f}" y2="{y + self.row_h}" class="due">'
                f"<title>due {due}</title></line>"
            )
        return label, cls, [o for o in self.ops if o.job == r]

    def _bar(self, o: ScheduledOp, y: int, kind: str, parts: list[str]) -> None:
        problem, x, row_h = self.problem, self.x, self.row_h
        op = problem.jobs[o.job].operations[o.operation]
        tip = (
            f"{self.jname(o.job)} op {o.operation}{' ' + op.name if op.name else ''} on "
            f"{problem.machines[o.machine].name or o.machine}: [{o.start}, {o.end})"
        )
        stroke = ' class="bar late"' if self.late[o.job] else ' class="bar"'
        text = self.jname(o.job) if kind == "machine" else (problem.machines[o.machine].name or f"M{o.machine}")
        wbar = max((o.end - o.start) * self.scale, 1)
        parts.append(
            f'<g><rect x="{x(o.start):.1f}" y="{y + 2}" width="{wbar:.1f}" height="{row_h - 4}" '
            f'fill="{_PALETTE[o.job % len(_PALETTE)]}"{stroke}><title>{html.escape(tip)}</title></rect>'
        )
        if wbar > 7 * len(text):
            parts.append(f'<text x="{x(o.start) + 3:.1f}" y="{y + row_h - 7}" class="in">{html.escape(text)}</text>')
        parts.append("</g>")


def render_html(
    problem: Problem,
    ops: list[ScheduledOp],
    *,
    title: str = "",
    status: str = "",
    objective: str = "",
    value: int | None = None,
    width: int = 1100,
    now: dt.datetime | None = None,
    tr: Callable[[str], str] | None = None,
    lang: str = "",
) -> str:
    """A self-contained HTML page (inline SVG) with the per-machine and per-order Gantt charts.

    With a calendar (``problem.plan_start``) the axis shows dates and shift times in Beijing time and
    a "now" line at ``now`` (default: the current time) when it falls inside the plan; without one
    the axis counts time units from the start and says so. ``tr`` translates the labels (the web
    page passes its i18n; the CLI keeps the bilingual default).
    """
    cmax = max((o.end for o in ops), default=1) or 1
    horizon = max([cmax] + [j.due or 0 for j in problem.jobs])
    cal = clock(problem)
    now_t = now_units(problem, now) if cal else None
    if now_t is not None and not 0 <= now_t <= horizon:
        now_t = None

    def _(text: str) -> str:
        return html.escape(tr(text) if tr else text)

    chart = _Chart(problem, ops, horizon=horizon, width=width, cal=cal, now=now, now_t=now_t, tr=tr)
    late = chart.late
    jname = chart.jname
    svg_rows = chart.svg

    stats = utilisation(problem, ops)
    util_rows = "\n".join(
        f"<tr><td>{html.escape(s.name)}</td><td>{s.busy}</td><td>{s.setup}</td><td>{s.unavailable}</td>"
        f"<td>{s.idle}</td><td>{100 * s.utilisation:.1f}%</td></tr>"
        for s in stats
    )
    late_rows = (
        "\n".join(
            f"<tr><td>{html.escape(jname(j))}</td><td>{problem.jobs[j].due}</td><td>{late[j]}</td></tr>"
            for j in range(problem.n_jobs)
            if late[j]
        )
        or f'<tr><td colspan="3">{_("none — every order meets its due date")}</td></tr>'
    )

    def lab(en: str, zh: str) -> str:
        """The page's language when a translator is given, else both (the CLI's offline file)."""
        return _(en) if tr else f"{html.escape(en)} {zh}"

    head = html.escape(title or problem.name or "schedule")
    unit = problem.time_unit or "units"
    if cal is None:
        axis_note = lab("Axis: time from the plan start (the plan has no calendar date)", "横轴：自计划开始的时间")
        axis_note += f" [{html.escape(unit)}]"
    else:
        axis_note = (
            f"{lab('Axis: Beijing time; the plan starts', '横轴：北京时间；计划开始于')} {fmt.local_time(cal[0])}"
        )
        if now_t is not None:
            axis_note += f' · <span class="nowkey">{lab("now", "现在")}</span>'
    summary = f"{_('makespan')} {cmax}" + (f" · {_(objective)} {value}" if objective and value is not None else "")
    summary += f" · {_('status')} {_(status)}" if status else ""
    return f"""<!doctype html>
<html lang="{html.escape(lang or "en")}"><head><meta charset="utf-8"><title>{head} — Gantt</title>
<style>
body{{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:20px;color:#222}}
h1{{font-size:20px}} h2{{font-size:16px;margin-top:24px}}
.grid{{stroke:#e4e4e4}} .tick{{font-size:10px;fill:#666;text-anchor:middle}}
.lbl{{font-size:12px}} .lbl.late{{fill:#c00;font-weight:bold}} .in{{font-size:10px;fill:#fff;pointer-events:none}}
.bar{{stroke:#333;stroke-width:.5}} .bar.late{{stroke:#c00;stroke-width:2}}
.off{{fill:#bbb;opacity:.8}} .setup{{stroke:#555;stroke-width:.5}} .due{{stroke:#c00;stroke-width:2}}
.now{{stroke:#0a7;stroke-width:2;stroke-dasharray:4 2}} .nowkey{{color:#0a7;font-weight:bold}}
table{{border-collapse:collapse;font-size:13px}} td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}} .legend span{{display:inline-block;margin-right:14px;font-size:12px}}
.sw{{display:inline-block;width:14px;height:10px;border:1px solid #333;vertical-align:middle;margin-right:4px}}
</style></head><body>
<h1>{head} — {lab("Gantt chart", "甘特图")}</h1>
<p>{summary}</p>
<p class="axis" data-testid="axis">{axis_note}</p>
<p class="legend"><span><i class="sw" style="background:#bbb"></i>{lab("unavailable", "停机")}</span>
<span><i class="sw" style="background:repeating-linear-gradient(45deg,#555 0 2px,#fff 2px 5px)"></i>
{lab("changeover", "换型")}</span>
<span><i class="sw" style="border:2px solid #c00"></i>{lab("late order", "延期订单")}</span>
<span><i class="sw" style="background:#fff"></i>{lab("idle", "空闲")}</span></p>
<h2>{lab("Machines", "设备")}</h2>
{svg_rows("machine")}
<h2>{lab("Orders", "订单")}</h2>
{svg_rows("order")}
<h2>{lab("Utilisation", "设备利用率")} [0, {cmax})</h2>
<table><tr><th>{_("machine")}</th><th>{_("busy")}</th><th>{_("changeover")}</th><th>{_("unavailable")}</th>
<th>{_("idle")}</th><th>{_("utilisation")}</th></tr>
{util_rows}
</table>
<h2>{lab("Late orders", "延期订单")}</h2>
<table><tr><th>{_("order")}</th><th>{_("due")}</th><th>{_("tardiness")}</th></tr>
{late_rows}
</table>
</body></html>
"""


def _nice_step(raw: float) -> int:
    if raw <= 1:
        return 1
    mag = 10 ** (len(str(int(raw))) - 1)
    for f in (1, 2, 5, 10):
        if f * mag >= raw:
            return int(f * mag)
    return int(10 * mag)


def render_png(problem: Problem, ops: list[ScheduledOp], path: str | Path, *, title: str = "") -> Path:
    """Per-machine and per-order Gantt as a PNG (Matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    late = _late(problem, ops)
    setups = _setups(problem, ops)
    cmax = max((o.end for o in ops), default=1)
    fig, (a1, a2) = plt.subplots(
        2,
        1,
        figsize=(12, 1.8 + 0.35 * (problem.n_machines + problem.n_jobs)),
        gridspec_kw={"height_ratios": [max(problem.n_machines, 1), max(problem.n_jobs, 1)]},
    )
    for m, mach in enumerate(problem.machines):
        for a, b in mach.unavailable:
            if a < cmax:
                a1.barh(m, min(b, cmax) - a, left=a, color="#bbbbbb", height=0.8)
    for m, s, e in setups:
        a1.barh(m, e - s, left=s, color="white", edgecolor="#555", hatch="////", height=0.8, linewidth=0.5)
    for o in ops:
        c = _PALETTE[o.job % len(_PALETTE)]
        edge = "#cc0000" if late[o.job] else "#333"
        lw = 2 if late[o.job] else 0.5
        a1.barh(o.machine, o.end - o.start, left=o.start, color=c, edgecolor=edge, linewidth=lw, height=0.8)
        a2.barh(o.job, o.end - o.start, left=o.start, color=c, edgecolor=edge, linewidth=lw, height=0.8)
        name = problem.jobs[o.job].name or f"J{o.job}"
        if (o.end - o.start) > cmax / 25:
            a1.text(
                o.start + (o.end - o.start) / 2, o.machine, name, ha="center", va="center", fontsize=7, color="white"
            )
    for j, job in enumerate(problem.jobs):
        if job.due is not None:
            a2.plot([job.due, job.due], [j - 0.45, j + 0.45], color="#cc0000", linewidth=2)
    a1.set_yticks(range(problem.n_machines), [m.name or f"M{i}" for i, m in enumerate(problem.machines)])
    a2.set_yticks(
        range(problem.n_jobs),
        [(j.name or f"J{i}") + (f" (late {late[i]})" if late[i] else "") for i, j in enumerate(problem.jobs)],
    )
    for lab, lt in zip(a2.get_yticklabels(), late, strict=True):
        if lt:
            lab.set_color("#cc0000")
    right = max([cmax] + [j.due or 0 for j in problem.jobs]) * 1.02
    for ax in (a1, a2):
        ax.set_xlim(0, right)
        ax.invert_yaxis()
        ax.grid(axis="x", color="#e4e4e4")
        ax.set_axisbelow(True)
    a1.set_title(title or f"{problem.name or 'schedule'} — makespan {cmax} (grey: unavailable, hatched: changeover)")
    a2.set_title("orders (red: late, red tick: due date)")
    a2.set_xlabel(f"time [{problem.time_unit or 'units'}]")
    fig.tight_layout()
    p = Path(path)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p
