"""The account page: your API tokens and login sessions (last use, expiry, revoke), a new token
(shown once), and for office administrators everyone's tokens and the maximum token lifetime."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yuzhi.accounts import service
from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import User
from yuzhi.errors import Forbidden, InvalidInput
from yuzhi.fmt import local_time
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.forms import done_translated, html_errors, need, on_error, page

router = APIRouter(include_in_schema=False)
NAV: list[tuple[str, str, str]] = [("Account", "/account", "any")]
_BEIJING = timezone(timedelta(hours=8))

i18n.register("zh", {
    "{name} ({prefix}…) revoked": "令牌 {name}（{prefix}…）已吊销",
    "API tokens now live at most {days} days; {n} shortened": "API 令牌有效期现为最多 {days} 天；已缩短 {n} 个",
    "Account": "账户", "API tokens and sessions": "API 令牌与登录会话", "New API token": "新建 API 令牌",
    "Name": "名称", "Valid for (days)": "有效期（天）", "Issue": "签发", "Kind": "类型", "Created": "创建",
    "Expires": "到期", "Last used": "最近使用", "Revoke": "吊销", "Owner": "所有者",
    "Copy it now: it is shown only once.": "请立即复制：令牌只显示这一次。",
    "Maximum token lifetime (days)": "令牌最长有效期（天）", "Save": "保存", "session": "登录会话", "api": "API",
    "Everyone's tokens": "全部用户的令牌", "never": "从未", "Times are Beijing time.": "时间为北京时间。",
})
i18n.register("ja", {
    "Account": "アカウント", "API tokens and sessions": "API トークンとログインセッション",
    "New API token": "新しい API トークン", "Name": "名前", "Valid for (days)": "有効期間（日）", "Issue": "発行",
    "Kind": "種類", "Created": "作成", "Expires": "期限", "Last used": "最終使用", "Revoke": "失効",
    "Owner": "所有者", "Copy it now: it is shown only once.": "今すぐコピーしてください。一度だけ表示されます。",
    "Maximum token lifetime (days)": "トークンの最長有効期間（日）", "Save": "保存", "session": "セッション",
    "api": "API", "Everyone's tokens": "全ユーザーのトークン", "never": "なし",
    "Times are Beijing time.": "時刻は北京時間。",
})


def _bj(value: Any) -> str:
    return local_time(value) if value is not None else ""  # display zone (YUZHI_TIMEZONE), to the minute


def _ctx(session: Session, actor: Actor, everyone: bool = False) -> dict[str, Any]:
    rows = service.list_tokens(session, actor=actor, everyone=everyone and actor.is_admin)
    tokens = [{"id": t.id, "name": t.name, "prefix": t.prefix, "kind": "session" if t.session else "api",
               "owner": u, "created": _bj(t.created_at), "expires": _bj(t.expires_at),
               "last_used": _bj(t.last_used_at)} for t, u in rows]
    return {"tokens": tokens, "everyone": everyone and actor.is_admin, "max_days": service.token_max_days(session)}


@router.get("/account", response_class=HTMLResponse)
@html_errors
def account(request: Request, session: SessionDep, actor: OptionalUser, everyone: bool = False) -> Response:
    actor = need(actor)
    return page(request, "accounts/account.html", _ctx(session, actor, everyone), actor)


@router.post("/account/tokens")
@html_errors
def issue(request: Request, session: SessionDep, actor: OptionalUser, name: Annotated[str, Form()] = "",
          days: Annotated[str, Form()] = "90") -> Response:
    """The new token is in this answer only (not a redirect: it must not travel in a cookie or URL)."""
    actor = need(actor)
    on_error(request, "accounts/account.html", lambda: _ctx(session, actor))
    if not 2 <= len(name.strip()) <= 100:
        raise InvalidInput("a token needs a name of 2 to 100 characters", field="name",
                           fix="name it after the program that will use it, e.g. erp-sync")
    if not days.strip().isdigit():
        raise InvalidInput(f"{days!r} is not a number of days", field="days", fix="e.g. 90",
                           key="not_days", params={"text": days})
    user = session.get(User, actor.user_id)
    if user is None:
        raise Forbidden("this account cannot hold tokens")
    row, token = service.issue_token(session, user=user, name=name.strip(), days=int(days))
    ctx = _ctx(session, actor)
    ctx["new_token"] = {"token": token, "name": row.name, "expires": _bj(row.expires_at)}
    return page(request, "accounts/account.html", ctx, actor, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
@html_errors
def revoke(request: Request, session: SessionDep, actor: OptionalUser, token_id: int) -> Response:
    actor = need(actor)
    on_error(request, "accounts/account.html", lambda: _ctx(session, actor))
    tok = service.revoke_token_id(session, actor=actor, token_id=token_id)
    return done_translated(request, "/account", "{name} ({prefix}…) revoked", name=tok.name, prefix=tok.prefix)


@router.post("/account/token-policy")
@html_errors
def policy(request: Request, session: SessionDep, actor: OptionalUser,
           max_days: Annotated[str, Form()] = "") -> Response:
    actor = need(actor, admin=True)
    on_error(request, "accounts/account.html", lambda: _ctx(session, actor))
    if not max_days.strip().isdigit():
        raise InvalidInput(f"{max_days!r} is not a number of days", field="max_days", fix="e.g. 90",
                           key="not_days", params={"text": max_days})
    n = service.set_token_max_days(session, actor=actor, days=int(max_days))
    return done_translated(request, "/account", "API tokens now live at most {days} days; {n} shortened",
                           days=int(max_days), n=n)
