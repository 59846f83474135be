"""Compute network web pages: jobs (list, submit, detail with log, usage, cost and subsidy),
provider utilisation, and the office's subsidy-by-provider and by-AI-service dashboard.

Pages call the same services as the REST API. Forms POST and redirect (post/redirect/get); a
:class:`~yuzhi.errors.DomainError` rolls the request back before the page shows the message, the
field and the fix, so a bad form writes nothing.
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuzhi.accounts.models import Organisation
from yuzhi.compute import service
from yuzhi.compute.jobtypes import available_types
from yuzhi.compute.models import ACTIVE_JOB_STATUSES, ComputeJob
from yuzhi.compute.pricing import CST
from yuzhi.compute.schemas import JobIn
from yuzhi.errors import InvalidInput, NotFound
from yuzhi.providers import service as registry
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.forms import done_translated as _done
from yuzhi.web.forms import html_errors as _html
from yuzhi.web.forms import need as _need
from yuzhi.web.forms import page as _page
from yuzhi.workflows import compute_billing as flows

router = APIRouter(include_in_schema=False)

i18n.register("zh", {
    "Jobs": "作业", "Compute": "算力网络", "Compute subsidy": "算力补贴", "Compute jobs": "算力作业",
    "Compute network": "算力网络", "Compute charges and voucher subsidy": "算力费用与算力券补贴",
    "Submit a job": "提交作业", "Quote, hold and submit": "报价、冻结并提交", "App": "应用", "Arguments": "参数",
    "Input file": "输入文件", "Input name": "输入名称", "Memory": "内存", "Time limit": "时限",
    "cheapest eligible": "最便宜的合格服务商", "Budget": "预算", "held": "冻结", "spent": "已用", "free": "可用",
    "Held": "冻结", "Charged": "计费", "Elapsed": "耗时", "Job": "作业", "Requested": "申请资源", "Times": "时间",
    "Metered usage": "计量用量", "peak memory": "峰值内存", "exit": "退出码", "Quote / held": "报价 / 冻结",
    "expected subsidy": "预计补贴", "Price / charged": "价格 / 计费", "Price": "价格", "bill": "账单",
    "Bill": "账单", "Inputs": "输入", "Outputs": "输出", "Log": "日志", "Cancel": "取消", "Engine": "计算引擎",
    "Capacity": "容量", "Price today": "今日价格", "CPUs in use": "使用中的 CPU", "Core-hours": "核时",
    "available": "可用", "unavailable": "不可用", "By provider": "按服务商", "By AI service": "按 AI 服务",
    "compute statement": "算力对账单", "jobs": "个作业", "queued": "排队", "submitted": "已提交",
    "running": "运行中", "succeeded": "成功", "failed": "失败", "cancelled": "已取消",
    "Rate-card history": "价目表历史", "From": "起", "To": "止", "open-ended": "长期有效",
    "Failed jobs": "失败作业", "Jobs priced": "按此价计费的作业", "core-h": "核时", "GPU-h": "GPU 时",
    "GiB-h": "GiB 时",
    "Monthly invoices and reconciliation": "月度发票与对账", "Monthly invoices": "月度发票", "Month": "月份",
    "Show": "显示", "Invoice": "发票", "Amount": "金额", "pending": "待开票", "billed": "已开票",
    "Reconciliation with sacct": "与 sacct 对账", "Download xlsx": "下载 xlsx",
    "Platform jobs": "平台作业数", "Jobs in sacct": "sacct 作业数", "Differences": "差异",
    "No differences: the platform matches sacct.": "无差异：平台与 sacct 一致。",
    "Reconciliation needs a Slurm engine": "对账需要 Slurm 计算引擎",
    "No monthly-billed jobs in this month.": "本月没有按月计费的作业。",
    "missing on platform": "平台缺失", "missing in sacct": "sacct 缺失", "usage differs": "用量不一致",
    "price differs": "价格不一致", "not billed": "未开账单", "Field": "字段", "Platform": "平台", "Kind": "类型",
})
i18n.register("ja", {
    "Jobs": "ジョブ", "Compute": "計算資源", "Compute subsidy": "計算補助", "Compute jobs": "計算ジョブ",
    "Compute network": "計算ネットワーク", "Compute charges and voucher subsidy": "計算料金とバウチャー補助",
    "Submit a job": "ジョブを投入", "Quote, hold and submit": "見積・引当・投入", "Budget": "予算",
    "Metered usage": "計量使用量", "Log": "ログ", "Cancel": "取消", "Core-hours": "コア時間",
    "queued": "待機", "submitted": "投入済", "running": "実行中", "succeeded": "成功", "failed": "失敗",
    "cancelled": "取消済",
})

NAV = [
    ("Jobs", "/compute/jobs", "any"),
    ("Compute", "/compute/providers", "public"),
    ("Compute subsidy", "/compute/dashboard", "office"),
]
def _names(session: Session) -> dict[int, str]:
    return registry.names(session)  # provider names: the whitelist is public


@router.get("/compute/jobs")
@_html
async def jobs_page(request: Request, session: SessionDep, actor: OptionalUser, status: str | None = None) -> Response:
    a = _need(actor)
    rows, total = service.list_jobs(session, actor=a, status=status or None, limit=200)
    ctx = {"rows": rows, "total": total, "provs": _names(session), "status": status or "",
           "apps": service.list_apps(session), "kinds": sorted(available_types()),
           "account": service.get_account(session, actor=a, org_id=a.org_id) if a.org_id and not a.is_provider
           else None, "can_submit": a.org_id is not None and not a.is_office and not a.is_provider}
    return _page(request, "compute/jobs.html", ctx, a)


@router.post("/compute/jobs")
@_html
async def submit_page(
    request: Request, session: SessionDep, actor: OptionalUser,
    kind: Annotated[str, Form()] = "app", app: Annotated[str, Form()] = "", args: Annotated[str, Form()] = "",
    provider_id: Annotated[str, Form()] = "", cpus: Annotated[int, Form()] = 1, mem_mb: Annotated[int, Form()] = 1024,
    time_limit_s: Annotated[int, Form()] = 3600, input_name: Annotated[str, Form()] = "",
    input_file: UploadFile | None = None,
) -> Response:
    a = _need(actor)
    store = getattr(request.app.state, "compute_store", None) or service.default_store()
    inputs: dict[str, str] = {}
    if input_file is not None and input_file.filename:
        data = await input_file.read()
        name = input_name.strip() or input_file.filename
        inputs[name] = store.put_bytes(data, name=name, owner=service.owner_key(a)).sha256
    try:
        argv = shlex.split(args)
    except ValueError as exc:
        raise InvalidInput(f"arguments: {exc}", field="args", fix="balance the quotes", key="job_args_unbalanced",
                           params={"problem": str(exc)}) from None
    try:
        job_in = JobIn(kind=kind, app=app or None, args=argv, inputs=inputs, cpus=cpus, mem_mb=mem_mb,
                       time_limit_s=time_limit_s, provider_id=int(provider_id) if provider_id else None)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(first["msg"], field=".".join(map(str, first["loc"])),
                           fix="correct this field and submit again") from None
    job = service.submit_job(session, actor=a, job_in=job_in, store=store, estimate_subsidy=flows.estimate_subsidy)
    return _done(request, f"/compute/jobs/{job.id}", "job {id} queued; {quote_fen} held", id=job.id,
                 quote_fen=job.quote_fen)


@router.get("/compute/jobs/{job_id}")
@_html
async def job_page(job_id: int, request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    a = _need(actor)
    job = service.get_job(session, actor=a, job_id=job_id)
    store = getattr(request.app.state, "compute_store", None) or service.default_store()
    from yuzhi.compute.api import job_read

    ctx = {"job": job_read(job), "provider": _names(session).get(job.provider_id, job.provider_id),
           "log": service.job_log(session, actor=a, job_id=job_id, store=store, tail_bytes=20_000),
           "active": job.status in ACTIVE_JOB_STATUSES}
    return _page(request, "compute/job.html", ctx, a)


@router.post("/compute/jobs/{job_id}/cancel")
@_html
async def cancel_page(job_id: int, request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    job = service.cancel_job(session, actor=_need(actor), job_id=job_id)
    return _done(request, f"/compute/jobs/{job.id}", "job {id}: {status}" if job.status == "cancelled"
                 else "job {id}: {status} (cancellation requested)", id=job.id, status=job.status)


@router.get("/compute/providers")
@_html
async def providers_page(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    """Provider utilisation: engine state, capacity, today's prices, running jobs, this year's usage."""
    year = datetime.now(CST).year
    rows = service.provider_overview(session, actor=actor, year=year)
    return _page(request, "compute/providers.html", {"rows": rows, "year": year}, actor)


@router.get("/compute/dashboard")
@_html
async def dashboard_page(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    """Office: compute charges and voucher subsidy by provider and by AI service (job kind)."""
    a = _need(actor)
    if not a.is_office:
        from yuzhi.errors import Forbidden

        raise Forbidden("this page is for the programme office")
    names = _names(session)
    by_provider: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for pid, kind, n, charged, subsidy in session.execute(
            select(ComputeJob.provider_id, ComputeJob.kind, func.count(), func.sum(ComputeJob.charge_fen),
                   func.sum(ComputeJob.subsidy_fen))
            .where(ComputeJob.status.not_in(list(ACTIVE_JOB_STATUSES)))
            .group_by(ComputeJob.provider_id, ComputeJob.kind)):
        for bucket in (by_provider[names.get(pid, str(pid))], by_kind[kind]):
            bucket[0] += n
            bucket[1] += int(charged or 0)
            bucket[2] += int(subsidy or 0)
    return _page(request, "compute/dashboard.html", {"by_provider": sorted(by_provider.items()),
                                                     "by_kind": sorted(by_kind.items())}, a)


@router.get("/compute/statement")
@_html
async def statement_page(request: Request, session: SessionDep, actor: OptionalUser,
                         provider_id: int | None = None, year: int | None = None) -> Response:
    """A provider's statement: every finished job with metered usage, price, charge and subsidy."""
    a = _need(actor)
    pid = provider_id if provider_id is not None else a.provider_id
    if pid is None:
        raise InvalidInput("choose a provider", field="provider_id", fix="open it from the Compute page")
    year = year or datetime.now(CST).year
    rows = service.statement(session, actor=a, provider_id=pid, year=year)
    totals = [sum(j.price_fen for j in rows), sum(j.charge_fen for j in rows), sum(j.subsidy_fen for j in rows)]
    cards = service.rate_cards(session, provider_id=pid)
    return _page(request, "compute/statement.html", {"rows": rows, "year": year, "totals": totals,
                                                     "provider": _names(session).get(pid, pid), "cards": cards,
                                                     "provider_id": pid,
                                                     "card_jobs": service.jobs_per_card(session, provider_id=pid)},
                 a)


