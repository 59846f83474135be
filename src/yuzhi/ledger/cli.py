"""``yuzhi ledger``: prove the books."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The double-entry ledger (pool → quota → subsidy → settlement).", no_args_is_help=True)


@app.command()
def check() -> None:
    """Check every invariant: balanced transactions, no negative pool/quota, years isolated, and
    quotas, bills, settlements and awards reconciled with the ledger. Exit 1 on any problem."""
    from yuzhi.db import get_engine, transaction
    from yuzhi.vouchers.reconcile import check_books

    console = Console()
    from yuzhi.awards.reconcile import check_books as check_award_books

    with transaction(get_engine()) as s:
        errors, summary = check_books(s)
        award_errors, award_summary = check_award_books(s)
    errors += award_errors
    t = Table("year", "pool", "uncommitted", "quota outstanding", "payable", "paid", "receivable", "repaid",
              title="Books (fen)")
    for y, v in summary.items():
        t.add_row(str(y), *(f"{v[k]:,}" for k in ("pool_fen", "pool_remaining_fen", "quota_outstanding_fen",
                                                 "payable_fen", "paid_fen", "receivable_fen", "repaid_fen")))
    console.print(t)
    if award_summary:
        at = Table("year", *next(iter(award_summary.values())).keys(), title="Award books (fen)")
        for y, v in award_summary.items():
            at.add_row(str(y), *(f"{x:,}" for x in v.values()))
        console.print(at)
    if errors:
        for e in errors:
            console.print(f"[red]✗[/] {e}")
        raise typer.Exit(1)
    console.print("[green]✓ books balance and reconcile[/]")
