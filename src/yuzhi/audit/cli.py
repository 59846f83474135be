"""``yuzhi audit``: verify the hash-chained audit log, anchor its heads, rotate the anchor key."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command()
def verify(
    expect_head: str = typer.Option(None, help="combined head recorded earlier (optional: the anchors "
                                               "already detect deleted newest rows)"),
) -> None:
    """Recompute every chain, compare the heads with the signed anchors (kept outside the database)
    and the ledger with the digests the chain holds; report every edited, deleted, reordered or
    rewritten record. Exit 1 on any problem."""
    from yuzhi.audit.service import default_store, verify_chain
    from yuzhi.db import get_engine, transaction

    console = Console()
    store = default_store()
    with transaction(get_engine()) as s:
        problems, head, count = verify_chain(s, anchors=store)
    for p in problems:
        where = f"event {p.seq} (chain {p.chain})" if p.seq else "anchors/ledger"
        console.print(f"[red]✗ {where}:[/] {p.problem}")
    if expect_head and head != expect_head:
        console.print(f"[red]✗ head is {head}, expected {expect_head}: newest events were removed or added[/]")
        raise typer.Exit(1)
    if problems:
        console.print(f"  (anchors read from {store.path}; keys from {store.keys.path})")
        raise typer.Exit(1)
    report = store.read()
    console.print(f"[green]✓ {count} events, chain intact, ledger covered[/]; head {head}")
    if report.last is None:
        console.print(f"[yellow]! no anchors in {store.path} yet: removal of the newest events cannot be "
                      "detected until `yuzhi serve` (or `yuzhi audit anchor`) takes one[/]")
    else:
        console.print(f"  {report.count} signed anchors, newest #{report.last.n} at {report.last.at} "
                      f"(combined {report.last.combined[:16]}…) all still hold")


@app.command()
def anchor(force: bool = typer.Option(False, help="write a checkpoint even if no chain moved")) -> None:
    """Take a signed checkpoint of every chain's head now (``yuzhi serve`` does this by itself)."""
    from yuzhi.audit.service import anchor as take
    from yuzhi.audit.service import default_store
    from yuzhi.db import get_engine

    store = default_store()
    cp = take(get_engine(), store, force=force)
    if cp is None:
        typer.echo(f"no chain moved since the last anchor ({store.path})")
    else:
        typer.echo(f"anchor #{cp.n} at {cp.at}: {len(cp.heads)} chain(s) moved, combined {cp.combined} "
                   f"(key {cp.kid}) → {store.path}")


@app.command("adopt-ledger")
def adopt_ledger() -> None:
    """Once, after upgrading a database from before the audit chain covered the ledger: put the
    existing ledger transactions into the chain (as they stand; run `yuzhi ledger check` first)."""
    from yuzhi.audit.service import adopt_ledger as adopt
    from yuzhi.db import get_engine, transaction

    with transaction(get_engine()) as s:
        n = adopt(s)
    typer.echo(f"{n} ledger transaction(s) put into the audit chain")


@app.command("rotate-key")
def rotate_key() -> None:
    """Start signing anchors with a new random key; old keys stay in the ring to verify old anchors."""
    from yuzhi.audit.service import default_store

    store = default_store()
    if store.keys.env_secret:
        typer.echo("YUZHI_AUDIT_KEY is set and signs; rotate it by moving the old value into the key ring "
                   "file (see docs/security.md)", err=True)
        raise typer.Exit(2)
    key = store.keys.rotate()
    typer.echo(f"new anchor key {key.kid} in {store.keys.path} (mode 0600); keep a copy of this file offline")


@app.command("export-anchors")
def export_anchors(out: Path = typer.Argument(..., help="file to write (JSON lines, as stored)")) -> None:
    """Copy the signed anchors (e.g. daily, to a place the database administrators cannot write)."""
    from yuzhi.audit.service import default_store

    store = default_store()
    lines = [line for _, line in store.lines()]
    out.write_text("".join(line + "\n" for line in lines))
    typer.echo(f"{len(lines)} anchors → {out}")
