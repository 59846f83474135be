"""The planner's Excel workbook: template, example and reader.

Sheets (one header row each; ``yuzhi schedule template`` writes them with a note on every column):

``orders``
    ``order`` · ``product`` · ``quantity`` · ``release`` · ``due`` · ``deadline`` · ``weight``
``routings``
    ``product`` · ``step`` · ``machine`` · ``time_per_unit`` · ``fixed_time`` · ``family`` · ``after`` ·
    ``breakable``. Several rows with the same product and step are alternative machines. The
    processing time of a step for an order is ``fixed_time + ceil(quantity × time_per_unit)``.
    ``after`` lists the steps (comma-separated) this one waits for; blank means the previous step.
``machines``
    ``machine`` · ``description``
``calendars``
    ``machine`` (or ``*`` for all) · ``start`` · ``end`` · ``reason`` · ``repeat_every`` · ``until``:
    periods when a machine cannot work (nights, breaks, maintenance). ``repeat_every`` repeats the
    period (e.g. 1440 for every day) until ``until``.
``changeovers``
    ``from_family`` · ``to_family`` · ``time``: sequence-dependent changeover on a machine.
``settings``
    ``key`` · ``value``: ``time_unit`` (default ``min``) and ``plan_start`` (a date-time; when given,
    date-time cells anywhere are converted to time units after it).

Times are whole numbers of the time unit counted from the plan start (or date-times, see above).
Errors name the sheet, row and column.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Literal, overload

from yuzhi.errors import InvalidInput
from yuzhi.schedule.problem import Job, Machine, Mode, Operation, Problem

__all__ = ["SHEETS", "read_workbook", "write_template"]

SHEETS: dict[str, list[tuple[str, str]]] = {
    "orders": [
        ("order", "Order number (unique). 订单号"),
        ("product", "Product; its routing is on the 'routings' sheet. 产品"),
        ("quantity", "Units to make (≥ 1). 数量"),
        ("release", "Earliest start (material ready), time units from plan start; blank = 0. 最早开工"),
        ("due", "Due date (soft: lateness is minimised by tardiness objectives). 交期"),
        ("deadline", "Hard deadline (optional): a plan that misses it is infeasible. 最晚完工"),
        ("weight", "Priority weight for weighted objectives; blank = 1. 权重"),
    ],
    "routings": [
        ("product", "Product this step belongs to. 产品"),
        ("step", "Step number within the product (integer). Same step on several rows = alternative machines. 工序"),
        ("machine", "Eligible machine (name from 'machines'). 设备"),
        ("time_per_unit", "Processing time per unit on this machine (may be fractional). 单件工时"),
        ("fixed_time", "Fixed time per order on this machine (loading, first-piece check); blank = 0. 固定工时"),
        ("family", "Setup family (changeovers between families on 'changeovers'); blank = none. 换型族"),
        ("after", "Steps this one waits for, comma-separated; blank = the previous step. 前道工序"),
        ("breakable", "yes = may pause over a break and resume; blank/no = must fit between breaks. 可中断"),
    ],
    "machines": [
        ("machine", "Machine name (unique). 设备"),
        ("description", "Free text. 说明"),
    ],
    "calendars": [
        ("machine", "Machine name, or * for every machine. 设备"),
        ("start", "Start of an unavailable period (time units or date-time). 开始"),
        ("end", "End of the period (exclusive). 结束"),
        ("reason", "Night shift off, break, maintenance, ... 原因"),
        ("repeat_every", "Repeat the period every N time units (e.g. 1440 = daily); blank = once. 重复周期"),
        ("until", "Last time a repeated period may start; required with repeat_every. 重复截止"),
    ],
    "changeovers": [
        ("from_family", "Family of the previous operation on a machine. 前换型族"),
        ("to_family", "Family of the next operation. 后换型族"),
        ("time", "Changeover time between them (missing pairs = 0). 换型时间"),
    ],
    "settings": [
        ("key", "time_unit or plan_start. 参数"),
        ("value", "e.g. min, or 2026-03-02 08:00. 值"),
    ],
}

README = [
    "yuzhi production scheduling workbook — 豫智 生产计划模板",
    "",
    "Fill the sheets 'machines', 'routings', 'orders'; optionally 'calendars', 'changeovers', 'settings'.",
    "Each column header has a note (hover) saying what goes there.",
    "Times are whole time units (minutes by default) from the plan start, or date-times if",
    "settings.plan_start is given.",
    "",
    "Then:  yuzhi schedule solve plan.xlsx --objective weighted-tardiness --out schedule.json",
    "       yuzhi schedule gantt schedule.json --instance plan.xlsx --out gantt.html",
]


def _example_rows() -> dict[str, list[list[Any]]]:
    return {
        "machines": [
            ["CNC-1", "3-axis mill"],
            ["CNC-2", "3-axis mill (older, slower)"],
            ["LATHE", "CNC lathe"],
            ["PAINT", "paint line"],
        ],
        "routings": [
            ["bracket", 1, "CNC-1", 2, 10, "steel", "", ""],
            ["bracket", 1, "CNC-2", 3, 10, "steel", "", ""],
            ["bracket", 2, "PAINT", 1, 15, "grey", "", "yes"],
            ["shaft", 1, "LATHE", 4, 5, "", "", ""],
            ["shaft", 2, "CNC-1", 1, 10, "alu", "", ""],
            ["shaft", 2, "CNC-2", 1.5, 10, "alu", "", ""],
            ["housing", 1, "CNC-1", 5, 20, "alu", "", ""],
            ["housing", 2, "LATHE", 2, 10, "", "", ""],
            ["housing", 3, "PAINT", 1, 15, "blue", "1,2", "yes"],
        ],
        "orders": [
            ["SO-1001", "bracket", 40, 0, 200, "", 2],
            ["SO-1002", "shaft", 25, 0, 150, "", 1],
            ["SO-1003", "housing", 10, 60, 480, 600, 3],
            ["SO-1004", "bracket", 20, 120, 420, "", 1],
            ["SO-1005", "shaft", 30, 0, 220, "", 1],
        ],
        "calendars": [
            ["*", 240, 270, "lunch break", "", ""],
            ["PAINT", 0, 60, "line warm-up / cleaning", "", ""],
            ["CNC-2", 300, 420, "planned maintenance", "", ""],
        ],
        "changeovers": [
            ["steel", "alu", 25],
            ["alu", "steel", 30],
            ["grey", "blue", 20],
            ["blue", "grey", 20],
        ],
        "settings": [["time_unit", "min"]],
    }


def write_template(path: str | Path, *, example: bool = False) -> Path:
    """Write the annotated workbook (empty, or with a small worked ``example``)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "README"
    for i, line in enumerate(README, start=1):
        ws.cell(row=i, column=1, value=line)
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 100
    rows = _example_rows() if example else {}
    fill = PatternFill("solid", fgColor="DDEBF7")
    for sheet, cols in SHEETS.items():
        s = wb.create_sheet(sheet)
        for c, (name, note) in enumerate(cols, start=1):
            cell = s.cell(row=1, column=c, value=name)
            cell.font = Font(bold=True)
            cell.fill = fill
            cell.comment = Comment(note, "yuzhi")
            s.column_dimensions[cell.column_letter].width = max(12, len(name) + 4)
        s.freeze_panes = "A2"
        for r, values in enumerate(rows.get(sheet, []), start=2):
            for c, v in enumerate(values, start=1):
                if v != "":
                    s.cell(row=r, column=c, value=v)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb.save(p)
    return p


