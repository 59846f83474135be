"""Monthly compute invoices (issue 20 item 2): one invoice per unit and month, subsidy computed once.

Billing each job on its own rounds the subsidy down per job, so many small jobs lose fen (489 fen
of eligible charges received 94 fen instead of 97) and a job under 5 fen gets nothing. Under a
rate card with ``billing_period="month"`` the worker charges the job (its budget hold becomes
spending as before) but does not bill it; at month end :func:`invoice_month` gathers each unit's
charged, unbilled jobs that **started** in that month (China Standard Time, Slurm's Start) into
one invoice with one line per job and pushes it through the voucher bill path (the caller passes
:func:`yuzhi.workflows.compute_billing.record_usage_bill`, so the subsidy maths stays in the
voucher domain). Each job then points at the invoice's bill and carries its share of the
subsidy, split by largest remainder so the shares add up to the invoice's subsidy exactly.

The invoice number is ``YZCM-<provider>-<unit>-<YYYYMM>-<first job id>``: running the command again
is a replay (the bill path returns the bill on file), and jobs that finish after an invoice go on
a second invoice with its own number. At most 1000 jobs go on one invoice (the bill path's line
limit); more make several invoices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation
from yuzhi.audit.service import record
from yuzhi.compute import pricing
from yuzhi.compute.models import ACTIVE_JOB_STATUSES, ComputeJob, RateCardRow
from yuzhi.errors import DomainError, Forbidden, InvalidInput

MAX_LINES = 1000

#: ``(session, provider_id=, customer_uscc=, invoice_no=, start=, end=, amount_fen=, lines=, source=) -> Bill``;
#: ``lines`` are dicts with the voucher bill line's fields (compute does not import the voucher domain;
#: the bill path validates them into its own ``BillLineIn``).
BillRecorder = Callable[..., object]


@dataclass
class InvoiceResult:
    org_id: int
    invoice_no: str
    job_ids: list[int]
    amount_fen: int
    subsidy_fen: int = 0
    bill_id: int | None = None
    problem: str = ""  # why the bill path refused it (nothing written)
    lines: list[str] = field(default_factory=list)


def month_bounds(month: str) -> tuple[date, date]:
    """``2026-11`` → (2026-11-01, 2026-11-30); a clear error otherwise."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise InvalidInput(f"month {month!r} is not YYYY-MM", field="month", fix="e.g. --month 2026-11") from None
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


