"""``yuzhi audit``: verify the hash-chained audit log."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command()
def verify(
    expect_head: str = typer.Option(None, help="head hash recorded earlier; detects deleted newest rows"),
) -> None:
    """Recompute the chain; report every edited, deleted or reordered record. Exit 1 on any problem."""
    from yuzhi.audit.service import verify_chain
    from yuzhi.db import get_engine, transaction

    console = Console()
    with transaction(get_engine()) as s:
        problems, head, count = verify_chain(s)
    for p in problems:
        console.print(f"[red]✗ event {p.seq} (chain {p.chain}):[/] {p.problem}")
    if expect_head and head != expect_head:
        console.print(f"[red]✗ head is {head}, expected {expect_head}: newest events were removed or added[/]")
        raise typer.Exit(1)
    if problems:
        raise typer.Exit(1)
    console.print(f"[green]✓ {count} events, chain intact[/]; head {head}")
    console.print("  (keep the head: --expect-head detects the removal of the newest events)")
