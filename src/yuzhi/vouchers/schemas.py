"""Pydantic I/O for the voucher programme. Money is integer fen everywhere (``*_fen``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from yuzhi.types import BasisPoints, Fen, GrantFen, Id, PositiveFen, ProgrammeYear, StrictDate, Year
from yuzhi.vouchers.rules import SettlementMode


class ProgrammeCreate(BaseModel):
    year: ProgrammeYear
    name: str = Field(min_length=2, max_length=200)
    pool_fen: GrantFen = 50_000_000_00
    rate_bp: int = Field(default=2000, gt=0, le=10000)
    unit_cap_fen: GrantFen = 1_000_000_00
    province_bp: BasisPoints = 5000
    settlement_mode: SettlementMode = SettlementMode.DISCOUNT
    disclosure_days: int = Field(default=5, ge=0, le=60)
    source: str = Field(default="河南省推动人工智能赋能新型工业化行动方案（2025—2027年）", max_length=500)

    @field_validator("unit_cap_fen")
    @classmethod
    def _cap_within_pool(cls, cap: int, info: ValidationInfo) -> int:
        pool = info.data.get("pool_fen")
        if pool is not None and cap > pool:
            raise ValueError(f"the per-unit cap ({cap} fen) exceeds the pool ({pool} fen); a unit can never be "
                             "granted more than the whole pool: lower unit_cap_fen or raise pool_fen")
        return cap


class ProgrammeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    year: int
    name: str
    pool_fen: int
    rate_bp: int
    unit_cap_fen: int
    province_bp: int
    settlement_mode: str
    disclosure_days: int
    status: str
    source: str


class ApplicationCreate(BaseModel):
    year: ProgrammeYear
    provider_id: Id
    contract_no: str = Field(min_length=3, max_length=64)
    planned_spend_fen: GrantFen
    purpose: str = Field(default="", max_length=500)


class ApplicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    org_id: int
    programme_id: int
    provider_id: int
    contract_no: str
    planned_spend_fen: int
    purpose: str
    status: str
    approved_fen: int
    used_fen: int
    expired_fen: int
    remaining_fen: int
    review_reason: str
    disclosure_until: datetime | None
    effective_at: datetime | None
    created_at: datetime


class Review(BaseModel):
    approve: bool
    amount_fen: Fen | None = Field(default=None, description="defaults to the maximum allowed")
    reason: str = Field(default="", max_length=500)


class ObjectionCreate(BaseModel):
    text: str = Field(min_length=5, max_length=2000)
    submitted_by: str = Field(default="public", max_length=100)


class ObjectionResolve(BaseModel):
    uphold: bool
    resolution: str = Field(min_length=2, max_length=500)


class BillLineIn(BaseModel):
    resource: str = Field(min_length=1, max_length=100, examples=["GPU-hour A800"])
    quantity: Decimal = Field(gt=0, max_digits=20, decimal_places=6)
    unit: str = Field(default="", max_length=20)
    unit_price_fen: Decimal = Field(ge=0, max_digits=20, decimal_places=6)


class BillIn(BaseModel):
    """A metered bill (or a credit note) pushed by a provider."""

    model_config = ConfigDict(extra="forbid")

    invoice_no: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_./-]+$")
    customer_uscc: str = Field(min_length=1, max_length=32)
    period_start: StrictDate
    period_end: StrictDate
    amount_fen: GrantFen
    kind: Literal["bill", "credit"] = "bill"
    original_invoice_no: str | None = Field(default=None, max_length=64)
    lines: list[BillLineIn] = Field(default_factory=list, max_length=1000)
    provider_id: Id | None = Field(default=None, description="office/system only; a provider token implies it")

    @model_validator(mode="after")
    def _check(self) -> BillIn:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start: the usage period must not end before it starts")
        if self.kind == "credit" and not self.original_invoice_no:
            raise ValueError("a credit note needs original_invoice_no (the invoice it credits)")
        if self.kind == "bill" and self.original_invoice_no:
            raise ValueError("original_invoice_no is only for credit notes (kind=credit)")
        return self


class BillRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    invoice_no: str
    kind: str
    provider_id: int
    org_id: int
    programme_id: int
    period_start: date
    period_end: date
    amount_fen: int
    eligible_fen: int
    subsidy_fen: int
    owed_fen: int
    credited_fen: int
    net_subsidy_fen: int
    ineligible_reason: str
    settlement_mode: str
    created_at: datetime


class BillResult(BillRead):
    replay: bool = Field(default=False, description="true when this invoice was already recorded (idempotent retry)")


class BillBatchIn(BaseModel):
    """A provider's billing run: up to 1,000 bills and credit notes, recorded all or nothing."""

    model_config = ConfigDict(extra="forbid")
    bills: list[BillIn] = Field(min_length=1, max_length=1000)


class BillBatchResult(BaseModel):
    recorded: int = Field(description="bills and credit notes newly recorded")
    replayed: int = Field(description="invoices already on file with the same content (idempotent retries)")
    subsidy_fen: int = Field(description="subsidy granted by the newly recorded bills, less credits' reversals")
    results: list[BillResult] = Field(description="one per input bill, in input order")


class SettlementCreate(BaseModel):
    year: Year
    payee_id: Id | None = Field(default=None, description="settle one provider/unit; default all payees")


class SettlementLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    payee_type: str
    payee_id: int
    payee_name: str
    amount_fen: int
    province_fen: int
    city_fen: int
    bill_count: int


class SettlementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    programme_id: int
    mode: str
    payee_type: str
    payee_id: int | None
    status: str
    total_fen: int
    province_fen: int
    city_fen: int
    paid_at: datetime | None
    payment_ref: str
    created_at: datetime
    lines: list[SettlementLineRead]


class MarkPaid(BaseModel):
    payment_ref: str = Field(min_length=2, max_length=100)



class RepaymentIn(BaseModel):
    """A payee paid back subsidy it owes the year's pool (bills credited after settlement)."""

    payee_id: Id = Field(description="the provider (discount mode) or unit (reimbursement mode) that paid back")
    amount_fen: PositiveFen
    payment_ref: str = Field(min_length=2, max_length=100, description="the bank transfer's reference")


class PositionRead(BaseModel):
    """Where a payee stands with one programme year (all integer fen)."""

    year: Year
    payee_type: str
    payee_id: int
    payee_name: str
    subsidy_fen: int = Field(description="net subsidy on its bills (bills less credit notes)")
    payable_fen: int = Field(description="owed to the payee, not yet in a settlement")
    settling_fen: int = Field(description="in settlement batches not yet paid")
    paid_gross_fen: int = Field(description="paid out by settlements")
    receivable_fen: int = Field(description="subsidy paid on bills later credited, owed back to the pool")
    repaid_fen: int = Field(description="owed back and repaid")
    settled_net_fen: int = Field(description="paid out less what is owed back or was repaid")