class _Sheet:
    """Rows of one sheet as dicts keyed by header, with error helpers naming sheet, row and column."""

    def __init__(self, wb: Any, name: str, required: bool, ctx: dict[str, Any]) -> None:
        self.name = name
        self.ctx = ctx
        self.rows: list[tuple[int, dict[str, Any]]] = []
        if name not in wb.sheetnames:
            if required:
                raise InvalidInput(
                    f"the workbook has no '{name}' sheet",
                    field=f"sheet '{name}'",
                    fix="start from `yuzhi schedule template`",
                )
            return
        ws = wb[name]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            return
        cols = [str(h).strip().lower() if h is not None else "" for h in header]
        expected = [c for c, _ in SHEETS[name]]
        for c in expected[:1]:
            if c not in cols:
                raise InvalidInput(
                    f"sheet '{name}' has no column '{c}'",
                    field=f"sheet '{name}', row 1",
                    fix=f"headers are: {', '.join(expected)}",
                )
        for r, values in enumerate(it, start=2):
            if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            self.rows.append((r, {cols[i]: v for i, v in enumerate(values) if i < len(cols) and cols[i]}))

    def where(self, row: int, col: str) -> str:
        return f"sheet '{self.name}', row {row}, column '{col}'"

    def text(self, row: int, d: dict[str, Any], col: str, *, required: bool = True) -> str:
        v = d.get(col)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                raise InvalidInput("is empty", field=self.where(row, col), fix=f"fill in '{col}'")
            return ""
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()

    @overload
    def number(self, row: int, d: dict[str, Any], col: str, *, default: float | None = None,
               integer: bool, minimum: float = 0) -> float | None: ...

    @overload
    def number(self, row: int, d: dict[str, Any], col: str, *, default: int | None = None,
               integer: Literal[True] = True, minimum: float = 0) -> int | None: ...

    def number(
        self,
        row: int,
        d: dict[str, Any],
        col: str,
        *,
        default: float | None = None,
        integer: bool = True,
        minimum: float = 0,
    ) -> float | None:
        v = d.get(col)
        if v is None or (isinstance(v, str) and not v.strip()):
            return default
        if isinstance(v, dt.datetime | dt.date):
            start = self.ctx.get("plan_start")
            if start is None:
                raise InvalidInput(
                    "is a date-time but settings has no plan_start",
                    field=self.where(row, col),
                    fix="add 'plan_start' on the 'settings' sheet, or give time units",
                )
            if not isinstance(v, dt.datetime):
                v = dt.datetime.combine(v, dt.time())
            v = (v - start).total_seconds() / self.ctx["unit_seconds"]
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise InvalidInput(f"{v!r} is not a number", field=self.where(row, col)) from None
        if x < minimum:
            raise InvalidInput(
                f"{x:g} is below {minimum:g}",
                field=self.where(row, col),
                fix="times, quantities and weights cannot be negative",
            )
        if integer and not x.is_integer():
            raise InvalidInput(f"{x:g} is not a whole number", field=self.where(row, col), fix="use whole time units")
        return int(x) if integer else x


