"""Bills summed per unit, usage month, kind and provider, kept in the same transaction as the bills.

Why: the office dashboard needs the year's subsidy by month and by provider and the bill count. Summing
``voucher_bills`` on every view costs a scan of the whole year (a province-wide year holds a million
bills: seconds per view); this table holds at most units × 12 × kinds × providers rows (tens of
thousands), so the same figures cost milliseconds at any size (``bench/scale.py --phases big-year``).

How it stays right: :func:`add` is called once per bill batch, inside the batch's transaction, after
the bills are written (``yuzhi.vouchers.bills._Batch.run``); a rolled-back batch rolls its counts back
with it. Rows are keyed by unit, so two batches only touch the same row when they bill the same unit,
whose quota rows they already serialise on; keys are upserted in sorted order (no lock cycle between
batches). Bills are never edited in amount, subsidy, period or kind (corrections are credit notes, new
rows), so counting at insert is complete. :func:`drift` proves it against the bills; :func:`rebuild`
recomputes it (the migration that adds the table, a repair).
"""

from __future__ import annotations

import typing
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, ForeignKey, Index, Integer, String, Table, cast, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from yuzhi.db import Base, Fen
from yuzhi.ledger.models import LedgerEntry

KEY = ("programme_id", "org_id", "month", "kind", "provider_id")


class BillMonth(Base):
    __tablename__ = "voucher_bill_months"

    programme_id: Mapped[int] = mapped_column(ForeignKey("voucher_programmes.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # usage month (period end), "2026-03"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # bill / credit
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    bills: Mapped[int] = mapped_column(Integer, default=0)
    amount_fen: Mapped[int] = mapped_column(Fen, default=0)
    subsidy_fen: Mapped[int] = mapped_column(Fen, default=0)  # as on the bills: ≥ 0, credits reverse


#: The dashboard's other reads are ledger prefix sums (settled, owed back, repaid: ``ledger.balances_like``).
#: PostgreSQL serves ``LIKE 'paid:2026:%'`` from a b-tree only under the C collation; ``text_pattern_ops``
#: does under any (migration ops_0002). Declared here, beside the dashboard's other read model.
Index("ix_ledger_entries_account_prefix", LedgerEntry.account, postgresql_ops={"account": "text_pattern_ops"})


def month_of(d: date) -> str:
    return f"{d.year}-{d.month:02d}"


def add(conn: Connection | Session, bills: Iterable[object]) -> None:
    """Count newly written bills (objects with the Bill columns) into the summary, in this transaction."""
    totals: dict[tuple[int, int, str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for b in bills:
        key = (b.programme_id, b.org_id, month_of(b.period_end), str(b.kind), b.provider_id)  # type: ignore[attr-defined]
        t = totals[key]
        t[0] += 1
        t[1] += int(b.amount_fen)  # type: ignore[attr-defined]
        t[2] += int(b.subsidy_fen)  # type: ignore[attr-defined]
    if not totals:
        return
    bind = conn if isinstance(conn, Connection) else conn.connection()
    rows = [dict(zip(KEY, k, strict=True)) | {"bills": t[0], "amount_fen": t[1], "subsidy_fen": t[2]}
            for k, t in sorted(totals.items())]  # sorted: every batch locks rows in one order
    bind.execute(_upsert(bind.dialect.name), rows)


_UPSERTS: dict[str, object] = {}


def _table() -> Table:
    """The summary's table (``__table__`` is typed as a FromClause)."""
    return typing.cast(Table, BillMonth.__table__)


def _upsert(dialect: str) -> Any:
    """The upsert statement, built once per dialect: it runs in every bill transaction, and building it
    (insert, ``excluded``, the ``SET`` expressions) cost a third of its time (py-spy, issue 14)."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        table = _table()
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        stmt = _UPSERTS[dialect] = ins.on_conflict_do_update(index_elements=list(KEY), set_={
            "bills": table.c.bills + ins.excluded.bills, "amount_fen": table.c.amount_fen + ins.excluded.amount_fen,
            "subsidy_fen": table.c.subsidy_fen + ins.excluded.subsidy_fen})
    return stmt


def _month_sql(conn: Connection):
    from yuzhi.vouchers.models import Bill

    if conn.dialect.name == "postgresql":
        return func.to_char(Bill.period_end, "YYYY-MM")
    return func.substr(cast(Bill.period_end, String), 1, 7)  # SQLite stores dates as ISO text


def _from_bills(conn: Connection, programme_id: int | None = None):
    from yuzhi.vouchers.models import Bill

    month = _month_sql(conn)
    q = (select(Bill.programme_id, Bill.org_id, month.label("month"), Bill.kind, Bill.provider_id,
                func.count().label("bills"), func.sum(Bill.amount_fen).label("amount_fen"),
                func.sum(Bill.subsidy_fen).label("subsidy_fen"))
         .group_by(Bill.programme_id, Bill.org_id, month, Bill.kind, Bill.provider_id))
    if programme_id is not None:
        q = q.where(Bill.programme_id == programme_id)
    return q


def rebuild(conn: Connection) -> int:
    """Recompute the whole summary from the bills (one statement each way). Returns its row count."""
    conn.execute(delete(BillMonth))
    q = _from_bills(conn)
    conn.execute(_table().insert().from_select(
        ["programme_id", "org_id", "month", "kind", "provider_id", "bills", "amount_fen", "subsidy_fen"], q))
    return int(conn.scalar(select(func.count()).select_from(BillMonth)) or 0)


def drift(conn: Connection | Session, programme_id: int | None = None) -> list[str]:
    """Rows where the summary and the bills disagree (empty: they agree). A full scan of the bills."""
    bind = conn if isinstance(conn, Connection) else conn.connection()
    want = {tuple(r[:5]): tuple(int(x) for x in r[5:]) for r in bind.execute(_from_bills(bind, programme_id))}
    q = select(BillMonth.programme_id, BillMonth.org_id, BillMonth.month, BillMonth.kind, BillMonth.provider_id,
               BillMonth.bills, BillMonth.amount_fen, BillMonth.subsidy_fen)
    if programme_id is not None:
        q = q.where(BillMonth.programme_id == programme_id)
    have = {tuple(r[:5]): tuple(int(x) for x in r[5:]) for r in bind.execute(q)}
    out = []
    for key in sorted(set(want) | set(have), key=str):
        if want.get(key, (0, 0, 0)) != have.get(key, (0, 0, 0)):
            out.append(f"bill summary {dict(zip(KEY, key, strict=True))}: bills say (count, amount, subsidy) "
                       f"{want.get(key, (0, 0, 0))}, summary says {have.get(key, (0, 0, 0))}")
    return out
