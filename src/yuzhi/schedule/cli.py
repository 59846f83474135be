"""``yuzhi schedule``: solve, check, draw and re-plan production schedules.

Heavy imports (OR-Tools, Numba, Matplotlib) happen inside the commands so ``yuzhi --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(
    help="Production scheduling (AI+ 生产计划): job shop / flexible job shop / Excel plans → optimised, "
    "checked schedules, Gantt charts and re-planning.",
    no_args_is_help=True,
)

FORMAT_HELP = "Instance format: auto, jsplib, fjs, xlsx or json."


def _read(instance: Path, fmt: str):
    from yuzhi.schedule.readers import read_instance

    return read_instance(instance, fmt=fmt)


def _load_json(path: Path) -> dict:
    from yuzhi.errors import InvalidInput

    if not path.is_file():
        raise InvalidInput(f"no such file: {path}", field="schedule", fix="check the path")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path.name} is not valid JSON: {exc.msg}", field=f"{path.name}, line {exc.lineno}, column {exc.colno}"
        ) from None


def _print_result(r) -> None:
    from rich.console import Console

    c = Console()
    gap = "n/a" if r.gap is None else f"{100 * r.gap:.2f}%"
    c.print(f"status     {r.status.value}")
    if r.reason:
        c.print(f"reason     {r.reason}")
    c.print(f"objective  {r.objective_name} = {r.objective}")
    c.print(f"bound      {r.lower_bound}")
    c.print(f"gap        {gap}")
    c.print(f"makespan   {r.makespan}")
    c.print(f"time       {r.runtime:.1f} s")


def _solve_with_progress(fn, time_limit: float):
    """Run ``fn()`` in a thread while a Rich progress bar counts down the time limit."""
    import threading
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    box: dict = {}

    def target() -> None:
        try:
            box["r"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["e"] = exc

    th = threading.Thread(target=target, daemon=True)
    t0 = time.perf_counter()
    th.start()
    with Progress(TextColumn("solving"), BarColumn(), TimeElapsedColumn(), transient=True) as prog:
        task = prog.add_task("solve", total=time_limit)
        while th.is_alive():
            th.join(0.2)
            prog.update(task, completed=min(time.perf_counter() - t0, time_limit))
    if "e" in box:
        raise box["e"]
    return box["r"]


def _write(out: Path, doc: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


@app.command()
def solve(
    instance: Path = typer.Argument(..., help="Instance file (JSPLIB/Taillard, FJS, .xlsx or .json)."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Seconds."),
    workers: int = typer.Option(2, "--workers", help="CP-SAT worker threads."),
    objective: str = typer.Option(
        "makespan",
        "--objective",
        help="makespan, total-tardiness, weighted-tardiness, "
        "max-tardiness, late-jobs, weighted-late-jobs, total-completion, weighted-completion.",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    out: Path = typer.Option(..., "--out", help="Where to write schedule.json."),
    log: bool = typer.Option(False, "--log", help="Show the CP-SAT search log."),
) -> None:
    """Solve an instance; print status, objective, bound and gap; write schedule.json."""
    from yuzhi.schedule.objectives import check_objective
    from yuzhi.schedule.solve import solve as run

    check_objective(objective)
    problem = _read(instance, fmt)
    r = (
        _solve_with_progress(
            lambda: run(problem, time_limit=time_limit, workers=workers, objective=objective, seed=seed, log=log),
            time_limit,
        )
        if not log
        else run(problem, time_limit=time_limit, workers=workers, objective=objective, seed=seed, log=log)
    )
    doc = r.to_dict()
    doc["instance"] = str(instance)
    doc["problem"] = problem.to_dict()
    _write(out, doc)
    _print_result(r)
    typer.echo(f"wrote {out}")
    if r.status.value in ("infeasible", "unknown"):
        raise typer.Exit(1)


@app.command()
def check(
    instance: Path = typer.Argument(..., help="Instance file."),
    schedule: Path = typer.Argument(..., help="schedule.json to verify."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
) -> None:
    """Verify a schedule independently; list every violation (exit 1 if any)."""
    from yuzhi.schedule.check import check as run
    from yuzhi.schedule.check import schedule_from_json

    problem = _read(instance, fmt)
    ops = schedule_from_json(_load_json(schedule))
    bad = run(problem, ops)
    if not bad:
        typer.echo(f"OK: {len(ops)} operations, makespan {max((o.end for o in ops), default=0)}, no violation")
        return
    for v in bad:
        typer.echo(str(v))
    typer.echo(f"{len(bad)} violation(s)")
    raise typer.Exit(1)


@app.command()
def template(
    out: Path = typer.Option(Path("plan.xlsx"), "--out", help="Workbook to write."),
    example: bool = typer.Option(False, "--example", help="Fill in a small worked example (4 machines, 5 orders)."),
) -> None:
    """Write the annotated Excel workbook: orders, routings, machines, calendars, changeovers."""
    from yuzhi.schedule.workbook import write_template

    write_template(out, example=example)
    typer.echo(f"wrote {out}")


@app.command()
def gantt(
    schedule: Path = typer.Argument(..., help="schedule.json written by `solve` or `reschedule`."),
    out: Path = typer.Option(..., "--out", help="gantt.html (self-contained) or gantt.png."),
    instance: Path = typer.Option(None, "--instance", help="Instance file, if schedule.json does not embed it."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
) -> None:
    """Draw the Gantt chart per machine and per order, with idle time, changeovers, late orders."""
    from yuzhi.errors import InvalidInput
    from yuzhi.schedule.check import schedule_from_json
    from yuzhi.schedule.gantt import render_html, render_png, utilisation
    from yuzhi.schedule.problem import Problem

    doc = _load_json(schedule)
    if instance is not None:
        problem = _read(instance, fmt)
    elif isinstance(doc.get("problem"), dict):
        problem = Problem.from_dict(doc["problem"])
    else:
        raise InvalidInput(
            "schedule.json does not embed its instance", field="--instance", fix="pass --instance INSTANCE"
        )
    ops = schedule_from_json(doc)
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".html", ".htm"):
        out.write_text(
            render_html(
                problem,
                ops,
                status=str(doc.get("status", "")),
                objective=str(doc.get("objective", "")),
                value=doc.get("objective_value"),
            ),
            encoding="utf-8",
        )
    elif suffix == ".png":
        render_png(problem, ops, out)
    else:
        raise InvalidInput(f"unknown output type {suffix!r}", field="--out", fix="use .html or .png")
    for s in utilisation(problem, ops):
        typer.echo(
            f"{s.name:>12s}  utilisation {100 * s.utilisation:5.1f}%  busy {s.busy}  changeover {s.setup}  "
            f"idle {s.idle}"
        )
    typer.echo(f"wrote {out}")


def _parse_down(spec: str):
    from yuzhi.errors import InvalidInput
    from yuzhi.schedule.reschedule import MachineDown

    try:
        m, span = spec.split(":")
        a, b = span.split("-")
        return MachineDown(int(m), int(a), int(b))
    except ValueError:
        raise InvalidInput(f"--down {spec!r} must be MACHINE:START-END, e.g. 2:640-760", field="--down") from None


def _parse_late(spec: str):
    from yuzhi.errors import InvalidInput
    from yuzhi.schedule.reschedule import LateFinish

    try:
        j, k, e = (int(x) for x in spec.split(":"))
        return LateFinish(j, k, e)
    except ValueError:
        raise InvalidInput(f"--late {spec!r} must be JOB:OPERATION:END, e.g. 3:1:820", field="--late") from None


@app.command()
def reschedule(
    schedule: Path = typer.Argument(..., help="Current schedule.json (embeds its instance, or pass --instance)."),
    at: int = typer.Option(..., "--at", help="Current time t: operations started before t are frozen."),
    down: list[str] = typer.Option([], "--down", help="Machine down: MACHINE:START-END (repeatable)."),
    rush: list[Path] = typer.Option([], "--rush", help="Rush order(s): JSON job or list of jobs (repeatable)."),
    late: list[str] = typer.Option([], "--late", help="Operation finished late: JOB:OPERATION:END (repeatable)."),
    instance: Path = typer.Option(None, "--instance", help="Instance file, if schedule.json does not embed it."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    objective: str = typer.Option("makespan", "--objective", help="Objective as in `solve`."),
    deviation_weight: float = typer.Option(
        0.1, "--deviation-weight", help="Weight of the change from the current plan (0 = ignore it)."
    ),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Seconds."),
    workers: int = typer.Option(2, "--workers", help="CP-SAT worker threads."),
    out: Path = typer.Option(..., "--out", help="Where to write the new schedule.json."),
) -> None:
    """Re-plan from time t after events; freeze started work, change as little as needed."""
    from yuzhi.errors import InvalidInput
    from yuzhi.schedule.check import schedule_from_json
    from yuzhi.schedule.problem import Problem
    from yuzhi.schedule.reschedule import RushOrder
    from yuzhi.schedule.reschedule import reschedule as run

    doc = _load_json(schedule)
    if instance is not None:
        problem = _read(instance, fmt)
    elif isinstance(doc.get("problem"), dict):
        problem = Problem.from_dict(doc["problem"])
    else:
        raise InvalidInput(
            "schedule.json does not embed its instance", field="--instance", fix="pass --instance INSTANCE"
        )
    old = schedule_from_json(doc)
    events = [_parse_down(s) for s in down] + [_parse_late(s) for s in late]
    base = problem.to_dict()
    for path in rush:
        data = _load_json(path)
        for jd in data if isinstance(data, list) else [data]:
            one = Problem.from_dict({**base, "jobs": [jd]})
            events.append(RushOrder(one.jobs[0]))
    new_problem, r = _solve_with_progress(
        lambda: run(
            problem,
            old,
            at=at,
            events=events,
            objective=objective,
            time_limit=time_limit,
            workers=workers,
            deviation_weight=deviation_weight,
        ),
        time_limit,
    )
    moved = sum(
        1
        for o in r.operations
        if (o.job, o.operation) in {(p.job, p.operation) for p in old}
        and next(p for p in old if (p.job, p.operation) == (o.job, o.operation)) != o
    )
    doc2 = r.to_dict()
    doc2["rescheduled_at"] = at
    doc2["changed_operations"] = moved
    doc2["problem"] = new_problem.to_dict()
    _write(out, doc2)
    _print_result(r)
    typer.echo(f"changed    {moved} of {len(old)} operations")
    typer.echo(f"wrote {out}")
    if r.status.value in ("infeasible", "unknown"):
        raise typer.Exit(1)