_UNITS = {"s": 1, "sec": 1, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600}


def _settings(wb: Any, ctx: dict[str, Any]) -> str:
    """The ``settings`` sheet: returns the time unit; puts ``unit_seconds`` and ``plan_start`` in ``ctx``."""
    settings = _Sheet(wb, "settings", False, ctx)
    time_unit = "min"
    for r, d in settings.rows:
        key = settings.text(r, d, "key").lower()
        if key == "time_unit":
            time_unit = settings.text(r, d, "value")
            if time_unit not in _UNITS:
                raise InvalidInput(
                    f"unknown time unit {time_unit!r}",
                    field=settings.where(r, "value"),
                    fix=f"use one of {', '.join(_UNITS)}",
                )
            ctx["unit_seconds"] = _UNITS[time_unit]
        elif key == "plan_start":
            v = d.get("value")
            if isinstance(v, str):
                try:
                    v = dt.datetime.fromisoformat(v.strip())
                except ValueError:
                    raise InvalidInput(f"{v!r} is not a date-time", field=settings.where(r, "value")) from None
            if not isinstance(v, dt.datetime):
                raise InvalidInput("plan_start must be a date-time", field=settings.where(r, "value"))
            ctx["plan_start"] = v
    return time_unit


def _machines(wb: Any, ctx: dict[str, Any]) -> tuple[list[str], dict[str, int]]:
    """Machine names in sheet order and their indices (a duplicate or an empty sheet is an error)."""
    ms = _Sheet(wb, "machines", True, ctx)
    names: list[str] = []
    for r, d in ms.rows:
        n = ms.text(r, d, "machine")
        if n in names:
            raise InvalidInput(f"machine {n!r} is listed twice", field=ms.where(r, "machine"))
        names.append(n)
    if not names:
        raise InvalidInput("no machines", field="sheet 'machines'", fix="list at least one machine")
    mindex = {n: i for i, n in enumerate(names)}
    return names, mindex


