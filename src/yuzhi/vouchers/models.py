"""Voucher programme tables: programme years, quota applications, objections, bills, settlements.

Money columns are integer fen (``yuzhi.db.Fen``). Rows that represent money already booked are
never edited in amount; corrections are new rows (credit notes) and new ledger transactions.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yuzhi.db import Base, Fen, IdMixin, TimestampMixin


class ProgrammeStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # year-end: unused quota expired back to the pool; no more bills


class Programme(IdMixin, TimestampMixin, Base):
    __tablename__ = "voucher_programmes"

    year: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    pool_fen: Mapped[int] = mapped_column(Fen)
    rate_bp: Mapped[int] = mapped_column(Integer, default=2000)
    unit_cap_fen: Mapped[int] = mapped_column(Fen)
    province_bp: Mapped[int] = mapped_column(Integer, default=5000)
    settlement_mode: Mapped[str] = mapped_column(String(16))
    disclosure_days: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[str] = mapped_column(String(16), default=ProgrammeStatus.OPEN)
    source: Mapped[str] = mapped_column(String(500), default="")


class AppStatus(StrEnum):
    SUBMITTED = "submitted"
    DISCLOSURE = "disclosure"  # approved, on public disclosure (公示), not yet effective
    OBJECTED = "objected"  # an objection was upheld for re-review; quota still held
    EFFECTIVE = "effective"
    REJECTED = "rejected"
    EXPIRED = "expired"  # year closed


class QuotaApplication(IdMixin, TimestampMixin, Base):
    __tablename__ = "voucher_applications"
    __table_args__ = (UniqueConstraint("provider_id", "contract_no", name="contract_once"),)

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("voucher_programmes.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    contract_no: Mapped[str] = mapped_column(String(64))
    planned_spend_fen: Mapped[int] = mapped_column(Fen)
    purpose: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=AppStatus.SUBMITTED, index=True)
    approved_fen: Mapped[int] = mapped_column(Fen, default=0)
    used_fen: Mapped[int] = mapped_column(Fen, default=0)  # net subsidy drawn (after refunds)
    expired_fen: Mapped[int] = mapped_column(Fen, default=0)
    review_reason: Mapped[str] = mapped_column(String(500), default="")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    disclosure_until: Mapped[datetime | None] = mapped_column(default=None)
    effective_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def remaining_fen(self) -> int:
        return self.approved_fen - self.used_fen - self.expired_fen


class Objection(IdMixin, TimestampMixin, Base):
    __tablename__ = "voucher_objections"

    application_id: Mapped[int] = mapped_column(ForeignKey("voucher_applications.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open → upheld / dismissed
    resolution: Mapped[str] = mapped_column(String(500), default="")


class BillKind(StrEnum):
    BILL = "bill"
    CREDIT = "credit"  # credit note / refund against an earlier bill


class Bill(IdMixin, TimestampMixin, Base):
    __tablename__ = "voucher_bills"
    __table_args__ = (UniqueConstraint("provider_id", "invoice_no", name="invoice_once"),)

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("voucher_programmes.id"), index=True)
    invoice_no: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8), default=BillKind.BILL)
    original_bill_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_bills.id"), default=None)
    period_start: Mapped[date]
    period_end: Mapped[date]
    amount_fen: Mapped[int] = mapped_column(Fen)  # positive for bills and credits alike
    eligible_fen: Mapped[int] = mapped_column(Fen)
    subsidy_fen: Mapped[int] = mapped_column(Fen)  # granted (bill) or reversed (credit), ≥ 0
    owed_fen: Mapped[int] = mapped_column(Fen)  # what the unit owes the provider for this document
    credited_fen: Mapped[int] = mapped_column(Fen, default=0)  # on bills: total credited so far
    net_subsidy_fen: Mapped[int] = mapped_column(Fen, default=0)  # on bills: subsidy after credits
    ineligible_reason: Mapped[str] = mapped_column(String(300), default="")
    settlement_mode: Mapped[str] = mapped_column(String(16))
    payload_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32), default="api")  # api / compute-job / import
    #: the settlement batch that paid this bill's subsidy (set when the batch is made; None: awaiting)
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_settlements.id"), default=None, index=True)
    lines: Mapped[list[BillLine]] = relationship(back_populates="bill", order_by="BillLine.id")


class BillLine(IdMixin, Base):
    __tablename__ = "voucher_bill_lines"

    bill_id: Mapped[int] = mapped_column(ForeignKey("voucher_bills.id"), index=True)
    resource: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[str] = mapped_column(String(40))  # exact decimal as text
    unit: Mapped[str] = mapped_column(String(20), default="")
    unit_price_fen: Mapped[str] = mapped_column(String(40))  # exact decimal fen as text
    amount_fen: Mapped[int] = mapped_column(Fen)
    bill: Mapped[Bill] = relationship(back_populates="lines")


class BillAllocation(IdMixin, Base):
    """Which application's quota paid (or got back) how much of a bill's subsidy."""

    __tablename__ = "voucher_allocations"

    bill_id: Mapped[int] = mapped_column(ForeignKey("voucher_bills.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("voucher_applications.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Fen)  # positive drawn, negative restored


class BatchStatus(StrEnum):
    DRAFT = "draft"
    EXPORTED = "exported"
    PAID = "paid"


class SettlementBatch(IdMixin, TimestampMixin, Base):
    __tablename__ = "voucher_settlements"

    programme_id: Mapped[int] = mapped_column(ForeignKey("voucher_programmes.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    payee_type: Mapped[str] = mapped_column(String(16))  # provider / org
    payee_id: Mapped[int | None] = mapped_column(Integer, default=None)  # one payee, or all
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.DRAFT)
    total_fen: Mapped[int] = mapped_column(Fen, default=0)
    province_fen: Mapped[int] = mapped_column(Fen, default=0)
    city_fen: Mapped[int] = mapped_column(Fen, default=0)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    payment_ref: Mapped[str] = mapped_column(String(100), default="")
    lines: Mapped[list[SettlementLine]] = relationship(back_populates="batch", order_by="SettlementLine.id")


class SettlementLine(IdMixin, Base):
    __tablename__ = "voucher_settlement_lines"

    batch_id: Mapped[int] = mapped_column(ForeignKey("voucher_settlements.id"), index=True)
    payee_type: Mapped[str] = mapped_column(String(16))
    payee_id: Mapped[int] = mapped_column(Integer)
    payee_name: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(Fen)
    province_fen: Mapped[int] = mapped_column(Fen)
    city_fen: Mapped[int] = mapped_column(Fen)
    bill_count: Mapped[int] = mapped_column(Integer, default=0)
    batch: Mapped[SettlementBatch] = relationship(back_populates="lines")


from yuzhi.vouchers.casefile import CaseAttachment  # noqa: E402,F401  (case file attachments; issue 15)
from yuzhi.vouchers.review2 import CaseSettings, FirstReview  # noqa: E402,F401  (two-step review; issue 15)
from yuzhi.vouchers.summary import BillMonth  # noqa: E402,F401  (dashboard totals kept with the bills; issue 14)
