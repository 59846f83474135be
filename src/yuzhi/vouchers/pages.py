"""Voucher programme web pages (server-rendered HTML, no JavaScript needed).

Every page calls the same services as the REST API (``yuzhi.vouchers.service``, ``reports``,
``yuzhi.accounts.service``, ``yuzhi.providers.service``), so the browser and the API can never
disagree about a rule, a tenant boundary or a figure.

Conventions, chosen so that a form never leaves the books half-written:

* GET pages render; forms POST and answer ``303 See Other`` with a one-shot flash message
  (post/redirect/get, so a browser refresh never submits twice).
* A :class:`~yuzhi.errors.DomainError` (bad input, wrong state, wrong tenant) rolls the request's
  transaction back *before* the page is rendered, then the page shows the message, the field and
  the fix (the ``error`` block of ``base.html``) with the error's HTTP status. The request
  dependency commits whatever the handler returns normally, so rolling back first is what makes
  "bad input changes nothing" true for forms too.
* An anonymous visitor on a private page is redirected to ``/login``; another tenant's record is
  a 404 page, exactly like the API.
* Money typed by people is in yuan (``12,345.67``) and converted to integer fen exactly
  (:func:`yuan_to_fen`); money shown is formatted from fen by the ``fen`` template filter.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import SYSTEM, Actor, Role
from yuzhi.accounts.models import Organisation, OrgKind, User
from yuzhi.accounts.schemas import AffiliationCreate, OrgCreate
from yuzhi.errors import Forbidden, InvalidInput
from yuzhi.ledger import service as ledger
from yuzhi.providers import service as registry
from yuzhi.providers.models import Criterion
from yuzhi.providers.schemas import ProviderCreate
from yuzhi.vouchers import reports, service, unit_picker
from yuzhi.vouchers.models import AppStatus, Programme, ProgrammeStatus, QuotaApplication
from yuzhi.vouchers.schemas import ApplicationCreate, ObjectionCreate, ProgrammeCreate, Review, SettlementCreate
from yuzhi.web import exports, i18n
from yuzhi.web.charts import bar_chart, hbar_chart
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.forms import done_translated as _done
from yuzhi.web.forms import html_errors, validated, yuan_to_fen
from yuzhi.web.forms import need as _need
from yuzhi.web.forms import on_error as _on_error
from yuzhi.web.forms import page as _page

router = APIRouter(include_in_schema=False)

# the dashboard's clawback labels (the other labels live in yuzhi.web.i18n)
i18n.register("zh", {"Paid out": "已拨付", "Owed back": "应追回", "Repaid": "已退回"})
i18n.register("ja", {"Paid out": "支払総額", "Owed back": "返還請求額", "Repaid": "返還済み"})
_PICKER = ("Unit name or USCC", "Find a unit", "No approved unit matches.",
           "%(n)s units match; the first %(k)s are shown: type more of the name or code.")
i18n.register("zh", dict(zip(_PICKER, (
    "单位名称或统一社会信用代码", "查找单位", "没有匹配的已批准单位。",
    "共 %(n)s 个单位匹配，显示前 %(k)s 个：请输入更多名称或代码。"), strict=True)))
i18n.register("ja", dict(zip(_PICKER, (
    "組織名または統一社会信用コード", "組織を検索", "一致する承認済み組織はありません。",
    "%(n)s 件が一致し、最初の %(k)s 件を表示：名称かコードをさらに入力してください。"), strict=True)))

#: Menu entries: (label, href, who) with who = public / any (logged in) / office.
NAV = [
    ("Dashboard", "/vouchers/dashboard", "office"),
    ("Applications", "/vouchers/applications", "any"),
    ("Bills", "/vouchers/bills", "any"),
    ("Settlement", "/vouchers/settlements", "office"),
    ("Disclosure", "/vouchers/disclosure", "public"),
    ("Statement", "/vouchers/statement", "any"),
    ("Organisations", "/vouchers/organisations", "office"),
    ("Providers", "/vouchers/providers", "public"),
    ("Programme", "/vouchers/programmes", "office"),
    ("Policy simulator", "/vouchers/simulate", "office"),
    ("Provider portal", "/vouchers/portal", "provider"),
]

#: A visitor without an account (public objections): no office powers, so identified and rate-limited.
_ANONYMOUS = Actor(user_id=None, username="public", role=Role.MEMBER)


def _schema(model: type[BaseModel], **data: Any) -> Any:
    return validated(model, data)


PER_PAGE = 100


def _pager(request: Request, total: int, page: int) -> dict[str, Any]:
    """Range shown and links to the neighbouring pages (other query parameters kept)."""
    last = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), last)
    url = request.url

    def link(n: int) -> str:
        u = url.include_query_params(page=n)
        return f"{u.path}?{u.query}"

    return {"page": page, "last": last, "first_row": (page - 1) * PER_PAGE + 1 if total else 0,
            "last_row": min(total, page * PER_PAGE), "total": total,
            "prev": link(page - 1) if page > 1 else None, "next": link(page + 1) if page < last else None}


def _programme(session: Session, year: int | None) -> Programme | None:
    return reports.programme_or_latest(session, year)


def _years(session: Session) -> list[int]:
    return [p.year for p in service.list_programmes(session)]


def _names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """Organisation and provider names by id (for tables)."""
    orgs = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    return orgs, registry.names(session)  # the whitelist is public


# --- dashboard --------------------------------------------------------------------------------


@router.get("/vouchers", response_class=HTMLResponse)
def vouchers_home(request: Request, actor: OptionalUser) -> Response:
    if actor is None:
        return RedirectResponse("/vouchers/disclosure", status_code=303)
    if actor.is_office:
        return RedirectResponse("/vouchers/dashboard", status_code=303)
    return RedirectResponse("/vouchers/bills" if actor.is_provider else "/vouchers/statement", status_code=303)


@router.get("/vouchers/dashboard", response_class=HTMLResponse)
@html_errors
def dashboard(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None) -> Response:
    """Office dashboard: pool cards, breakdowns, monthly subsidy chart, top units, alerts."""
    actor = _need(actor, office=True)
    p = _programme(session, year)
    if p is None:
        return _page(request, "vouchers/dashboard.html", {"d": None, "years": []}, actor)
    d = reports.dashboard(session, actor=actor, year=p.year)
    months = [m[5:] for m, _ in d.monthly]
    from yuzhi.fmt import money_card  # charts read at a glance: 万元/亿元 with the unit, one rule (issue 15)
    from yuzhi.web.templating import lang_of

    lang = lang_of(request)
    chart = bar_chart(months, [v for _, v in d.monthly], title="monthly subsidy (yuan)",
                      fmt=lambda v: money_card(int(v), lang))
    providers_chart = hbar_chart([n for n, _ in d.by_provider], [v for _, v in d.by_provider],
                                 fmt=lambda v: money_card(int(v), lang))
    pct = (lambda a: f"{100 * a / d.pool_fen:.1f}%") if d.pool_fen else (lambda a: "—")
    open_objections = len(service.list_objections(session, actor=actor, status="open"))
    pending_orgs = accounts.list_orgs(session, actor=actor, status="pending", limit=1)[1]
    return _page(request, "vouchers/dashboard.html", {
        "d": d, "p": p, "years": _years(session), "chart": chart, "providers_chart": providers_chart,
        "pct": pct, "open_objections": open_objections, "pending_orgs": pending_orgs,
        "forecast": _simulate_pages.forecast_of(session, p)}, actor)


# --- applications -----------------------------------------------------------------------------


def _applications_ctx(session: Session, actor: Actor, year: int | None, status: str | None,
                      form: dict[str, str] | None = None, page: int = 1) -> dict[str, Any]:
    p = _programme(session, year)
    page = max(1, page)
    rows, total = service.list_applications(session, actor=actor, year=p.year if p else None, status=status or None,
                                            limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    orgs, provs = _names(session)
    whitelist = [pr for pr in registry.list_all(session) if pr.status == "active"]
    open_years = [q.year for q in service.list_programmes(session) if q.status == ProgrammeStatus.OPEN]
    can_apply = (not actor.is_office and not actor.is_provider and actor.org_id is not None)
    return {"rows": rows, "total": total, "p": p, "years": _years(session), "orgs": orgs, "provs": provs,
            "whitelist": whitelist, "open_years": open_years, "can_apply": can_apply, "status": status or "",
            "statuses": [s.value for s in AppStatus], "form": form or {}}


@router.get("/vouchers/applications", response_class=HTMLResponse)
@html_errors
def applications(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None,
                 status: str | None = None, page: int = Query(1, ge=1)) -> Response:
    """Applications with status badges; a unit's apply form lists the provider whitelist."""
    actor = _need(actor)
    ctx = _applications_ctx(session, actor, year, status, page=page)
    ctx["pager"] = _pager(request, ctx["total"], page)
    return _page(request, "vouchers/applications.html", ctx, actor)