def _calendars(wb: Any, ctx: dict[str, Any], names: list[str], mindex: dict[str, int]) -> tuple[Machine, ...]:
    """Machines with their unavailable periods (``repeat_every`` unrolled up to ``until``)."""
    unavailable: list[list[tuple[int, int]]] = [[] for _ in names]
    cal = _Sheet(wb, "calendars", False, ctx)
    for r, d in cal.rows:
        mname = cal.text(r, d, "machine")
        targets = list(range(len(names))) if mname == "*" else [mindex.get(mname, -1)]
        if targets == [-1]:
            raise InvalidInput(
                f"unknown machine {mname!r}",
                field=cal.where(r, "machine"),
                fix="use a name from the 'machines' sheet or *",
            )
        s = cal.number(r, d, "start")
        e = cal.number(r, d, "end")
        if s is None or e is None:
            raise InvalidInput("start and end are required", field=cal.where(r, "start" if s is None else "end"))
        if e <= s:
            raise InvalidInput(f"end {e} is not after start {s}", field=cal.where(r, "end"))
        every = cal.number(r, d, "repeat_every", minimum=1)
        until = cal.number(r, d, "until")
        if every is not None and until is None:
            raise InvalidInput("repeat_every needs until", field=cal.where(r, "until"))
        while True:
            for t in targets:
                unavailable[t].append((int(s), int(e)))
            if every is None or until is None:  # until is set whenever every is (checked above)
                break
            s, e = s + every, e + every
            if s > until:
                break
    return tuple(Machine(n, tuple(u)) for n, u in zip(names, unavailable, strict=True))


def _routings(wb: Any, ctx: dict[str, Any], mindex: dict[str, int]) -> tuple[Any, dict[str, dict[int, dict[str, Any]]]]:
    """Per product, per step: alternative machines ``(machine, per_unit, fixed)``, family, after, breakable."""
    rt = _Sheet(wb, "routings", True, ctx)
    routing: dict[str, dict[int, dict[str, Any]]] = {}
    for r, d in rt.rows:
        prod = rt.text(r, d, "product")
        step = int(rt.number(r, d, "step", minimum=0) or 0)
        if d.get("step") is None:
            raise InvalidInput("is empty", field=rt.where(r, "step"), fix="number the steps 1, 2, 3, ...")
        mname = rt.text(r, d, "machine")
        if mname not in mindex:
            raise InvalidInput(
                f"unknown machine {mname!r}", field=rt.where(r, "machine"), fix="use a name from the 'machines' sheet"
            )
        per_unit = rt.number(r, d, "time_per_unit", default=0.0, integer=False) or 0.0
        fixed_t = rt.number(r, d, "fixed_time", default=0, integer=False) or 0.0
        family = rt.text(r, d, "family", required=False)
        after = rt.text(r, d, "after", required=False)
        brk = rt.text(r, d, "breakable", required=False).lower() in ("yes", "y", "true", "1", "是")
        st = routing.setdefault(prod, {}).setdefault(
            step, {"modes": [], "family": family, "after": after, "breakable": brk, "row": r}
        )
        if any(m == mindex[mname] for m, *_ in st["modes"]):
            raise InvalidInput(
                f"machine {mname!r} is listed twice for {prod} step {step}", field=rt.where(r, "machine")
            )
        if family != st["family"] or after != st["after"]:
            raise InvalidInput(
                f"rows of {prod} step {step} disagree on family/after",
                field=rt.where(r, "family"),
                fix="give every alternative machine the same values",
            )
        st["modes"].append((mindex[mname], per_unit, fixed_t))
    return rt, routing


def _changeovers(wb: Any, ctx: dict[str, Any], fam: Any) -> list[tuple[int, int, int]]:
    """(from family, to family, time) triples; families are numbered on first sight by ``fam``."""
    ch = _Sheet(wb, "changeovers", False, ctx)
    pairs = []
    for r, d in ch.rows:
        a, b = ch.text(r, d, "from_family"), ch.text(r, d, "to_family")
        t = ch.number(r, d, "time", default=0)
        pairs.append((fam(a), fam(b), int(t or 0)))
    return pairs


