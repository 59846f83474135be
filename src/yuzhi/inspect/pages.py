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
                     "Score": "分数", "Verdict": "判定", "No models yet.": "尚无模型。",
                     "Model card": "模型卡", "Trained": "训练时间", "Good images": "良品图像",
                     "Training data SHA-256": "训练数据 SHA-256", "Threshold": "阈值",
                     "Validation": "验证", "caught": "检出", "good parts rejected": "良品误判",
                     "Next step": "下一步",
                     "Train a model on 10 or more images of good parts, written into your organisation's "
                     "model folder:": "用 10 张以上良品图像训练模型，写入本单位的模型目录：",
                     "at most": "至多", "leave-one-out": "留一法", "hold-out": "留出法"})
i18n.register("ja", {"Defect inspection": "欠陥検査", "Model": "モデル", "Images": "画像", "Inspect": "検査",
                     "Score": "スコア", "Verdict": "判定", "No models yet.": "モデルはまだありません。",
                     "Model card": "モデルカード", "Trained": "学習日時", "Good images": "良品画像",
                     "Training data SHA-256": "学習データ SHA-256", "Threshold": "しきい値",
                     "Validation": "検証", "caught": "検出", "good parts rejected": "良品の誤判定",
                     "Next step": "次の手順",
                     "Train a model on 10 or more images of good parts, written into your organisation's "
                     "model folder:": "良品画像 10 枚以上でモデルを学習し、自組織のモデルフォルダに保存します：",
                     "at most": "最大", "leave-one-out": "一つ抜き", "hold-out": "ホールドアウト"})


def _beijing(iso: str) -> str:
    """An ISO timestamp as Beijing time (users read local time), ``YYYY-MM-DD HH:MM``."""
    from datetime import datetime

    from yuzhi.fmt import local_time, zone_label

    try:
        t = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    return f"{local_time(t)} ({zone_label('zh')})"

MAX_FILES = 20


def _page(request: Request, actor, results=None, error=None, status_code: int = 200):  # type: ignore[no-untyped-def]
    models = list_models(actor).data
    cards = [{**m.model_dump(), "created_bj": _beijing(m.created)} for m in models]
    folder = (service.models_root() / f"org-{actor.org_id}" if actor.org_id is not None
              else service.models_root() / "shared")
    return render(request, "inspect/index.html", {"models": models, "cards": cards, "results": results or [],
                                                  "error": error, "model_folder": str(folder)},
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
