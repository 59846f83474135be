"""``yuzhi vouchers``: the programme office's batch work from a terminal (same services as the UI)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Compute-voucher programme (算力券): years, bills import, settlement, year end.",
                  no_args_is_help=True)
console = Console()


def _fen(v: int) -> str:
    return f"{'-' if v < 0 else ''}{abs(v) // 100:,}.{abs(v) % 100:02d}"


@app.command("programmes")
def programmes() -> None:
    """List programme years with pool and remaining amounts (yuan)."""
    from yuzhi.db import get_engine, transaction
    from yuzhi.vouchers import service

    t = Table("year", "name", "pool", "remaining", "rate", "cap/unit", "mode", "status")
    with transaction(get_engine()) as s:
        for p in service.list_programmes(s):
            t.add_row(str(p.year), p.name, _fen(p.pool_fen), _fen(service.pool_remaining(s, p)),
                      f"{p.rate_bp / 100:g}%", _fen(p.unit_cap_fen), p.settlement_mode, p.status)
    console.print(t)


@app.command("import-bills")
def import_bills(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with columns invoice_no, "
                                "customer_uscc, period_start, period_end and amount_yuan (1,234.56 / 50万) "
                                "or amount_fen"),
    provider: str = typer.Option(None, "--provider", help="the provider that issued the bills: name, USCC or id"),
    provider_id: int = typer.Option(None, help="the same, by id (kept for scripts)"),
) -> None:
    """Record a provider's bills from CSV in one transaction: any bad row aborts the whole file, naming the row and the field, and nothing is written."""  # noqa: E501 - one line, so --help shows it whole
    from pydantic import ValidationError

    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction
    from yuzhi.errors import DomainError, InvalidInput
    from yuzhi.fmt import MoneyError, parse_money
    from yuzhi.vouchers import service
    from yuzhi.vouchers.schemas import BillIn

    if (provider is None) == (provider_id is None):
        raise InvalidInput("name the provider once", field="--provider",
                           fix="give --provider NAME (or USCC, or id), or --provider-id ID")
    if provider is not None:
        from yuzhi.providers.service import resolve

        with transaction(get_engine()) as s:
            provider_id = resolve(s, provider).id
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise InvalidInput(f"{path} has no bill rows", field="path", fix="add a header line and one row per bill")
    bills_in = []
    for i, row in enumerate(rows, start=2):
        try:
            data = {k: v for k, v in row.items() if k and v != ""}
            if "amount_yuan" in data:  # what people write: 1,234.56 / ¥800 / 50万, exact to the fen
                if "amount_fen" in data:
                    raise InvalidInput(f"{path.name} line {i}: both amount_yuan and amount_fen", field="amount_yuan",
                                       fix="keep one amount column; nothing was imported")
                try:
                    data["amount_fen"] = parse_money(data.pop("amount_yuan"))
                except MoneyError as exc:
                    raise InvalidInput(f"{path.name} line {i}: {exc.text!r} is not an amount in yuan "
                                       f"({exc.code.removeprefix('money_').replace('_', ' ')})", field="amount_yuan",
                                       fix="write yuan with at most two decimals, e.g. 12,345.67; nothing was "
                                       "imported") from None
            amount = str(data.get("amount_fen", "")).strip()
            if amount.lstrip("-").isdigit():  # CSV cells are text; money is then held to a JSON integer
                data["amount_fen"] = int(amount)
            bills_in.append(BillIn(provider_id=provider_id, **data))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InvalidInput(f"{path.name} line {i}: {err['msg']}", field=".".join(map(str, err["loc"])),
                               fix="correct that cell; nothing was imported") from None
    total = 0
    with transaction(get_engine()) as s:
        for start in range(0, len(bills_in), service.MAX_BATCH):
            try:
                pairs = service.record_bills(s, actor=SYSTEM, bills_in=bills_in[start:start + service.MAX_BATCH],
                                             source="import")
            except DomainError as exc:
                if hasattr(exc, "batch_index"):
                    item: Any = exc  # bills.record_bills tags the failing item (batch_index, item_*)
                    where, message = f"line {start + item.batch_index + 2}: ", item.item_message
                    field = item.item_field
                else:
                    where, message, field = "", exc.message, exc.field
                raise InvalidInput(f"{path.name} {where}{message}", field=field,
                                   fix=(exc.fix or "") + " (nothing was imported)") from None
            total += sum(b.subsidy_fen for b, replay in pairs if not replay)
    console.print(f"[green]✓ {len(rows)} bills recorded, subsidy {_fen(total)} yuan[/]")