def _arcs(rt: Any, st: dict[str, Any], prod: str, pos: dict[int, int], i: int) -> list[tuple[int, int]]:
    """Precedence arcs into operation ``i``: from its ``after`` steps, else from the previous step."""
    arcs: list[tuple[int, int]] = []
    if st["after"]:
        for tok in str(st["after"]).replace(";", ",").split(","):
            tok = tok.strip()
            if not tok:
                continue
            try:
                p = int(float(tok))
            except ValueError:
                p = -1
            if p not in pos:
                raise InvalidInput(f"step {tok!r} of product {prod} does not exist", field=rt.where(st["row"], "after"))
            arcs.append((pos[p], i))
    elif i > 0:
        arcs.append((i - 1, i))
    return arcs


def _orders(
    wb: Any, ctx: dict[str, Any], rt: Any, routing: dict[str, dict[int, dict[str, Any]]], fam: Any
) -> list[Job]:
    """One job per order row: the product's routing scaled by the quantity."""
    od = _Sheet(wb, "orders", True, ctx)
    jobs = []
    seen: set[str] = set()
    for r, d in od.rows:
        name = od.text(r, d, "order")
        if name in seen:
            raise InvalidInput(f"order {name!r} is listed twice", field=od.where(r, "order"))
        seen.add(name)
        prod = od.text(r, d, "product")
        if prod not in routing:
            raise InvalidInput(
                f"product {prod!r} has no routing",
                field=od.where(r, "product"),
                fix="add its steps on the 'routings' sheet",
            )
        qty = od.number(r, d, "quantity", default=1, minimum=1)
        steps = sorted(routing[prod])
        pos = {s: i for i, s in enumerate(steps)}
        ops, arcs = [], []
        for i, s in enumerate(steps):
            st = routing[prod][s]
            modes = tuple(Mode(m, round(fx) + math.ceil(qty * pu - 1e-9)) for m, pu, fx in st["modes"])
            ops.append(
                Operation(
                    modes=modes,
                    family=fam(st["family"]) if st["family"] else None,
                    breakable=st["breakable"],
                    name=f"{prod}/{s}",
                )
            )
            arcs += _arcs(rt, st, prod, pos, i)
        jobs.append(
            Job(
                operations=tuple(ops),
                precedences=tuple(arcs),
                release=int(od.number(r, d, "release", default=0) or 0),
                due=od.number(r, d, "due"),
                deadline=od.number(r, d, "deadline"),
                weight=int(od.number(r, d, "weight", default=1) or 0),
                name=name,
            )
        )
    return jobs


def read_workbook(path: str | Path) -> Problem:
    """Read a planner's workbook into a :class:`Problem` (see the module docstring for the sheets).

    Raises
    ------
    InvalidInput
        Naming the sheet, row and column of the first bad cell.
    """
    from openpyxl import load_workbook

    try:
        wb = load_workbook(Path(path), data_only=True, read_only=True)
    except Exception as exc:  # openpyxl raises many types for a non-workbook
        raise InvalidInput(
            f"cannot open {Path(path).name} as an Excel workbook: {exc}", field="instance", fix="save it as .xlsx"
        ) from None
    ctx: dict[str, Any] = {"unit_seconds": 60}
    time_unit = _settings(wb, ctx)
    names, mindex = _machines(wb, ctx)
    machines = _calendars(wb, ctx, names, mindex)
    families: list[str] = []

    def fam(name: str) -> int:
        if name not in families:
            families.append(name)
        return families.index(name)

    rt, routing = _routings(wb, ctx, mindex)
    pairs = _changeovers(wb, ctx, fam)
    jobs = _orders(wb, ctx, rt, routing, fam)
    if not jobs:
        raise InvalidInput("no orders", field="sheet 'orders'", fix="add at least one order")
    nf = len(families)
    matrix = [[0] * nf for _ in range(nf)]
    for a, b, t in pairs:
        matrix[a][b] = t
    return Problem(
        jobs=tuple(jobs),
        machines=machines,
        families=tuple(families),
        setup_times=tuple(tuple(r) for r in matrix) if nf else (),
        name=Path(path).stem,
        time_unit=time_unit,
        plan_start=ctx["plan_start"].isoformat() if "plan_start" in ctx else "",
    )
