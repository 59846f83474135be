"""``yuzhi ledger``: prove the books."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The double-entry ledger (pool → quota → subsidy → settlement).", no_args_is_help=True)


@app.command()
def check() -> None:
    """Check every invariant: balanced transactions, no negative pool/quota, years isolated, and
    quotas, bills and settlements reconciled with the ledger. Exit 1 on any problem."""
    from yuzhi.db import get_engine, transaction
    from yuzhi.vouchers.reconcile import check_books

    console = Console()
    with transaction(get_engine()) as s:
        errors, summary = check_books(s)
    t = Table("year", "pool", "uncommitted", "quota outstanding", "payable", "paid", title="Books (fen)")
    for y, v in summary.items():
        t.add_row(str(y), *(f"{v[k]:,}" for k in ("pool_fen", "pool_remaining_fen", "quota_outstanding_fen",
                                                 "payable_fen", "paid_fen")))
    console.print(t)
    if errors:
        for e in errors:
            console.print(f"[red]✗[/] {e}")
        raise typer.Exit(1)
    console.print("[green]✓ books balance and reconcile[/]")
