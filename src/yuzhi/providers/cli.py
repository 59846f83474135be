"""``yuzhi providers``: the provider whitelist from a terminal (acts as the programme office; audited)."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Provider whitelist: list, whitelist, suspend, resume.", no_args_is_help=True)
console = Console()


@app.command("list")
def list_() -> None:
    """Every whitelisted provider with its criterion, validity and status."""
    from yuzhi.db import get_engine, transaction
    from yuzhi.providers import service

    with transaction(get_engine()) as s:
        t = Table("id", "name", "org", "criterion", "valid", "status", title="Provider whitelist")
        for p in service.list_all(s):
            t.add_row(str(p.id), p.name, str(p.org_id), p.criterion, f"{p.valid_from}..{p.valid_to}",
                      p.status + (f" ({p.status_reason})" if p.status_reason else ""))
    console.print(t)


@app.command()
def whitelist(
    org_id: int = typer.Option(..., help="the provider's legal entity (organisation id)"),
    name: str = typer.Option(..., help="provider name"),
    criterion: str = typer.Option(..., help="national_supercomputing, ai_computing_100pf or data_centre_1000_racks"),
    valid_from: str = typer.Option(..., help="YYYY-MM-DD"),
    valid_to: str = typer.Option(..., help="YYYY-MM-DD"),
    evidence: str = typer.Option("", help="what qualifies it, e.g. '120 PFLOPS FP16, 2025 audit'"),
) -> None:
    """Whitelist a provider under one of the plan's criteria for a validity period."""
    from pydantic import ValidationError

    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction
    from yuzhi.providers import service
    from yuzhi.providers.models import Criterion
    from yuzhi.providers.schemas import ProviderCreate

    try:
        body = ProviderCreate(org_id=org_id, name=name, criterion=Criterion(criterion), evidence=evidence,
                              valid_from=date.fromisoformat(valid_from), valid_to=date.fromisoformat(valid_to))
    except (ValidationError, ValueError) as exc:
        console.print(f"[red]invalid input:[/] {exc}")
        raise typer.Exit(2) from None
    with transaction(get_engine()) as s:
        p = service.whitelist(s, actor=SYSTEM, provider_in=body)
        console.print(f"provider {p.id} {p.name} whitelisted ({p.valid_from} to {p.valid_to})")


def _set(provider_id: int, active: bool, reason: str) -> None:
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction
    from yuzhi.providers import service

    with transaction(get_engine()) as s:  # a domain error is printed by ``yuzhi.cli.main`` (exit 2)
        p = service.set_status(s, actor=SYSTEM, provider_id=provider_id, active=active, reason=reason)
        console.print(f"provider {p.id} {p.name}: {p.status}")


@app.command()
def suspend(provider_id: int = typer.Argument(...),
            reason: str = typer.Option(..., help="why (shown to units)")) -> None:
    """Suspend a provider: its bills stop generating subsidy."""
    _set(provider_id, False, reason)


@app.command()
def resume(provider_id: int = typer.Argument(...)) -> None:
    """Restore a suspended provider."""
    _set(provider_id, True, "")