@router.post("/vouchers/applications")
@html_errors
def apply(request: Request, session: SessionDep, actor: OptionalUser,
          year: Annotated[str, Form()] = "", provider_id: Annotated[str, Form()] = "",
          contract_no: Annotated[str, Form()] = "", planned_spend: Annotated[str, Form()] = "",
          purpose: Annotated[str, Form()] = "") -> Response:
    actor = _need(actor)
    form = {"year": year, "provider_id": provider_id, "contract_no": contract_no, "planned_spend": planned_spend,
            "purpose": purpose}
    _on_error(request, "vouchers/applications.html",
              lambda: _applications_ctx(session, actor, None, None, form))
    spend = yuan_to_fen(planned_spend, field="planned_spend")
    app_in = _schema(ApplicationCreate, year=year or 0, provider_id=provider_id or 0, contract_no=contract_no,
                     planned_spend_fen=spend, purpose=purpose)
    a = service.apply(session, actor=actor, app_in=app_in)
    return _done(request, f"/vouchers/applications/{a.id}", "application {id} submitted ({contract})", id=a.id,
                 contract=a.contract_no)


def _application_ctx(session: Session, actor: Actor, app_id: int) -> dict[str, Any]:
    a = service.get_application(session, actor=actor, app_id=app_id)
    p = session.get(Programme, a.programme_id)
    orgs, provs = _names(session)
    cap: int | None = None
    limits: dict[str, int] = {}
    if actor.is_office and a.status in (AppStatus.SUBMITTED, AppStatus.OBJECTED) and p is not None:
        cap, limits = service.max_approvable(session, p=p, a=a)
    objections = service.application_objections(session, actor=actor, application=a)  # the office's only
    return {"a": a, "p": p, "org": orgs.get(a.org_id, str(a.org_id)), "provider": provs.get(a.provider_id, ""),
            "cap": cap, "limits": limits, "objections": objections}


