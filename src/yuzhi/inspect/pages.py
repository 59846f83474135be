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
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.forms import done_translated as _done
from yuzhi.web.forms import html_errors as _html
from yuzhi.web.forms import need as _need
from yuzhi.web.forms import on_error as _on_error
from yuzhi.web.forms import page as _render_page

from . import service, training
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
                     "at most": "至多", "leave-one-out": "留一法", "hold-out": "留出法",
                     "Train a model": "训练模型", "Model name": "模型名称",
                     "Good images (10 or more; image files or a .zip)": "良品图像（10 张以上；图像文件或 .zip）",
                     "Train as a compute job": "作为算力作业训练",
                     "Runs on the compute network: the quote is held against your compute budget, the job is "
                     "metered and billed, and the compute voucher subsidy applies.":
                     "在算力网络上运行：报价从本单位算力预算中冻结，按计量计费，适用算力券补贴。",
                     "Status": "状态", "Install model": "安装模型", "installed": "已安装",
                     "training job {id} queued for model {model}; {quote_fen} held":
                     "训练作业 {id} 已排队（模型 {model}），已冻结 {quote_fen}",
                     "model {name} installed": "模型 {name} 已安装"})
i18n.register("ja", {"Defect inspection": "欠陥検査", "Model": "モデル", "Images": "画像", "Inspect": "検査",
                     "Score": "スコア", "Verdict": "判定", "No models yet.": "モデルはまだありません。",
                     "Model card": "モデルカード", "Trained": "学習日時", "Good images": "良品画像",
                     "Training data SHA-256": "学習データ SHA-256", "Threshold": "しきい値",
                     "Validation": "検証", "caught": "検出", "good parts rejected": "良品の誤判定",
                     "Next step": "次の手順",
                     "Train a model on 10 or more images of good parts, written into your organisation's "
                     "model folder:": "良品画像 10 枚以上でモデルを学習し、自組織のモデルフォルダに保存します：",
                     "at most": "最大", "leave-one-out": "一つ抜き", "hold-out": "ホールドアウト",
                     "Train a model": "モデルを学習", "Model name": "モデル名",
                     "Train as a compute job": "計算ジョブとして学習", "Status": "状態",
                     "Install model": "モデルを導入", "installed": "導入済"})


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


def _context(actor, session=None, results=None) -> dict:
    models = list_models(actor).data
    cards = [{**m.model_dump(), "created_bj": _beijing(m.created)} for m in models]
    folder = (service.models_root() / f"org-{actor.org_id}" if actor.org_id is not None
              else service.models_root() / "shared")
    jobs = training.training_jobs(session, actor=actor) if session is not None else []
    return {"models": models, "cards": cards, "results": results or [], "model_folder": str(folder),
            "jobs": jobs, "can_train": actor.org_id is not None and not actor.is_office and not actor.is_provider}


def _page(request: Request, actor, results=None, error=None, status_code: int = 200,
          session=None):
    return _render_page(request, "inspect/index.html", _context(actor, session, results), actor,
                        status_code=status_code, error=error)


def _store(request: Request):
    from yuzhi.compute import service as compute

    return getattr(request.app.state, "compute_store", None) or compute.default_store()


@router.get("/inspect", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    return _page(request, actor, session=session)


@router.post("/inspect/train")
@_html
async def train_page(request: Request, session: SessionDep, actor: OptionalUser,
                     model: Annotated[str, Form()] = "",
                     files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    """Queue a training job on the compute network from uploaded good images (files or a .zip)."""
    from yuzhi.workflows import compute_billing

    a = _need(actor)
    _on_error(request, "inspect/index.html", lambda: _context(a, session))
    uploads = [(f.filename or "upload", await f.read()) for f in files or [] if f.filename]
    job = training.submit_training(session, actor=a, model=model.strip(), files=uploads, store=_store(request),
                                   estimate_subsidy=compute_billing.estimate_subsidy)
    return _done(request, "/inspect", "training job {id} queued for model {model}; {quote_fen} held",
                 id=job.id, model=model.strip(), quote_fen=job.quote_fen)


@router.post("/inspect/train/{job_id}/install")
@_html
async def install_page(job_id: int, request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    """Install a succeeded training job's model for the organisation (verified before it shows)."""
    a = _need(actor)
    _on_error(request, "inspect/index.html", lambda: _context(a, session))
    dest = training.install_model(session, actor=a, job_id=job_id, store=_store(request))
    return _done(request, "/inspect", "model {name} installed", name=dest.name)


@router.post("/inspect", response_class=HTMLResponse)
def inspect_upload(
    request: Request,
    session: SessionDep,
    actor: OptionalUser,
    model: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
) -> Response:
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    try:
        d = resolve_model(actor, model)
    except DomainError as exc:
        return _page(request, actor, error=exc, status_code=exc.status_code, session=session)
    results = []
    for f in files[:MAX_FILES]:
        name = f.filename or "upload"
        try:
            r = service.score_image(model=d, data=f.file.read(), name=name)
            results.append({"name": name, "score": r["score"], "verdict": r["verdict"], "error": None,
                            "png": base64.b64encode(r["heatmap_png"]).decode("ascii")})
        except DomainError as exc:
            results.append({"name": name, "score": None, "verdict": "ERROR", "error": str(exc), "png": None})
    return _page(request, actor, results=results, session=session)