@app.command("settle")
def settle(year: int = typer.Argument(...), payee_id: int = typer.Option(None, help="one provider/unit only"),
           out: Path = typer.Option(None, help="write the payment file (.xlsx or .csv)")) -> None:
    """Create a settlement batch of every unsettled subsidy for the year (optionally export it)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction
    from yuzhi.vouchers import service
    from yuzhi.vouchers.schemas import SettlementCreate
    from yuzhi.web.exports import settlement_file, to_csv, to_xlsx

    with transaction(get_engine()) as s:
        b = service.create_settlement(s, actor=SYSTEM, settle_in=SettlementCreate(year=year, payee_id=payee_id))
        headers, rows = settlement_file(b)  # the same columns as the API's and the page's file
        if out:
            service.mark_exported(s, actor=SYSTEM, batch_id=b.id)
        batch_id, total = b.id, b.total_fen
    if out:
        out.write_bytes(to_xlsx("settlement", headers, rows) if out.suffix == ".xlsx" else to_csv(headers, rows))
    console.print(f"[green]✓ settlement batch {batch_id}: {len(rows)} payees, {_fen(total)} yuan[/]")


@app.command("close-year")
def close_year(year: int = typer.Argument(...), yes: bool = typer.Option(False, "--yes", help="confirm")) -> None:
    """Year end: expire unused quota back to the pool and stop accepting that year's bills."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction
    from yuzhi.errors import InvalidInput
    from yuzhi.vouchers import service

    if not yes:
        raise InvalidInput("closing a year cannot be undone", field="--yes", fix="re-run with --yes to confirm")
    with transaction(get_engine()) as s:
        out = service.close_year(s, actor=SYSTEM, year=year)
    console.print(f"[green]✓ {year} closed: {_fen(out['expired_fen'])} yuan of quota returned to the pool[/]")
    if out.get("receivable_fen"):
        console.print(f"  {_fen(out['receivable_fen'])} yuan is still owed back by payees (credit notes after "
                      f"settlement): a receivable of the {year} pool, netted at its next settlement or repaid")


@app.command("repay")
def repay(year: int = typer.Argument(...), payee_id: int = typer.Option(..., help="the provider/unit that paid back"),
          amount: str | None = typer.Option(None, help="amount received in yuan: 1,234.56 / ¥800 / 5万"),
          amount_fen: int | None = typer.Option(None, help="the same in integer fen (kept for scripts)"),
          ref: str = typer.Option(..., help="the bank transfer's reference")) -> None:
    """Record that a payee paid back subsidy it owed the year's pool (bills credited after settlement)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction
    from yuzhi.errors import InvalidInput
    from yuzhi.fmt import MoneyError, parse_money
    from yuzhi.vouchers import service

    if (amount is None) == (amount_fen is None):
        raise InvalidInput("give the amount once", field="--amount", fix="--amount 1,234.56 (yuan) or --amount-fen")
    if amount is not None:
        try:
            amount_fen = parse_money(amount)
        except MoneyError as exc:
            raise InvalidInput(f"{amount!r} is not an amount in yuan", field="--amount",
                               fix="yuan with at most two decimals, e.g. 1,234.56 or 5万") from exc
    assert amount_fen is not None

    with transaction(get_engine()) as s:
        left = service.record_repayment(s, actor=SYSTEM, year=year, payee_id=payee_id, amount_fen=amount_fen,
                                        payment_ref=ref)
    console.print(f"[green]✓ {_fen(amount_fen)} yuan repaid to the {year} pool; still owed {_fen(left)} yuan[/]")


@app.command("position")
def position(year: int = typer.Argument(...), payee_id: int = typer.Option(..., help="provider or unit id")) -> None:
    """A payee's position with a year: payable, settling, paid, owed back, repaid (yuan)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import get_engine, transaction
    from yuzhi.vouchers import reports

    with transaction(get_engine()) as s:
        pos = reports.position(s, actor=SYSTEM, year=year, payee_id=payee_id)
    t = Table("item", "yuan", title=f"{pos['payee_name']} ({pos['payee_type']} {payee_id}), {year}")
    for k in ("subsidy_fen", "payable_fen", "settling_fen", "paid_gross_fen", "receivable_fen", "repaid_fen",
              "settled_net_fen"):
        t.add_row(k.removesuffix("_fen"), _fen(int(pos[k])))  # type: ignore[call-overload]
    console.print(t)


@app.command("simulate")
def simulate(
    year: int = typer.Option(..., "--year", help="the programme year to replay, e.g. 2026"),
    rules: list[Path] = typer.Option(..., "--rules", help="a rules file (TOML); repeat for several rule sets"),
    out: Path = typer.Option(None, "--out", help="write the side-by-side comparison with charts (.xlsx)"),
    demand: Path = typer.Option(None, "--demand", help="a synthetic year from a workbook of expected demand "
                                "(sheets units, providers, applications, demand) instead of the recorded one"),
) -> None:
    """Replay a year's recorded applications and bills under other rules (read-only: nothing is written).

    Each rules file sets any of: rate_percent, unit_cap_yuan, pool_yuan, province_city, disclosure_days,
    settlement_mode, bill_binding, approval and an eligibility table; keys left out keep the rules in force.
    """
    from yuzhi.db import get_engine
    from yuzhi.errors import InvalidInput
    from yuzhi.vouchers import simulate_service as ss

    if out is not None and out.suffix.lower() != ".xlsx":
        raise InvalidInput(f"--out {out} must end in .xlsx", field="--out", fix="e.g. --out report.xlsx")
    if demand is not None:
        try:
            data = demand.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {demand}: {exc}", field="--demand", fix="give an .xlsx file") from None
        y = ss.year_from_workbook(data, year, ss.rules_in_force(get_engine(), year), source=demand.name)
    else:
        y = ss.snapshot(get_engine(), year)
    comparison = ss.compare(y, ss.read_rules(rules, y.in_force))
    cols, rows = ss.summary_rows(comparison)
    t = Table("", *cols)
    for metric, vals in rows:
        if metric != "outside the plan's limits":  # printed below, one line each
            t.add_row(metric, *[str(v) for v in vals])
    console.print(t)
    for r in comparison.runs:
        for flag in r.flags:
            console.print(f"[yellow]⚠ {r.rules.name}: outside the plan's limits: {flag}[/]")
    if out is not None:
        out.write_bytes(ss.workbook(comparison))
        console.print(f"[green]✓ {out} written ({len(comparison.runs)} rule set(s) beside the rules in force)[/]")