@router.get("/vouchers/applications/{app_id}", response_class=HTMLResponse)
@html_errors
def application(request: Request, session: SessionDep, actor: OptionalUser, app_id: int) -> Response:
    """One application; the office sees the maximum approvable now and each limit behind it."""
    actor = _need(actor)
    return _page(request, "vouchers/application.html", _application_ctx(session, actor, app_id), actor)


@router.post("/vouchers/applications/{app_id}/review")
@html_errors
def review(request: Request, session: SessionDep, actor: OptionalUser, app_id: int,
           decision: Annotated[str, Form()] = "", amount: Annotated[str, Form()] = "",
           reason: Annotated[str, Form()] = "") -> Response:
    actor = _need(actor, office=True)
    _on_error(request, "vouchers/application.html", lambda: _application_ctx(session, actor, app_id))
    if decision not in ("approve", "reject"):
        raise InvalidInput("choose approve or reject", field="decision", fix="press Approve or Reject")
    approve = decision == "approve"
    amount_fen = yuan_to_fen(amount, field="amount", allow_empty=True) if approve else None
    a = service.review(session, actor=actor, app_id=app_id,
                       decision=_schema(Review, approve=approve, amount_fen=amount_fen, reason=reason))
    if approve:
        return _done(request, f"/vouchers/applications/{a.id}", "application {id} approved: {amount_fen} ({status})",
                     id=a.id, amount_fen=a.approved_fen, status=a.status)
    return _done(request, f"/vouchers/applications/{a.id}", "application {id} rejected", id=a.id)


# --- disclosure and objections ----------------------------------------------------------------


def _disclosure_ctx(session: Session, year: int | None) -> dict[str, Any]:
    p = _programme(session, year)
    rows = service.disclosure(session, year=p.year if p else None)
    from yuzhi.vouchers import review2  # the issuing office and contact line set for the year (issue 15)

    s = review2.notice(session, p.year) if p else None
    notice = {"office": s.issuing_office, "contact": s.contact} if s and (s.issuing_office or s.contact) else None
    return {"rows": rows, "p": p, "years": _years(session), "notice": notice}


