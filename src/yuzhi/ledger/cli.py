"""``yuzhi ledger``: prove the books (every book a domain registered; see ``yuzhi.ledger.books``)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The double-entry ledger (pool → quota → subsidy → settlement).", no_args_is_help=True)


@app.command()
def check() -> None:
    """Check every invariant: balanced transactions, years isolated, every account of a registered
    type and on its side (pools, quotas, payables, award accounts never negative; receivables never
    positive), and each domain's books (quotas, bills, settlements, clawbacks, awards) reconciled
    with the ledger. Exit 1 on any problem."""
    from yuzhi.db import get_engine, transaction
    from yuzhi.ledger import books

    console = Console()
    with transaction(get_engine()) as s:
        result = books.check_all(s)
    for book in books.books():
        summary = result.summaries.get(book.name) or {}
        if not summary:
            continue
        t = Table("year", *next(iter(summary.values())).keys(), title=book.title)
        for y, v in summary.items():
            t.add_row(str(y), *(f"{x:,}" for x in v.values()))
        console.print(t)
    if result.errors:
        for e in result.errors:
            console.print(f"[red]✗[/] {e}")
        raise typer.Exit(1)
    console.print("[green]✓ books balance and reconcile[/]")
