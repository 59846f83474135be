"""A finished compute job becomes a voucher bill; a job's expected subsidy is quoted before it runs.

``compute.service`` never imports ``vouchers``; these functions are handed to it by the callers
that compose the platform (the worker, the API, the pages, the CLI):

* :func:`bill_job` posts a finished job's charge through :func:`record_usage_bill`, i.e.
  :func:`yuzhi.vouchers.service.record_bill` — the very path a provider's pushed bill takes —
  acting as the job's provider, with invoice number ``YZJOB-<id>``. Subsidy, caps, pool,
  eligibility (related parties, self-use), the ledger and the audit trail therefore apply
  unchanged, and a retry after a crash replays the same invoice instead of billing twice.
* :func:`record_usage_bill` is the public entry for any metered usage the compute network bills
  (a job, a monthly invoice): one bill through the voucher bill path, in a savepoint.
* :func:`estimate_subsidy` tells a member, before the job runs, how much of the quote the voucher
  is expected to cover: the voucher rules' rate share of the quote
  (:func:`yuzhi.vouchers.service.subsidy_outlook`), within the unit's remaining quota with that
  provider less what its other active jobs already expect.

A job belongs to the programme year in which it **started** (China Standard Time), like its
rate card; a job that runs across New Year is billed with its usage period clipped to 31 December
of its start year, because the bill service refuses a period that spans two years.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor, Role
from yuzhi.accounts.models import Organisation
from yuzhi.compute.models import ACTIVE_JOB_STATUSES, ComputeJob
from yuzhi.compute.pricing import CST
from yuzhi.errors import DomainError
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.models import Bill
from yuzhi.vouchers.schemas import BillIn, BillLineIn


def record_usage_bill(session: Session, *, provider_id: int, customer_uscc: str, invoice_no: str, start: date,
                      end: date, amount_fen: int, lines: Sequence[BillLineIn], source: str) -> Bill:
    """Bill metered usage through the voucher bill path, as the provider's meter, in a savepoint.

    Raises the bill path's :class:`~yuzhi.errors.DomainError` (nothing written) when it refuses;
    the same ``invoice_no`` again is a replay and returns the bill on file."""
    bill_in = BillIn(invoice_no=invoice_no, customer_uscc=customer_uscc, period_start=start, period_end=end,
                     amount_fen=amount_fen, lines=list(lines))
    meter = Actor(user_id=None, username="compute-meter", role=Role.PROVIDER, provider_id=provider_id)
    with session.begin_nested():
        bill, _ = vouchers.record_bill(session, actor=meter, bill_in=bill_in, source=source)
    return bill


def bill_job(session: Session, job: ComputeJob) -> None:
    """Bill a finished job's charge through the voucher bill service (inside a savepoint)."""
    if job.charge_fen <= 0:
        job.bill_status = "nothing to bill (0 fen)" if job.price_fen == 0 else \
            "not charged (the provider's policy for this outcome)"
        return
    org = session.get(Organisation, job.org_id)
    assert org is not None and job.started_at is not None and job.ended_at is not None
    start = job.started_at.astimezone(CST).date()
    end = max(start, job.ended_at.astimezone(CST).date())
    if end.year != start.year:
        end = date(start.year, 12, 31)
    metering = (f"job {job.id} {job.kind}: {job.alloc_cpus} CPU {job.alloc_gpus} GPU "
                f"{job.alloc_mem_bytes / 2**30:.3g} GiB x {job.elapsed_s:.0f} s")[:100]
    try:
        bill = record_usage_bill(
            session, provider_id=job.provider_id, customer_uscc=org.uscc, invoice_no=f"YZJOB-{job.id}",
            start=start, end=end, amount_fen=job.charge_fen, source="compute-job",
            lines=[BillLineIn(resource=metering, quantity=Decimal(1), unit="job",
                              unit_price_fen=Decimal(job.charge_fen))])
    except DomainError as exc:
        job.bill_status = f"not billed: {exc.message}"[:500]
        return
    job.bill_id, job.subsidy_fen, job.billed_at = bill.id, bill.subsidy_fen, bill.created_at
    job.bill_status = "billed" + (f"; no subsidy: {bill.ineligible_reason}" if bill.ineligible_reason else "")
    job.bill_status = job.bill_status[:500]


def estimate_subsidy(session: Session, org_id: int, provider_id: int, amount_fen: int, day: date) -> int:
    """Expected voucher subsidy for ``amount_fen`` (0 when there is no open programme or quota)."""
    share, remaining = vouchers.subsidy_outlook(session, org_id=org_id, provider_id=provider_id,
                                                amount_fen=amount_fen, day=day)
    if share <= 0:
        return 0
    expected_by_others = session.scalar(select(func.coalesce(func.sum(ComputeJob.expected_subsidy_fen), 0)).where(
        ComputeJob.org_id == org_id, ComputeJob.provider_id == provider_id,
        ComputeJob.status.in_(list(ACTIVE_JOB_STATUSES)))) or 0
    return max(0, min(share, remaining - int(expected_by_others)))
