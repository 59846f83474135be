"""Platform-wide pages: home, login, logout, and the HTML error page a browser gets instead of JSON.

An unknown URL (or a domain error that reaches no page handler) answers a person with a zh/en page
saying what happened and where to go next; programs (``/api/…``, non-HTML ``Accept``) keep the JSON body.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from yuzhi.accounts import service as accounts
from yuzhi.errors import DomainError
from yuzhi.ops.logging import request_id_var
from yuzhi.web import i18n
from yuzhi.web.deps import SESSION_COOKIE, OptionalUser, SessionDep, client_address, optional_actor
from yuzhi.web.templating import render

router = APIRouter(include_in_schema=False)
NAV: list[tuple[str, str, str]] = []  # "/" redirects to the role's home page


@router.get("/", response_model=None)
def home(request: Request, actor: OptionalUser):
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    if actor.is_office:
        return RedirectResponse("/vouchers/dashboard", status_code=303)
    if actor.is_provider:
        return RedirectResponse("/vouchers/bills", status_code=303)
    return RedirectResponse("/vouchers/statement", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, session: SessionDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()]):
    try:
        user = accounts.login(session, username=username.strip(), password=password,
                              address=client_address(request))
    except DomainError as exc:
        return render(request, "login.html", {"error": exc, "username": username}, status_code=exc.status_code)
    _row, token = accounts.issue_token(session, user=user, name="browser", days=1, browser_session=True)
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", max_age=86400)
    return resp


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.revoke_token(session, token=token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


#: Paths that always answer programs (JSON), whatever the caller accepts.
_MACHINE_PREFIXES = ("/api/", "/static/", "/healthz", "/readyz", "/metrics", "/openapi.json")

#: Title and next step for each status a browser may land on (English keys; zh below).
_STATUS_TEXT = {
    404: ("Page not found", "The address may be mistyped, or the page was moved. Use the menu or go home."),
    403: ("Not allowed", "This page needs another role. Log in with an account that has it, or ask the "
          "programme office."),
    401: ("Please log in", "Log in first; you will then see the pages your role may use."),
    405: ("Not available here", "This address cannot be opened directly. Go back and use the page's buttons."),
    409: ("Conflict", "Someone changed this at the same time. Reload the page and try again."),
}

i18n.register("zh", {
    "Menu": "菜单", "Page not found": "页面不存在", "Not allowed": "无权访问", "Please log in": "请先登录",
    "Not available here": "此处不可用", "Conflict": "数据冲突", "Something went wrong": "出错了",
    _STATUS_TEXT[404][1]: "地址可能输错了，或页面已移动。请使用上方菜单，或回到首页。",
    _STATUS_TEXT[403][1]: "此页面需要其他角色。请用有相应权限的账号登录，或联系项目办公室。",
    _STATUS_TEXT[401][1]: "请先登录，登录后可看到您的角色能使用的页面。",
    _STATUS_TEXT[405][1]: "此地址不能直接打开。请返回并使用页面上的按钮。",
    _STATUS_TEXT[409][1]: "他人同时修改了此记录。请刷新页面后重试。",
    "Try again later. If it keeps happening, tell the platform operator the request id below.":
        "请稍后重试。若反复出现，请把下方请求编号告诉平台运维人员。",
    "Request id": "请求编号", "Status": "状态码", "Home": "首页", "Back": "返回",
    # empty states: what to do next (templates use web/templates/_empty.html)
    "Solving… {s} s (at most the time limit)": "正在求解… 已用 {s} 秒（不超过设定的时限）",
    "Open": "打开", "Live console": "实时监控台", "Compute jobs": "算力作业",
    "Alarms appear here when a sensor crosses its limit or stops reporting. Watch the live console; your "
    "organisation's sensors are registered by the operator.":
        "传感器超限或停止上报时，报警会显示在这里。请查看实时监控台；本单位的传感器由运维人员登记。",
    "Submit a job with the form above (a script and the resources it needs); it runs on a whitelisted "
    "computing centre and its bill is paid from your voucher quota.":
        "请用上方表单提交作业（脚本及所需资源）；作业在白名单算力中心运行，账单从本单位算力券额度中抵扣。",
    "Jobs you run on the compute network are listed here with their charge and subsidy.":
        "您在算力网络上运行的作业会连同费用和补贴列在这里。",
    "Upload an order book (xlsx or csv) with the form above to make the first plan.":
        "请用上方表单上传订单表（xlsx 或 csv），生成第一份排产计划。",
    "Units apply for quota here once a programme year is open; each application then waits for review.":
        "年度计划开放后，各单位在此申请额度；申请提交后等待审核。",
    "Anyone may object to an application while it is on public disclosure.": "申请公示期间，任何人都可以提出异议。",
    "Open the year's programme with the form below: pool, per-unit cap and disclosure days.":
        "请用下方表单开设本年度计划：资金池、单家上限和公示天数。",
    "Whitelist a computing centre with the form below (or yuzhi providers whitelist) before units can apply "
    "for it.": "请先用下方表单（或 yuzhi providers whitelist）把算力中心列入白名单，各单位才能申请使用。",
    "The office opens an award year (POST /api/awards/programmes: budget, cap per model, pass score); units can "
    "then apply for verified models.":
        "由专班开设年度奖补（POST /api/awards/programmes：预算、单模型上限、及格分），"
        "各单位随后可为已核验的模型申请奖补。",
    "Register a filed (备案) model with the form below and add its application cases; the office verifies it "
    "before you apply.": "请用下方表单登记已备案的模型并补充应用案例；专班核验后即可申请奖补。",
    "Once a model is verified, apply for its award from the Models table above; applications wait here for "
    "expert review.": "模型核验通过后，可在上方模型表中申请奖补；申请在此等待专家评审。",
    "Awards are published here once they are approved; objections may be lodged during the disclosure period.":
        "奖补批准后在此公示；公示期内可提出异议。",
    "Computing centres upload their monthly bills for approved applications (portal or yuzhi vouchers "
    "import-bills); they are listed here for checking and settlement.":
        "算力中心为已批准的申请上传月度账单（服务商门户或 yuzhi vouchers import-bills），账单在此核对并结算。",
    "No programme year is open yet: the office opens one on the programme page (pool, per-unit cap and "
    "disclosure days).": "尚未开设年度计划：请专班在年度计划页面开设（资金池、单家上限和公示天数）。",
    "Figures appear once applications are approved.": "申请获批后，这里会显示统计数据。",
    "Spending by computing centre appears once bills are approved.": "账单审核通过后，这里会显示各算力中心的支出。",
    "Figures appear once key enterprises' quarterly reports are confirmed by the office.":
        "重点企业的季度报表经专班确认后，这里会显示统计数据。",
    "No voucher programme year is open yet.": "尚未开设算力券年度计划。",
    "Estimates for firms that have not reported yet appear once some reports are confirmed.":
        "部分报表确认后，这里会显示尚未填报企业的估算值。",
    "Register a robot deployment with the form above (units register their own; the office sees all).":
        "请用上方表单登记机器人部署（各单位登记本单位的，专班可查看全部）。",
    "Designated key AI enterprises file their quarterly report with the form above (or the Excel template); "
    "the office then confirms it.": "重点人工智能企业用上方表单（或 Excel 模板）填报季度数据，由专班确认。",
})


def wants_html(request: Request) -> bool:
    """A person's browser (asks for text/html) on a page path, not a program on the API."""
    path = request.url.path
    if path.startswith(_MACHINE_PREFIXES) or path in ("/docs", "/redoc"):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, exc: DomainError | None = None) -> HTMLResponse:
    """The zh/en error page for ``status``; a domain error's own message (in the page's language)
    is shown under the generic title. Looks up the caller so the menu still shows their pages."""
    try:
        actor = optional_actor(request)
    except Exception:  # the error page must render even when the database is what failed
        actor = None
    fallback = ("Error", None) if status < 500 else ("Something went wrong", "Try again later. If it keeps "
                                                      "happening, tell the platform operator the request id below.")
    title, hint = _STATUS_TEXT.get(status, fallback)
    ctx = {"status": status, "title_key": title, "hint_key": hint, "error": exc,
           "request_id": request_id_var.get(None) if status >= 500 else None}
    return render(request, "error.html", ctx, status_code=status, actor=actor)
