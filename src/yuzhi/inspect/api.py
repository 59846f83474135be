"""HTTP API: list the caller's inspection models and score an uploaded image with one of them.

Models are folders written by ``yuzhi inspect train``; the platform keeps them under
``<YUZHI_HOME>/models/inspect/org-<org_id>/<name>`` (one folder per tenant, so another tenant's
model is a 404) and ``.../shared/<name>`` (models the programme office publishes to everyone).
Scoring writes nothing, so there is no audit event.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel

from yuzhi.errors import NotFound
from yuzhi.web.deps import CurrentUser

from . import service

router = APIRouter(prefix="/api/inspect", tags=["inspect"])


class ModelRead(BaseModel):
    name: str
    scope: str
    image_size: int
    threshold_false_reject_rate: float
    n_train_images: int
    created: str
    # the model card: what the model was trained on and what its threshold promises
    training_sha256: str = ""
    bank_size: int = 0
    threshold_rule: str = "hold-out"
    n_calibration: int = 0
    false_reject_max: float | None = None
    validation: dict | None = None


class ModelPage(BaseModel):
    data: list[ModelRead]
    count: int


class ScoreRead(BaseModel):
    model: str
    filename: str
    score: float
    verdict: str
    threshold: float
    width: int
    height: int
    heatmap_png_base64: str


def _scopes(actor) -> list[tuple[str, Path]]:
    root = service.models_root()
    scopes = []
    if actor.org_id is not None:
        scopes.append(("org", root / f"org-{actor.org_id}"))
    scopes.append(("shared", root / "shared"))
    return scopes


def resolve_model(actor, name: str) -> Path:
    """The caller's model folder called ``name`` (own tenant first, then shared), else 404."""
    service.model_dir(name)  # validates the name
    for _scope, base in _scopes(actor):
        d = base / name
        if (d / "model.json").is_file():
            return d
    raise NotFound(f"inspection model {name!r} not found.", field="model",
                   fix="Train it with `yuzhi inspect train` into your organisation's model folder.",
                   key="inspect_model_not_found", params={"name": name})


@router.get("/models", response_model=ModelPage)
def list_models(actor: CurrentUser) -> ModelPage:
    """Models this caller may use."""
    from .model_io import read_metadata

    rows = []
    for scope, base in _scopes(actor):
        if not base.is_dir():
            continue
        for d in sorted(p for p in base.iterdir() if (p / "model.json").is_file()):
            try:
                m = read_metadata(d)
            except Exception:  # a stale model from another version is simply not offered
                continue
            thr = m["threshold"]
            rows.append(ModelRead(name=d.name, scope=scope, image_size=m["image_size"],
                                  threshold_false_reject_rate=thr["false_reject_rate"],
                                  n_train_images=m["training"]["n_images"], created=m["created"],
                                  training_sha256=m["training"].get("sha256", ""),
                                  bank_size=int(m.get("bank_size", 0)),
                                  threshold_rule=thr.get("rule", "hold-out"),
                                  n_calibration=int(thr.get("n_holdout", 0)),
                                  false_reject_max=(thr.get("false_reject_bounds") or {}).get("guaranteed_max"),
                                  validation=m.get("validation")))
    return ModelPage(data=rows, count=len(rows))


@router.post("/models/{name}/score", response_model=ScoreRead)
async def score(
    name: str,
    actor: CurrentUser,
    file: Annotated[UploadFile, File(description="PNG/JPEG/BMP/TIFF image")],
    threshold: Annotated[float, Query(ge=0.0, le=100.0)] = 0.5,
) -> ScoreRead:
    """Score one image: normalised score (threshold 0.5), OK/NG and a heat-map overlay PNG."""
    d = resolve_model(actor, name)
    data = await file.read()
    r = service.score_image(model=d, data=data, name=file.filename or "upload", threshold=threshold)
    return ScoreRead(model=name, filename=file.filename or "upload", score=r["score"], verdict=r["verdict"],
                     threshold=threshold, width=r["width"], height=r["height"],
                     heatmap_png_base64=base64.b64encode(r["heatmap_png"]).decode("ascii"))
