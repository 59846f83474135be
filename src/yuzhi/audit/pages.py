"""Public page: the newest audit anchor, so anyone can note it and later hold the platform to it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yuzhi.audit.api import latest, store_of
from yuzhi.fmt import local_time
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser
from yuzhi.web.forms import page

router = APIRouter(include_in_schema=False)
NAV: list[tuple[str, str, str]] = [("Audit anchor", "/audit/anchor", "public")]

i18n.register("zh", {
    "Audit anchor": "审计锚点", "Checkpoint": "检查点", "Taken at": "生成时间", "Combined head": "合并链头",
    "Signed with key": "签名密钥", "Signature": "签名", "No anchor yet.": "尚无锚点。",
    "Every change to vouchers, bills, quotas, settlements and the ledger is recorded in hash chains. "
    "The platform signs the chains' heads regularly and keeps the signatures outside its database; "
    "the newest one is published here. Note it: if anyone later removes or rewrites records, "
    "`yuzhi audit verify` fails against it.":
        "算力券、账单、额度、结算和总账的每次变更都记录在哈希链中。平台定期对链头签名，并把签名保存在数据库之外；"
        "最新的签名公布于此。请记下它：若日后有人删除或改写记录，`yuzhi audit verify` 将据此报错。",
})


@router.get("/audit/anchor", response_class=HTMLResponse)
def anchor_page(request: Request, actor: OptionalUser) -> Response:
    found = latest(store_of(request))
    at = None
    if found is not None:
        at = local_time(found.at, seconds=True)  # display zone (YUZHI_TIMEZONE); seconds: anchors are minutes apart
    return page(request, "audit/anchor.html", {"anchor": found, "at_bj": at}, actor)