def _month_scope(session: Session, actor, provider_id: int | None, month: str | None):
    """The provider (the operator's own; the office picks any) and the month (default: this one)."""
    a = _need(actor)
    pid = provider_id if provider_id is not None else a.provider_id
    if pid is None:
        raise InvalidInput("choose a provider", field="provider_id", fix="open it from the Compute page")
    if not (a.is_office or (a.is_provider and a.provider_id == pid)):
        raise NotFound(f"provider {pid} not found", field="provider_id",
                       key="provider_not_found", params={"provider_id": pid})
    return a, pid, month or datetime.now(CST).strftime("%Y-%m")


@router.get("/compute/invoices")
@_html
async def invoices_page(request: Request, session: SessionDep, actor: OptionalUser,
                        provider_id: int | None = None, month: str | None = None) -> Response:
    """A provider's month: its monthly invoices with their job lines, and the reconciliation with sacct
    (issue 20 item 6). The provider's operators see their own; the office every provider's."""
    from yuzhi.compute import invoices, reconcile

    a, pid, month = _month_scope(session, actor, provider_id, month)
    views = invoices.month_invoices(session, actor=a, provider_id=pid, month=month)
    ep = service.get_endpoint(session, provider_id=pid)
    report, no_engine = None, ""
    if ep is not None and ep.kind == "slurm":
        report = reconcile.reconcile(session, actor=a, provider_id=pid, month=month, backend=service.backend_for(ep))
    else:
        no_engine = ep.kind if ep is not None else "—"
    orgs = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    return _page(request, "compute/invoices.html", {
        "provider": _names(session).get(pid, pid), "provider_id": pid, "month": month, "views": views,
        "orgs": orgs, "report": report, "no_engine": no_engine, "headers": reconcile.HEADERS}, a)


@router.get("/compute/invoices/reconcile.xlsx")
@_html
async def reconcile_xlsx(request: Request, session: SessionDep, actor: OptionalUser,
                         provider_id: int | None = None, month: str | None = None) -> Response:
    """The same reconciliation report as a workbook (what ``yuzhi compute reconcile --xlsx`` writes)."""
    from yuzhi.compute import reconcile

    a, pid, month = _month_scope(session, actor, provider_id, month)
    ep = service.get_endpoint(session, provider_id=pid)
    if ep is None:
        raise InvalidInput(f"provider {pid} has no engine connected", field="provider",
                           fix="yuzhi compute connect PROVIDER --kind slurm",
                           key="provider_no_engine", params={"id": pid})
    rep = reconcile.reconcile(session, actor=a, provider_id=pid, month=month, backend=service.backend_for(ep))
    return Response(reconcile.to_xlsx(rep), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="reconcile-{pid}-{month}.xlsx"'})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
