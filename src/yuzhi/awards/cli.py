"""``yuzhi awards``: the model registry and award books from a terminal (same services as the UI)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Model registry (备案) and one-off model awards: books check, disclosure, models.",
                  no_args_is_help=True)
console = Console()


def _fen(v: int) -> str:
    return f"{'-' if v < 0 else ''}{abs(v) // 100:,}.{abs(v) % 100:02d}"


@app.command()
def check() -> None:
    """Prove the award books: pool, commitments and payouts reconcile; once per model. Exit 1 on any problem."""
    from yuzhi.awards.reconcile import check_books
    from yuzhi.db import get_engine, transaction

    with transaction(get_engine()) as s:
        errors, summary = check_books(s)
    t = Table("year", "budget", "uncommitted", "committed", "paid", title="Award books (yuan)")
    for y, v in summary.items():
        t.add_row(str(y), *(_fen(v[k]) for k in ("budget_fen", "pool_fen", "committed_fen", "paid_fen")))
    console.print(t)
    for e in errors:
        console.print(f"[red]✗[/] {e}")
    if errors:
        raise typer.Exit(1)
    console.print("[green]✓ award books balance and reconcile[/]")


@app.command()
def disclosure(year: int = typer.Option(None, help="programme year (default: all)")) -> None:
    """The public disclosure list (公示) of approved and paid awards."""
    from yuzhi.awards import service
    from yuzhi.db import get_engine, transaction

    t = Table("year", "organisation", "model", "filing no.", "score", "granted (yuan)", "status")
    with transaction(get_engine()) as s:
        for r in service.disclosure(s, year=year):
            t.add_row(str(r["year"]), str(r["organisation"]), str(r["model"]), str(r["filing_no"]),
                      str(r["score"] if r["score"] is not None else "—"), _fen(int(r["granted_fen"])),  # type: ignore[call-overload]
                      str(r["status"]))
    console.print(t)


@app.command()
def models(status: str = typer.Option(None, help="submitted / verified / rejected")) -> None:
    """Every registered model with its filing and verified cases (office view)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.awards import service
    from yuzhi.db import get_engine, transaction

    t = Table("id", "org", "model", "domain", "filing no.", "filing date", "cases ✓/all", "status")
    with transaction(get_engine()) as s:
        rows, _ = service.list_models(s, actor=SYSTEM, status=status, limit=10_000)
        for m in rows:
            t.add_row(str(m.id), str(m.org_id), m.name, m.domain, m.filing_no or "—", str(m.filing_date or "—"),
                      f"{service.verified_cases(m)}/{len(m.cases)}", m.status)
    console.print(t)
