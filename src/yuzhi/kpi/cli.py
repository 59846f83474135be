"""``yuzhi kpi``: the 2027 targets from a terminal — required path, report template and checks, dashboard."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from yuzhi.errors import InvalidInput

app = typer.Typer(help="2027 targets: required growth path, key-enterprise reports (Excel), dashboard, robots.",
                  no_args_is_help=True)
console = Console()


def _yi(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100_000_000_00:,.2f}"


@app.command()
def path(
    actual: list[str] = typer.Option([], help="a full-year actual as YEAR=亿元, e.g. --actual 2025=950 (repeatable)"),
    base: float = typer.Option(700, help="base-year industry scale, 亿元 (plan: about 700 at the end of 2024)"),
    base_year: int = typer.Option(2024),
    target: float = typer.Option(1600, help="target, 亿元 (plan: more than 1,600 by 2027)"),
    target_year: int = typer.Option(2027),
) -> None:
    """Print the plan's required growth path and the path recomputed from the latest actual (no database)."""
    from yuzhi.kpi.core import YI, PlanTargets, progress

    actuals: dict[int, int] = {}
    for a in actual:
        try:
            year_text, value_text = a.split("=", 1)
            actuals[int(year_text)] = round(float(value_text) * YI)
        except ValueError:
            raise InvalidInput(f"--actual {a!r} is not YEAR=亿元", field="actual",
                               fix="e.g. --actual 2025=950") from None
    t = PlanTargets(base_year=base_year, base_fen=round(base * YI), target_year=target_year,
                    target_fen=round(target * YI))
    p = progress(t, actuals)
    table = Table("year", "planned path (亿元)", "recomputed (亿元)", "actual (亿元)",
                  title=f"planned {100 * p.planned_cagr:.1f}%/yr · still required from {p.latest_year}: "
                        f"{100 * p.required_cagr:.1f}%/yr · {'on track' if p.on_track else 'behind'}")
    rec = dict(p.recomputed_path)
    for y, v in p.planned_path:
        table.add_row(str(y), _yi(v), _yi(rec.get(y)), _yi(actuals.get(y, t.base_fen if y == base_year else None)))
    console.print(table)


@app.command()
def template(out: Path = typer.Argument(Path("kpi-quarterly-template.xlsx"), help="where to write the .xlsx")) -> None:
    """Write the empty quarterly-report workbook (sheet 季度报表)."""
    from yuzhi.kpi import excel

    out.write_bytes(excel.template())
    console.print(f"wrote {out}")


@app.command("check-file")
def check_file(workbook: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Validate a filled-in workbook offline (no database): every error names its sheet, row and column."""
    from yuzhi.kpi import excel

    rows = excel.parse(workbook.read_bytes())
    t = Table("row", "uscc", "year", "Q", "AI revenue (yuan)", "R&D (yuan)", "employees", "AI products")
    for r in rows:
        t.add_row(str(r.row), r.uscc, str(r.year), str(r.quarter), f"{r.ai_revenue_fen / 100:,.2f}",
                  f"{r.rd_spend_fen / 100:,.2f}", str(r.employees), str(r.ai_products))
    console.print(t)
    console.print(f"[green]✓ {len(rows)} row(s) valid[/]")


@app.command()
def dashboard(year: int = typer.Option(..., help="calendar year"),
              xlsx: Path = typer.Option(None, help="also write the dashboard to this .xlsx file")) -> None:
    """Print the office dashboard for a year (from YUZHI_DATABASE_URL)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction
    from yuzhi.kpi import reports
    from yuzhi.web.exports import to_xlsx

    with transaction(get_engine()) as s:
        d = reports.dashboard(s, actor=SYSTEM, year=year)
    p = d.progress
    console.print(f"[bold]target[/] {_yi(d.targets.target_fen)} 亿元 by {d.targets.target_year}; "
                  f"latest full year {p.latest_year}: {_yi(p.latest_fen)} 亿元 "
                  f"({'on track' if p.on_track else 'behind'}, gap {_yi(p.gap_fen)}); "
                  f"still required {100 * p.required_cagr:.1f}%/yr")
    console.print(f"{year} YTD: confirmed {_yi(d.current.confirmed_fen)} + estimate {_yi(d.current.estimate_fen)} "
                  f"= {_yi(d.current.total_fen)} 亿元 · key enterprises {d.key_enterprises}, reporting "
                  f"{d.reporting_firms}, pending {d.pending_reports} ({d.flagged_reports} flagged)")
    console.print(f"robots {d.robots_deployed}/{d.robots_target} · awards paid {d.awards['awards_paid']} "
                  f"({d.awards['awards_paid_fen'] / 100:,.2f} yuan) · models in use {d.awards['models_in_use_total']}")
    t = Table("industry", "firms", "confirmed (亿元)", "estimate (亿元)")
    for name, firms, conf, est in d.by_industry:
        t.add_row(name, str(firms), _yi(conf), _yi(est))
    console.print(t)
    if xlsx:
        xlsx.write_bytes(to_xlsx(f"targets-{year}", ["section", "item", "value", "value2", "value3"],
                                 reports.export_rows(d)))
        console.print(f"wrote {xlsx}")