@router.get("/vouchers/disclosure", response_class=HTMLResponse)
@html_errors
def disclosure(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None) -> Response:
    """Public disclosure (公示) of approved quotas, with an objection form while on disclosure."""
    return _page(request, "vouchers/disclosure.html", _disclosure_ctx(session, year), actor)


@router.post("/vouchers/disclosure/{app_id}/objection")
@html_errors
def lodge_objection(request: Request, session: SessionDep, actor: OptionalUser, app_id: int,
                    text: Annotated[str, Form()] = "", submitted_by: Annotated[str, Form()] = "") -> Response:
    _on_error(request, "vouchers/disclosure.html", lambda: _disclosure_ctx(session, None))
    obj_in = _schema(ObjectionCreate, text=text.strip(), submitted_by=submitted_by.strip() or "public")
    o = service.lodge_objection(session, actor=actor or _ANONYMOUS, app_id=app_id, obj_in=obj_in)
    return _done(request, "/vouchers/disclosure", "objection {oid} to application {id} recorded; the office will "
                 "review it before the quota takes effect", oid=o.id, id=app_id)


def _objections_ctx(session: Session, actor: Actor, status: str | None) -> dict[str, Any]:
    rows = service.list_objections(session, actor=actor, status=status or None)
    orgs, _ = _names(session)
    apps = {o.application_id: session.get(QuotaApplication, o.application_id) for o in rows}
    return {"rows": rows, "apps": apps, "orgs": orgs, "status": status or ""}


@router.get("/vouchers/objections", response_class=HTMLResponse)
@html_errors
def objections(request: Request, session: SessionDep, actor: OptionalUser,
               status: str | None = Query("open")) -> Response:
    actor = _need(actor, office=True)
    return _page(request, "vouchers/objections.html", _objections_ctx(session, actor, status), actor)


@router.post("/vouchers/objections/{objection_id}/resolve")
@html_errors
def resolve_objection(request: Request, session: SessionDep, actor: OptionalUser, objection_id: int,
                      decision: Annotated[str, Form()] = "", resolution: Annotated[str, Form()] = "") -> Response:
    actor = _need(actor, office=True)
    _on_error(request, "vouchers/objections.html", lambda: _objections_ctx(session, actor, "open"))
    if decision not in ("uphold", "dismiss"):
        raise InvalidInput("choose uphold or dismiss", field="decision")
    if len(resolution.strip()) < 2:
        raise InvalidInput("a resolution needs a reason", field="resolution",
                           fix="say why the objection is upheld or dismissed")
    o = service.resolve_objection(session, actor=actor, objection_id=objection_id, uphold=decision == "uphold",
                                  resolution=resolution.strip())
    return _done(request, "/vouchers/objections", "objection {id}: {status}", id=o.id, status=o.status)


# --- bills ------------------------------------------------------------------------------------


def _bills_ctx(session: Session, actor: Actor, year: int | None, org_id: int | None,
               page: int = 1) -> dict[str, Any]:
    p = _programme(session, year)
    page = max(1, page)
    rows, total = service.list_bills(session, actor=actor, year=p.year if p else None,
                                     org_id=org_id if actor.is_office else None, limit=PER_PAGE,
                                     offset=(page - 1) * PER_PAGE)
    orgs, provs = _names(session)
    return {"rows": rows, "total": total, "p": p, "years": _years(session), "orgs": orgs, "provs": provs}


@router.get("/vouchers/bills", response_class=HTMLResponse)
@html_errors
def bills(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None,
          org_id: int | None = None, page: int = Query(1, ge=1)) -> Response:
    """Bills: a provider sees its customers' bills, a unit its own, the office all."""
    actor = _need(actor)
    ctx = _bills_ctx(session, actor, year, org_id, page=page)
    ctx["pager"] = _pager(request, ctx["total"], page)
    return _page(request, "vouchers/bills.html", ctx, actor)


