"""Inspection web page: an engineer picks a model, uploads images and sees score, verdict, overlay.

Server-rendered; overlays are inline ``data:`` PNGs (no script, no CDN). Nothing is stored.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yuzhi.errors import DomainError
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser
from yuzhi.web.templating import render

from . import service
from .api import list_models, resolve_model

router = APIRouter(include_in_schema=False)

NAV = [("Defect inspection", "/inspect", "any")]

i18n.register("zh", {"Defect inspection": "缺陷检测", "Model": "模型", "Images": "图像", "Inspect": "检测",
                     "Score": "分数", "Verdict": "判定", "No models yet.": "尚无模型。"})
i18n.register("ja", {"Defect inspection": "欠陥検査", "Model": "モデル", "Images": "画像", "Inspect": "検査",
                     "Score": "スコア", "Verdict": "判定", "No models yet.": "モデルはまだありません。"})

MAX_FILES = 20


def _page(request: Request, actor, results=None, error=None, status_code: int = 200):  # type: ignore[no-untyped-def]
    models = list_models(actor).data
    return render(request, "inspect/index.html", {"models": models, "results": results or [], "error": error},
                  status_code=status_code, actor=actor)


@router.get("/inspect", response_class=HTMLResponse)
def index(request: Request, actor: OptionalUser) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    return _page(request, actor)


@router.post("/inspect", response_class=HTMLResponse)
def inspect_upload(
    request: Request,
    actor: OptionalUser,
    model: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    try:
        d = resolve_model(actor, model)
    except DomainError as exc:
        return _page(request, actor, error=exc, status_code=exc.status_code)
    results = []
    for f in files[:MAX_FILES]:
        name = f.filename or "upload"
        try:
            r = service.score_image(model=d, data=f.file.read(), name=name)
            results.append({"name": name, "score": r["score"], "verdict": r["verdict"], "error": None,
                            "png": base64.b64encode(r["heatmap_png"]).decode("ascii")})
        except DomainError as exc:
            results.append({"name": name, "score": None, "verdict": "ERROR", "error": str(exc), "png": None})
    return _page(request, actor, results=results)
