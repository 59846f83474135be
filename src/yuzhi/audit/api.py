"""The audit anchors in public: the newest signed checkpoint (anyone may copy it, e.g. into a
newspaper notice or another office's records) and the full anchor file for the office to export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from yuzhi.audit.anchor import AnchorStore
from yuzhi.errors import NotFound
from yuzhi.web.deps import OfficeUser

router = APIRouter(prefix="/api/audit", tags=["audit"])


class AnchorRead(BaseModel):
    n: int = Field(description="checkpoint number (1, 2, …)")
    at: str = Field(description="when it was taken (UTC, ISO 8601)")
    combined: str = Field(description="sha256 over every chain's anchored head")
    kid: str = Field(description="id of the key that signed it")
    mac: str = Field(description="HMAC-SHA256 of the checkpoint under that key")
    chains_moved: int = Field(description="chains whose head moved since the previous checkpoint")
    count: int = Field(description="checkpoints taken so far")


def store_of(request: Request) -> AnchorStore:
    """The app's anchor file: ``app.state.anchor_store`` when set (tests), else the settings'."""
    store = getattr(request.app.state, "anchor_store", None)
    if store is None:
        from yuzhi.audit.service import default_store

        store = default_store()
    return store


def latest(store: AnchorStore) -> AnchorRead | None:
    last, count = None, 0
    for n, line in store.lines():
        last, count = (n, line), count + 1
    if last is None:
        return None
    from yuzhi.audit.anchor import parse_line

    cp = parse_line(last[1], last[0])
    return AnchorRead(n=cp.n, at=cp.at, combined=cp.combined, kid=cp.kid, mac=cp.mac, chains_moved=len(cp.heads),
                      count=count)


@router.get("/anchors/latest", response_model=AnchorRead, responses={404: {"description": "no anchor taken yet"}})
def latest_anchor(request: Request) -> AnchorRead:
    """Public: the newest signed checkpoint of the audit chains' heads."""
    found = latest(store_of(request))
    if found is None:
        raise NotFound("no audit anchor has been taken yet", field=None,
                       fix="`yuzhi serve` takes one after the first write; or run `yuzhi audit anchor`")
    return found


@router.get("/anchors", response_class=PlainTextResponse)
def export_anchors(request: Request, actor: OfficeUser) -> PlainTextResponse:
    """Office: every signed checkpoint as stored (JSON lines), to keep a copy outside the platform."""
    text = "".join(line + "\n" for _, line in store_of(request).lines())
    return PlainTextResponse(text, media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="audit-anchors.jsonl"'})
