"""Month-end reconciliation with the centre's own accounting (issue 20 item 6).

``yuzhi compute reconcile --provider P --month 2026-11`` reads the centre's ``sacct`` for the
month and the platform's jobs, and lists every difference:

* ``missing on platform`` — a job named like ours (``yz-…`` token) that the platform has no row for;
* ``missing in sacct`` — a finished platform job with an engine id that ``sacct`` does not show;
* ``usage differs`` — elapsed seconds or allocated CPUs/GPUs/memory differ;
* ``price differs`` — the price recomputed from ``sacct``'s usage with the rate card in force on
  Slurm's **Start** date (CST) differs from the platform's price, or the charge from
  ``min(recomputed charge, hold)``;
* ``not billed`` — a charged job without a bill (per-job cards) or not yet invoiced (monthly).

Jobs are taken by Slurm Start in the month (China Standard Time) on both sides. The totals line
adds charges and subsidies. Pure comparison (:func:`compare`) plus a thin reader.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.compute import pricing
from yuzhi.compute.backends.base import JobState, Usage
from yuzhi.compute.invoices import month_bounds
from yuzhi.compute.models import ACTIVE_JOB_STATUSES, ComputeJob, RateCardRow
from yuzhi.errors import InvalidInput, NotFound

HEADERS = ("kind", "job", "slurm id", "field", "platform", "sacct")


@dataclass
class Difference:
    kind: str
    job_id: int | None
    external_id: str
    field: str = ""
    platform: str = ""
    sacct: str = ""

    def row(self) -> tuple[str, str, str, str, str, str]:
        return (self.kind, str(self.job_id or ""), self.external_id, self.field, self.platform, self.sacct)


@dataclass
class Report:
    month: str
    provider_id: int
    jobs_platform: int = 0
    jobs_sacct: int = 0
    charged_fen: int = 0
    subsidy_fen: int = 0
    differences: list[Difference] = field(default_factory=list)


def compare(month: str, provider_id: int, jobs: Iterable[ComputeJob], sacct: dict[str, tuple[str, Usage]],
            cards: list[RateCardRow]) -> Report:
    """The report (pure: rows in, differences out). ``sacct``: external id → (job name, usage)."""
    rep = Report(month=month, provider_id=provider_id)
    by_card = {c.id: c for c in cards}
    seen: set[str] = set()
    for job in jobs:
        rep.jobs_platform += 1
        rep.charged_fen += job.charge_fen
        rep.subsidy_fen += job.subsidy_fen
        eid = job.external_id or ""
        if job.charge_fen > 0 and job.bill_id is None:
            rep.differences.append(Difference("not billed", job.id, eid, "bill", job.bill_status[:80], ""))
        if not eid or (job.backend_state == JobState.LOST.value and eid not in sacct):
            continue
        seen.add(eid)
        if eid not in sacct:
            rep.differences.append(Difference("missing in sacct", job.id, eid))
            continue
        _, u = sacct[eid]
        if not u.state.is_terminal:  # sacct's record is not final yet: nothing to compare (run it again)
            rep.differences.append(Difference("not final in sacct", job.id, eid, "state", job.status, u.reason))
            continue
        for name, mine, theirs in (("elapsed_s", int(job.elapsed_s), int(u.elapsed_s)),
                                   ("alloc_cpus", job.alloc_cpus, u.alloc_cpus),
                                   ("alloc_gpus", job.alloc_gpus, u.alloc_gpus),
                                   ("alloc_mem_bytes", job.alloc_mem_bytes, u.alloc_mem_bytes)):
            if mine != theirs:
                rep.differences.append(Difference("usage differs", job.id, eid, name, str(mine), str(theirs)))
        start = u.started_at or job.started_at
        card_row = _card_on(cards, start) or by_card.get(job.rate_card_id or -1)
        if card_row is None:
            continue
        card = _card(card_row)
        price = pricing.price_fen(card, elapsed_s=u.elapsed_s, alloc_cpus=u.alloc_cpus, alloc_gpus=u.alloc_gpus,
                                  alloc_mem_bytes=u.alloc_mem_bytes)
        charge = min(pricing.charge_fen(card, state=u.state, elapsed_s=u.elapsed_s, alloc_cpus=u.alloc_cpus,
                                        alloc_gpus=u.alloc_gpus, alloc_mem_bytes=u.alloc_mem_bytes),
                     job.quote_fen)
        if price != job.price_fen:
            rep.differences.append(Difference("price differs", job.id, eid, "price_fen", str(job.price_fen),
                                              str(price)))
        if charge != job.charge_fen:
            rep.differences.append(Difference("price differs", job.id, eid, "charge_fen", str(job.charge_fen),
                                              str(charge)))
        if card_row.id != job.rate_card_id:
            rep.differences.append(Difference("price differs", job.id, eid, "rate_card_id", str(job.rate_card_id),
                                              str(card_row.id)))
    for eid, (name, _u) in sorted(sacct.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0):
        rep.jobs_sacct += 1
        if eid not in seen and name:
            rep.differences.append(Difference("missing on platform", None, eid, "job name", "", name))
    return rep


def _card(row: RateCardRow) -> pricing.RateCard:
    return pricing.RateCard(core_hour_fen=row.core_hour_fen, gpu_hour_fen=row.gpu_hour_fen,
                            mem_gb_hour_fen=row.mem_gb_hour_fen, valid_from=row.valid_from, valid_to=row.valid_to,
                            failed_policy=row.failed_policy, min_increment_s=row.min_increment_s,
                            min_charge_fen=row.min_charge_fen, billing_period=row.billing_period)


def _card_on(cards: list[RateCardRow], when: datetime | None) -> RateCardRow | None:
    if when is None:
        return None
    day = when.astimezone(pricing.CST).date()
    return next((c for c in cards if _card(c).covers(day)), None)


def reconcile(session: Session, *, actor: Actor, provider_id: int, month: str, backend) -> Report:
    """Read both sides for ``month`` and :func:`compare` them (office or the provider itself)."""
    if not (actor.is_office or (actor.is_provider and actor.provider_id == provider_id)):
        raise NotFound(f"provider {provider_id} not found", field="provider_id",
                       key="provider_not_found", params={"provider_id": provider_id})
    if not hasattr(backend, "accounting"):
        raise InvalidInput(f"the {backend.kind} engine keeps no accounting to reconcile with", field="provider",
                           fix="reconciliation compares with Slurm's sacct: connect a slurm engine")
    first, last = month_bounds(month)
    start = datetime.combine(first, datetime.min.time(), tzinfo=pricing.CST)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=pricing.CST)
    # sacct's window is a day wider on each side; jobs are then kept by Start in the month (CST).
    raw = backend.accounting(start - timedelta(days=1), end + timedelta(days=1))
    sacct = {eid: (name, u) for eid, (name, u) in raw.items()
             if name.startswith("yz-") and u.started_at is not None and start <= u.started_at < end}
    jobs = list(session.scalars(select(ComputeJob).where(
        ComputeJob.provider_id == provider_id, ComputeJob.status.not_in(list(ACTIVE_JOB_STATUSES)),
        ComputeJob.started_at >= start, ComputeJob.started_at < end).order_by(ComputeJob.id)))
    ids = [eid for eid in sacct if eid not in {j.external_id for j in jobs}]
    if ids:  # started in the month per Slurm, but the platform dated it otherwise: still the same job
        jobs += list(session.scalars(select(ComputeJob).where(ComputeJob.provider_id == provider_id,
                                                              ComputeJob.external_id.in_(ids))))
    # A time-window sacct may lag a job that ended seconds ago; ask for the platform's own ids directly.
    absent = [j.external_id for j in jobs if j.external_id and j.external_id not in sacct]
    if absent:
        sacct.update({eid: ("", u) for eid, u in backend.usage_many(absent).items()})
    cards = list(session.scalars(select(RateCardRow).where(RateCardRow.provider_id == provider_id)
                                 .order_by(RateCardRow.valid_from)))
    return compare(month, provider_id, jobs, sacct, cards)


#: the workbook's headers: Chinese first (people open it), the machine name after it (programs match on it);
#: the last two are the yuan twins of ``platform``/``sacct`` when the differing field is an amount in fen
XLSX_HEADERS = ("差异类型 kind", "作业 job", "Slurm 编号 slurm id", "字段 field", "平台值 platform", "sacct 值 sacct",
                "平台（元） platform_yuan", "sacct（元） sacct_yuan")


def _yuan_of(field_name: str, value: str) -> Decimal | None:
    """``12345`` in a ``*_fen`` field → ``Decimal('123.45')`` (exact, never float); other fields: empty."""
    if not field_name.endswith("_fen") or not value.lstrip("-").isdigit():
        return None
    return Decimal(int(value)).scaleb(-2)


def to_xlsx(rep: Report) -> bytes:
    """The report as a workbook: the differences, then the totals (fen for programs, yuan for people)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = f"reconcile {rep.month}"
    ws.append(list(XLSX_HEADERS))
    for d in rep.differences:
        ws.append([*d.row(), _yuan_of(d.field, d.platform), _yuan_of(d.field, d.sacct)])
    ws.append([])
    ws.append(["平台作业数 jobs (platform)", rep.jobs_platform, "sacct 作业数 jobs (sacct)", rep.jobs_sacct])
    ws.append(["计费金额（分） charged_fen", rep.charged_fen, "补贴金额（分） subsidy_fen", rep.subsidy_fen])
    ws.append(["计费金额（元） charged_yuan", Decimal(rep.charged_fen).scaleb(-2),
               "补贴金额（元） subsidy_yuan", Decimal(rep.subsidy_fen).scaleb(-2)])
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, Decimal):
                c.number_format = "#,##0.00"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