@router.post("/vouchers/tokens")
@html_errors
def new_token(request: Request, session: SessionDep, actor: OptionalUser, name: Annotated[str, Form()] = "",
              days: Annotated[str, Form()] = "365") -> Response:
    """A provider operator issues an API token for its billing system; the token is shown once.

    The answer is the page itself (not a redirect): the clear token must never travel in a cookie
    or a URL, and only its SHA-256 is stored.
    """
    actor = _need(actor)
    _on_error(request, "vouchers/bills.html", lambda: _bills_ctx(session, actor, None, None))
    if not actor.is_provider:
        raise Forbidden("API tokens for pushing bills are issued to provider operators")
    if not 2 <= len(name.strip()) <= 100:
        raise InvalidInput("a token needs a name of 2 to 100 characters", field="name",
                           fix="name it after the system that will use it, e.g. billing-system")
    if not days.strip().isdigit() or not 1 <= int(days) <= 730:
        raise InvalidInput(f"{days!r} is not a validity of 1 to 730 days", field="days", fix="e.g. 365",
                           key="token_days_range", params={"text": days})
    user = session.get(User, actor.user_id)
    if user is None:
        raise Forbidden("this account cannot hold tokens")
    row, token = accounts.issue_token(session, user=user, name=name.strip(), days=int(days))
    ctx = _bills_ctx(session, actor, None, None)
    ctx["new_token"] = {"token": token, "name": row.name, "expires_at": row.expires_at}
    return _page(request, "vouchers/bills.html", ctx, actor, status_code=201)


@router.get("/vouchers/bills/{bill_id}", response_class=HTMLResponse)
@html_errors
def bill(request: Request, session: SessionDep, actor: OptionalUser, bill_id: int) -> Response:
    actor = _need(actor)
    b = service.get_bill(session, actor=actor, bill_id=bill_id)
    orgs, provs = _names(session)
    return _page(request, "vouchers/bill.html", {"b": b, "orgs": orgs, "provs": provs}, actor)


# --- settlement -------------------------------------------------------------------------------


def _settlements_ctx(session: Session, actor: Actor) -> dict[str, Any]:
    rows = service.list_settlements(session, actor=actor)
    programmes = service.list_programmes(session)
    orgs, provs = _names(session)
    due: list[tuple[str, str, int]] = []  # (form value "year:payee", label, amount due in fen)
    for p in programmes:
        ptype = service.payee_type_for(p.settlement_mode)
        prefix = f"payable:{p.year}:{ptype}:"
        owed = {int(k.rsplit(":", 1)[1]): v for k, v in ledger.balances_like(session, prefix).items() if v > 0}
        if owed:
            due.append((f"{p.year}:", f"{p.year} · {len(owed)}", sum(owed.values())))
            names = provs if ptype == "provider" else orgs
            due += [(f"{p.year}:{pid}", f"{p.year} · {names.get(pid, pid)}", v) for pid, v in sorted(owed.items())]
    return {"rows": rows, "years_by_id": {p.id: p.year for p in programmes}, "due": due}