def split_largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Integer shares of ``total`` proportional to ``weights`` that add up to ``total`` exactly.

    >>> split_largest_remainder(97, [100, 389])
    [19, 78]
    """
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    floors = [total * w // whole for w in weights]
    rest = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[:rest]:
        floors[i] += 1
    return floors


def pending_jobs(session: Session, *, provider_id: int, month: str) -> list[ComputeJob]:
    """Charged, not yet invoiced jobs of monthly-billed cards that started in ``month`` (CST)."""
    first, last = month_bounds(month)
    start = datetime.combine(first, datetime.min.time(), tzinfo=pricing.CST)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=pricing.CST)
    return list(session.scalars(
        select(ComputeJob).join(RateCardRow, RateCardRow.id == ComputeJob.rate_card_id).where(
            ComputeJob.provider_id == provider_id, RateCardRow.billing_period == "month",
            ComputeJob.status.not_in(list(ACTIVE_JOB_STATUSES)), ComputeJob.charge_fen > 0,
            ComputeJob.bill_id.is_(None), ComputeJob.started_at >= start, ComputeJob.started_at < end)
        .order_by(ComputeJob.org_id, ComputeJob.id).with_for_update()))


def _line(job: ComputeJob) -> dict[str, object]:
    resource = (f"job {job.id} {job.kind}: {job.alloc_cpus} CPU {job.alloc_gpus} GPU "
                f"{job.alloc_mem_bytes / 2**30:.3g} GiB x {job.elapsed_s:.0f} s")[:100]
    return {"resource": resource, "quantity": Decimal(1), "unit": "job", "unit_price_fen": Decimal(job.charge_fen)}


def invoice_month(session: Session, *, actor: Actor, provider_id: int, month: str,
                  record_bill: BillRecorder) -> list[InvoiceResult]:
    """Invoice every unit's pending jobs of ``month`` with ``provider_id`` (see the module docstring).

    Each invoice is its own savepoint in the bill path: one refused invoice (e.g. no open
    programme year) leaves its jobs pending with the reason and does not stop the others.
    """
    if not (actor.is_office or (actor.is_provider and actor.provider_id == provider_id)):
        raise Forbidden("only the programme office or the provider itself invoices its compute jobs",
                        field="provider_id")
    first, last = month_bounds(month)
    jobs = pending_jobs(session, provider_id=provider_id, month=month)
    by_org: dict[int, list[ComputeJob]] = {}
    for job in jobs:
        by_org.setdefault(job.org_id, []).append(job)
    results: list[InvoiceResult] = []
    for org_id, org_jobs in by_org.items():
        org = session.get(Organisation, org_id)
        assert org is not None
        for i in range(0, len(org_jobs), MAX_LINES):
            chunk = org_jobs[i:i + MAX_LINES]
            res = InvoiceResult(org_id=org_id, invoice_no=f"YZCM-{provider_id}-{org_id}-{first:%Y%m}-{chunk[0].id}",
                                job_ids=[j.id for j in chunk], amount_fen=sum(j.charge_fen for j in chunk))
            try:
                bill = record_bill(session, provider_id=provider_id, customer_uscc=org.uscc,
                                   invoice_no=res.invoice_no, start=first, end=last, amount_fen=res.amount_fen,
                                   lines=[_line(j) for j in chunk], source="compute-invoice")
            except DomainError as exc:
                res.problem = exc.message
                for j in chunk:
                    j.bill_status = f"invoice {res.invoice_no} not billed: {exc.message}"[:500]
                results.append(res)
                continue
            res.bill_id, res.subsidy_fen = bill.id, bill.subsidy_fen  # type: ignore[attr-defined]
            shares = split_largest_remainder(res.subsidy_fen, [j.charge_fen for j in chunk])
            for j, share in zip(chunk, shares, strict=True):
                j.bill_id, j.subsidy_fen, j.billed_at = bill.id, share, bill.created_at  # type: ignore[attr-defined]
                j.bill_status = f"billed on invoice {res.invoice_no}"
                reason = getattr(bill, "ineligible_reason", "")
                if reason:
                    j.bill_status = f"{j.bill_status}; no subsidy: {reason}"[:500]
            record(session, actor=actor, action="compute.invoice", entity="provider", entity_id=provider_id,
                   after={"invoice_no": res.invoice_no, "org_id": org_id, "jobs": res.job_ids,
                          "amount_fen": res.amount_fen, "subsidy_fen": res.subsidy_fen, "bill_id": res.bill_id},
                   org_id=org_id)
            results.append(res)
    session.flush()
    return results


@dataclass
class InvoiceView:
    """One unit's monthly invoice (or its jobs still pending one), as the provider's page shows it."""

    org_id: int
    invoice_no: str  # "" while pending
    bill_id: int | None
    jobs: list[ComputeJob]
    amount_fen: int
    subsidy_fen: int
    status: str  # "billed" | "pending" | the bill path's reason


def month_invoices(session: Session, *, actor: Actor, provider_id: int, month: str) -> list[InvoiceView]:
    """The monthly-billed jobs of ``month`` grouped as invoiced (one view per bill) or pending.

    Read-only. Tenant-scoped like the statement: the office, or the provider's own operators.
    The invoice number is the one :func:`invoice_month` gave the bill (provider, unit, month and the
    first job of the invoice), so page, xlsx and voucher bill name the same invoice.
    """
    if not (actor.is_office or (actor.is_provider and actor.provider_id == provider_id)):
        raise Forbidden("only the programme office or the provider itself sees its compute invoices",
                        field="provider_id")
    first, last = month_bounds(month)
    start = datetime.combine(first, datetime.min.time(), tzinfo=pricing.CST)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=pricing.CST)
    jobs = session.scalars(
        select(ComputeJob).join(RateCardRow, RateCardRow.id == ComputeJob.rate_card_id).where(
            ComputeJob.provider_id == provider_id, RateCardRow.billing_period == "month",
            ComputeJob.status.not_in(list(ACTIVE_JOB_STATUSES)), ComputeJob.charge_fen > 0,
            ComputeJob.started_at >= start, ComputeJob.started_at < end)
        .order_by(ComputeJob.org_id, ComputeJob.id)).all()
    groups: dict[tuple[int, int | None], list[ComputeJob]] = {}
    for job in jobs:
        groups.setdefault((job.org_id, job.bill_id), []).append(job)
    views = []
    for (org_id, bill_id), group in groups.items():
        billed = bill_id is not None
        problem = "" if billed else next((j.bill_status for j in group if "not billed" in (j.bill_status or "")), "")
        views.append(InvoiceView(
            org_id=org_id, invoice_no=f"YZCM-{provider_id}-{org_id}-{first:%Y%m}-{group[0].id}" if billed else "",
            bill_id=bill_id, jobs=group, amount_fen=sum(j.charge_fen for j in group),
            subsidy_fen=sum(j.subsidy_fen for j in group) if billed else 0,
            status="billed" if billed else (problem or "pending")))
    return views