@router.get("/vouchers/settlements", response_class=HTMLResponse)
@html_errors
def settlements(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    actor = _need(actor, office=True)
    return _page(request, "vouchers/settlements.html", _settlements_ctx(session, actor), actor)


@router.post("/vouchers/settlements")
@html_errors
def create_settlement(request: Request, session: SessionDep, actor: OptionalUser,
                      target: Annotated[str, Form()] = "", year: Annotated[str, Form()] = "",
                      payee_id: Annotated[str, Form()] = "") -> Response:
    """Settle a year's payables: ``target`` is ``"<year>:"`` (every payee) or ``"<year>:<payee id>"``."""
    actor = _need(actor, office=True)
    _on_error(request, "vouchers/settlements.html", lambda: _settlements_ctx(session, actor))
    if target:
        year, _, payee_id = target.partition(":")
    b = service.create_settlement(session, actor=actor, settle_in=_schema(
        SettlementCreate, year=year or 0, payee_id=payee_id.strip() or None))
    return _done(request, "/vouchers/settlements", "settlement batch {id} created: {n} payees, {total_fen}", id=b.id,
                 n=len(b.lines), total_fen=b.total_fen)


@router.get("/vouchers/settlements/{batch_id}/export")
@html_errors
def export_settlement(request: Request, session: SessionDep, actor: OptionalUser, batch_id: int,
                      fmt: str = Query("xlsx", pattern="^(xlsx|csv)$")) -> Response:
    """The treasury's payment file (same columns as the API export); marks a draft batch exported."""
    actor = _need(actor, office=True)
    b = service.mark_exported(session, actor=actor, batch_id=batch_id)
    return exports.download(fmt, f"settlement-{b.id}", *exports.settlement_file(b))


@router.post("/vouchers/settlements/{batch_id}/paid")
@html_errors
def mark_paid(request: Request, session: SessionDep, actor: OptionalUser, batch_id: int,
              payment_ref: Annotated[str, Form()] = "") -> Response:
    actor = _need(actor, office=True)
    _on_error(request, "vouchers/settlements.html", lambda: _settlements_ctx(session, actor))
    if len(payment_ref.strip()) < 2:
        raise InvalidInput("a payment reference is required", field="payment_ref",
                           fix="type the treasury's payment document number")
    b = service.mark_paid(session, actor=actor, batch_id=batch_id, payment_ref=payment_ref)
    return _done(request, "/vouchers/settlements", "settlement batch {id} marked paid ({ref})", id=b.id,
                 ref=b.payment_ref)


# --- unit statement ---------------------------------------------------------------------------


@router.get("/vouchers/statement", response_class=HTMLResponse)
@html_errors
def statement(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None,
              org_id: int | None = None, fmt: str = Query("html", pattern="^(html|xlsx|csv)$"),
              page: int = 1, q: str | None = None) -> Response:
    """A unit's year: quota, bills, subsidy and what it owes; .xlsx/.csv export. The office finds the
    unit by a search (``q``: part of its name or USCC), not in a list of every unit (issue 14)."""
    actor = _need(actor)
    if actor.is_provider:  # a computing centre's 对账单 is its monthly statement per customer (the portal)
        return RedirectResponse("/vouchers/portal/statement", status_code=303)
    p = _programme(session, year)
    picker = unit_picker.pick(session, q=q, org_id=org_id) if actor.is_office else None
    if actor.is_office and org_id is None:
        return _page(request, "vouchers/statement.html", {"st": None, "p": p, "picker": picker,
                                                          "years": _years(session)}, actor)
    target = org_id if actor.is_office else actor.org_id
    if p is None or target is None:
        return _page(request, "vouchers/statement.html", {"st": None, "p": p, "picker": picker,
                                                          "years": _years(session)}, actor)
    # the page reads one page of bills (totals summed in the database); an export reads them all
    st = reports.statement(session, actor=actor, org_id=target, year=p.year, page=page if fmt == "html" else None,
                           per_page=PER_PAGE)
    if fmt != "html":
        rows = [(b.invoice_no, b.kind, str(b.period_start), str(b.period_end), b.amount_fen, b.eligible_fen,
                 b.subsidy_fen, b.owed_fen, b.ineligible_reason) for b in st.bills]
        return exports.download(fmt, f"statement-{st.org.uscc}-{p.year}",
                                ["invoice_no", "kind", "period_start", "period_end", "amount_fen", "eligible_fen",
                                 "subsidy_fen", "owed_fen", "note"], rows)
    provs = registry.names(session)  # the public whitelist, not every organisation's name
    # a busy unit bills a thousand times a year: the page shows the bills a hundred at a time (the totals
    # above cover all of them; the .xlsx/.csv export holds every bill)
    pager = _pager(request, st.bills_total, page) if st.bills_total > PER_PAGE else None
    return _page(request, "vouchers/statement.html", {"st": st, "p": p, "picker": picker, "provs": provs,
                                                      "years": _years(session), "org_id": target,
                                                      "pager": pager}, actor)


# --- organisations ----------------------------------------------------------------------------


def _orgs_ctx(session: Session, actor: Actor, status: str | None) -> dict[str, Any]:
    rows, total = accounts.list_orgs(session, actor=actor, status=status or None, limit=1000)
    ctx: dict[str, Any] = {"rows": rows, "total": total, "status": status or ""}
    if actor.is_office:
        orgs, _ = _names(session)
        ctx["orgs"] = orgs
        ctx["affiliations"] = accounts.list_affiliations(session, actor=actor)
    return ctx


@router.get("/vouchers/organisations", response_class=HTMLResponse)
@html_errors
def organisations(request: Request, session: SessionDep, actor: OptionalUser, status: str | None = None) -> Response:
    """The office approves registrations; a member sees its own organisation."""
    actor = _need(actor)
    return _page(request, "vouchers/organisations.html", _orgs_ctx(session, actor, status), actor)


@router.post("/vouchers/organisations/{org_id}/decision")
@html_errors
def decide_org(request: Request, session: SessionDep, actor: OptionalUser, org_id: int,
               decision: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    actor = _need(actor, office=True)
    _on_error(request, "vouchers/organisations.html", lambda: _orgs_ctx(session, actor, "pending"))
    if decision not in ("approve", "reject"):
        raise InvalidInput("choose approve or reject", field="decision")
    org = accounts.decide_org(session, actor=actor, org_id=org_id, approve=decision == "approve", reason=reason)
    return _done(request, "/vouchers/organisations?status=pending", "{name}: {status}", name=org.name,
                 status=org.status)


@router.post("/vouchers/affiliations")
@html_errors
def add_affiliation(request: Request, session: SessionDep, actor: OptionalUser,
                    org_a_id: Annotated[str, Form()] = "", org_b_id: Annotated[str, Form()] = "",
                    note: Annotated[str, Form()] = "") -> Response:
    """Declare two organisations related parties (关联方): no subsidy flows between them."""
    actor = _need(actor, office=True)
    _on_error(request, "vouchers/organisations.html", lambda: _orgs_ctx(session, actor, None))
    aff = accounts.add_affiliation(session, actor=actor, aff_in=_schema(
        AffiliationCreate, org_a_id=org_a_id or 0, org_b_id=org_b_id or 0, note=note.strip()))
    orgs, _ = _names(session)
    return _done(request, "/vouchers/organisations", "{a} and {b} declared related parties",
                 a=orgs.get(aff.org_a_id), b=orgs.get(aff.org_b_id))


def _register_ctx(form: dict[str, str] | None = None) -> dict[str, Any]:
    return {"kinds": [k.value for k in OrgKind], "form": form or {}}


@router.get("/vouchers/register", response_class=HTMLResponse)
@html_errors
def register_form(request: Request, actor: OptionalUser) -> Response:
    """Public registration of a unit (enterprise, university, research institute)."""
    return _page(request, "vouchers/register.html", _register_ctx(), actor)


@router.post("/vouchers/register")
@html_errors
def register(request: Request, session: SessionDep, actor: OptionalUser, uscc: Annotated[str, Form()] = "",
             name: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
             industry: Annotated[str, Form()] = "") -> Response:
    form = {"uscc": uscc, "name": name, "kind": kind, "industry": industry}
    _on_error(request, "vouchers/register.html", lambda: _register_ctx(form))
    org = accounts.register_org(session, actor=actor or SYSTEM, org_in=_schema(
        OrgCreate, uscc=uscc.strip(), name=name.strip(), kind=kind, industry=industry.strip()))
    return _done(request, "/vouchers/register", "{name} ({uscc}, {city}) registered; the programme office will "
                 "review it", name=org.name, uscc=org.uscc, city=org.city)


# --- providers --------------------------------------------------------------------------------


def _providers_ctx(session: Session, form: dict[str, str] | None = None) -> dict[str, Any]:
    orgs, _ = _names(session)
    return {"rows": registry.list_all(session), "orgs": orgs, "criteria": [c.value for c in Criterion],
            "form": form or {}}


@router.get("/vouchers/providers", response_class=HTMLResponse)
@html_errors
def providers(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    """The provider whitelist (public); the office administrator whitelists and suspends."""
    return _page(request, "vouchers/providers.html", _providers_ctx(session), actor)


@router.post("/vouchers/providers")
@html_errors
def whitelist(request: Request, session: SessionDep, actor: OptionalUser, org_uscc: Annotated[str, Form()] = "",
              name: Annotated[str, Form()] = "", criterion: Annotated[str, Form()] = "",
              evidence: Annotated[str, Form()] = "", valid_from: Annotated[str, Form()] = "",
              valid_to: Annotated[str, Form()] = "") -> Response:
    actor = _need(actor, admin=True)
    form = {"org_uscc": org_uscc, "name": name, "criterion": criterion, "evidence": evidence,
            "valid_from": valid_from, "valid_to": valid_to}
    _on_error(request, "vouchers/providers.html", lambda: _providers_ctx(session, form))
    org = accounts.get_org_by_uscc(session, org_uscc)
    if org is None:
        raise InvalidInput(f"no organisation with USCC {org_uscc.strip() or '(empty)'} is registered",
                           field="org_uscc", fix="register the provider's legal entity first, then whitelist it",
                           key="provider_org_unknown", params={"uscc": org_uscc.strip() or "—"})
    p = registry.whitelist(session, actor=actor, provider_in=_schema(
        ProviderCreate, org_id=org.id, name=name.strip(), criterion=criterion, evidence=evidence.strip(),
        valid_from=valid_from or None, valid_to=valid_to or None))
    return _done(request, "/vouchers/providers", "{name} whitelisted ({start} to {end})", name=p.name,
                 start=p.valid_from, end=p.valid_to)


@router.post("/vouchers/providers/{provider_id}/status")
@html_errors
def provider_status(request: Request, session: SessionDep, actor: OptionalUser, provider_id: int,
                    action: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    actor = _need(actor, admin=True)
    _on_error(request, "vouchers/providers.html", lambda: _providers_ctx(session))
    if action not in ("suspend", "resume"):
        raise InvalidInput("choose suspend or resume", field="action")
    p = registry.set_status(session, actor=actor, provider_id=provider_id, active=action == "resume",
                            reason=reason)
    return _done(request, "/vouchers/providers", "{name}: {status}", name=p.name, status=p.status)


# --- programme years and year close -----------------------------------------------------------


def _programmes_ctx(session: Session) -> dict[str, Any]:
    rows = service.list_programmes(session)
    remaining = {p.id: service.pool_remaining(session, p) for p in rows}
    next_year = max((p.year for p in rows), default=date.today().year - 1) + 1
    return {"rows": rows, "remaining": remaining, "next_year": next_year}


@router.get("/vouchers/programmes", response_class=HTMLResponse)
@html_errors
def programmes(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    actor = _need(actor, office=True)
    return _page(request, "vouchers/programmes.html", _programmes_ctx(session), actor)


@router.post("/vouchers/programmes")
@html_errors
def create_programme(request: Request, session: SessionDep, actor: OptionalUser,
                     year: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                     pool: Annotated[str, Form()] = "", unit_cap: Annotated[str, Form()] = "",
                     rate_percent: Annotated[str, Form()] = "20", settlement_mode: Annotated[str, Form()] = "discount",
                     disclosure_days: Annotated[str, Form()] = "5") -> Response:
    actor = _need(actor, admin=True)
    _on_error(request, "vouchers/programmes.html", lambda: _programmes_ctx(session))
    pool_fen = yuan_to_fen(pool, field="pool")
    cap_fen = yuan_to_fen(unit_cap, field="unit_cap")
    try:
        rate_bp = int(Decimal(rate_percent.strip() or "0") * 100)
    except InvalidOperation:
        raise InvalidInput(f"{rate_percent!r} is not a percentage", field="rate_percent", fix="e.g. 20",
                           key="not_a_percentage", params={"text": rate_percent}) from None
    p = service.create_programme(session, actor=actor, prog_in=_schema(
        ProgrammeCreate, year=year or 0, name=name.strip(), pool_fen=pool_fen, unit_cap_fen=cap_fen,
        rate_bp=rate_bp, settlement_mode=settlement_mode, disclosure_days=disclosure_days or 0))
    return _done(request, "/vouchers/programmes", "{year} programme opened: pool {pool_fen}", year=p.year,
                 pool_fen=p.pool_fen)


@router.post("/vouchers/programmes/{year}/close")
@html_errors
def close_year(request: Request, session: SessionDep, actor: OptionalUser, year: int,
               confirm: Annotated[str, Form()] = "") -> Response:
    actor = _need(actor, admin=True)
    _on_error(request, "vouchers/programmes.html", lambda: _programmes_ctx(session))
    if confirm.strip() != str(year):
        raise InvalidInput(f"type {year} to confirm closing the year", field="confirm",
                           fix="closing expires all unused quota and refuses further bills; it cannot be undone",
                           key="close_confirm", params={"year": year})
    out = service.close_year(session, actor=actor, year=year)
    return _done(request, "/vouchers/programmes", "{year} closed: {expired_fen} unused quota expired back to the pool",
                 year=year, expired_fen=out["expired_fen"])


# --- policy simulator (read-only; its own module) --------------------------------------------------

from yuzhi.vouchers import simulate_pages as _simulate_pages  # noqa: E402

router.include_router(_simulate_pages.router)


from yuzhi.vouchers.portal_pages import router as _portal_router  # noqa: E402  (provider portal, issue 15)

router.include_router(_portal_router)
from yuzhi.vouchers.casefile_pages import router as _casefile_router  # noqa: E402  (case file, issue 15)

router.include_router(_casefile_router)
